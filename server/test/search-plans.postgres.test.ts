// Every supported search is index-backed: on Postgres, with 100,000 resources, the plan of the SQL
// that Meridian really issues for each search reads no table sequentially, and no scan in it walks a
// table or an index in order to filter it (at most MAX_ROWS_READ rows read by any scan node).
//
// The SQL is not copied: it is captured from runSearch itself (server/src/repo/search.ts) through a
// Queryable that records what is sent and passes it on, so a change to runSearch or SqlBuilder is
// tested as it is. The plan is then asked for with the same bound parameters over the extended
// protocol, as runSearch sends them (an unnamed statement, so Postgres plans it for these values).
//
// The data is written with SQL (generate_series), not through HTTP, but with the resources' own
// index rows as Meridian extracts them: a check below runs extractIndex on stored rows and compares.
// Only in the vitest 'postgres' project (*.postgres.test.ts): PGlite is not the planner in production.
import type { Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db, Queryable, QueryResult } from '../src/db/index.js';
import { runSearch } from '../src/repo/search.js';
import { extractIndex, parseSearch, type IndexRows } from '../src/search/index.js';
import { testDb, type TestDb } from './harness.js';

const PATIENTS = 2_000;
const OBSERVATIONS = 98_000; // 49 per patient
const DEFAULT_COUNT = 20; // as fhir/interactions/search.ts pages when there is no _count
const BASE_URL = 'http://localhost/fhir';
const INDEX_TABLES = ['search_token', 'search_string', 'search_reference', 'search_date', 'search_number'];

const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';
const CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';
const MRN = 'urn:oid:1.2.36.146.595.217.0.1';

