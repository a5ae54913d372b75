// A Meridian of its own for each test file: on PGlite in memory, or on a fresh schema of the
// test database on Postgres, as TEST_DB says.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import pg from 'pg';
import request from 'supertest';
import type { Config } from '../src/config.js';
import { migrate, openPglite, openPostgres, type Db } from '../src/db/index.js';
import { createLogger } from '../src/logger.js';
import { startServer, type RunningServer } from '../src/server.js';

export const dbKind = (process.env.TEST_DB ?? 'pglite') as 'pglite' | 'postgres';
export const testDatabaseUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/meridian_test';

export interface TestDb {
  db: Db;
  /** Opens another connection pool on the same database and schema (Postgres only). */
  reopen?: () => Db;
  drop(): Promise<void>;
}

/** A migrated, empty database of the kind under test. */
export async function testDb(options: { migrated?: boolean } = {}): Promise<TestDb> {
  const migrated = options.migrated ?? true;
  if (dbKind === 'pglite') {
    const db = await openPglite();
    if (migrated) await migrate(db);
    return { db, drop: () => db.close() };
  }
  await ensureTestDatabase();
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: testDatabaseUrl });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const open = () => openPostgres({ connectionString: testDatabaseUrl, poolSize: 10, schema });
  const db = open();
  if (migrated) await migrate(db);
  return {
    db,
    reopen: open,
    async drop() {
      await db.close();
      const client = new pg.Client({ connectionString: testDatabaseUrl });
      await client.connect();
      await client.query(`DROP SCHEMA ${schema} CASCADE`);
      await client.end();
    },
  };
}

let ensured: Promise<void> | undefined;
function ensureTestDatabase(): Promise<void> {
  ensured ??= (async () => {
    const url = new URL(testDatabaseUrl);
    const name = url.pathname.slice(1);
    url.pathname = '/postgres';
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    try {
      const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (!rowCount) await client.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`);
    } catch (err) {
      // another test worker created it first
      if (!['42P04', '23505'].includes((err as { code?: string }).code ?? '')) throw err;
    } finally {
      await client.end();
    }
  })();
  return ensured;
}

export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    port: 0,
    dataDir: '/nonexistent',
    baseUrl: 'http://localhost/fhir',
    bodyLimit: 1024 * 1024,
    dbPoolSize: 10,
    maxPageSize: 1000,
    logLevel: 'silent',
    exportMaxJobs: 4,
    exportFileBytes: 1024 * 1024,
    seedDemo: false,
    authMode: 'open',
    accessTokenTtl: 300,
    dynamicRegistration: false,
    allowPrivateJwksUri: false,
    subscriptionAllowPrivateEndpoints: false,
    subscriptionRetryMs: 1000,
    subscriptionMaxAttempts: 5,
    subscriptionPollMs: 1000,
    subscriptionRetentionDays: 7,
    shippedContent: 'none', // the shipped definitions are used from memory; storing them is tested on its own
    ...overrides,
  };
}

export interface TestServer {
  server: RunningServer;
  db: TestDb;
  /** supertest bound to the running server. */
  http: ReturnType<typeof request>;
  close(): Promise<void>;
}

export async function testServer(overrides: Partial<Config> = {}): Promise<TestServer> {
  const db = await testDb();
  const config = testConfig(overrides);
  const server = await startServer(config, createLogger(config.logLevel), db.db);
  return {
    server,
    db,
    http: request(server.http),
    async close() {
      await server.close();
      await db.drop();
    },
  };
}

/**
 * A TCP port free on 127.0.0.1 now, for a server whose baseUrl must name its real address (issuer,
 * aud and redirects of a browser test): testServer({ port, baseUrl: `http://127.0.0.1:${port}/fhir` }).
 */
export async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve, reject) => probe.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

export const FHIR_JSON = 'application/fhir+json';

/** A database of its own on the test Postgres, created empty now (for servers run as processes). */
export async function scratchDatabase(name: string): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = async (sql: string[]) => {
    const u = new URL(testDatabaseUrl);
    u.pathname = '/postgres';
    const client = new pg.Client({ connectionString: u.toString() });
    await client.connect();
    try {
      for (const statement of sql) await client.query(statement);
    } finally {
      await client.end();
    }
  };
  const drop = `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`;
  await admin([drop, `CREATE DATABASE ${name}`]);
  const url = new URL(testDatabaseUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin([drop]) };
}

/**
 * Meridian as a child process (`node --import tsx server/src/main.ts`) with env on top of this
 * one's; ready resolves once it serves, and rejects if it exits first.
 */
export function spawnServer(env: Record<string, string>): { child: ChildProcess; ready: Promise<void> } {
  const { BASE_URL: _vite, ...inherited } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
    env: { ...inherited, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const ready = new Promise<void>((resolve, reject) => {
    const collect = (d: Buffer) => {
      out += d;
      if (out.includes('Meridian is serving')) resolve();
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    child.on('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
  });
  return { child, ready };
}
