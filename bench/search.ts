// The search phase of `npm run bench`: loads generated patient records (seed/) through Meridian's
// transaction endpoint, puts the same resources as Meridian stores them into a bare JSONB table with
// indexes made for exactly these searches, checks that each hand-written SQL query returns the rows
// Meridian returns, then times both. See bench/README.md, "Search".
import type { Bundle } from '@medplum/fhirtypes';
import type pg from 'pg';
import { checkpoint, connectClients, createSearchRawTable, RAW_CODE_TOKEN } from './database.js';
import { expectOk, log, percentile, runWorkers, seededRandom, type HttpClient, type HttpResponse } from './harness.js';
import { checkStored, loadBundles, type PracticeIndex, type StoredRow } from './population.js';

export interface SearchSettings {
  databaseUrl: string;
  /** Timed requests per search and side. */
  runs: number;
  /** Untimed requests before each timed run. */
  warmup: number;
  /** Concurrent HTTP clients while loading the patient Bundles. */
  loadClients: number;
  seed: number;
}

export interface SearchRow {
  label: string;
  meridianP50: number;
  meridianP99: number;
  rawP50: number;
  rawP99: number;
}

const LOINC = 'http://loinc.org';
const HEART_RATE = '8867-4';
const PAGE = 20; // _count of every search (Meridian's default page size, written out)
// Matches Anderson and Andrews, and the given names Andrew and Andrea (first or middle): about 3 % of
// the generated patients.
const NAME_PREFIX = 'and';
const DATE_FROM = '2024-01-01';
// The same instant in the clinic's winter offset, as the data writes it: effectiveDateTime is the
// clinic's local time with its offset, and every value near that instant has -05:00 (EST), so a text
// comparison against this is the instant comparison Meridian makes (it takes a date without zone as UTC).
const DATE_FROM_LOCAL = '2023-12-31T19:00:00-05:00';
const AIM = 3; // each search within 3x of its hand-written SQL (p50)

/** A page as both sides see it: match ids in order, included ids (any order), whether there is a next page. */
interface Page {
  matches: string[];
  included: string[];
  hasNext: boolean;
}

/**
 * One search, as Meridian gets it over HTTP and as hand-written SQL on bench_search_raw. `sample` is a
 * per-run argument (a patient id for (a), unused by the others). The SQL reads rows + 1 to know
 * whether there is a next page, as Meridian does for its `next` link.
 */
interface SearchCase {
  label: string;
  path(sample: string): string;
  sql: string;
  params(sample: string): unknown[];
  /** The same criteria without paging: for a count Meridian is checked against. */
  countPath(sample: string): string;
  countSql: string;
  countParams(sample: string): unknown[];
  toPage(rows: { mode?: string; id: string }[]): Page;
}

const token = encodeURIComponent(`${LOINC}|${HEART_RATE}`);

const byId = (rows: { id: string }[]): Page => ({
  matches: rows.slice(0, PAGE).map((r) => r.id),
  included: [],
  hasNext: rows.length > PAGE,
});

// Equality on the first coding's system|code, as the data has the searched code first: what a
// hand-written query for these rows would test. Meridian's token search looks at every coding.
const OBSERVATION_CODE = `resource_type = 'Observation' AND ${RAW_CODE_TOKEN} = $1`;
const CODE_TOKEN = `${LOINC}|${HEART_RATE}`;
const NAME_MATCH = `(lower(content->'name'->0->>'family') LIKE $1
  OR lower(content->'name'->0->'given'->>0) LIKE $1 OR lower(content->'name'->0->'given'->>1) LIKE $1)`;