// [code, display, ucum unit, low, high]: 10 vital signs (60 % of observations), 30 laboratory tests (40 %).
const VITALS: [string, string, string, number, number][] = [
  ['8867-4', 'Heart rate', '/min', 45, 140],
  ['8310-5', 'Body temperature', 'Cel', 35.5, 40],
  ['9279-1', 'Respiratory rate', '/min', 10, 30],
  ['2708-6', 'Oxygen saturation in Arterial blood', '%', 85, 100],
  ['8480-6', 'Systolic blood pressure', 'mm[Hg]', 90, 190],
  ['8462-4', 'Diastolic blood pressure', 'mm[Hg]', 50, 120],
  ['29463-7', 'Body weight', 'kg', 3, 150],
  ['8302-2', 'Body height', 'cm', 50, 200],
  ['39156-5', 'Body mass index (BMI) [Ratio]', 'kg/m2', 15, 45],
  ['8287-5', 'Head Occipital-frontal circumference', 'cm', 30, 60],
];
const LABS: [string, string, string, number, number][] = [
  ['2339-0', 'Glucose [Mass/volume] in Blood', 'mg/dL', 60, 300],
  ['2160-0', 'Creatinine [Mass/volume] in Serum or Plasma', 'mg/dL', 0.4, 4],
  ['2951-2', 'Sodium [Moles/volume] in Serum or Plasma', 'mmol/L', 125, 150],
  ['2823-3', 'Potassium [Moles/volume] in Serum or Plasma', 'mmol/L', 3, 6],
  ['2075-0', 'Chloride [Moles/volume] in Serum or Plasma', 'mmol/L', 90, 115],
  ['2028-9', 'Carbon dioxide, total [Moles/volume] in Serum or Plasma', 'mmol/L', 18, 32],
  ['3094-0', 'Urea nitrogen [Mass/volume] in Serum or Plasma', 'mg/dL', 5, 60],
  ['17861-6', 'Calcium [Mass/volume] in Serum or Plasma', 'mg/dL', 7, 11],
  ['718-7', 'Hemoglobin [Mass/volume] in Blood', 'g/dL', 7, 18],
  ['4544-3', 'Hematocrit [Volume Fraction] of Blood by Automated count', '%', 25, 55],
  ['6690-2', 'Leukocytes [#/volume] in Blood by Automated count', '10*3/uL', 2, 20],
  ['789-8', 'Erythrocytes [#/volume] in Blood by Automated count', '10*6/uL', 3, 6.5],
  ['777-3', 'Platelets [#/volume] in Blood by Automated count', '10*3/uL', 50, 500],
  ['787-2', 'MCV [Entitic volume] by Automated count', 'fL', 70, 110],
  ['785-6', 'MCH [Entitic mass] by Automated count', 'pg', 24, 36],
  ['786-4', 'MCHC [Mass/volume] by Automated count', 'g/dL', 30, 37],
  ['2093-3', 'Cholesterol [Mass/volume] in Serum or Plasma', 'mg/dL', 120, 300],
  ['2571-8', 'Triglyceride [Mass/volume] in Serum or Plasma', 'mg/dL', 50, 400],
  ['2085-9', 'Cholesterol in HDL [Mass/volume] in Serum or Plasma', 'mg/dL', 25, 90],
  ['13457-7', 'Cholesterol in LDL [Mass/volume] in Serum or Plasma by calculation', 'mg/dL', 50, 220],
  ['4548-4', 'Hemoglobin A1c/Hemoglobin.total in Blood', '%', 4.5, 12],
  ['1742-6', 'Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma', 'U/L', 5, 200],
  ['1920-8', 'Aspartate aminotransferase [Enzymatic activity/volume] in Serum or Plasma', 'U/L', 5, 200],
  ['6768-6', 'Alkaline phosphatase [Enzymatic activity/volume] in Serum or Plasma', 'U/L', 30, 300],
  ['1975-2', 'Bilirubin.total [Mass/volume] in Serum or Plasma', 'mg/dL', 0.1, 5],
  ['2885-2', 'Protein [Mass/volume] in Serum or Plasma', 'g/dL', 5, 9],
  ['1751-7', 'Albumin [Mass/volume] in Serum or Plasma', 'g/dL', 2, 5.5],
  ['3016-3', 'Thyrotropin [Units/volume] in Serum or Plasma', 'm[IU]/L', 0.1, 10],
  ['5902-2', 'Prothrombin time (PT)', 's', 9, 30],
  ['6301-6', 'INR in Platelet poor plasma by Coagulation assay', '{INR}', 0.8, 4],
];
const FAMILIES = [
  'Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez',
  'Hernandez', 'Lopez', 'Gonzalez', 'Wilson', 'Anderson', 'Thomas', 'Taylor', 'Moore', 'Jackson', 'Martin',
  'Lee', 'Perez', 'Thompson', 'White', 'Harris', 'Sanchez', 'Clark', 'Ramirez', 'Lewis', 'Robinson',
  'Walker', 'Young', 'Allen', 'King', 'Wright', 'Scott', 'Torres', 'Nguyen', 'Hill', 'Flores',
  'Green', 'Adams', 'Nelson', 'Baker', 'Hall', 'Rivera', 'Campbell', 'Mitchell', 'Carter', 'Smithson',
];
const GIVEN = [
  'James', 'Mary', 'Robert', 'Patricia', 'John', 'Jennifer', 'Michael', 'Linda', 'David', 'Elizabeth',
  'William', 'Barbara', 'Richard', 'Susan', 'Joseph', 'Jessica', 'Thomas', 'Sarah', 'Charles', 'Karen',
  'Christopher', 'Lisa', 'Daniel', 'Nancy', 'Matthew', 'Betty', 'Anthony', 'Sandra', 'Mark', 'Ashley',
  'Donald', 'Kimberly', 'Steven', 'Emily', 'Paul', 'Donna', 'Andrew', 'Michelle', 'Joshua', 'Carol',
];

/** Two independent pseudo-random non-negative ints per row number, from md5 (deterministic). */
const HASHES = `('x' || substr(md5(i::text), 1, 7))::bit(28)::int AS h1, ('x' || substr(md5(i::text), 8, 7))::bit(28)::int AS h2`;
const ISO = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

/** Loads everything in one transaction, so that the generator's temporary tables live on one connection. */
function load(db: Db): Promise<void> {
  return db.transaction((tx) => generate(tx));
}

