// Two Meridian processes on one Postgres (two servers with their own pools, dispatchers, LISTEN
// connections and websocket hubs): every event is recorded and delivered once per subscription, a
// websocket client on either process gets all of them, and events written while no dispatcher runs
// are delivered, without loss or duplicate, by the next one that starts.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { testConfig, testDb, type TestDb } from './harness.js';
import { createLogger } from '../src/logger.js';
import { startServer, type RunningServer } from '../src/server.js';
import { eventNumbers, Receiver, sleep, WsClient } from './subscription-clients.js';
import request from 'supertest';

const BACKPORT = 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition';
let db: TestDb;
let one: RunningServer;
let two: RunningServer;
let three: RunningServer | undefined;
let receiver: Receiver;

const config = testConfig({ subscriptionAllowPrivateEndpoints: true, subscriptionPollMs: 300 });
const pools: { close(): Promise<void> }[] = [];
const start = (database = db.reopen!()) => {
  pools.push(database);
  return startServer(config, createLogger('silent'), database);
};
const observation = (patient: string, value: number) => ({
  resourceType: 'Observation',
  status: 'final',
  category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
  code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
  subject: { reference: `Patient/${patient}` },
  valueQuantity: { value, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
});

beforeAll(async () => {
  db = await testDb();
  one = await start(db.db);
  two = await start();
  receiver = await Receiver.start();
});

afterAll(async () => {
  await receiver?.close();
  await three?.close();
  await two?.close();
  await one?.close();
  for (const pool of pools.slice(1)) await pool.close();
  await db?.drop();
});

async function waitActive(server: RunningServer, id: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await request(server.http).get(`/fhir/Subscription/${id}`)).body.status === 'active') return;
    await sleep(50);
  }
  throw new Error(`Subscription/${id} did not become active`);
}

/** Event numbers the receiver got (event notifications only), in arrival order. */
const delivered = () => receiver.bundles().filter((b) => b.entry[0].resource.parameter.some((p: any) => p.valueCode === 'event-notification')).flatMap(eventNumbers);

it('each event once per subscription across two processes, to websocket clients on both, and none lost while no dispatcher ran', async () => {
  const patient = (await request(one.http).post('/fhir/Patient').send({ resourceType: 'Patient', name: [{ family: 'Multi' }] }).expect(201)).body.id;
  const hook = (
    await request(one.http)
      .post('/fhir/Subscription')
      .send({
        resourceType: 'Subscription',
        meta: { profile: [`${BACKPORT}/backport-subscription`] },
        status: 'requested',
        reason: 'two processes',
        criteria: 'https://meridian.dev/fhir/SubscriptionTopic/vital-signs',
        channel: { type: 'rest-hook', endpoint: receiver.url, payload: 'application/fhir+json', _payload: { extension: [{ url: `${BACKPORT}/backport-payload-content`, valueCode: 'id-only' }] } },
      })
      .expect(201)
  ).body.id;
  const socket = (await request(two.http).post('/fhir/Subscription').send({ resourceType: 'Subscription', status: 'requested', reason: 'ws', criteria: 'Observation?code=8867-4', channel: { type: 'websocket' } }).expect(201)).body.id;
  await waitActive(one, hook);
  await waitActive(two, socket);
  const onOne = await WsClient.open(`${one.url.replace('http', 'ws')}/fhir/ws`);
  const onTwo = await WsClient.open(`${two.url.replace('http', 'ws')}/fhir/ws`);
  for (const c of [onOne, onTwo]) {
    c.send(`bind ${socket}`);
    await c.waitFor((m) => m === `bound ${socket}`);
  }

  // 120 creates, alternating between the processes, 6 at a time
  const N = 120;
  for (let i = 0; i < N; i += 6) {
    await Promise.all([0, 1, 2, 3, 4, 5].map((k) => request((i + k) % 2 ? two.http : one.http).post('/fhir/Observation').send(observation(patient, i + k)).expect(201)));
  }
  for (const c of [onOne, onTwo]) await c.waitFor((m) => m === `ping ${socket}`, N, 20_000);
  await receiver.waitFor(1 + N, 20_000); // the handshake, then one POST per event
  await sleep(500);
  const numbers = delivered();
  expect(numbers).toHaveLength(N);
  expect(new Set(numbers).size).toBe(N);
  expect([...numbers].map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: N }, (_, i) => i + 1));
  for (const c of [onOne, onTwo]) expect(c.messages.filter((m) => m === `ping ${socket}`)).toHaveLength(N);

  // no dispatcher runs: process one stops, process two's dispatcher stops; writes go on
  await one.close();
  one = undefined as unknown as RunningServer;
  await two.app.subscriptions.dispatcher.stop();
  const M = 30;
  for (let i = 0; i < M; i++) await request(two.http).post('/fhir/Observation').send(observation(patient, 1000 + i)).expect(201);
  await sleep(500);
  expect(delivered()).toHaveLength(N); // nothing delivered: the events wait in the outbox
  const { rows } = await two.app.db.query<{ n: number }>('SELECT count(*)::integer AS n FROM subscription_event');
  expect(rows[0].n).toBeGreaterThanOrEqual(M);

  // a new process starts: its dispatcher finds them all; the websocket client on process two gets them too
  three = await start();
  await receiver.waitFor(1 + N + M, 20_000);
  await onTwo.waitFor((m) => m === `ping ${socket}`, N + M, 20_000);
  await sleep(500);
  const all = delivered();
  expect(all).toHaveLength(N + M);
  expect(new Set(all).size).toBe(N + M);
  expect(onTwo.messages.filter((m) => m === `ping ${socket}`)).toHaveLength(N + M);
  onOne.close();
  onTwo.close();
});
