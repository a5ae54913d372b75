// Subscriptions end to end with real clients: R4 websocket (bind/bound/ping) and rest-hook, topic-based
// subscriptions of the Backport IG (handshake, heartbeat, notification Bundles, $status, $events,
// binding tokens), retries and status error, and what is refused at create.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, testServer, type TestServer } from './harness.js';
import { eventNumbers, Receiver, sleep, statusOf, WsClient } from './subscription-clients.js';

const BACKPORT = 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition';
const VITALS = 'https://meridian.dev/fhir/SubscriptionTopic/vital-signs';
const HEART_RATE = '8867-4';
const BODY_TEMP = '8310-5';

let t: TestServer;
let wsUrl: string;
let receiver: Receiver;
let p1: string;
let p2: string;

const observation = (patient: string, code = HEART_RATE, value = 72) => ({
  resourceType: 'Observation',
  status: 'final',
  category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
  code: { coding: [{ system: 'http://loinc.org', code }] },
  subject: { reference: `Patient/${patient}` },
  effectiveDateTime: new Date().toISOString(),
  valueQuantity: { value, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
});

const topicSubscription = (o: { channel: 'rest-hook' | 'websocket'; endpoint?: string; filters?: string[]; content?: string; heartbeat?: number; topic?: string; header?: string[] }) => ({
  resourceType: 'Subscription',
  meta: { profile: [`${BACKPORT}/backport-subscription`] },
  status: 'requested',
  reason: 'test',
  criteria: o.topic ?? VITALS,
  _criteria: o.filters ? { extension: o.filters.map((f) => ({ url: `${BACKPORT}/backport-filter-criteria`, valueString: f })) } : undefined,
  channel: {
    type: o.channel,
    endpoint: o.endpoint,
    header: o.header,
    payload: 'application/fhir+json',
    _payload: { extension: [{ url: `${BACKPORT}/backport-payload-content`, valueCode: o.content ?? 'full-resource' }] },
    extension: o.heartbeat ? [{ url: `${BACKPORT}/backport-heartbeat-period`, valueUnsignedInt: o.heartbeat }] : undefined,
  },
});

async function create(resource: object): Promise<any> {
  const res = await t.http.post(`/fhir/${(resource as { resourceType: string }).resourceType}`).send(resource);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

async function statusBecomes(id: string, status: string): Promise<any> {
  for (let i = 0; i < 100; i++) {
    const res = await t.http.get(`/fhir/Subscription/${id}`);
    if (res.body.status === status) return res.body;
    await sleep(50);
  }
  throw new Error(`Subscription/${id} did not become ${status}`);
}

/** The event numbers $events gives, once there are any (the dispatcher runs in the background), within 3 s. */
async function recordedEvents(id: string): Promise<string[]> {
  for (let i = 0; i < 60; i++) {
    const found = eventNumbers((await t.http.get(`/fhir/Subscription/${id}/$events`).expect(200)).body);
    if (found.length) return found;
    await sleep(50);
  }
  return [];
}

beforeAll(async () => {
  const port = await freePort();
  t = await testServer({ port, baseUrl: `http://localhost:${port}/fhir`, subscriptionAllowPrivateEndpoints: true, subscriptionRetryMs: 50, subscriptionMaxAttempts: 3, subscriptionPollMs: 200 });
  wsUrl = `ws://localhost:${port}/fhir/ws`;
  receiver = await Receiver.start();
  p1 = (await create({ resourceType: 'Patient', name: [{ family: 'One' }] })).id;
  p2 = (await create({ resourceType: 'Patient', name: [{ family: 'Two' }] })).id;
});

afterAll(async () => {
  await receiver?.close();
  await t?.close();
});

describe('R4 websocket subscriptions', () => {
  it('bind answers bound, and each matching write sends one ping; others send none', async () => {
    const sub = await create({ resourceType: 'Subscription', status: 'requested', reason: 'heart rate', criteria: `Observation?code=http://loinc.org|${HEART_RATE}`, channel: { type: 'websocket' } });
    await statusBecomes(sub.id, 'active');
    const client = await WsClient.open(wsUrl);
    client.send(`bind ${sub.id}`);
    await client.waitFor((m) => m === `bound ${sub.id}`);
    await create(observation(p1, BODY_TEMP)); // does not match
    await create(observation(p1));
    await client.waitFor((m) => m === `ping ${sub.id}`);
    await create(observation(p2));
    await client.waitFor((m) => m === `ping ${sub.id}`, 2);
    await sleep(300);
    expect(client.messages.filter((m) => m.startsWith('ping'))).toHaveLength(2);
    // its owner turns it off: no more pings
    const current = (await t.http.get(`/fhir/Subscription/${sub.id}`).expect(200)).body;
    await t.http.put(`/fhir/Subscription/${sub.id}`).send({ ...current, status: 'off' }).expect(200);
    await create(observation(p1));
    await sleep(400);
    expect(client.messages.filter((m) => m.startsWith('ping'))).toHaveLength(2);
    client.close();
  });

  it('refuses to bind an unknown subscription, with an OperationOutcome', async () => {
    const client = await WsClient.open(wsUrl);
    client.send('bind no-such-subscription');
    const [message] = await client.waitFor((m) => m.startsWith('{'));
    expect(JSON.parse(message).resourceType).toBe('OperationOutcome');
    client.close();
  });
});

describe('R4 rest-hook subscriptions', () => {
  it('POSTs with no body without a payload, and PUTs the resource to endpoint/Type/id with one', async () => {
    const empty = await create({ resourceType: 'Subscription', status: 'requested', reason: 'r4', criteria: `Observation?subject=Patient/${p2}&code=${BODY_TEMP}`, channel: { type: 'rest-hook', endpoint: receiver.url, header: ['X-Secret: s3cret'] } });
    const full = await create({ resourceType: 'Subscription', status: 'requested', reason: 'r4', criteria: `Observation?subject=Patient/${p2}&code=${BODY_TEMP}`, channel: { type: 'rest-hook', endpoint: `${receiver.url}/r4`, payload: 'application/fhir+json' } });
    await statusBecomes(empty.id, 'active');
    await statusBecomes(full.id, 'active');
    const before = receiver.requests.length;
    const obs = await create(observation(p2, BODY_TEMP, 37));
    const got = (await receiver.waitFor(before + 2)).slice(before);
    const post = got.find((r) => r.url === '/hook')!;
    expect(post.method).toBe('POST');
    expect(post.body).toBe('');
    expect(post.headers['x-secret']).toBe('s3cret');
    const put = got.find((r) => r.url.startsWith('/hook/r4'))!;
    expect(put.method).toBe('PUT');
    expect(put.url).toBe(`/hook/r4/Observation/${obs.id}`);
    expect(JSON.parse(put.body).id).toBe(obs.id);
    await t.http.delete(`/fhir/Subscription/${empty.id}`).expect(200);
    await t.http.delete(`/fhir/Subscription/${full.id}`).expect(200);
  });
});

describe('topic-based subscriptions (Backport IG)', () => {
  it('rest-hook: handshake, then a history Bundle per event with the status first, filtered by patient', async () => {
    const start = receiver.requests.length;
    const sub = await create(topicSubscription({ channel: 'rest-hook', endpoint: receiver.url, filters: [`Observation?patient=Patient/${p1}`], header: ['Authorization: Bearer abc'] }));
    const [handshake] = (await receiver.waitFor(start + 1)).slice(start);
    expect(handshake.headers.authorization).toBe('Bearer abc');
    const hs = JSON.parse(handshake.body);
    expect(hs.type).toBe('history');
    expect(statusOf(hs)).toMatchObject({ type: 'handshake', status: 'requested', 'events-since-subscription-start': '0', topic: VITALS });
    await statusBecomes(sub.id, 'active');

    await create(observation(p2)); // another patient: filtered out
    const obs = await create(observation(p1, HEART_RATE, 120));
    const [event] = (await receiver.waitFor(start + 2)).slice(start + 1);
    const bundle = JSON.parse(event.body);
    expect(bundle.resourceType).toBe('Bundle');
    expect(bundle.type).toBe('history');
    expect(bundle.entry[0].resource.resourceType).toBe('Parameters');
    const status = statusOf(bundle);
    expect(status).toMatchObject({ type: 'event-notification', status: 'active', 'events-since-subscription-start': '1' });
    expect(status.subscription.reference).toMatch(new RegExp(`/Subscription/${sub.id}$`));
    expect(eventNumbers(bundle)).toEqual(['1']);
    expect(bundle.entry[1].resource).toMatchObject({ resourceType: 'Observation', id: obs.id });
    await sleep(300);
    expect(receiver.requests.length).toBe(start + 2);
    await t.http.delete(`/fhir/Subscription/${sub.id}`).expect(200);
  });

  it('retries a failing endpoint with backoff, then sets status error; $events still has the event', async () => {
    const start = receiver.requests.length;
    const sub = await create(topicSubscription({ channel: 'rest-hook', endpoint: receiver.url, filters: [`patient=Patient/${p2}`], content: 'id-only' }));
    await statusBecomes(sub.id, 'active');
    receiver.status = 500;
    try {
      const obs = await create(observation(p2, HEART_RATE, 40));
      const errored = await statusBecomes(sub.id, 'error');
      expect(errored.error).toMatch(/failed 3 times: the endpoint answered 500/);
      const attempts = receiver.requests.slice(start + 1);
      expect(attempts).toHaveLength(3); // subscriptionMaxAttempts
      expect(new Set(attempts.map((a) => eventNumbers(JSON.parse(a.body))[0]))).toEqual(new Set(['1']));
      // id-only: a focus reference and no resource entry
      const bundle = JSON.parse(attempts[0].body);
      expect(bundle.entry).toHaveLength(1);
      expect(statusOf(bundle)['notification-event'][0].find((p: any) => p.name === 'focus').valueReference.reference).toMatch(new RegExp(`/Observation/${obs.id}$`));
      const status = await t.http.get(`/fhir/Subscription/${sub.id}/$status`).expect(200);
      expect(statusOf({ entry: [status.body.entry[0]] })).toMatchObject({ status: 'error', error: { text: expect.stringMatching(/failed 3 times/) } });
      const events = await t.http.get(`/fhir/Subscription/${sub.id}/$events`).expect(200);
      expect(statusOf(events.body).type).toBe('query-event');
      expect(eventNumbers(events.body)).toEqual(['1']);
      // error: no more deliveries
      receiver.status = 200;
      const count = receiver.requests.length;
      await create(observation(p2));
      await sleep(400);
      expect(receiver.requests.length).toBe(count);
    } finally {
      receiver.status = 200;
    }
  });

  it('websocket: bind-with-token (plain and JSON frame), handshake, events, heartbeat; $events fills a gap', async () => {
    const sub = await create(topicSubscription({ channel: 'websocket', filters: [`patient=Patient/${p1}`], heartbeat: 1 }));
    await statusBecomes(sub.id, 'active');
    const tokenRes = await t.http.get(`/fhir/Subscription/${sub.id}/$get-ws-binding-token`).expect(200);
    const param = (name: string) => tokenRes.body.parameter.find((p: any) => p.name === name);
    expect(param('websocket-url').valueUrl).toBe(wsUrl);
    expect(Date.parse(param('expiration').valueDateTime)).toBeGreaterThan(Date.now());
    const token = param('token').valueString;

    const plain = await WsClient.open(wsUrl);
    plain.send(`bind-with-token ${token}`);
    const [hs] = await plain.waitFor((m) => m.includes('"handshake"'));
    expect(statusOf(JSON.parse(hs))).toMatchObject({ type: 'handshake', 'events-since-subscription-start': '0' });
    const framed = await WsClient.open(wsUrl);
    framed.send(JSON.stringify({ type: 'bind-with-token', payload: { token } }));
    await framed.waitFor((m) => m.includes('"handshake"'));

    for (let i = 0; i < 3; i++) await create(observation(p1, HEART_RATE, 80 + i));
    for (const client of [plain, framed]) {
      const events = (await client.waitFor((m) => m.includes('"event-notification"'), 3)).map((m) => JSON.parse(m));
      expect(events.map((b) => eventNumbers(b)[0])).toEqual(['1', '2', '3']);
      expect(events.map((b) => b.entry[1].resource.valueQuantity.value)).toEqual([80, 81, 82]);
    }
    const [heartbeat] = await plain.waitFor((m) => m.includes('"heartbeat"'), 1, 4000);
    expect(statusOf(JSON.parse(heartbeat))['events-since-subscription-start']).toBe('3');

    // a client that was away: drops, misses events 4 and 5, asks for them by number
    framed.close();
    await create(observation(p1, HEART_RATE, 90));
    await create(observation(p1, HEART_RATE, 91));
    await plain.waitFor((m) => m.includes('"event-notification"'), 5); // recorded by now
    const gap = await t.http.get(`/fhir/Subscription/${sub.id}/$events?eventsSinceNumber=4&eventsUntilNumber=5&content=full-resource`).expect(200);
    expect(gap.body.type).toBe('history');
    expect(eventNumbers(gap.body)).toEqual(['4', '5']);
    expect(gap.body.entry.slice(1).map((e: any) => e.resource.valueQuantity.value)).toEqual([90, 91]);
    const status = await t.http.get(`/fhir/Subscription/${sub.id}/$status`).expect(200);
    expect(status.body.type).toBe('searchset');
    expect(statusOf({ entry: [status.body.entry[0]] })).toMatchObject({ type: 'query-status', status: 'active', 'events-since-subscription-start': '5' });
    const typeLevel = await t.http.get(`/fhir/Subscription/$status?id=${sub.id}`).expect(200);
    expect(typeLevel.body.entry).toHaveLength(1);
    plain.close();
  });

  it('rest-hook: a heartbeat when nothing was sent for heartbeatPeriod seconds', async () => {
    const start = receiver.requests.length;
    const sub = await create(topicSubscription({ channel: 'rest-hook', endpoint: `${receiver.url}/beat`, filters: [`patient=Patient/${p2}`], heartbeat: 1 }));
    await statusBecomes(sub.id, 'active');
    const deadline = Date.now() + 5000;
    while (!receiver.requests.slice(start).some((r) => r.url === '/hook/beat' && r.body.includes('"heartbeat"')) && Date.now() < deadline) await sleep(50);
    const beats = receiver.requests.slice(start).filter((r) => r.url === '/hook/beat' && r.body.includes('"heartbeat"'));
    expect(beats.length).toBeGreaterThanOrEqual(1);
    expect(statusOf(JSON.parse(beats[0].body))).toMatchObject({ type: 'heartbeat', status: 'active', 'events-since-subscription-start': '0' });
    await t.http.delete(`/fhir/Subscription/${sub.id}`).expect(200);
  });

  it('housekeeping removes old delivered notifications, sets up subscriptions left requested, turns off ended ones', async () => {
    const { db, subscriptions } = t.server.app;
    await db.query(
      `INSERT INTO subscription_notification (subscription_id, event_number, resource_type, resource_id, version_id, at, delivered_at)
       VALUES ('old-one', 1, 'Observation', 'x', 1, now() - interval '8 days', now() - interval '8 days'),
              ('old-one', 2, 'Observation', 'y', 1, now() - interval '1 day', now() - interval '1 day')`,
    );
    // a subscription written around the dispatcher (as if the process setting it up died), 31 s ago
    await db.query(
      `INSERT INTO resources (resource_type, id, version_id, last_updated, deleted, content)
       VALUES ('Subscription', 'stuck', 1, now() - interval '31 seconds', false, $1::jsonb)`,
      [JSON.stringify({ resourceType: 'Subscription', id: 'stuck', meta: { versionId: '1' }, status: 'requested', reason: 'x', criteria: 'Patient', channel: { type: 'websocket' } })],
    );
    const ended = await create({ resourceType: 'Subscription', status: 'requested', reason: 'x', criteria: 'Patient', end: new Date(Date.now() + 300).toISOString(), channel: { type: 'websocket' } });
    await statusBecomes(ended.id, 'active');
    await sleep(400);
    await subscriptions.restHooks.housekeeping();
    const { rows } = await db.query<{ event_number: string }>(`SELECT event_number::text FROM subscription_notification WHERE subscription_id = 'old-one'`);
    expect(rows.map((r) => r.event_number)).toEqual(['2']);
    expect((await t.http.get('/fhir/Subscription/stuck').expect(200)).body.status).toBe('active');
    expect((await t.http.get(`/fhir/Subscription/${ended.id}`).expect(200)).body.status).toBe('off');
  });

  it('a rest-hook whose handshake fails goes to status error with the reason', async () => {
    receiver.status = 503;
    try {
      const sub = await create(topicSubscription({ channel: 'rest-hook', endpoint: `${receiver.url}/down` }));
      const errored = await statusBecomes(sub.id, 'error');
      expect(errored.error).toBe('Handshake failed: the endpoint answered 503');
    } finally {
      receiver.status = 200;
    }
  });

  it('binding tokens: type level with ids, websocket subscriptions only, unbind stops a socket', async () => {
    const ws = await create(topicSubscription({ channel: 'websocket', filters: [`patient=Patient/${p2}`], content: 'id-only' }));
    const hook = await create(topicSubscription({ channel: 'rest-hook', endpoint: receiver.url, filters: [`patient=Patient/${p2}`] }));
    await statusBecomes(ws.id, 'active');
    const refused = await t.http.get(`/fhir/Subscription/${hook.id}/$get-ws-binding-token`);
    expect(refused.status).toBe(400);
    expect(refused.body.issue[0].diagnostics).toMatch(/does not use the websocket channel/);
    const noValue = await t.http.post('/fhir/Subscription/$get-ws-binding-token').send({ resourceType: 'Parameters', parameter: [{ name: 'id' }] });
    expect([noValue.status, noValue.body.issue[0].diagnostics]).toEqual([400, '$get-ws-binding-token parameter "id" has no value']);
    const notParameters = await t.http.post('/fhir/Subscription/$get-ws-binding-token').send({ resourceType: 'Patient' });
    expect([notParameters.status, notParameters.body.issue[0].diagnostics]).toEqual([400, 'POST $get-ws-binding-token takes a Parameters resource']);
    const viaPost = await t.http.post('/fhir/Subscription/$get-ws-binding-token').send({ resourceType: 'Parameters', parameter: [{ name: 'id', valueId: ws.id }] }).expect(200);
    const token = viaPost.body.parameter.find((p: any) => p.name === 'token').valueString;
    const client = await WsClient.open(wsUrl);
    client.send(`bind-with-token ${token}`);
    await client.waitFor((m) => m.includes('"handshake"'));
    await create(observation(p2));
    await client.waitFor((m) => m.includes('"event-notification"'));
    client.send(`unbind ${ws.id}`);
    await sleep(100);
    await create(observation(p2));
    await sleep(400);
    expect(client.messages.filter((m) => m.includes('"event-notification"'))).toHaveLength(1);
    client.close();
    await t.http.delete(`/fhir/Subscription/${hook.id}`).expect(200);
  });

  it('a binding token that is unknown is refused', async () => {
    const client = await WsClient.open(wsUrl);
    client.send('bind-with-token not-a-token');
    const [message] = await client.waitFor((m) => m.startsWith('{'));
    expect(JSON.parse(message).issue[0].diagnostics).toMatch(/unknown or expired/);
    client.close();
  });

  it('appointment topics fire on the state change (FHIRPath on the previous version), not on every write', async () => {
    const booked = await create(topicSubscription({ channel: 'websocket', topic: 'https://meridian.dev/fhir/SubscriptionTopic/appointment-booked', content: 'id-only' }));
    const cancelled = await create(topicSubscription({ channel: 'websocket', topic: 'https://meridian.dev/fhir/SubscriptionTopic/appointment-cancelled', content: 'id-only' }));
    await statusBecomes(booked.id, 'active');
    await statusBecomes(cancelled.id, 'active');
    const appointment = { resourceType: 'Appointment', status: 'proposed', start: '2026-12-24T10:00:00Z', end: '2026-12-24T10:30:00Z', participant: [{ actor: { reference: `Patient/${p1}` }, status: 'needs-action' }] };
    const created = await create(appointment);
    const put = async (status: string) => {
      const res = await t.http.put(`/fhir/Appointment/${created.id}`).send({ ...appointment, id: created.id, status });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    };
    await put('booked');
    await put('booked'); // still booked: no new event
    await put('cancelled');
    expect(await recordedEvents(booked.id)).toEqual(['1']);
    expect(await recordedEvents(cancelled.id)).toEqual(['1']);
    await sleep(300);
    expect(await recordedEvents(booked.id)).toEqual(['1']); // and no more
  });
});

describe('events judged on their own version', () => {
  it('even when the resource changed again before the dispatcher saw them', async () => {
    const booked = await create(topicSubscription({ channel: 'websocket', topic: 'https://meridian.dev/fhir/SubscriptionTopic/appointment-booked', content: 'id-only', filters: [`patient=Patient/${p2}`] }));
    const heart = await create({ resourceType: 'Subscription', status: 'requested', reason: 'hr', criteria: `Observation?code=http://loinc.org|${HEART_RATE}&subject=Patient/${p2}`, channel: { type: 'websocket' } });
    await statusBecomes(booked.id, 'active');
    await statusBecomes(heart.id, 'active');
    const { dispatcher } = t.server.app.subscriptions;
    await dispatcher.stop();
    try {
      // booked, still booked, cancelled, deleted: all before any dispatch
      const appointment = { resourceType: 'Appointment', status: 'booked', start: '2026-12-24T10:00:00Z', end: '2026-12-24T10:30:00Z', participant: [{ actor: { reference: `Patient/${p2}` }, status: 'accepted' }] };
      const a = await create(appointment);
      await t.http.put(`/fhir/Appointment/${a.id}`).send({ ...appointment, id: a.id, comment: 'same state' }).expect(200);
      await t.http.put(`/fhir/Appointment/${a.id}`).send({ ...appointment, id: a.id, status: 'cancelled' }).expect(200);
      await t.http.delete(`/fhir/Appointment/${a.id}`).expect(200);
      // a heart rate, then corrected to a temperature: the heart rate version still matched
      const o = await create(observation(p2));
      await t.http.put(`/fhir/Observation/${o.id}`).send({ ...observation(p2, BODY_TEMP, 37), id: o.id }).expect(200);
    } finally {
      await dispatcher.start();
    }
    expect(await recordedEvents(booked.id)).toEqual(['1']);
    expect(await recordedEvents(heart.id)).toEqual(['1']);
    // the shadows were rolled back: nothing of them is left
    expect((await t.server.app.db.query(`SELECT count(*)::integer AS n FROM resources WHERE id LIKE '%~%'`)).rows[0]).toEqual({ n: 0 });
  });
});

describe('refused at create (400, nothing stored)', () => {
  const cases: [string, object, RegExp][] = [
    ['an unsupported channel', { resourceType: 'Subscription', status: 'requested', reason: 'x', criteria: 'Observation', channel: { type: 'email', endpoint: 'mailto:a@b.c' } }, /channel type "email"/],
    ['an unknown topic', topicSubscription({ channel: 'websocket', topic: 'https://example.org/SubscriptionTopic/nope' }), /not one this server offers/],
    ['a filter the topic does not offer', topicSubscription({ channel: 'websocket', filters: ['value-quantity=gt100'] }), /cannot be filtered by "value-quantity"/],
    ['a filter on another type', topicSubscription({ channel: 'websocket', filters: ['Patient?name=x'] }), /not on Observation/],
    ['an unsupported payload content', topicSubscription({ channel: 'websocket', content: 'everything' }), /Payload content "everything"/],
    ['an unsupported payload type', { resourceType: 'Subscription', status: 'requested', reason: 'x', criteria: 'Observation', channel: { type: 'websocket', payload: 'application/fhir+xml' } }, /payload "application\/fhir\+xml"/],
    ['criteria that do not parse', { resourceType: 'Subscription', status: 'requested', reason: 'x', criteria: 'Observation?no-such-param=1', channel: { type: 'websocket' } }, /no-such-param/],
    ['criteria without a type', { resourceType: 'Subscription', status: 'requested', reason: 'x', criteria: 'code=1', channel: { type: 'websocket' } }, /must start with a resource type/],
    ['a rest-hook without endpoint', { resourceType: 'Subscription', status: 'requested', reason: 'x', criteria: 'Observation', channel: { type: 'rest-hook' } }, /needs channel.endpoint/],
    ['a ftp endpoint', { resourceType: 'Subscription', status: 'requested', reason: 'x', criteria: 'Observation', channel: { type: 'rest-hook', endpoint: 'ftp://example.org/x' } }, /http or https/],
  ];
  it.each(cases)('%s', async (_name, body, message) => {
    const before = (await t.http.get('/fhir/Subscription?_summary=count').expect(200)).body.total;
    const res = await t.http.post('/fhir/Subscription').send(body);
    expect(res.status).toBe(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue.map((i: { diagnostics: string }) => i.diagnostics).join(" ")).toMatch(message);
    expect((await t.http.get('/fhir/Subscription?_summary=count').expect(200)).body.total).toBe(before);
  });

  it('a Bundle with a bad Subscription rolls back whole', async () => {
    const res = await t.http.post('/fhir').send({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { resource: { resourceType: 'Patient', name: [{ family: 'Rollback' }] }, request: { method: 'POST', url: 'Patient' } },
        { resource: { resourceType: 'Subscription', status: 'requested', reason: 'x', criteria: 'Observation', channel: { type: 'sms' } }, request: { method: 'POST', url: 'Subscription' } },
      ],
    });
    expect(res.status).toBe(400);
    expect((await t.http.get('/fhir/Patient?name=Rollback').expect(200)).body.entry ?? []).toHaveLength(0);
  });
});

describe('rest-hook endpoints on this machine or a private network', () => {
  it('are refused unless SUBSCRIPTION_ALLOW_PRIVATE_ENDPOINTS is set', async () => {
    const strict = await testServer({});
    try {
      for (const endpoint of ['http://127.0.0.1:9/x', 'http://localhost/x', 'http://10.1.2.3/x', 'http://[::1]/x', 'http://192.168.0.4/x', 'http://169.254.169.254/latest']) {
        const res = await strict.http.post('/fhir/Subscription').send({ resourceType: 'Subscription', status: 'requested', reason: 'x', criteria: 'Observation', channel: { type: 'rest-hook', endpoint } });
        expect(res.status, endpoint).toBe(400);
        expect(res.body.issue[0].diagnostics).toMatch(/private network/);
      }
      await strict.http.post('/fhir/Subscription').send({ resourceType: 'Subscription', status: 'requested', reason: 'x', criteria: 'Observation', channel: { type: 'rest-hook', endpoint: 'https://example.org/hook' } }).expect(201);
    } finally {
      await strict.close();
    }
  });
});

describe('CapabilityStatement', () => {
  it('lists the topics, the operations and the websocket URL', async () => {
    const cs = (await t.http.get('/fhir/metadata').expect(200)).body;
    const sub = cs.rest[0].resource.find((r: any) => r.type === 'Subscription');
    expect(sub.extension.map((e: any) => e.valueCanonical)).toContain(VITALS);
    expect(sub.extension).toHaveLength(5);
    expect(sub.operation.map((o: any) => o.name)).toEqual(expect.arrayContaining(['status', 'events', 'get-ws-binding-token']));
    expect(cs.rest[0].extension[0]).toEqual({ url: 'http://hl7.org/fhir/StructureDefinition/capabilitystatement-websocket', valueUri: wsUrl });
  });
});
