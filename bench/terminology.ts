// The terminology phase: ValueSet/$expand with a text filter, ValueSet/$validate-code and
// CodeSystem/$lookup on a CodeSystem of BENCH_TERMINOLOGY_CONCEPTS concepts (20,000 by default) and a
// ValueSet of all of it, next to plain `pg` doing the same work on a table of the same concepts.
// No real terminology of that size ships with Meridian (the curated content is fragments), so the
// phase makes its own: deterministic, clinical-sounding displays from word lists, POSTed at runtime.
// Measured from outside over HTTP. See bench/README.md, "Terminology".
import type { CodeSystem, CodeSystemConcept, Parameters, ValueSet } from '@medplum/fhirtypes';
import type pg from 'pg';
import { checkpoint, connectClients } from './database.js';
import { expectOk, type HttpClient, type HttpResponse, log, measureRuns as measure, type Timed, seededRandom } from './harness.js';

export const CS_URL = 'https://bench.meridian.dev/fhir/CodeSystem/clinical-findings';
export const VS_URL = 'https://bench.meridian.dev/fhir/ValueSet/clinical-findings';
/** Concepts with property inactive = true. */
const INACTIVE = 300;
/** The hierarchy (by `parent` properties): ROOTS top concepts, concepts up to MIDDLE under a root, the rest under a middle one. */
const ROOTS = 50;
const MIDDLE = 1000;
/** $expand page size, as a type-ahead asks. */
const PAGE = 20;
const RAW_TABLE = 'bench_terminology_raw';

// Word lists for the displays: "[acuity] [side] [position] finding of site [qualifier]". Letters and
// single spaces only, so "a word of the display" is the same thing for Meridian's text filter
// (split on anything not a letter or digit) and for the SQL (split on spaces). No word starts with x,
// as the codes do (Meridian's filter also matches words of the code).
const ACUITY = ['acute', 'chronic', 'recurrent', 'subacute', 'congenital', 'traumatic', 'postoperative', 'idiopathic', 'primary', 'secondary', 'mild', 'severe'];
const SIDE = ['left', 'right', 'bilateral'];
const POSITION = ['upper', 'lower', 'anterior', 'posterior', 'medial', 'lateral', 'proximal', 'distal'];
const FINDING = [
  'fracture', 'infection', 'disorder', 'dislocation', 'sprain', 'laceration', 'contusion', 'abscess', 'ulcer', 'neoplasm',
  'inflammation', 'stenosis', 'hemorrhage', 'necrosis', 'cyst', 'lesion', 'pain', 'swelling', 'deformity', 'degeneration',
  'obstruction', 'rupture', 'strain', 'burn',
];
const SITE = [
  'knee', 'hip', 'shoulder', 'elbow', 'wrist', 'ankle', 'femur', 'tibia', 'fibula', 'humerus', 'radius', 'ulna', 'spine',
  'lumbar vertebra', 'cervical vertebra', 'thoracic vertebra', 'skull', 'rib', 'pelvis', 'hand', 'foot', 'kidney', 'liver',
  'lung', 'heart', 'stomach', 'colon', 'bladder', 'skin', 'eye', 'ear', 'thumb', 'great toe', 'mandible', 'clavicle',
  'scapula', 'patella', 'calcaneus', 'meniscus', 'tendon', 'ligament', 'cornea', 'retina', 'pancreas', 'gallbladder',
];
const QUALIFIER = ['with complication', 'without complication', 'due to injury', 'due to fall', 'in pregnancy', 'of newborn', 'with effusion'];

export interface TerminologyOptions {
  databaseUrl: string;
  concepts: number;
  runs: number;
  warmup: number;
  clients: number;
  seed: number;
}

interface Concept {
  code: string;
  display: string;
  inactive: boolean;
  parent?: string;
}

export interface TerminologyRow {
  label: string;
  clients: number;
  meridianP50: number;
  meridianP99: number;
  meridianRate: number;
  rawP50: number;
  rawP99: number;
  rawRate: number;
}

