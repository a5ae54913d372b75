// Calendar arithmetic on whole days (days since 1970-01-01, UTC) and the clinic's local time.
// The clinic keeps US Eastern time: UTC-05:00, or UTC-04:00 from the second Sunday of March to the
// first Sunday of November (the rule since 2007). Nothing here reads the clock.

export const DAY_MS = 86_400_000;

/** 'YYYY-MM-DD' -> day number; throws on anything else. */
export function parseDay(iso: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!m) throw new Error(`"${iso}" is not a date (YYYY-MM-DD)`);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) {
    throw new Error(`"${iso}" is not a calendar date`);
  }
  return Math.round(ms / DAY_MS);
}

export function dayOf(year: number, month: number, date: number): number {
  return Math.round(Date.UTC(year, month - 1, date) / DAY_MS);
}

/** Day number -> [year, month 1-12, day 1-31] (proleptic Gregorian; H. Hinnant's civil_from_days). */
export function civil(day: number): [number, number, number] {
  const z = day + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

/** Day number -> 'YYYY-MM-DD'. */
export function isoDay(day: number): string {
  const [y, m, d] = civil(day);
  return `${String(y).padStart(4, '0')}-${m < 10 ? '0' : ''}${m}-${d < 10 ? '0' : ''}${d}`;
}

export function yearOf(day: number): number {
  return civil(day)[0];
}

/** 0 = Sunday ... 6 = Saturday. */
export function weekday(day: number): number {
  return (((day + 4) % 7) + 7) % 7;
}

/** The same calendar date `years` later (29 February falls back to 28). */
export function addYears(day: number, years: number): number {
  const d = new Date(day * DAY_MS);
  const y = d.getUTCFullYear() + years;
  const m = d.getUTCMonth();
  const last = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  return Math.round(Date.UTC(y, m, Math.min(d.getUTCDate(), last)) / DAY_MS);
}

/** Whole years of age on a day. */
export function ageOn(birthDay: number, day: number): number {
  const b = new Date(birthDay * DAY_MS);
  const d = new Date(day * DAY_MS);
  let age = d.getUTCFullYear() - b.getUTCFullYear();
  if (d.getUTCMonth() < b.getUTCMonth() || (d.getUTCMonth() === b.getUTCMonth() && d.getUTCDate() < b.getUTCDate())) age--;
  return age;
}

/** Fractional years of age (for growth curves). */
export function yearsBetween(fromDay: number, toDay: number): number {
  return (toDay - fromDay) / 365.2425;
}

function nthSunday(year: number, month: number, n: number): number {
  const first = dayOf(year, month, 1);
  const offset = (7 - weekday(first)) % 7;
  return first + offset + 7 * (n - 1);
}

/** UTC offset of the clinic's local time on a day, in minutes (-240 or -300). */
export function utcOffsetMinutes(day: number): number {
  const y = yearOf(day);
  return day >= nthSunday(y, 3, 2) && day < nthSunday(y, 11, 1) ? -240 : -300;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** Local wall-clock time on a day as a FHIR dateTime/instant with its offset: 2026-10-14T09:30:00-04:00. */
export function localDateTime(day: number, minuteOfDay: number): string {
  const extraDays = Math.floor(minuteOfDay / 1440);
  const d = day + extraDays;
  const minutes = minuteOfDay - extraDays * 1440;
  const offset = utcOffsetMinutes(d);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return `${isoDay(d)}T${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}:00${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** A moment as (day, minute of day), kept together so that ordering is by day then minute. */
export interface Moment {
  day: number;
  minute: number;
}

export function momentKey(m: Moment): number {
  return m.day * 1440 + m.minute;
}

export function addMinutes(m: Moment, minutes: number): Moment {
  const total = m.minute + minutes;
  const days = Math.floor(total / 1440);
  return { day: m.day + days, minute: total - days * 1440 };
}

export function formatMoment(m: Moment): string {
  return localDateTime(m.day, m.minute);
}
