// The search phase's data set: Patients with names drawn from weighted lists (so that a prefix such
// as "smi" matches a realistic share of them, about 2.5 %) and, for each, 2/3 to 4/3 of a mean number of
// vital-sign Observations spread over three years, in the order a feed would deliver them (by time).
// Deterministic: the same seed gives the same resources.
import { observationGenerator, seededRandom } from './observations.js';

/**
 * The most common family names with weights: their frequencies per 100,000 people in the 2010 US
 * census, plus a few rarer names that also start with "Smi". A share TOP_SHARE of patients gets one
 * of these, the rest a name from a long tail (TAIL_FIRST x TAIL_LAST made-up surnames, none starting
 * with "Smi"), as in a real population where the top 100 names cover only about a sixth of people.
 */
const FAMILY_NAMES: [string, number][] = [
  ['Smith', 828], ['Johnson', 655], ['Williams', 550], ['Brown', 487], ['Jones', 483], ['Garcia', 366], ['Miller', 362],
  ['Davis', 342], ['Rodriguez', 326], ['Martinez', 310], ['Hernandez', 299], ['Lopez', 238], ['Gonzalez', 233], ['Wilson', 232],
  ['Anderson', 220], ['Thomas', 216], ['Taylor', 211], ['Moore', 207], ['Jackson', 205], ['Martin', 199], ['Lee', 196],
  ['Perez', 174], ['Thompson', 172], ['White', 171], ['Harris', 158], ['Sanchez', 155], ['Clark', 141], ['Ramirez', 140],
  ['Lewis', 139], ['Robinson', 138], ['Walker', 137], ['Young', 131], ['Allen', 128], ['King', 126], ['Wright', 125],
  ['Scott', 119], ['Torres', 117], ['Nguyen', 117], ['Hill', 116], ['Flores', 115], ['Green', 114], ['Adams', 113],
  ['Nelson', 112], ['Baker', 110], ['Hall', 108], ['Rivera', 107], ['Campbell', 105], ['Mitchell', 105], ['Carter', 104],
  ['Roberts', 104], ['Gómez', 93], ['Phillips', 92], ['Evans', 91], ['Turner', 88], ['Díaz', 88], ['Parker', 88],
  ['Cruz', 87], ['Edwards', 87], ['Collins', 85], ['Reyes', 85], ['Stewart', 84], ['Morris', 83], ['Morales', 82],
  ['Murphy', 82], ['Cook', 80], ['Rogers', 79], ['Gutierrez', 77], ['Ortiz', 76], ['Morgan', 76], ['Cooper', 76],
  ['Peterson', 76], ['Bailey', 75], ['Reed', 74], ['Kelly', 74], ['Howard', 73], ['Ramos', 72], ['Kim', 71], ['Cox', 71],
  ['Ward', 71], ['Richardson', 70], ['Watson', 69], ['Brooks', 69], ['Chavez', 69], ['Wood', 69], ['James', 69],
  ['Bennett', 68], ['Gray', 68], ['Mendoza', 68], ['Ruiz', 67], ['Hughes', 67], ['Price', 67], ['Alvarez', 67],
  ['Castillo', 66], ['Sanders', 66], ['Patel', 66], ['Myers', 65], ['Long', 65], ['Ross', 65], ['Foster', 64],
  ['Smiley', 12], ['Smithson', 4], ['Smit', 3], ['Smits', 2],
];
const TOP_SHARE = 0.35;
const TAIL_FIRST = [
  'Al', 'Ash', 'Bar', 'Brad', 'Cal', 'Crom', 'Dor', 'Dun', 'El', 'Fair', 'Fen', 'Gar', 'Glen', 'Hal', 'Hart', 'Ing', 'Jor', 'Kel',
  'Kings', 'Lan', 'Lind', 'Mar', 'Mont', 'New', 'Nor', 'Oak', 'Pen', 'Pres', 'Quin', 'Red', 'Ros', 'Sal', 'Stan', 'Thorn', 'Tor',
  'Ul', 'Val', 'Wat', 'Wes', 'Yor', 'Zan',
];
const TAIL_LAST = ['by', 'er', 'field', 'ford', 'ham', 'hurst', 'ing', 'land', 'ley', 'low', 'man', 'more', 'ridge', 'son', 'stead', 'ton', 'well', 'wick', 'wood', 'worth'];