export interface TerminologyResult {
  rows: TerminologyRow[];
  concepts: number;
  inactive: number;
  codeSystemBytes: number;
  postCodeSystemMs: number;
  /** The first $expand after the POSTs: Meridian reads the CodeSystem and builds its index and the expansion. */
  firstExpandMs: number;
  firstExpandTotal: number;
  trigram: boolean;
  /** Over the timed $expand runs: the filters' match counts. */
  expandTotals: { min: number; median: number; max: number };
  validateMix: string;
}

/** The concepts, the same in every run: codes X10000.. in order (text order = numeric order), unique displays. */
function makeConcepts(count: number, seed: number): Concept[] {
  if (count > 89_999) throw new Error(`BENCH_TERMINOLOGY_CONCEPTS must be at most 89999 (5-digit codes), got ${count}`);
  const random = seededRandom(seed);
  const pick = <T>(list: T[]) => list[Math.floor(random() * list.length)];
  const maybe = <T>(p: number, list: T[]) => (random() < p ? [pick(list)] : []);
  const seen = new Set<string>();
  const concepts: Concept[] = [];
  for (let i = 0; i < count; i++) {
    let display = '';
    for (let attempt = 0; !display || seen.has(display); attempt++) {
      if (attempt > 1000) throw new Error('the word lists cannot make that many distinct displays');
      const words = [...maybe(0.6, ACUITY), ...maybe(0.5, SIDE), ...maybe(0.4, POSITION), pick(FINDING), 'of', pick(SITE), ...maybe(0.35, QUALIFIER)];
      const text = words.join(' ');
      display = text[0].toUpperCase() + text.slice(1);
    }
    seen.add(display);
    const code = `X${10000 + i}`;
    const parent = i < ROOTS ? undefined : i < MIDDLE ? `X${10000 + Math.floor(random() * ROOTS)}` : `X${10000 + ROOTS + Math.floor(random() * (MIDDLE - ROOTS))}`;
    concepts.push({ code, display, inactive: false, parent });
  }
  // A few hundred retired leaves (never a parent), chosen deterministically.
  const leaves = concepts.slice(MIDDLE);
  for (let n = 0; n < Math.min(INACTIVE, leaves.length); ) {
    const c = leaves[Math.floor(random() * leaves.length)];
    if (!c.inactive) {
      c.inactive = true;
      n++;
    }
  }
  return concepts;
}

function codeSystem(concepts: Concept[]): CodeSystem {
  return {
    resourceType: 'CodeSystem',
    url: CS_URL,
    version: '1',
    name: 'BenchClinicalFindings',
    title: 'Bench clinical findings',
    status: 'active',
    content: 'complete',
    caseSensitive: true,
    hierarchyMeaning: 'is-a',
    count: concepts.length,
    property: [
      { code: 'inactive', uri: 'http://hl7.org/fhir/concept-properties#inactive', type: 'boolean' },
      { code: 'parent', uri: 'http://hl7.org/fhir/concept-properties#parent', type: 'code' },
    ],
    concept: concepts.map((c): CodeSystemConcept => {
      const property = [...(c.parent ? [{ code: 'parent', valueCode: c.parent }] : []), ...(c.inactive ? [{ code: 'inactive', valueBoolean: true }] : [])];
      return { code: c.code, display: c.display, ...(property.length ? { property } : {}) };
    }),
  };
}

const valueSet: ValueSet = {
  resourceType: 'ValueSet',
  url: VS_URL,
  version: '1',
  name: 'BenchClinicalFindings',
  status: 'active',
  compose: { include: [{ system: CS_URL }] },
};

/** Filter texts as a type-ahead sends them: half one word prefix ("chron"), half a word and the next one's prefix ("left kne"). */
function makeFilters(concepts: Concept[], n: number, random: () => number): string[] {
  const prefix = (word: string) => (word.length <= 3 ? word : word.slice(0, 3 + Math.floor(random() * (word.length - 2))));
  return Array.from({ length: n }, (_, i) => {
    const words = concepts[Math.floor(random() * concepts.length)].display.toLowerCase().split(' ');
    if (i % 2 === 1) {
      const pairs = words.map((_, k) => k).filter((k) => k + 1 < words.length && words[k].length >= 3 && words[k + 1].length >= 3);
      if (pairs.length) {
        const k = pairs[Math.floor(random() * pairs.length)];
        return `${words[k]} ${prefix(words[k + 1])}`;
      }
    }
    const long = words.filter((w) => w.length >= 3);
    return prefix(long[Math.floor(random() * long.length)]);
  });
}

