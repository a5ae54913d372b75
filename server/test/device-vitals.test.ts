// Bedside devices as backend-services clients bound to a Device: they create their own Observations
// (one at a time or in a batch) and nothing else; readings out of range raise a DetectedIssue and a
// Communication to the care team, which reach a ward monitor through a websocket subscription.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testServer, type TestServer } from './harness.js';
import { sleep, WsClient } from './subscription-clients.js';
import { applicableRules, outOfRange, RULES, type VitalRule } from '../src/subscriptions/vitals.js';

let t: TestServer;
let device: string; // the bedside monitor's token
let ward: string; // the ward system's token
let patient: string;
let nurse: string;

const LOINC = 'http://loinc.org';
const heartRate = (value: number, deviceRef: string | null = 'Device/bedside-1') => ({
  resourceType: 'Observation',
  status: 'final',
  category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
  code: { coding: [{ system: LOINC, code: '8867-4', display: 'Heart rate' }] },
  subject: { reference: `Patient/${patient}` },
  effectiveDateTime: new Date().toISOString(),
  ...(deviceRef ? { device: { reference: deviceRef } } : {}),
  valueQuantity: { value, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
});
const bloodPressure = (systolic: number, diastolic: number) => ({
  resourceType: 'Observation',
  status: 'final',
  category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
  code: { coding: [{ system: LOINC, code: '85354-9' }] },
  subject: { reference: `Patient/${patient}` },
  effectiveDateTime: new Date().toISOString(),
  device: { reference: 'Device/bedside-1' },
  component: [
    { code: { coding: [{ system: LOINC, code: '8480-6' }] }, valueQuantity: { value: systolic, unit: 'mm[Hg]', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } },
    { code: { coding: [{ system: LOINC, code: '8462-4' }] }, valueQuantity: { value: diastolic, unit: 'mm[Hg]', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } },
  ],
});

async function backendToken(id: string, secret: string, scope: string): Promise<string> {
  const res = await t.http.post('/auth/token').auth(id, secret).type('form').send({ grant_type: 'client_credentials', scope });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.access_token;
}

beforeAll(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meridian-devices-'));
  const backend = (id: string, extra: object = {}) => ({ client_id: id, client_secret: `${id}-secret-0123456789`, token_endpoint_auth_method: 'client_secret_basic', grant_types: ['client_credentials'], response_types: [], redirect_uris: [], ...extra });
  fs.writeFileSync(path.join(dir, 'clients.json'), JSON.stringify([backend('monitor-1', { meridian_device: 'Device/bedside-1' }), backend('ward')]));
  t = await testServer({ authMode: 'smart', authClientsFile: path.join(dir, 'clients.json'), subscriptionPollMs: 200 });
  const { repo } = t.server.app;
  await repo.update('Device', 'bedside-1', { resourceType: 'Device', id: 'bedside-1', status: 'active', deviceName: [{ name: 'Bedside monitor 1', type: 'user-friendly-name' }] });
  nurse = (await repo.create({ resourceType: 'Practitioner', name: [{ family: 'Nightingale' }] })).resource.id!;
  patient = (await repo.create({ resourceType: 'Patient', name: [{ family: 'Vitals' }] })).resource.id!;
  await repo.create({ resourceType: 'CareTeam', status: 'active', subject: { reference: `Patient/${patient}` }, participant: [{ member: { reference: `Practitioner/${nurse}` } }] });
  device = await backendToken('monitor-1', 'monitor-1-secret-0123456789', 'system/Observation.c');
  ward = await backendToken('ward', 'ward-secret-0123456789', 'system/Subscription.cruds system/DetectedIssue.rs system/Communication.rs system/Observation.rs');
});

afterAll(() => t?.close());

describe('a device client', () => {
  it('creates its own Observations, alone and in a batch', async () => {
    const one = await t.http.post('/fhir/Observation').auth(device, { type: 'bearer' }).send(heartRate(72));
    expect(one.status, JSON.stringify(one.body)).toBe(201);
    const batch = await t.http.post('/fhir').auth(device, { type: 'bearer' }).send({
      resourceType: 'Bundle',
      type: 'batch',
      entry: [heartRate(75), heartRate(77)].map((resource) => ({ resource, request: { method: 'POST', url: 'Observation' } })),
    });
    expect(batch.status).toBe(200);
    expect(batch.body.entry.map((e: any) => e.response.status)).toEqual(['201 Created', '201 Created']);
  });

  it('cannot write as another device, without one, or anything but Observations', async () => {
    for (const [body, message] of [
      [heartRate(72, 'Device/someone-else'), /must be Device\/bedside-1/],
      [heartRate(72, null), /got none/],
    ] as const) {
      const res = await t.http.post('/fhir/Observation').auth(device, { type: 'bearer' }).send(body);
      expect(res.status).toBe(403);
      expect(res.body.issue[0].diagnostics).toMatch(message);
    }
    const before = (await t.http.get(`/fhir/Observation?subject=Patient/${patient}&_summary=count`).auth(ward, { type: 'bearer' })).body.total;
    const tx = await t.http.post('/fhir').auth(device, { type: 'bearer' }).send({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [heartRate(70), heartRate(71, 'Device/other')].map((resource) => ({ resource, request: { method: 'POST', url: 'Observation' } })),
    });
    expect(tx.status).toBe(403);
    expect((await t.http.get(`/fhir/Observation?subject=Patient/${patient}&_summary=count`).auth(ward, { type: 'bearer' })).body.total).toBe(before);
  });
});

