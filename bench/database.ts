// The bench database: dropped and created empty on every run, and the raw `pg` baseline table in it.
import pg from 'pg';

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/** Checks the URL before anything is dropped: local only, and a name that says it is a bench database. */
export function benchDatabase(url: string): { name: string; adminUrl: string } {
  const parsed = new URL(url);
  if (!LOCAL_HOSTS.has(parsed.hostname)) throw new Error(`BENCH_DATABASE_URL must point at 127.0.0.1 or localhost, got ${parsed.hostname}`);
  const name = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  // The bench drops this database; refuse names that could belong to real data.
  if (!/bench/i.test(name)) throw new Error(`BENCH_DATABASE_URL must name a database containing "bench" (it is dropped each run), got "${name}"`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  return { name, adminUrl: admin.toString() };
}

/** Drops and recreates the database, connecting to the `postgres` database to do it. */
export async function recreateDatabase(url: string): Promise<string> {
  const { name, adminUrl } = benchDatabase(url);
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const ident = admin.escapeIdentifier(name);
    // FORCE ends sessions left over from an aborted run (Postgres 13+).
    await admin.query(`DROP DATABASE IF EXISTS ${ident} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${ident}`);
    const { rows } = await admin.query<{ server_version: string }>('SHOW server_version');
    return rows[0].server_version;
  } finally {
    await admin.end();
  }
}

/** The baseline: a bare JSONB table with only a primary key, as in DESIGN.md's "Facts measured". */
export async function createRawTable(client: pg.Client): Promise<void> {
  await client.query('CREATE TABLE bench_raw (id text PRIMARY KEY, content jsonb NOT NULL)');
}

export const INSERT_RAW = 'INSERT INTO bench_raw (id, content) VALUES ($1, $2)';
export const SELECT_RAW = 'SELECT content FROM bench_raw WHERE id = $1';

/** `n` connected clients, one per worker, like n application connections. */
export async function connectClients(url: string, n: number): Promise<pg.Client[]> {
  const clients = Array.from({ length: n }, () => new pg.Client({ connectionString: url }));
  await Promise.all(clients.map((c) => c.connect()));
  return clients;
}

/** Flushes dirty pages between phases, so one phase's writes are not paid for by the next one. */
export async function checkpoint(client: pg.Client): Promise<void> {
  await client.query('CHECKPOINT');
}

/**
 * The search baseline: every resource Meridian holds, as stored, as JSONB in one bare table, with the
 * indexes a competent engineer would add for exactly the bench's three searches (see search.ts for the
 * queries they serve). Filled before the indexes are built, as a bulk load would.
 */
export async function createSearchRawTable(client: pg.Client, rows: { id: string; resourceType: string; content: string }[]): Promise<void> {
  await client.query('CREATE TABLE bench_search_raw (id text PRIMARY KEY, resource_type text NOT NULL, content jsonb NOT NULL)');
  await loadRows(client, 'bench_search_raw', rows);
  for (const sql of SEARCH_RAW_INDEXES) await client.query(sql);
}

/** Untimed bulk load of (id, resource_type, content) rows, 1000 per statement. */
async function loadRows(client: pg.Client, table: string, rows: { id: string; resourceType: string; content: string }[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 1000) {
    const batch = rows.slice(i, i + 1000);
    await client.query(`INSERT INTO ${table} (id, resource_type, content) SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[])`, [
      batch.map((r) => r.id),
      batch.map((r) => r.resourceType),
      batch.map((r) => r.content),
    ]);
  }
}

/** The ingest baseline: a bare JSONB table with only a primary key, as in DESIGN.md's "Facts measured". */
export async function createIngestRawTable(client: pg.Client): Promise<void> {
  await client.query('CREATE TABLE bench_ingest_raw (id text PRIMARY KEY, resource_type text NOT NULL, content jsonb NOT NULL)');
}

const insertIngestSql = new Map<number, string>();

/** One multi-row INSERT of `rows` rows into bench_ingest_raw: parameters ($1, $2, $3), ($4, $5, $6), ... */
export function insertIngestRaw(rows: number): string {
  let sql = insertIngestSql.get(rows);
  if (!sql) {
    const values = Array.from({ length: rows }, (_, i) => `($${3 * i + 1}, $${3 * i + 2}, $${3 * i + 3})`);
    sql = `INSERT INTO bench_ingest_raw (id, resource_type, content) VALUES ${values.join(', ')}`;
    insertIngestSql.set(rows, sql);
  }
  return sql;
}

/**
 * The export baseline: every resource Meridian holds, as JSONB, with the index an exporter that
 * reads one type at a time in id order needs (Meridian's primary key is (resource_type, id)).
 */
export async function createExportRawTable(client: pg.Client, rows: { id: string; resourceType: string; content: string }[]): Promise<void> {
  await client.query('CREATE TABLE bench_export_raw (id text PRIMARY KEY, resource_type text NOT NULL, content jsonb NOT NULL)');
  await loadRows(client, 'bench_export_raw', rows);
  await client.query('CREATE INDEX bench_export_raw_type_id ON bench_export_raw (resource_type, id)');
}

/** A page of one type for the raw export: keyset paging in id order, the JSON as text. */
export const EXPORT_RAW_PAGE = 'SELECT id, content::text AS json FROM bench_export_raw WHERE resource_type = $1 AND id > $2 ORDER BY id LIMIT $3';

/** The token a hand-written query tests: the first coding's system and code, as one indexed expression. */
export const RAW_CODE_TOKEN = `((content->'code'->'coding'->0->>'system') || '|' || (content->'code'->'coding'->0->>'code'))`;

// Not partial (WHERE resource_type = ...): the planner ignores a partial index's expression
// statistics, and without them it misjudges these conditions by 100x and picks bitmap scans that
// read every match. Likewise system and code are one expression, not two: a bare `->>'system' = $1`
// has no statistics and the planner takes it for 0.5 % selective.
export const SEARCH_RAW_INDEXES = [
  // (a) Observation?subject=&code=&_sort=-date: equality on subject and token, rows already newest first.
  `CREATE INDEX bench_search_raw_subject_code_date ON bench_search_raw
     ((content->'subject'->>'reference'), ${RAW_CODE_TOKEN}, (content->>'effectiveDateTime'))`,
  // (c) Observation?code=&date=ge, first page in id order: walk the token's rows in id order...
  `CREATE INDEX bench_search_raw_code_id ON bench_search_raw (${RAW_CODE_TOKEN}, id)`,
  // ...or, when the date range is narrow, take its range (the planner chooses).
  `CREATE INDEX bench_search_raw_code_date ON bench_search_raw (${RAW_CODE_TOKEN}, (content->>'effectiveDateTime'))`,
  // (b) Patient?name=: prefixes of the lower-cased family name and both given names (text_pattern_ops,
  // since the database's collation is not C, for LIKE 'and%' to become an index range).
  `CREATE INDEX bench_search_raw_family ON bench_search_raw (lower(content->'name'->0->>'family') text_pattern_ops)`,
  `CREATE INDEX bench_search_raw_given ON bench_search_raw (lower(content->'name'->0->'given'->>0) text_pattern_ops)`,
  `CREATE INDEX bench_search_raw_given2 ON bench_search_raw (lower(content->'name'->0->'given'->>1) text_pattern_ops)`,
];
