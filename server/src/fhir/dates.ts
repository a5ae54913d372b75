// FHIR date/dateTime/instant values of request parameters as the time range their precision covers.
import { parseDateRange, type TimeRange } from '../search/ranges.js';
import { badRequest } from './outcome.js';

/** "2024" -> [2024-01-01, 2025-01-01); "2024-05-06T10:00:00Z" -> [that second, the next). 400 when invalid. */
export function dateRange(value: string, name: string): TimeRange {
  if (/T\d{2}:\d{2}/.test(value) && !/(Z|[+-]\d{2}:\d{2})$/.test(value)) {
    throw badRequest(`${name} needs a time zone when it has a time, got "${value}"`);
  }
  const range = parseDateRange(value);
  if (!range) throw badRequest(`${name} must be a FHIR date or dateTime, got "${value}"`);
  return range;
}