describe('out-of-range readings', () => {
  it('raise a DetectedIssue and a Communication to the care team, delivered through a subscription', async () => {
    const sub = await t.http.post('/fhir/Subscription').auth(ward, { type: 'bearer' }).send({ resourceType: 'Subscription', status: 'requested', reason: 'ward alerts', criteria: `DetectedIssue?patient=Patient/${patient}`, channel: { type: 'websocket' } });
    expect(sub.status, JSON.stringify(sub.body)).toBe(201);
    const monitor = await WsClient.open(`${t.server.url.replace('http', 'ws')}/fhir/ws`, { Authorization: `Bearer ${ward}` });
    monitor.send(`bind ${sub.body.id}`);
    await monitor.waitFor((m) => m === `bound ${sub.body.id}`);

    const high = await t.http.post('/fhir/Observation').auth(device, { type: 'bearer' }).send(heartRate(150));
    expect(high.status).toBe(201);
    await t.http.post('/fhir/Observation').auth(device, { type: 'bearer' }).send(heartRate(80)).expect(201); // in range
    const bp = await t.http.post('/fhir/Observation').auth(device, { type: 'bearer' }).send(bloodPressure(230, 80));
    expect(bp.status).toBe(201);
    // a reading from three days ago (a record loaded late) is no emergency now
    const old = { ...heartRate(200), effectiveDateTime: new Date(Date.now() - 3 * 24 * 3600_000).toISOString() };
    await t.http.post('/fhir/Observation').auth(device, { type: 'bearer' }).send(old).expect(201);
    await monitor.waitFor((m) => m.startsWith('ping'), 2);
    await sleep(400);
    expect(monitor.messages.filter((m) => m.startsWith('ping'))).toHaveLength(2);

    const issues = (await t.http.get(`/fhir/DetectedIssue?patient=Patient/${patient}`).auth(ward, { type: 'bearer' }).expect(200)).body.entry.map((e: any) => e.resource);
    expect(issues.map((i: any) => i.implicated[0].reference).sort()).toEqual([`Observation/${high.body.id}`, `Observation/${bp.body.id}`].sort());
    const hr = issues.find((i: any) => i.implicated[0].reference === `Observation/${high.body.id}`);
    expect(hr).toMatchObject({ status: 'final', severity: 'high', author: { reference: 'Device/bedside-1' }, detail: 'Heart rate 150 /min is above 130 /min' });
    expect(issues.find((i: any) => i !== hr).detail).toMatch(/Systolic blood pressure 230 mm\[Hg\] is above 220/);
    const messages = (await t.http.get(`/fhir/Communication?subject=Patient/${patient}`).auth(ward, { type: 'bearer' }).expect(200)).body.entry.map((e: any) => e.resource);
    expect(messages).toHaveLength(2);
    for (const m of messages) {
      expect(m).toMatchObject({ status: 'completed', priority: 'urgent', recipient: [{ reference: `Practitioner/${nurse}` }] });
      expect(m.about.map((a: any) => a.reference)).toContain(`DetectedIssue/${issues.find((i: any) => m.about.some((a: any) => a.reference === `DetectedIssue/${i.id}`)).id}`);
    }
    monitor.close();
  });
});

describe('the rule set', () => {
  it('is data: per code, with a patient’s own limits before the general ones', () => {
    expect(RULES.rules.find((r) => r.code === '8867-4')).toMatchObject({ low: 40, high: 130 });
    const rules: VitalRule[] = [...RULES.rules, { code: '8867-4', display: 'Heart rate', unit: '/min', low: 30, high: 170, patient: 'Patient/athlete' }];
    const reading = (subject: string, value: number) => ({ resourceType: 'Observation', status: 'final', code: { coding: [{ system: LOINC, code: '8867-4' }] }, subject: { reference: subject }, valueQuantity: { value, unit: '/min' } }) as any;
    expect(outOfRange(rules, reading('Patient/athlete', 35))).toHaveLength(0);
    expect(outOfRange(rules, reading('Patient/other', 35))[0].text).toBe('Heart rate 35 /min is below 40 /min');
    expect(outOfRange(rules, reading('Patient/athlete', 175))[0].text).toBe('Heart rate 175 /min is above 170 /min');
    expect(outOfRange(rules, { ...reading('Patient/x', 100), code: { coding: [{ system: LOINC, code: '0000-0' }] } })).toHaveLength(0);
  });

  it('applies to recent readings of adults (and of patients of unknown age); a child gets only its own rules', () => {
    const now = Date.parse('2026-12-02T12:00:00Z');
    const set = { ...RULES, rules: [...RULES.rules, { code: '8867-4', display: 'Heart rate', unit: '/min', high: 180, patient: 'Patient/kid' }] };
    const at = (iso: string) => ({ resourceType: 'Observation', status: 'final', code: { text: 'x' }, effectiveDateTime: iso }) as any;
    expect(applicableRules(set, at('2026-12-02T11:00:00Z'), '1980-05-01', now)).toHaveLength(set.rules.length);
    expect(applicableRules(set, at('2026-12-02T11:00:00Z'), undefined, now)).toHaveLength(set.rules.length);
    expect(applicableRules(set, at('2026-11-29T11:00:00Z'), '1980-05-01', now)).toHaveLength(0); // 3 days old
    expect(applicableRules(set, at('2026-12-02T11:00:00Z'), '2020-01-01', now).map((r) => r.patient)).toEqual(['Patient/kid']);
  });
});
