// FHIR date/dateTime/instant values as the time range their precision covers.
import { badRequest } from './outcome.js';

const DATE = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

/** "2024" -> [2024-01-01, 2025-01-01); "2024-05-06T10:00:00Z" -> [that second, the next). */
export function dateRange(value: string, name: string): { start: Date; end: Date } {
  const m = DATE.exec(value);
  if (!m) throw badRequest(`${name} must be a FHIR date or dateTime, got "${value}"`);
  const [, y, mo, d, h, mi, s, frac, tz] = m;
  if (h !== undefined && !tz) throw badRequest(`${name} needs a time zone when it has a time, got "${value}"`);
  const start = new Date(`${y}-${mo ?? '01'}-${d ?? '01'}T${h ?? '00'}:${mi ?? '00'}:${s ?? '00'}${frac ?? ''}${tz ?? 'Z'}`);
  const calendar = new Date(Date.UTC(Number(y), Number(mo ?? 1) - 1, Number(d ?? 1)));
  if (Number.isNaN(start.getTime()) || calendar.getUTCMonth() !== Number(mo ?? 1) - 1 || calendar.getUTCDate() !== Number(d ?? 1)) throw badRequest(`${name} is not a real date: "${value}"`);
  const end = new Date(start);
  if (mo === undefined) end.setUTCFullYear(end.getUTCFullYear() + 1);
  else if (d === undefined) end.setUTCMonth(end.getUTCMonth() + 1);
  else if (h === undefined) end.setUTCDate(end.getUTCDate() + 1);
  else if (s === undefined) end.setTime(end.getTime() + 60_000);
  else if (frac === undefined) end.setTime(end.getTime() + 1000);
  else end.setTime(end.getTime() + 1);
  return { start, end };
}
