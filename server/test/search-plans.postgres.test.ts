// Every supported search is index-backed: on Postgres, with more than 100,000 resources of a generated
// population (seed/: the same data the bench and a real clinic's distributions have: one code in ten
// a heart rate, a few dozen Observations per patient), the plan of the SQL that Meridian really issues
// for each search reads no table sequentially, and no scan in it walks a table or an index in order to
// filter it (at most MAX_ROWS_READ rows read by any scan node).
//
// The SQL is not copied: it is captured from runSearch itself (server/src/repo/search.ts) through a
// Queryable that records what is sent and passes it on, so a change to runSearch or SqlBuilder is
// tested as it is. The plan is then asked for with the same bound parameters over the extended
// protocol, as runSearch sends them (an unnamed statement, so Postgres plans it for these values).
//
// The data is written by the repository's batch write (storeSeedPopulation), so its index rows are
// Meridian's own. Only in the vitest 'postgres' project (*.postgres.test.ts): PGlite is not the
// planner in production.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db, Queryable, QueryResult } from '../src/db/index.js';
import { runSearch } from '../src/repo/search.js';
import { parseSearch } from '../src/search/index.js';
import { testDb, type TestDb } from './harness.js';
import { storeSeedPopulation } from './seed-population.js';

const PATIENTS = 880; // about 114 resources each, with the practice: just over 100,000
const DEFAULT_COUNT = 20; // as fhir/interactions/search.ts pages when there is no _count
const BASE_URL = 'http://localhost/fhir';
const INDEX_TABLES = ['search_token', 'search_string', 'search_reference', 'search_date', 'search_number', 'search_composite'];

interface Captured {
  sql: string;
  params: unknown[];
}

/** The SQL statements runSearch sends for a search-type interaction, and its page (run for real). */
async function capture(db: Db, resourceType: string, query: string) {
  const sent: Captured[] = [];
  const recording: Queryable = {
    query<T>(sql: string, params?: unknown[], name?: string): Promise<QueryResult<T>> {
      sent.push({ sql, params: params ?? [] });
      return db.query<T>(sql, params, name);
    },
    exec: (sql: string) => db.exec(sql),
  };
  // as fhir/interactions/search.ts does for GET [type]?query
  const request = parseSearch(resourceType, new URLSearchParams(query), { strict: true, baseUrl: BASE_URL });
  const page = await runSearch(recording, request, [resourceType], request.count ?? DEFAULT_COUNT, 'cheap');
  return { sent, page };
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  'Index Cond'?: string;
  'Recheck Cond'?: string;
  Filter?: string;
  Plans?: PlanNode[];
}

interface Explained {
  sql: string;
  matches: number;
  hasNext: boolean;
  executionMs: number;
  nodes: PlanNode[];
}

function flatten(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(flatten)];
}

/** Rows a scan node went through: returned plus filtered out, over all its loops. */
function rowsRead(n: PlanNode): number {
  return (n['Actual Rows'] + (n['Rows Removed by Filter'] ?? 0) + (n['Rows Removed by Index Recheck'] ?? 0)) * n['Actual Loops'];
}

const isScan = (n: PlanNode) => n['Node Type'].endsWith('Scan');

function describeNode(n: PlanNode, verbose = false): string {
  const on = n['Index Name'] ? ` using ${n['Index Name']}` : n['Relation Name'] ? ` on ${n['Relation Name']}` : '';
  const removed = n['Rows Removed by Filter'] ? `, ${n['Rows Removed by Filter']} removed by filter` : '';
  let text = `${n['Node Type']}${on} (rows ${n['Actual Rows']} x ${n['Actual Loops']} loops${removed})`;
  if (verbose) {
    const cond = n['Index Cond'] ?? n['Recheck Cond'];
    if (cond) text += `\n      cond: ${cond}`;
    if (n.Filter) text += `\n      filter: ${n.Filter}`;
  }
  return text;
}

const describePlan = (e: Explained) => `${e.sql}\n  ${e.nodes.map((n) => describeNode(n, true)).join('\n  ')}`;

let t: TestDb;
let patientId: string;
let recentInstant: string;
let loadMs = 0;
let stored: Record<string, number> = {};
const explained = new Map<string, Promise<Explained>>();

beforeAll(async () => {
  const started = performance.now();
  t = await testDb();
  stored = await storeSeedPopulation(t.db, BASE_URL, { patients: PATIENTS, seed: 'plans', asOf: '2026-11-01' });
  loadMs = performance.now() - started;
  // a patient with heart rates on record (most have; infants' first visits may not)
  patientId = (await t.db.query<{ id: string }>(
    `SELECT target_id AS id FROM search_reference r JOIN search_token c ON c.resource_type = r.resource_type AND c.resource_id = r.resource_id
      WHERE r.resource_type = 'Observation' AND r.param = 'subject' AND c.param = 'code' AND c.code = '8867-4'
      GROUP BY target_id ORDER BY count(*) DESC, target_id LIMIT 1`,
  )).rows[0].id;
  // the last batch written: a page or two of recent changes among 100,000
  const newest = (await t.db.query<{ at: Date }>(`SELECT max(last_updated) AS at FROM resources`)).rows[0].at;
  recentInstant = newest.toISOString();
}, 300_000);