interface Check {
  code: string;
  display: string;
  expected: boolean;
}

/** $validate-code inputs: half valid (code with its display), a quarter a valid code with another concept's display, a quarter unknown codes. */
function makeChecks(concepts: Concept[], n: number, random: () => number): Check[] {
  return Array.from({ length: n }, (_, i) => {
    const c = concepts[Math.floor(random() * concepts.length)];
    if (i % 4 < 2) return { code: c.code, display: c.display, expected: true };
    if (i % 4 === 2) {
      let other = c;
      while (other === c) other = concepts[Math.floor(random() * concepts.length)];
      return { code: c.code, display: other.display, expected: false };
    }
    return { code: `X${10000 + concepts.length + Math.floor(random() * (89_999 - concepts.length))}`, display: c.display, expected: false };
  });
}

// ---- raw pg ---------------------------------------------------------------------------------------

/**
 * Every filter word starts a word of the display: `display ~* '\m' || word` (case-insensitive, \m = a word's
 * start; the displays' words are letters only), one condition per word, served by the pg_trgm index.
 * The matches are a MATERIALIZED CTE, counted and paged: written as one SELECT with
 * `count(*) OVER ()` and `ORDER BY code LIMIT 20`, the planner walks the primary key in code order
 * filtering every row (it costs the window as if the LIMIT cut the scan short), 10-20x slower.
 */
function rawExpandSql(words: number): string {
  const where = Array.from({ length: words }, (_, k) => `display ~* $${k + 1}`).join(' AND ');
  return `WITH m AS MATERIALIZED (SELECT code, display FROM ${RAW_TABLE} WHERE ${where}) SELECT code, display, (SELECT count(*) FROM m) AS total FROM m ORDER BY code LIMIT ${PAGE}`;
}
const rawExpandParams = (filter: string) => filter.split(' ').map((w) => `\\m${w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`);
const RAW_DISPLAY = `SELECT display FROM ${RAW_TABLE} WHERE code = $1`;
const RAW_LOOKUP = `SELECT code, display, inactive FROM ${RAW_TABLE} WHERE code = $1`;

/** Same comparison as Meridian's: trimmed, case-insensitive. */
const sameDisplay = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

async function loadRaw(control: pg.Client, concepts: Concept[]): Promise<boolean> {
  await control.query(`CREATE TABLE ${RAW_TABLE} (code text PRIMARY KEY, display text NOT NULL, inactive boolean NOT NULL)`);
  await control.query(`INSERT INTO ${RAW_TABLE} (code, display, inactive) SELECT * FROM unnest($1::text[], $2::text[], $3::boolean[])`, [
    concepts.map((c) => c.code),
    concepts.map((c) => c.display),
    concepts.map((c) => c.inactive),
  ]);
  let trigram = true;
  try {
    await control.query('CREATE EXTENSION IF NOT EXISTS pg_trgm');
    await control.query(`CREATE INDEX ${RAW_TABLE}_display_trgm ON ${RAW_TABLE} USING gin (display gin_trgm_ops)`);
  } catch (err) {
    trigram = false;
    log(`terminology: pg_trgm is not available (${err instanceof Error ? err.message : String(err)}); raw $expand gets a btree on lower(display), which serves no match inside the text: it reads every row`);
    await control.query(`CREATE INDEX ${RAW_TABLE}_display ON ${RAW_TABLE} (lower(display) text_pattern_ops)`);
  }
  await control.query(`VACUUM (ANALYZE) ${RAW_TABLE}`);
  return trigram;
}

// ---- timing ---------------------------------------------------------------------------------------