async function generate(db: Queryable): Promise<void> {
  const codes = [...VITALS.map((c) => [...c, 'vital-signs', 'Vital Signs'] as const), ...LABS.map((c) => [...c, 'laboratory', 'Laboratory'] as const)];
  await db.query(
    `CREATE TEMP TABLE gen_code AS SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::numeric[], $6::numeric[], $7::text[], $8::text[])
       AS c(n, code, display, unit, lo, hi, category, category_display)`,
    [codes.map((_, n) => n), ...[0, 1, 2, 3, 4, 5, 6].map((k) => codes.map((c) => c[k]))],
  );
  await db.query(`CREATE TEMP TABLE gen_name AS SELECT * FROM unnest($1::text[]) WITH ORDINALITY AS f(family, n)`, [FAMILIES]);
  await db.query(`CREATE TEMP TABLE gen_given AS SELECT * FROM unnest($1::text[]) WITH ORDINALITY AS g(given, n)`, [GIVEN]);
  await db.exec(`
    CREATE TEMP TABLE gen_patient AS
    SELECT i, md5('patient-' || i)::uuid::text AS id, f.family, g.given,
           CASE WHEN h1 % 2 = 0 THEN 'female' ELSE 'male' END AS gender,
           date '1930-01-01' + (h2 % 30000) AS birth_date,
           timestamptz '2022-06-01T00:00:00Z' + make_interval(secs => h1 % 15552000) AS last_updated
      FROM generate_series(1, ${PATIENTS}) i
      CROSS JOIN LATERAL (SELECT ${HASHES}) h
      JOIN gen_name f ON f.n = 1 + (h.h1 / 7) % ${FAMILIES.length}
      JOIN gen_given g ON g.n = 1 + (h.h2 / 7) % ${GIVEN.length};

    -- Observations: patient i % 2000 (49 each), a code (60 % vital signs), effective over 2023-2025
    -- to the second, last updated a minute to an hour later.
    CREATE TEMP TABLE gen_obs AS
    SELECT i, md5('observation-' || i)::uuid::text AS id, md5('patient-' || (1 + (i - 1) % ${PATIENTS}))::uuid::text AS patient_id,
           c.code, c.display, c.unit, c.category, c.category_display,
           round(c.lo + (h2 % 1000) * (c.hi - c.lo) / 1000, 1) AS value,
           CASE WHEN h2 % 50 = 0 THEN 'amended' ELSE 'final' END AS status,
           timestamptz '2023-01-01T00:00:00Z' + make_interval(secs => h1 % 94608000) AS effective,
           timestamptz '2023-01-01T00:00:00Z' + make_interval(secs => h1 % 94608000 + 60 + h2 % 3540) AS last_updated
      FROM generate_series(1, ${OBSERVATIONS}) i
      CROSS JOIN LATERAL (SELECT ${HASHES}) h
      JOIN gen_code c ON c.n = CASE WHEN h.h2 % 100 < 60 THEN (h.h2 / 100) % ${VITALS.length} ELSE ${VITALS.length} + (h.h2 / 100) % ${LABS.length} END;

    INSERT INTO resources (resource_type, id, version_id, last_updated, deleted, content)
    SELECT 'Patient', id, 1, last_updated, false, jsonb_build_object(
             'resourceType', 'Patient', 'id', id,
             'meta', jsonb_build_object('versionId', '1', 'lastUpdated', to_char(last_updated AT TIME ZONE 'UTC', ${ISO})),
             'identifier', jsonb_build_array(jsonb_build_object('system', '${MRN}', 'value', 'MRN-' || i)),
             'active', true,
             'name', jsonb_build_array(jsonb_build_object('family', family, 'given', jsonb_build_array(given))),
             'gender', gender, 'birthDate', birth_date::text)
      FROM gen_patient;
    INSERT INTO resources (resource_type, id, version_id, last_updated, deleted, content)
    SELECT 'Observation', id, 1, last_updated, false, jsonb_build_object(
             'resourceType', 'Observation', 'id', id,
             'meta', jsonb_build_object('versionId', '1', 'lastUpdated', to_char(last_updated AT TIME ZONE 'UTC', ${ISO})),
             'status', status,
             'category', jsonb_build_array(jsonb_build_object('coding', jsonb_build_array(
               jsonb_build_object('system', '${CATEGORY}', 'code', category, 'display', category_display)))),
             'code', jsonb_build_object('coding', jsonb_build_array(jsonb_build_object('system', '${LOINC}', 'code', code, 'display', display)), 'text', display),
             'subject', jsonb_build_object('reference', 'Patient/' || patient_id),
             'effectiveDateTime', to_char(effective AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
             'valueQuantity', jsonb_build_object('value', value, 'unit', unit, 'system', '${UCUM}', 'code', unit))
      FROM gen_obs;

    INSERT INTO search_token (resource_type, resource_id, param, system, code)
    SELECT 'Patient', id, v.param, v.system, v.code FROM gen_patient CROSS JOIN LATERAL (VALUES
      ('active', NULL, 'true'), ('deceased', NULL, 'false'), ('gender', NULL, gender), ('identifier', '${MRN}', 'MRN-' || i)
    ) v(param, system, code);
    INSERT INTO search_token (resource_type, resource_id, param, system, code)
    SELECT 'Observation', id, v.param, v.system, v.code FROM gen_obs CROSS JOIN LATERAL (VALUES
      ('code', '${LOINC}', code), ('category', '${CATEGORY}', category), ('combo-code', '${LOINC}', code), ('status', NULL, status)
    ) v(param, system, code);

    INSERT INTO search_string (resource_type, resource_id, param, value, raw)
    SELECT 'Patient', id, v.param, lower(v.raw), v.raw FROM gen_patient CROSS JOIN LATERAL (VALUES
      ('family', family), ('given', given), ('name', family), ('name', given), ('phonetic', family), ('phonetic', given)
    ) v(param, raw);
    INSERT INTO search_string (resource_type, resource_id, param, value, raw)
    SELECT 'Observation', id, v.param, lower(v.raw), v.raw FROM gen_obs CROSS JOIN LATERAL (VALUES
      ('code:text', display), ('category:text', category_display), ('combo-code:text', display)
    ) v(param, raw);

    INSERT INTO search_reference (resource_type, resource_id, param, target_type, target_id, url)
    SELECT 'Observation', id, v.param, 'Patient', patient_id, NULL FROM gen_obs CROSS JOIN (VALUES ('patient'), ('subject')) v(param);

    INSERT INTO search_date (resource_type, resource_id, param, low, high)
    SELECT 'Patient', id, 'birthdate', birth_date::timestamp AT TIME ZONE 'UTC', (birth_date + 1)::timestamp AT TIME ZONE 'UTC' FROM gen_patient;
    INSERT INTO search_date (resource_type, resource_id, param, low, high)
    SELECT 'Observation', id, 'date', effective, effective + interval '1 second' FROM gen_obs;

    INSERT INTO search_number (resource_type, resource_id, param, system, code, value)
    SELECT 'Observation', id, v.param, '${UCUM}', unit, value FROM gen_obs CROSS JOIN (VALUES ('combo-value-quantity'), ('value-quantity')) v(param);

    DROP TABLE gen_patient, gen_obs, gen_code, gen_name, gen_given;
    ANALYZE resources; ANALYZE search_token; ANALYZE search_string; ANALYZE search_reference; ANALYZE search_date; ANALYZE search_number;
  `);
}