afterAll(() => t?.drop());

/** The page statement runSearch sends for the search, run for real, then EXPLAIN ANALYZEd with the same parameters (once per search). */
function explain(resourceType: string, query: string): Promise<Explained> {
  const key = `${resourceType}?${query}`;
  if (!explained.has(key)) {
    explained.set(
      key,
      (async () => {
        const q = query.replace('{patient}', patientId).replace('{recent}', recentInstant);
        const { sent, page } = await capture(t.db, resourceType, q);
        if (sent.length !== 1) throw new Error(`expected one statement (the page, no includes, no count), got ${sent.length}`);
        const { sql, params } = sent[0];
        const [row] = (await t.db.query<{ 'QUERY PLAN': [{ Plan: PlanNode; 'Execution Time': number }] }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`, params)).rows;
        const [{ Plan, 'Execution Time': executionMs }] = row['QUERY PLAN'];
        const e: Explained = { sql, matches: page.matches.length, hasNext: page.hasNext, executionMs, nodes: flatten(Plan) };
        console.log(`${resourceType}?${q}: ${e.matches} matches${e.hasNext ? ' and more' : ''}, executed in ${executionMs.toFixed(2)} ms\n  ${e.nodes.map((n) => describeNode(n)).join('\n  ')}`);
        return e;
      })(),
    );
  }
  return explained.get(key)!;
}

// {patient}: the patient with the most heart rates on record; {recent}: the newest update (the last
// batch written). The last three are the bench's searches (b), (c) without its _include, and (a).
const SEARCHES: [string, string, string][] = [
  ['token', 'Observation', 'code=http://loinc.org|8867-4'],
  ['token, rare code', 'Observation', 'code=http://loinc.org|6301-6'],
  ['reference', 'Observation', 'subject=Patient/{patient}'],
  ['date window', 'Observation', 'date=ge2024-06-03&date=lt2024-06-04'],
  ['date eq', 'Observation', 'date=2024-06-03'],
  ['string prefix', 'Patient', 'name=smi'],
  ['_lastUpdated', 'Observation', '_lastUpdated=ge{recent}'],
  ['string prefix, common', 'Patient', 'name=and'],
  ['token and date', 'Observation', 'code=http://loinc.org|8867-4&date=ge2024-01-01'],
  ['subject, code, sorted', 'Observation', 'subject=Patient/{patient}&code=http://loinc.org|8867-4&_sort=-date&_count=20'],
];

/** An index-backed page of 20 reads a few hundred rows; 5 % of the table means it is walking the table in index order. */
const MAX_ROWS_READ = 5_000;

describe('search plans on 100,000 resources (Postgres)', () => {
  it('has the data: over 100,000 resources of a generated population', async () => {
    console.log(`migrate, store and ANALYZE: ${loadMs.toFixed(0)} ms`, stored);
    const { rows } = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM resources`);
    expect(rows[0].n).toBe(Object.values(stored).reduce((x, y) => x + y, 0));
    expect(rows[0].n).toBeGreaterThan(100_000);
    expect(stored.Patient).toBe(PATIENTS);
  });

  describe.each(SEARCHES)('%s: %s?%s', (_label, resourceType, query) => {
    it('matches something', async () => {
      const e = await explain(resourceType, query);
      expect(e.matches).toBeGreaterThan(0);
    });

    it('reads no table sequentially', async () => {
      const e = await explain(resourceType, query);
      const seqScans = e.nodes.filter((n) => n['Node Type'] === 'Seq Scan');
      expect(seqScans.filter((n) => n['Relation Name'] === 'resources').map((n) => describeNode(n)), `sequential scan of resources:\n${describePlan(e)}`).toEqual([]);
      expect(
        seqScans.filter((n) => INDEX_TABLES.includes(n['Relation Name'] ?? '')).map((n) => describeNode(n)),
        `sequential scan of an index table:\n${describePlan(e)}`,
      ).toEqual([]);
    });

    it(`reads at most ${MAX_ROWS_READ} rows of any table or index`, async () => {
      const e = await explain(resourceType, query);
      const heavy = e.nodes.filter((n) => isScan(n) && rowsRead(n) > MAX_ROWS_READ).map((n) => `${describeNode(n)}: ${rowsRead(n)} rows read`);
      expect(heavy, `a scan that walks the table instead of seeking:\n${describePlan(e)}`).toEqual([]);
    });
  });
});