interface ExpandAnswer {
  total: number;
  codes: string[];
}

function parseExpand(res: HttpResponse, what: string): ExpandAnswer {
  expectOk(what, res);
  const vs = JSON.parse(res.body) as ValueSet;
  return { total: vs.expansion?.total ?? -1, codes: (vs.expansion?.contains ?? []).map((c) => c.code ?? '') };
}

const param = (p: Parameters, name: string) => p.parameter?.find((x) => x.name === name);

export async function terminologyPhase(http: HttpClient, control: pg.Client, options: TerminologyOptions): Promise<TerminologyResult> {
  const { databaseUrl, runs, warmup, clients, seed } = options;
  const concepts = makeConcepts(options.concepts, seed);
  const byCode = new Map(concepts.map((c) => [c.code, c]));
  const cs = codeSystem(concepts);
  const csJson = JSON.stringify(cs);
  const inactive = concepts.filter((c) => c.inactive).length;
  log(`terminology: CodeSystem of ${concepts.length} concepts (${inactive} inactive, ${(csJson.length / 1e6).toFixed(1)} MB of JSON), a ValueSet of all of it`);

  // Meridian's data (untimed but for the record): the CodeSystem, then the ValueSet.
  const posted = performance.now();
  expectOk('POST /fhir/CodeSystem', await http.request('POST', '/fhir/CodeSystem', csJson, { prefer: 'return=minimal' }));
  const postCodeSystemMs = performance.now() - posted;
  log(`terminology: POST /fhir/CodeSystem took ${(postCodeSystemMs / 1000).toFixed(1)} s`);
  expectOk('POST /fhir/ValueSet', await http.request('POST', '/fhir/ValueSet', JSON.stringify(valueSet), { prefer: 'return=minimal' }));

  const n = warmup + runs;
  const random = seededRandom(seed + 1);
  const filters = makeFilters(concepts, n, random);
  const checks = makeChecks(concepts, n, random);
  const lookups = Array.from({ length: n }, () => concepts[Math.floor(random() * concepts.length)].code);
  const expandPath = (filter: string) => `/fhir/ValueSet/$expand?url=${encodeURIComponent(VS_URL)}&filter=${encodeURIComponent(filter)}&count=${PAGE}`;
  const validatePath = (c: Check) =>
    `/fhir/ValueSet/$validate-code?url=${encodeURIComponent(VS_URL)}&system=${encodeURIComponent(CS_URL)}&code=${encodeURIComponent(c.code)}&display=${encodeURIComponent(c.display)}`;
  const lookupPath = (code: string) => `/fhir/CodeSystem/$lookup?system=${encodeURIComponent(CS_URL)}&code=${encodeURIComponent(code)}`;

  // The first $expand: Meridian reads the CodeSystem from the database and indexes it (one-time cost, not in the percentiles).
  const first = performance.now();
  const firstAnswer = parseExpand(await http.request('GET', expandPath(filters[0])), `first $expand (filter "${filters[0]}")`);
  const firstExpandMs = performance.now() - first;
  log(`terminology: first $expand (index built) took ${firstExpandMs.toFixed(0)} ms, total ${firstAnswer.total}`);

  const trigram = await loadRaw(control, concepts);
  log(`terminology: raw table ${RAW_TABLE} (code text primary key, display text, inactive boolean) loaded, ${trigram ? 'pg_trgm GIN index on display' : 'btree on lower(display)'}`);
  await checkpoint(control);

  // Up-front check of a sample, so a wrong answer names its input before any timing.
  const raw = await connectClients(databaseUrl, clients);
  try {
    const rawExpand = async (filter: string, client = raw[0]): Promise<ExpandAnswer> => {
      const { rows } = await client.query<{ code: string; total: string }>(rawExpandSql(filter.split(' ').length), rawExpandParams(filter));
      return { total: rows.length ? Number(rows[0].total) : 0, codes: rows.map((r) => r.code) };
    };
    const sameExpand = (filter: string, m: ExpandAnswer, r: ExpandAnswer) => {
      if (m.total !== r.total || m.codes.join() !== r.codes.join()) {
        throw new Error(`terminology: $expand filter "${filter}": Meridian total ${m.total} [${m.codes.join(' ')}], raw pg total ${r.total} [${r.codes.join(' ')}]`);
      }
      if (m.total <= 0) throw new Error(`terminology: $expand filter "${filter}" matched nothing, though it is drawn from a display`);
    };
    sameExpand(filters[0], firstAnswer, await rawExpand(filters[0]));
    for (const filter of filters.slice(0, 20)) sameExpand(filter, parseExpand(await http.request('GET', expandPath(filter)), `$expand "${filter}"`), await rawExpand(filter));

    const rows: TerminologyRow[] = [];
    const expandTotals: number[] = [];
    for (const workers of [1, clients]) {
      const suffix = workers === 1 ? '1 client' : `${workers} clients`;
      const rawLabel = workers === 1 ? '1 connection' : `${workers} connections`;

      // (a) $expand with a text filter: raw first, then Meridian; answers compared after timing.
      const rawA: ExpandAnswer[] = [];
      const mA: ExpandAnswer[] = [];
      const rA = await measure(`raw $expand ${rawLabel}`, workers, warmup, runs, async (i, w) => {
        rawA[i] = await rawExpand(filters[i], raw[w]);
      });
      const bodiesA: HttpResponse[] = [];
      const tA = await measure(`Meridian $expand ${suffix}`, workers, warmup, runs, async (i) => {
        bodiesA[i] = await http.request('GET', expandPath(filters[i]));
      });
      bodiesA.forEach((res, i) => (mA[i] = parseExpand(res, `$expand "${filters[i]}"`)));
      for (let i = 0; i < n; i++) sameExpand(filters[i], mA[i], rawA[i]);
      if (workers === 1) expandTotals.push(...mA.slice(warmup).map((a) => a.total));
      rows.push({ label: '(a) ValueSet/$expand filter, count=20', clients: workers, ...pair(tA, rA) });

      // (b) $validate-code: PK lookup and display comparison on the raw side.
      const rawB: boolean[] = [];
      const rB = await measure(`raw $validate-code ${rawLabel}`, workers, warmup, runs, async (i, w) => {
        const { rows: found } = await raw[w].query<{ display: string }>(RAW_DISPLAY, [checks[i].code]);
        rawB[i] = found.length === 1 && sameDisplay(found[0].display, checks[i].display);
      });
      const bodiesB: HttpResponse[] = [];
      const tB = await measure(`Meridian $validate-code ${suffix}`, workers, warmup, runs, async (i) => {
        bodiesB[i] = await http.request('GET', validatePath(checks[i]));
      });
      bodiesB.forEach((res, i) => {
        const c = checks[i];
        const result = param(JSON.parse(expectOk(`$validate-code ${c.code} "${c.display}"`, res).body) as Parameters, 'result')?.valueBoolean;
        if (result !== c.expected || rawB[i] !== c.expected) {
          throw new Error(`terminology: $validate-code ${c.code} "${c.display}": expected ${c.expected}, Meridian said ${result}, raw pg ${rawB[i]}`);
        }
      });
      rows.push({ label: '(b) ValueSet/$validate-code', clients: workers, ...pair(tB, rB) });

      // (c) $lookup: PK lookup on the raw side.
      const rawC: (string | undefined)[] = [];
      const rC = await measure(`raw $lookup ${rawLabel}`, workers, warmup, runs, async (i, w) => {
        const { rows: found } = await raw[w].query<{ display: string }>(RAW_LOOKUP, [lookups[i]]);
        rawC[i] = found[0]?.display;
      });
      const bodiesC: HttpResponse[] = [];
      const tC = await measure(`Meridian $lookup ${suffix}`, workers, warmup, runs, async (i) => {
        bodiesC[i] = await http.request('GET', lookupPath(lookups[i]));
      });
      bodiesC.forEach((res, i) => {
        const concept = byCode.get(lookups[i])!;
        const p = JSON.parse(expectOk(`$lookup ${lookups[i]}`, res).body) as Parameters;
        const display = param(p, 'display')?.valueString;
        const inactiveProp = p.parameter?.find((x) => x.name === 'property' && x.part?.[0]?.valueCode === 'inactive')?.part?.[1]?.valueBoolean;
        if (display !== concept.display || rawC[i] !== concept.display || inactiveProp !== concept.inactive) {
          throw new Error(`terminology: $lookup ${lookups[i]}: expected "${concept.display}" (inactive ${concept.inactive}), Meridian "${display}" (inactive ${inactiveProp}), raw pg "${rawC[i]}"`);
        }
      });
      rows.push({ label: '(c) CodeSystem/$lookup', clients: workers, ...pair(tC, rC) });
    }

    expandTotals.sort((a, b) => a - b);
    return {
      rows,
      concepts: concepts.length,
      inactive,
      codeSystemBytes: csJson.length,
      postCodeSystemMs,
      firstExpandMs,
      firstExpandTotal: firstAnswer.total,
      trigram,
      expandTotals: { min: expandTotals[0], median: expandTotals[Math.floor(expandTotals.length / 2)], max: expandTotals[expandTotals.length - 1] },
      validateMix: 'half valid codes with their display, a quarter valid codes with another concept\'s display, a quarter unknown codes',
    };
  } finally {
    await Promise.all(raw.map((c) => c.end()));
  }
}