const CASES: SearchCase[] = [
  {
    // effectiveDateTime in text order is its instant order for one patient's heart rates: values carry
    // the clinic's offset (-04:00 or -05:00), and two readings an hour apart across the autumn change
    // of clock, where local text and instant disagree, do not occur in this data.
    label: `(a) Observation?subject=Patient/X&code=${LOINC}|${HEART_RATE}&_sort=-date&_count=${PAGE}`,
    path: (x) => `/fhir/Observation?subject=Patient/${x}&code=${token}&_sort=-date&_count=${PAGE}`,
    sql: `SELECT id, content FROM bench_search_raw
          WHERE ${OBSERVATION_CODE} AND content->'subject'->>'reference' = $2
          ORDER BY content->>'effectiveDateTime' DESC, id LIMIT $3`,
    params: (x) => [CODE_TOKEN, `Patient/${x}`, PAGE + 1],
    countPath: (x) => `/fhir/Observation?subject=Patient/${x}&code=${token}&_summary=count`,
    countSql: `SELECT count(*)::integer AS n FROM bench_search_raw WHERE ${OBSERVATION_CODE} AND content->'subject'->>'reference' = $2`,
    countParams: (x) => [CODE_TOKEN, `Patient/${x}`],
    toPage: byId,
  },
  {
    // Meridian matches a prefix of any part of any name, case- and accent-insensitive; the data has
    // one name with a family name and two given names, and no accent in any name.
    label: `(b) Patient?name=${NAME_PREFIX}`,
    path: () => `/fhir/Patient?name=${NAME_PREFIX}`,
    sql: `SELECT id, content FROM bench_search_raw
          WHERE resource_type = 'Patient' AND ${NAME_MATCH}
          ORDER BY id LIMIT $2`,
    params: () => [`${NAME_PREFIX}%`, PAGE + 1],
    countPath: () => `/fhir/Patient?name=${NAME_PREFIX}&_summary=count`,
    countSql: `SELECT count(*)::integer AS n FROM bench_search_raw WHERE resource_type = 'Patient' AND ${NAME_MATCH}`,
    countParams: () => [`${NAME_PREFIX}%`],
    toPage: byId,
  },
  {
    // One round trip: the page (rows + 1), then the Patients the page's first PAGE rows refer to.
    // Text comparison of effectiveDateTime against DATE_FROM_LOCAL is right for this data (see there).
    label: `(c) Observation?code=${LOINC}|${HEART_RATE}&date=ge${DATE_FROM}&_include=Observation:subject&_count=${PAGE}`,
    path: () => `/fhir/Observation?code=${token}&date=ge${DATE_FROM}&_include=Observation:subject&_count=${PAGE}`,
    sql: `WITH page AS (
            SELECT id, content FROM bench_search_raw
            WHERE ${OBSERVATION_CODE} AND content->>'effectiveDateTime' >= $2
            ORDER BY id LIMIT $3
          )
          SELECT 'match' AS mode, id, content FROM page
          UNION ALL
          SELECT 'include', p.id, p.content FROM bench_search_raw p
          WHERE p.resource_type = 'Patient' AND p.id IN (
            SELECT split_part(shown.content->'subject'->>'reference', '/', 2)
            FROM (SELECT content FROM page ORDER BY id LIMIT $4) shown
            WHERE shown.content->'subject'->>'reference' LIKE 'Patient/%')
          ORDER BY 1 DESC, 2`,
    params: () => [CODE_TOKEN, DATE_FROM_LOCAL, PAGE + 1, PAGE],
    countPath: () => `/fhir/Observation?code=${token}&date=ge${DATE_FROM}&_summary=count`,
    countSql: `SELECT count(*)::integer AS n FROM bench_search_raw WHERE ${OBSERVATION_CODE} AND content->>'effectiveDateTime' >= $2`,
    countParams: () => [CODE_TOKEN, DATE_FROM_LOCAL],
    toPage: (rows) => {
      const matches = rows.filter((r) => r.mode === 'match');
      return { ...byId(matches), included: rows.filter((r) => r.mode === 'include').map((r) => r.id) };
    },
  },
];

interface BundleJson {
  total?: number;
  link?: { relation: string }[];
  entry?: { resource?: { resourceType: string; id: string }; search?: { mode?: string } }[];
}

function meridianPage(res: HttpResponse, path: string): Page {
  const bundle = JSON.parse(res.body) as BundleJson;
  const entries = bundle.entry ?? [];
  const outcome = entries.find((e) => e.search?.mode === 'outcome');
  // A warning means Meridian ignored part of the query: it would not be the same search.
  if (outcome) throw new Error(`GET ${path} answered with a warning, so it did not run the search asked:\n${JSON.stringify(outcome.resource)}`);
  const ids = (mode: string) => entries.filter((e) => e.search?.mode === mode).map((e) => e.resource!.id);
  return { matches: ids('match'), included: ids('include'), hasNext: (bundle.link ?? []).some((l) => l.relation === 'next') };
}

/**
 * Checks that Meridian and the hand-written SQL agree, on the page and on the full count, for the
 * given samples. Throws, naming the search and what differs, when they do not.
 */
