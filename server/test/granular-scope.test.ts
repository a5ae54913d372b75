// SMART v2 granular scopes (`patient/Observation.rs?category=...|laboratory`): a token reaches the
// resources the scope's query matches, by id and in searches of that type (Bundle entries too);
// nothing else it could reach them by (history lists, includes, $everything, chains, writes).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FHIR_JSON, testServer, type TestServer } from './harness.js';
import { userToken } from './smart-flow.js';

const CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';
let t: TestServer;
let a: string;
let b: string;
const obs: Record<string, string> = {};
const doctor = { username: 'dr.granular', password: 'granular-password' };

async function tokenFor(scope: string, patient?: string): Promise<{ access_token: string; scope: string }> {
  return userToken(t, 'app', doctor, scope, patient ? { pick: { query: 'Gran', patient } } : {});
}

const get = (url: string, bearer: string) => t.http.get(url).auth(bearer, { type: 'bearer' });
const ids = (bundle: { entry?: { resource: { id: string } }[] }) => (bundle.entry ?? []).map((e) => e.resource.id).sort();

beforeAll(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meridian-granular-'));
  fs.writeFileSync(path.join(dir, 'clients.json'), JSON.stringify([{ client_id: 'app', token_endpoint_auth_method: 'none', redirect_uris: ['http://app.example/callback'], grant_types: ['authorization_code'], response_types: ['code'] }]));
  t = await testServer({ authMode: 'smart', authClientsFile: path.join(dir, 'clients.json') });
  const { repo, auth } = t.server.app;
  a = (await repo.create({ resourceType: 'Patient', name: [{ family: 'Granular', given: ['Ann'] }] })).resource.id!;
  b = (await repo.create({ resourceType: 'Patient', name: [{ family: 'Granular', given: ['Bea'] }] })).resource.id!;
  for (const [key, patient, category] of [['aLab', a, 'laboratory'], ['aVital', a, 'vital-signs'], ['bLab', b, 'laboratory'], ['bVital', b, 'vital-signs']] as const) {
    obs[key] = (
      await repo.create({
        resourceType: 'Observation',
        status: 'final',
        category: [{ coding: [{ system: CATEGORY, code: category }] }],
        code: { coding: [{ system: 'http://loinc.org', code: category === 'laboratory' ? '2345-7' : '8867-4' }] },
        subject: { reference: `Patient/${patient}` },
      })
    ).resource.id!;
  }
  await auth.accounts.create({ ...doctor, role: 'doctor' });
});

afterAll(() => t?.close());

describe('patient/Observation.rs?category=laboratory for patient A', () => {
  let token = '';
  beforeAll(async () => {
    const res = await tokenFor(`launch/patient patient/Observation.rs?category=${CATEGORY}|laboratory`, a);
    expect(res.scope).toContain(`patient/Observation.rs?category=${CATEGORY}|laboratory`);
    token = res.access_token;
  });

  it('searches find A’s lab results only', async () => {
    expect(ids((await get('/fhir/Observation', token).expect(200)).body)).toEqual([obs.aLab]);
    expect(ids((await get(`/fhir/Observation?subject=Patient/${b}`, token).expect(200)).body)).toEqual([]);
    expect(ids((await get(`/fhir/Patient/${a}/Observation`, token).expect(200)).body)).toEqual([obs.aLab]);
    expect(ids((await t.http.post('/fhir/Observation/_search').auth(token, { type: 'bearer' }).type('form').send({ code: '8867-4' }).expect(200)).body)).toEqual([]);
  });

  it('reads by id what the query matches, and nothing else', async () => {
    expect((await get(`/fhir/Observation/${obs.aLab}`, token)).status).toBe(200);
    expect((await get(`/fhir/Observation/${obs.aLab}/_history/1`, token)).status).toBe(200);
    for (const other of [obs.aVital, obs.bLab, obs.bVital]) {
      const res = await get(`/fhir/Observation/${other}`, token);
      expect([res.status, res.body.resourceType]).toEqual([403, 'OperationOutcome']);
      expect((await get(`/fhir/Observation/${other}/_history/1`, token)).status).toBe(403);
    }
  });

  it('reaches no other way: history, $everything, includes, chains, other types, writes', async () => {
    expect((await get(`/fhir/Observation/${obs.aLab}/_history`, token)).status).toBe(403);
    expect((await get('/fhir/Observation/_history', token).expect(200)).body.entry ?? []).toEqual([]);
    expect((await get(`/fhir/Patient/${a}/$everything?_type=Observation`, token)).status).toBe(403);
    expect((await get(`/fhir/Patient/${a}`, token)).status).toBe(403);
    const included = await get(`/fhir/Observation?_include=Observation:subject`, token).expect(200);
    expect(included.body.entry.map((e: { resource: { resourceType: string } }) => e.resource.resourceType)).toEqual(['Observation']);
    const write = await t.http
      .post('/fhir/Observation')
      .auth(token, { type: 'bearer' })
      .set('Content-Type', FHIR_JSON)
      .send(JSON.stringify({ resourceType: 'Observation', status: 'final', category: [{ coding: [{ system: CATEGORY, code: 'laboratory' }] }], code: { text: 'x' }, subject: { reference: `Patient/${a}` } }));
    expect(write.status).toBe(403);
    // Bundle entries are checked as the same requests on their own URLs
    const bundle = {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        { request: { method: 'GET', url: `Observation/${obs.aLab}` } },
        { request: { method: 'GET', url: `Observation/${obs.aVital}` } },
        { request: { method: 'GET', url: 'Observation?status=final' } },
      ],
    };
    const answered = (await t.http.post('/fhir').auth(token, { type: 'bearer' }).set('Content-Type', FHIR_JSON).send(JSON.stringify(bundle))).body;
    expect(answered.entry.map((e: { response: { status: string } }) => e.response.status.slice(0, 3))).toEqual(['200', '403', '200']);
    expect(ids(answered.entry[2].resource)).toEqual([obs.aLab]);
  });
});

describe('user/ granular scopes and bad queries', () => {
  it('user/Observation.rs?category=vital-signs reaches every patient’s vital signs and no lab result', async () => {
    const { access_token: token } = await tokenFor(`user/Observation.rs?category=${CATEGORY}|vital-signs`);
    expect(ids((await get('/fhir/Observation', token).expect(200)).body)).toEqual([obs.aVital, obs.bVital].sort());
    expect((await get(`/fhir/Observation/${obs.bVital}`, token)).status).toBe(200);
    expect((await get(`/fhir/Observation/${obs.bLab}`, token)).status).toBe(403);
    expect((await get(`/fhir/Patient?_has:Observation:subject:code=8867-4`, token)).status).toBe(403);
  });

  it('two granular scopes on one type reach what either matches; one unfiltered scope reaches everything', async () => {
    const { access_token: both } = await tokenFor(`user/Observation.rs?category=${CATEGORY}|vital-signs user/Observation.rs?code=2345-7`);
    expect(ids((await get('/fhir/Observation', both).expect(200)).body)).toEqual(Object.values(obs).sort());
    const { access_token: mixed } = await tokenFor(`user/Observation.rs?category=${CATEGORY}|vital-signs user/Observation.rs`);
    expect((await get(`/fhir/Observation/${obs.bLab}`, mixed)).status).toBe(200);
  });

  it('a query that names no parameter of the type grants nothing', async () => {
    const { access_token: token } = await tokenFor('user/Observation.rs?no-such-param=1');
    expect((await get('/fhir/Observation', token)).status).toBe(403);
    expect((await get(`/fhir/Observation/${obs.aLab}`, token)).status).toBe(403);
  });
});
