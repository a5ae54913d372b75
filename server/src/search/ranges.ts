// The time range a FHIR date, dateTime or instant covers, from its precision: "2024" is all of 2024.
// Stored values and search values both become half-open ranges [start, end).
const DATE = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

export interface TimeRange {
  start: Date;
  end: Date;
}

/** The range of a date value, or undefined when it is not a valid FHIR date/dateTime/instant. */
export function parseDateRange(value: string): TimeRange | undefined {
  const m = DATE.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, tz] = m;
  // a dateTime without a zone is taken as UTC (FHIR requires a zone when there is a time)
  const start = new Date(`${y}-${mo ?? '01'}-${d ?? '01'}T${h ?? '00'}:${mi ?? '00'}:${s ?? '00'}${frac ?? ''}${tz ?? 'Z'}`);
  const calendar = new Date(Date.UTC(Number(y), Number(mo ?? 1) - 1, Number(d ?? 1)));
  if (Number.isNaN(start.getTime()) || calendar.getUTCMonth() !== Number(mo ?? 1) - 1 || calendar.getUTCDate() !== Number(d ?? 1)) {
    return undefined;
  }
  const end = new Date(start);
  if (mo === undefined) end.setUTCFullYear(end.getUTCFullYear() + 1);
  else if (d === undefined) end.setUTCMonth(end.getUTCMonth() + 1);
  else if (h === undefined) end.setUTCDate(end.getUTCDate() + 1);
  else if (s === undefined) end.setTime(end.getTime() + 60_000);
  else if (frac === undefined) end.setTime(end.getTime() + 1000);
  else end.setTime(end.getTime() + 1);
  return { start, end };
}