async function checkSameRows(c: SearchCase, samples: string[], http: HttpClient, db: pg.Client): Promise<{ totals: number[]; page: Page }> {
  const totals: number[] = [];
  let page: Page | undefined;
  for (const sample of samples) {
    const path = c.path(sample);
    const meridian = meridianPage(expectOk(`GET ${path}`, await http.request('GET', path)), path);
    const raw = c.toPage((await db.query<{ mode?: string; id: string }>(c.sql, c.params(sample))).rows);
    const countPath = c.countPath(sample);
    const meridianTotal = (JSON.parse(expectOk(`GET ${countPath}`, await http.request('GET', countPath)).body) as BundleJson).total;
    const rawTotal = (await db.query<{ n: number }>(c.countSql, c.countParams(sample))).rows[0].n;
    const sorted = (ids: string[]) => [...ids].sort().join(',');
    const problems = [
      meridianTotal !== rawTotal && `total ${meridianTotal} from Meridian (_summary=count), ${rawTotal} from SQL`,
      meridian.matches.join(',') !== raw.matches.join(',') && `matches differ:\n  Meridian ${meridian.matches.join(' ')}\n  SQL      ${raw.matches.join(' ')}`,
      sorted(meridian.included) !== sorted(raw.included) && `included differ:\n  Meridian ${sorted(meridian.included)}\n  SQL      ${sorted(raw.included)}`,
      meridian.hasNext !== raw.hasNext && `next page: Meridian ${meridian.hasNext}, SQL ${raw.hasNext}`,
    ].filter(Boolean);
    if (problems.length) {
      throw new Error(`search ${c.label}: the hand-written SQL does not return what Meridian returns (GET ${path}):\n${problems.join('\n')}`);
    }
    totals.push(rawTotal);
    page = raw;
  }
  if (totals.every((n) => n === 0)) throw new Error(`search ${c.label}: matched nothing in ${samples.length} samples, so it would time empty searches`);
  return { totals, page: page! };
}

/** Loads the patient Bundles (the practice is loaded already); returns what Meridian now holds from them. */
async function load(http: HttpClient, bundles: Bundle[], practice: PracticeIndex, settings: SearchSettings): Promise<{ created: StoredRow[]; patientIds: string[]; seconds: number }> {
  const loaded = await loadBundles(http, 'search: load patient Bundles', bundles, settings.loadClients, practice);
  const patientIds = loaded.rows.filter((r) => r.resourceType === 'Patient').map((r) => r.id);
  if (patientIds.length !== bundles.length) throw new Error(`${bundles.length} patient Bundles held ${patientIds.length} Patients`);
  // The baseline's copies must be what Meridian stores: the first record, read back.
  await checkStored(http, loaded.rows.slice(0, loaded.ids[0].length), 'search data');
  return { created: loaded.rows, patientIds, seconds: loaded.seconds };
}

async function time(label: string, runs: number, warmup: number, op: (i: number) => Promise<void>): Promise<{ p50: number; p99: number }> {
  await runWorkers(`${label} warm-up`, 1, warmup, op);
  const { latenciesMs } = await runWorkers(label, 1, runs, (i) => op(warmup + i));
  const p50 = percentile(latenciesMs, 50);
  const p99 = percentile(latenciesMs, 99);
  log(`${label}: p50 ${p50.toFixed(3)} ms, p99 ${p99.toFixed(3)} ms, max ${percentile(latenciesMs, 100).toFixed(3)} ms over ${runs} runs`);
  return { p50, p99 };
}

/**
 * Loads the patient Bundles, builds the baseline, checks, times. `earlier` is everything the earlier
 * phases created in Meridian: the baseline holds it too, so both sides search the same rows. `held` is
 * then everything Meridian holds.
 */
