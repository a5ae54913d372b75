// A subscription delivers only what its owner's token could read, and websockets authenticate:
// a token bound to patient A subscribes to every Observation and is told of A's alone; a socket
// without a token, with a bad one, or with another client's cannot bind it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { testServer, type TestServer } from './harness.js';
import { userToken } from './smart-flow.js';
import { eventNumbers, sleep, WsClient } from './subscription-clients.js';
import { ownerBounds } from '../src/subscriptions/owner.js';

const BACKPORT = 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition';
let t: TestServer;
let wsUrl: string;
let a: string;
let b: string;
let token: string; // a doctor's launch with patient A in context: patient/Observation.rs user/Subscription.cruds
let other: string; // the same doctor through another app

const doctor = { username: 'dr.sub', password: 'subscription-password' };
const obs = (subject: string, value: number) => ({
  resourceType: 'Observation' as const,
  status: 'final' as const,
  category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
  code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
  subject: { reference: `Patient/${subject}` },
  valueQuantity: { value },
});

beforeAll(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meridian-subscope-'));
  const client = (id: string) => ({ client_id: id, token_endpoint_auth_method: 'none', redirect_uris: ['http://app.example/callback'], grant_types: ['authorization_code'], response_types: ['code'] });
  fs.writeFileSync(path.join(dir, 'clients.json'), JSON.stringify([client('app'), client('other-app')]));
  t = await testServer({ authMode: 'smart', authClientsFile: path.join(dir, 'clients.json'), subscriptionPollMs: 200 });
  wsUrl = `${t.server.url.replace('http', 'ws')}/fhir/ws`; // the base URL has no port (the tokens' audience)
  const { repo, auth } = t.server.app;
  const practitioner = (await repo.create({ resourceType: 'Practitioner', name: [{ family: 'Sub' }] })).resource.id!;
  a = (await repo.create({ resourceType: 'Patient', name: [{ family: 'Zed', given: ['Amy'] }] })).resource.id!;
  b = (await repo.create({ resourceType: 'Patient', name: [{ family: 'Zed', given: ['Bob'] }] })).resource.id!;
  await auth.accounts.create({ ...doctor, role: 'doctor', fhirUser: `Practitioner/${practitioner}` });
  const scope = 'launch/patient patient/Observation.rs user/Subscription.cruds';
  token = (await userToken(t, 'app', doctor, scope, { pick: { query: 'Zed', patient: a } })).access_token;
  other = (await userToken(t, 'other-app', doctor, scope, { pick: { query: 'Zed', patient: a } })).access_token;
});

afterAll(() => t?.close());

