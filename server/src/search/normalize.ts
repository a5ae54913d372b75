// How string search values are compared: case- and accent-insensitive, the same on write and on search.
export function normalizeText(value: string): string {
  return value.normalize('NFD').replace(/\p{Diacritic}/gu, '').toLowerCase();
}