export async function searchPhase(
  http: HttpClient,
  control: pg.Client,
  earlier: StoredRow[],
  bundles: Bundle[],
  practice: PracticeIndex,
  settings: SearchSettings,
): Promise<{ rows: SearchRow[]; context: string; held: StoredRow[] }> {
  log(`search: loading ${bundles.length} generated patient records through POST /fhir (transaction Bundles)`);
  const { created, patientIds, seconds } = await load(http, bundles, practice, settings);

  const rawRows = [...earlier, ...created];
  const started = Date.now();
  await createSearchRawTable(control, rawRows);
  log(`raw pg: bench_search_raw holds the same ${rawRows.length} resources, indexed (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  // Fresh statistics and visibility maps for both sides, as autovacuum would give them in time.
  await control.query('VACUUM (ANALYZE)');
  await checkpoint(control);
  log('VACUUM (ANALYZE) and CHECKPOINT done');

  const [db] = await connectClients(settings.databaseUrl, 1);
  try {
    const random = seededRandom(settings.seed + 3);
    const picks = Array.from({ length: settings.warmup + settings.runs }, () => patientIds[Math.floor(random() * patientIds.length)]);
    const facts: string[] = [];
    const rows: SearchRow[] = [];
    for (const c of CASES) {
      const samples = c === CASES[0] ? picks.slice(0, 5) : [''];
      const { totals, page } = await checkSameRows(c, samples, http, db);
      const fact =
        c === CASES[0]
          ? `${totals.join(', ')} matches for the ${samples.length} patients checked`
          : `${totals[0]} matches, first ${page.matches.length} shown${page.included.length ? ` with ${page.included.length} included Patients` : ''}`;
      facts.push(`${c.label.slice(0, 3)} ${fact}`);
      log(`${c.label}: Meridian and SQL agree (${fact})`);

      const sample = (i: number) => (c === CASES[0] ? picks[i] : '');
      const raw = await time(`raw SQL ${c.label.slice(0, 3)}`, settings.runs, settings.warmup, async (i) => {
        await db.query(c.sql, c.params(sample(i)));
      });
      const meridian = await time(`Meridian ${c.label.slice(0, 3)}`, settings.runs, settings.warmup, async (i) => {
        const path = c.path(sample(i));
        expectOk(`GET ${path}`, await http.request('GET', path));
      });
      rows.push({ label: c.label, meridianP50: meridian.p50, meridianP99: meridian.p99, rawP50: raw.p50, rawP99: raw.p99 });
    }
    const observations = created.filter((r) => r.resourceType === 'Observation');
    const heartRates = observations.filter((r) => r.content.includes(`"code":"${HEART_RATE}"`)).length;
    const context = [
      `Data: ${patientIds.length} generated patient records (seed/, ${created.length} resources) loaded through POST /fhir as transaction Bundles `,
      `with ${settings.loadClients} clients in ${seconds.toFixed(0)} s, among them ${observations.length} Observations `,
      `(vital signs and laboratory results, ${heartRates} heart rates, ${(heartRates / patientIds.length).toFixed(1)} per patient); `,
      `with the practice and the create phase's rows both sides hold ${rawRows.length} resources. `,
      `${settings.runs} timed runs per search and side, 1 client, after ${settings.warmup} warm-up runs; (a) picks one of these patients at random per run. `,
      `${facts.join('; ')}.`,
    ].join('');
    return { rows, context, held: rawRows };
  } finally {
    await db.end();
  }
}

export function searchReport(rows: SearchRow[], context: string): string {
  const ms = (n: number) => n.toFixed(3);
  const verdict = (r: SearchRow) => (r.meridianP50 / r.rawP50 <= AIM ? 'met' : 'NOT met');
  return [
    `## Meridian search vs hand-written SQL (${new Date().toISOString()})`,
    '',
    context,
    '',
    '| search | Meridian p50 (ms) | p99 | raw SQL p50 (ms) | p99 | ratio (p50) |',
    '|---|---:|---:|---:|---:|---:|',
    // a | inside a cell would end it
    ...rows.map((r) => `| ${r.label.replaceAll('|', '\\|')} | ${ms(r.meridianP50)} | ${ms(r.meridianP99)} | ${ms(r.rawP50)} | ${ms(r.rawP99)} | ${(r.meridianP50 / r.rawP50).toFixed(2)} |`),
    '',
    'Meridian: GET over HTTP, the searchset Bundle received in full. Raw SQL: the query in bench/search.ts on bench_search_raw with plain `pg`, rows received and parsed. ratio = Meridian p50 / raw SQL p50, lower is better.',
    '',
    `Aim: each search within ${AIM}x of its hand-written SQL (p50):`,
    ...rows.map((r) => `- ${r.label.slice(0, 3)}: ${(r.meridianP50 / r.rawP50).toFixed(2)}x (${verdict(r)})`),
    '',
  ].join('\n');
}
