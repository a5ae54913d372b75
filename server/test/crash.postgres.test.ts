// Crash safety: a transaction Bundle cut off by SIGKILL part-way leaves nothing behind.
// Postgres only: the server runs as a child process on a database of its own.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scratchDatabase, spawnServer } from './harness.js';

let database: Awaited<ReturnType<typeof scratchDatabase>>;
let crashDbUrl: string;

beforeAll(async () => {
  database = await scratchDatabase('meridian_crash');
  crashDbUrl = database.url;
});
afterAll(() => database?.drop());

const start = (port: number) => spawnServer({ DATABASE_URL: crashDbUrl, PORT: String(port), AUTH_MODE: 'open' });

describe('SIGKILL during a large transaction', () => {
  it('leaves none of the Bundle resources after a restart', async () => {
    const port = 21000 + Math.floor(Math.random() * 10000);
    const base = `http://localhost:${port}/fhir`;
    const first = start(port);
    await first.ready;

    const marker = `crash-${Date.now()}`;
    const p = `urn:uuid:${crypto.randomUUID()}`;
    const entry = [{ fullUrl: p, resource: { resourceType: 'Patient', identifier: [{ system: 'urn:crash', value: marker }] }, request: { method: 'POST', url: 'Patient' } }];
    for (let i = 0; i < 3000; i++) {
      entry.push({
        fullUrl: `urn:uuid:${crypto.randomUUID()}`,
        resource: { resourceType: 'Observation', status: 'final', identifier: [{ system: 'urn:crash', value: marker }], code: { text: 'crash test' }, subject: { reference: p } } as never,
        request: { method: 'POST', url: 'Observation' },
      });
    }
    const sent = fetch(base, { method: 'POST', headers: { 'Content-Type': 'application/fhir+json' }, body: JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry }) }).catch((err) => err);

    // wait until the server's database transaction is open and writing, then kill it mid-way
    const watcher = new pg.Client({ connectionString: crashDbUrl });
    await watcher.connect();
    let open = false;
    for (let i = 0; i < 600 && !open; i++) {
      const { rows } = await watcher.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = 'meridian_crash' AND pid <> pg_backend_pid() AND xact_start IS NOT NULL AND query ILIKE '%resource_history%'`,
      );
      open = rows[0].n > 0;
      if (!open) await new Promise((r) => setTimeout(r, 10));
    }
    expect(open).toBe(true);
    await new Promise((r) => setTimeout(r, 200)); // part-way through the entries
    first.child.kill('SIGKILL');
    const outcome = await sent;
    expect(outcome).toBeInstanceOf(Error); // the client saw the connection die, not a response

    const second = start(port);
    await second.ready;
    const search = await fetch(`${base}/Observation?identifier=urn:crash|${marker}&_summary=count`);
    expect(((await search.json()) as { total: number }).total).toBe(0);
    const patients = await fetch(`${base}/Patient?identifier=urn:crash|${marker}&_summary=count`);
    expect(((await patients.json()) as { total: number }).total).toBe(0);
    const { rows } = await watcher.query(`SELECT count(*)::int AS n FROM resource_history WHERE content->'identifier'->0->>'value' = $1`, [marker]);
    expect(rows[0].n).toBe(0);
    await watcher.end();
    // and the server is healthy: the same Bundle goes through in full
    const again = await fetch(base, { method: 'POST', headers: { 'Content-Type': 'application/fhir+json', Prefer: 'return=minimal' }, body: JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry: entry.slice(0, 50) }) });
    expect(again.status).toBe(200);
    second.child.kill('SIGTERM');
  }, 180_000);
});