function pair(m: Timed, r: Timed): Omit<TerminologyRow, 'label' | 'clients'> {
  return { meridianP50: m.p50, meridianP99: m.p99, meridianRate: m.rate, rawP50: r.p50, rawP99: r.p99, rawRate: r.rate };
}

export function terminologyReport(r: TerminologyResult, options: TerminologyOptions, context: string): string {
  const ms = (n: number) => n.toFixed(3);
  const rate = (n: number) => Math.round(n).toLocaleString('en-US');
  return [
    `## Meridian terminology vs raw pg (${new Date().toISOString()})`,
    '',
    `The bench's own CodeSystem of ${r.concepts.toLocaleString('en-US')} concepts (${r.inactive} inactive, a 3-level hierarchy by \`parent\`, ` +
      `${(r.codeSystemBytes / 1e6).toFixed(1)} MB of JSON; POST took ${(r.postCodeSystemMs / 1000).toFixed(1)} s) and a ValueSet of all of it; ` +
      `raw pg: ${RAW_TABLE} (code text primary key, display text, inactive boolean) with ${r.trigram ? 'a pg_trgm GIN index on display' : 'a btree on lower(display) (pg_trgm not available)'}. ` +
      `${options.runs} timed runs per operation, side and concurrency (after ${options.warmup} warm-up). ` +
      `$expand filters: one word prefix or a word and the next one's prefix, drawn from the displays; matches per filter ${r.expandTotals.min}–${r.expandTotals.max} (median ${r.expandTotals.median}). ` +
      `$validate-code: ${r.validateMix}. ${context}`,
    '',
    '| operation | clients | Meridian p50 (ms) | p99 | req/s | raw pg p50 (ms) | p99 | req/s | ratio (p50) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...r.rows.map((x) => `| ${x.label} | ${x.clients} | ${ms(x.meridianP50)} | ${ms(x.meridianP99)} | ${rate(x.meridianRate)} | ${ms(x.rawP50)} | ${ms(x.rawP99)} | ${rate(x.rawRate)} | ${(x.meridianP50 / x.rawP50).toFixed(2)} |`),
    '',
    `First $expand after the POSTs (Meridian reads the CodeSystem and builds its index and the expansion; not in the percentiles): ${r.firstExpandMs.toFixed(0)} ms.`,
    '',
    'Meridian: GET over HTTP, the response received in full. Raw pg: the SQL in bench/terminology.ts with plain `pg`, rows received. Every answer is checked (same total and page as raw pg for $expand, the expected result for $validate-code, the display and inactive flag for $lookup). ratio = Meridian p50 / raw pg p50, lower is better.',
    '',
  ].join('\n');
}