/** The index rows stored for one resource, in extractIndex's shape, sorted so that order does not matter. */
async function storedIndex(db: Db, type: string, id: string): Promise<Record<string, string[]>> {
  const q = async (sql: string) => (await db.query<{ row: string }>(sql, [type, id])).rows.map((r) => r.row).sort();
  const where = 'WHERE resource_type = $1 AND resource_id = $2';
  return {
    token: await q(`SELECT concat_ws(' ', param, coalesce(system, '-'), code) AS row FROM search_token ${where}`),
    string: await q(`SELECT concat_ws(' ', param, value, raw) AS row FROM search_string ${where}`),
    reference: await q(`SELECT concat_ws(' ', param, coalesce(target_type, '-'), coalesce(target_id, '-'), coalesce(url, '-')) AS row FROM search_reference ${where}`),
    date: await q(`SELECT concat_ws(' ', param, to_char(low AT TIME ZONE 'UTC', ${ISO}), to_char(high AT TIME ZONE 'UTC', ${ISO})) AS row FROM search_date ${where}`),
    number: await q(`SELECT concat_ws(' ', param, coalesce(system, '-'), coalesce(code, '-'), value::float8::text) AS row FROM search_number ${where}`),
  };
}

function extractedIndex(rows: IndexRows): Record<string, string[]> {
  const t = rows.token;
  const s = rows.string;
  const r = rows.reference;
  const d = rows.date;
  const n = rows.number;
  return {
    token: t.param.map((p, i) => [p, t.system[i] ?? '-', t.code[i]].join(' ')).sort(),
    string: s.param.map((p, i) => [p, s.value[i], s.raw[i]].join(' ')).sort(),
    reference: r.param.map((p, i) => [p, r.targetType[i] ?? '-', r.targetId[i] ?? '-', r.url[i] ?? '-'].join(' ')).sort(),
    date: d.param.map((p, i) => [p, d.low[i], d.high[i]].join(' ')).sort(),
    number: n.param.map((p, i) => [p, n.system[i] ?? '-', n.code[i] ?? '-', String(Number(n.value[i]))].join(' ')).sort(),
  };
}

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
const explained = new Map<string, Promise<Explained>>();

