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