/** Given names with rough weights; "Smita" (rare) makes "smi" also match a given name, as the name parameter must. */
const GIVEN_NAMES: [string, number][] = [
  ...[
    'James', 'Mary', 'Robert', 'Patricia', 'John', 'Jennifer', 'Michael', 'Linda', 'David', 'Elizabeth', 'William', 'Barbara',
    'Richard', 'Susan', 'Joseph', 'Jessica', 'Thomas', 'Sarah', 'Carlos', 'Karen', 'Daniel', 'Lisa', 'Matthew', 'Nancy',
    'Anthony', 'Betty', 'Mark', 'Sandra', 'Wei', 'Ashley', 'Steven', 'Kimberly', 'Paul', 'Emily', 'Andrew', 'Donna',
    'Joshua', 'Michelle', 'Kenneth', 'Carol', 'Kevin', 'Amanda', 'Brian', 'Melissa', 'José', 'Deborah', 'Ahmed', 'Priya',
  ].map((name): [string, number] => [name, 4]),
  ['Smita', 1],
];

/** Three years of vital signs: 2023, 2024 and 2025. */
export const SEARCH_WINDOW = { start: Date.UTC(2023, 0, 1), days: 3 * 365 };

function weighted(items: [string, number][], random: () => number): string {
  let r = random() * items.reduce((sum, [, w]) => sum + w, 0);
  for (const [item, weight] of items) if ((r -= weight) < 0) return item;
  return items[items.length - 1][0];
}

/** A synthetic Patient with a name from the weighted lists (no real person's data). */
function searchPatient(n: number, random: () => number): Record<string, unknown> {
  const family =
    random() < TOP_SHARE
      ? weighted(FAMILY_NAMES, random)
      : `${TAIL_FIRST[Math.floor(random() * TAIL_FIRST.length)]}${TAIL_LAST[Math.floor(random() * TAIL_LAST.length)]}`;
  const given = weighted(GIVEN_NAMES, random);
  const born = new Date(Date.UTC(1935, 0, 1) + Math.floor(random() * 85 * 365.25) * 86_400_000);
  return {
    resourceType: 'Patient',
    identifier: [{ use: 'usual', system: 'https://bench.meridian.example.org/mrn', value: `SRCH-${String(n).padStart(6, '0')}` }],
    active: true,
    name: [{ use: 'official', family, given: [given] }],
    gender: random() < 0.5 ? 'female' : 'male',
    birthDate: born.toISOString().slice(0, 10),
  };
}

/** Patient bodies, made before the server exists (they do not depend on ids). */
export function searchPatients(seed: number, count: number): string[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, (_, n) => JSON.stringify(searchPatient(n, random)));
}

/**
 * The Observations of each patient (2/3 to 4/3 of perPatient each, at least 1), as JSON with the
 * subject ids the server gave the patients, sorted by effectiveDateTime: the order a live feed
 * delivers them, so one patient's rows are spread over the tables as they would be in production.
 */
export function searchObservations(seed: number, patientIds: string[], perPatient: number): string[] {
  const random = seededRandom(seed);
  const next = observationGenerator(seed + 1, patientIds, SEARCH_WINDOW);
  const low = Math.max(1, Math.ceil((perPatient * 2) / 3));
  const high = Math.max(low, Math.floor((perPatient * 4) / 3));
  const all: { effective: string; body: string }[] = [];
  for (const id of patientIds) {
    const n = low + Math.floor(random() * (high - low + 1));
    for (let k = 0; k < n; k++) {
      const observation = next(id);
      all.push({ effective: observation.effectiveDateTime as string, body: JSON.stringify(observation) });
    }
  }
  all.sort((a, b) => (a.effective < b.effective ? -1 : a.effective > b.effective ? 1 : 0));
  return all.map((o) => o.body);
}