beforeAll(async () => {
  const started = performance.now();
  t = await testDb();
  await load(t.db);
  loadMs = performance.now() - started;
  patientId = (await t.db.query<{ id: string }>(`SELECT id FROM resources WHERE resource_type = 'Patient' ORDER BY id OFFSET 100 LIMIT 1`)).rows[0].id;
  const newest = (await t.db.query<{ at: Date }>(`SELECT max(last_updated) AS at FROM resources WHERE resource_type = 'Observation'`)).rows[0].at;
  recentInstant = new Date(newest.getTime() - 24 * 3600_000).toISOString();
}, 180_000);

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

// {patient}: a patient with the usual 49 observations; {recent}: a day before the newest update.
const SEARCHES: [string, string, string][] = [
  ['token', 'Observation', 'code=http://loinc.org|8867-4'],
  ['reference', 'Observation', 'subject=Patient/{patient}'],
  ['date', 'Observation', 'date=ge2024-06-01&date=lt2024-06-02'],
  ['date eq', 'Observation', 'date=2024-06-01'],
  ['string prefix', 'Patient', 'name=smi'],
  ['_lastUpdated', 'Observation', '_lastUpdated=ge{recent}'],
  ['combined', 'Observation', 'subject=Patient/{patient}&code=http://loinc.org|8867-4&_sort=-date&_count=20'],
];

/** An index-backed page of 20 reads a few hundred rows; 5 % of the table means it is walking the table in index order. */
const MAX_ROWS_READ = 5_000;

describe('search plans on 100,000 resources (Postgres)', () => {
  it('has the data: 100,000 resources whose index rows are what Meridian extracts', async () => {
    console.log(`migrate, load and ANALYZE: ${loadMs.toFixed(0)} ms`);
    const counts = (await t.db.query<{ resource_type: string; n: number }>(
      `SELECT resource_type, count(*)::int AS n FROM resources GROUP BY resource_type ORDER BY resource_type`,
    )).rows;
    expect(counts).toEqual([
      { resource_type: 'Observation', n: OBSERVATIONS },
      { resource_type: 'Patient', n: PATIENTS },
    ]);
    // the tables these searches use (search_composite and search_text are left empty)
    const samples = (await t.db.query<{ resource_type: string; id: string; content: Resource }>(
      `(SELECT resource_type, id, content FROM resources WHERE resource_type = 'Patient' ORDER BY id LIMIT 3)
       UNION ALL (SELECT resource_type, id, content FROM resources WHERE resource_type = 'Observation' ORDER BY id LIMIT 5)`,
    )).rows;
    for (const s of samples) {
      expect(await storedIndex(t.db, s.resource_type, s.id), `${s.resource_type}/${s.id}`).toEqual(extractedIndex(extractIndex(s.content, BASE_URL)));
    }
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