async function subscribe(bearer: string, body: object): Promise<string> {
  const res = await t.http.post('/fhir/Subscription').auth(bearer, { type: 'bearer' }).send(body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  for (let i = 0; i < 100; i++) {
    const current = await t.http.get(`/fhir/Subscription/${res.body.id}`).auth(bearer, { type: 'bearer' });
    if (current.body.status === 'active') return res.body.id;
    await sleep(50);
  }
  throw new Error('not active');
}

it('a patient-bound owner is told of that patient’s Observations only', async () => {
  const id = await subscribe(token, {
    resourceType: 'Subscription',
    meta: { profile: [`${BACKPORT}/backport-subscription`] },
    status: 'requested',
    reason: 'all vitals',
    criteria: 'https://meridian.dev/fhir/SubscriptionTopic/vital-signs',
    channel: { type: 'websocket', payload: 'application/fhir+json', _payload: { extension: [{ url: `${BACKPORT}/backport-payload-content`, valueCode: 'full-resource' }] } },
  });
  const res = await t.http.get(`/fhir/Subscription/${id}/$get-ws-binding-token`).auth(token, { type: 'bearer' }).expect(200);
  const bindToken = res.body.parameter.find((p: any) => p.name === 'token').valueString;
  const ws = await WsClient.open(wsUrl);
  ws.send(`bind-with-token ${bindToken}`);
  await ws.waitFor((m) => m.includes('"handshake"'));
  const { repo } = t.server.app;
  await repo.create(obs(b, 99)); // B: not the owner's to read
  const mine = (await repo.create(obs(a, 70))).resource.id!;
  await repo.create(obs(b, 98));
  const [event] = await ws.waitFor((m) => m.includes('"event-notification"'));
  await sleep(500);
  expect(ws.messages.filter((m) => m.includes('"event-notification"'))).toHaveLength(1);
  const bundle = JSON.parse(event);
  expect(eventNumbers(bundle)).toEqual(['1']);
  expect(bundle.entry[1].resource.id).toBe(mine);
  // $events of someone else's subscription: refused, even with the same scopes
  const refused = await t.http.get(`/fhir/Subscription/${id}/$events`).auth(other, { type: 'bearer' });
  expect(refused.status).toBe(403);
  expect((await t.http.get(`/fhir/Subscription/${id}/$get-ws-binding-token`).auth(other, { type: 'bearer' })).status).toBe(403);
  ws.close();
});

it('websockets authenticate: bind needs the owner’s token; a bad token is a 401 at the upgrade', async () => {
  const id = await subscribe(token, { resourceType: 'Subscription', status: 'requested', reason: 'r4', criteria: 'Observation?code=8867-4', channel: { type: 'websocket' } });
  const anonymous = await WsClient.open(wsUrl);
  anonymous.send(`bind ${id}`);
  const [refusal] = await anonymous.waitFor((m) => m.startsWith('{'));
  expect(JSON.parse(refusal).issue[0].diagnostics).toMatch(/needs an access token/);
  anonymous.close();

  await expect(WsClient.open(wsUrl, { Authorization: 'Bearer not-a-token' })).rejects.toThrow(/401/);

  const stranger = await WsClient.open(`${wsUrl}?access_token=${encodeURIComponent(other)}`);
  stranger.send(`bind ${id}`);
  const [strange] = await stranger.waitFor((m) => m.startsWith('{'));
  expect(JSON.parse(strange).issue[0].diagnostics).toMatch(/belongs to another client/);
  stranger.close();

  const owner = await WsClient.open(wsUrl, { Authorization: `Bearer ${token}` });
  owner.send(`bind ${id}`);
  await owner.waitFor((m) => m === `bound ${id}`);
  await t.server.app.repo.create(obs(b, 97)); // not the owner's patient
  await t.server.app.repo.create(obs(a, 71));
  await owner.waitFor((m) => m === `ping ${id}`);
  await sleep(500);
  expect(owner.messages.filter((m) => m.startsWith('ping'))).toHaveLength(1);
  owner.close();
});

it('patient/ scopes never reach Subscriptions (other clients’ endpoints and header secrets)', async () => {
  const id = await subscribe(token, { resourceType: 'Subscription', status: 'requested', reason: 'secret', criteria: 'Observation', channel: { type: 'rest-hook', endpoint: 'https://example.org/hook', header: ['Authorization: Bearer s3cret'] } });
  const patientApp = (await userToken(t, 'other-app', doctor, 'launch/patient patient/*.rs', { pick: { query: 'Zed', patient: a } })).access_token;
  for (const url of [`/fhir/Subscription/${id}`, '/fhir/Subscription', `/fhir/Subscription/${id}/_history`]) {
    const res = await t.http.get(url).auth(patientApp, { type: 'bearer' });
    expect(res.status, url).toBe(403);
    expect(JSON.stringify(res.body)).not.toContain('s3cret');
  }
  // still readable by its owner
  expect((await t.http.get(`/fhir/Subscription/${id}`).auth(token, { type: 'bearer' })).body.channel.header).toEqual(['Authorization: Bearer s3cret']);
});

it('a subscription made under AUTH_MODE=open delivers nothing once SMART is enforced', () => {
  const { config } = t.server.app;
  expect(config.authMode).toBe('smart');
  expect(ownerBounds(config, { kind: 'open' }, 'Observation')).toBeUndefined();
  expect(ownerBounds({ ...config, authMode: 'open' }, { kind: 'open' }, 'Observation')).toEqual([]);
});
