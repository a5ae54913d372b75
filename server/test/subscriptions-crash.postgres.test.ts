// A server process killed (SIGKILL) while it delivers loses no event: the next process delivers the
// rest; every event keeps the one number it was given (recorded once), and the receiver gets each
// at least once (one in flight when the process died may come twice: at-least-once).
import type { ChildProcess } from 'node:child_process';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { scratchDatabase, spawnServer } from './harness.js';
import { eventNumbers, Receiver, sleep } from './subscription-clients.js';

const BACKPORT = 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition';
let database: Awaited<ReturnType<typeof scratchDatabase>>;
let dbUrl: string;
let receiver: Receiver;
const children: ChildProcess[] = [];

beforeAll(async () => {
  database = await scratchDatabase('meridian_sub_crash');
  dbUrl = database.url;
  receiver = await Receiver.start();
});

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await receiver?.close();
  await database?.drop();
});

async function start(port: number): Promise<ChildProcess> {
  const { child, ready } = spawnServer({ DATABASE_URL: dbUrl, PORT: String(port), AUTH_MODE: 'open', SUBSCRIPTION_ALLOW_PRIVATE_ENDPOINTS: 'true', SUBSCRIPTION_POLL_MS: '200' });
  children.push(child);
  await ready;
  return child;
}

it('SIGKILL while delivering: the next process delivers the rest, nothing lost, numbers unique', { timeout: 150_000 }, async () => {
  const port = 31000 + Math.floor(Math.random() * 9000); // crash.postgres.test.ts draws from 21000-30999
  const base = `http://localhost:${port}/fhir`;
  const first = await start(port);
  const post = (path: string, body: object) => fetch(`${base}/${path}`, { method: 'POST', headers: { 'Content-Type': 'application/fhir+json' }, body: JSON.stringify(body) });
  const patient = ((await (await post("Patient", { resourceType: "Patient", name: [{ family: "Crash" }] })).json()) as { id: string }).id;
  const sub = await post('Subscription', {
    resourceType: 'Subscription',
    meta: { profile: [`${BACKPORT}/backport-subscription`] },
    status: 'requested',
    reason: 'crash',
    criteria: 'https://meridian.dev/fhir/SubscriptionTopic/vital-signs',
    channel: { type: 'rest-hook', endpoint: receiver.url, payload: 'application/fhir+json', _payload: { extension: [{ url: `${BACKPORT}/backport-payload-content`, valueCode: 'id-only' }] } },
  });
  expect(sub.status).toBe(201);
  await receiver.waitFor(1); // the handshake

  const N = 400;
  const entry = Array.from({ length: N }, (_, i) => ({
    resource: {
      resourceType: 'Observation',
      status: 'final',
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
      code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
      subject: { reference: `Patient/${patient}` },
      valueQuantity: { value: 60 + (i % 50), unit: '/min' },
    },
    request: { method: 'POST', url: 'Observation' },
  }));
  expect((await post('', { resourceType: 'Bundle', type: 'transaction', entry })).status).toBe(200);

  // the process dies part-way through the deliveries
  await receiver.waitFor(1 + 50, 30_000);
  first.kill('SIGKILL');
  await new Promise((resolve) => first.once('exit', resolve));
  const before = new Set(receiver.bundles().flatMap(eventNumbers));
  expect(before.size).toBeLessThan(N);

  await start(port + 1);
  const deadline = Date.now() + 90_000; // what the dead process had claimed is free after its lease (20 s)
  while (new Set(receiver.bundles().flatMap(eventNumbers)).size < N && Date.now() < deadline) await sleep(100);
  const numbers = receiver.bundles().flatMap(eventNumbers);
  expect(new Set(numbers)).toEqual(new Set(Array.from({ length: N }, (_, i) => String(i + 1))));

  const db = new pg.Client({ connectionString: dbUrl });
  await db.connect();
  try {
    // the one the dead process sent but could not mark is sent again once its lease (20 s) ran out
    const counts = async () => (await db.query(`SELECT count(*)::int AS n, count(DISTINCT resource_id)::int AS ids, count(*) FILTER (WHERE delivered_at IS NULL)::int AS pending FROM subscription_notification`)).rows[0];
    for (let i = 0; i < 400 && (await counts()).pending > 0; i++) await sleep(100);
    expect(await counts()).toEqual({ n: N, ids: N, pending: 0 });
    // at-least-once: only what was in flight at the kill came twice
    expect(receiver.bundles().flatMap(eventNumbers).length - N).toBeLessThanOrEqual(2);
    expect((await db.query('SELECT count(*)::int AS n FROM subscription_event')).rows[0].n).toBe(0);
  } finally {
    await db.end();
  }
});
