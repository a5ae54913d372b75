// patient/ scopes reach one patient's compartment and nothing more: a token for patient A tries to
// reach patient B through every path (read, vread, search, chains, includes, history, compartment
// search, $everything, writes, conditional writes, bundles, $export), and a read-only token tries to write.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testServer, type TestServer } from './harness.js';
import { userToken } from './smart-flow.js';

let t: TestServer;
let a: string; // the patient in context
let b: string; // another patient
let obsA: string;
let obsB: string;
let practitioner: string;
let token: string; // patient/*.cruds for A (a doctor's standalone launch with A picked)
let readOnly: string; // patient/Observation.rs for A

const doctor = { username: 'dr.who', password: 'tardis-password' };

async function launchFor(scope: string, patient: string): Promise<string> {
  const res = await userToken(t, 'app', doctor, scope, { pick: { query: 'Zed', patient } });
  expect(res.patient).toBe(patient);
  return res.access_token;
}

const get = (url: string, bearer = token) => t.http.get(url).auth(bearer, { type: 'bearer' });
const ids = (bundle: { entry?: { resource: { resourceType: string; id: string } }[] }) => (bundle.entry ?? []).map((e) => `${e.resource.resourceType}/${e.resource.id}`).sort();

beforeAll(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meridian-pscope-'));
  fs.writeFileSync(path.join(dir, 'clients.json'), JSON.stringify([{ client_id: 'app', token_endpoint_auth_method: 'none', redirect_uris: ['http://app.example/callback'], grant_types: ['authorization_code'], response_types: ['code'] }]));
  t = await testServer({ authMode: 'smart', authClientsFile: path.join(dir, 'clients.json') });
  const { repo, auth } = t.server.app;
  practitioner = (await repo.create({ resourceType: 'Practitioner', name: [{ family: 'Who' }] })).resource.id!;
  a = (await repo.create({ resourceType: 'Patient', name: [{ family: 'Zed', given: ['Amy'] }], generalPractitioner: [{ reference: `Practitioner/${practitioner}` }] })).resource.id!;
  b = (await repo.create({ resourceType: 'Patient', name: [{ family: 'Zed', given: ['Bob'] }], link: [{ other: { reference: `Patient/${a}` }, type: 'seealso' }] })).resource.id!;
  // A links to B: following that link must not reveal B
  await repo.update('Patient', a, { resourceType: 'Patient', id: a, name: [{ family: 'Zed', given: ['Amy'] }], generalPractitioner: [{ reference: `Practitioner/${practitioner}` }], link: [{ other: { reference: `Patient/${b}` }, type: 'seealso' }] });
  const obs = (subject: string, value: number) => ({ resourceType: 'Observation' as const, status: 'final' as const, code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] }, subject: { reference: `Patient/${subject}` }, performer: [{ reference: `Practitioner/${practitioner}` }], valueQuantity: { value } });
  obsA = (await repo.create(obs(a, 70))).resource.id!;
  obsB = (await repo.create(obs(b, 90))).resource.id!;
  await auth.accounts.create({ ...doctor, role: 'doctor', fhirUser: `Practitioner/${practitioner}` });
  token = await launchFor('launch/patient patient/*.cruds', a);
  readOnly = await launchFor('launch/patient patient/Observation.rs', a);
});

afterAll(() => t?.close());

describe('a patient/ token for A', () => {
  it('reads A and A’s data, and what belongs to no patient', async () => {
    expect((await get(`/fhir/Patient/${a}`)).status).toBe(200);
    expect((await get(`/fhir/Observation/${obsA}`)).status).toBe(200);
    expect((await get(`/fhir/Observation/${obsA}/_history/1`)).status).toBe(200);
    expect((await get(`/fhir/Practitioner/${practitioner}`)).status).toBe(200);
  });

  it('cannot read B or B’s data, by id or version', async () => {
    for (const url of [`/fhir/Patient/${b}`, `/fhir/Observation/${obsB}`, `/fhir/Observation/${obsB}/_history/1`, `/fhir/Observation/${obsB}/_history`]) {
      const res = await get(url);
      expect(res.status, url).toBe(403);
      expect(res.body.resourceType).toBe('OperationOutcome');
    }
  });

  it('finds only A’s resources by search, whatever the criteria', async () => {
    expect(ids((await get('/fhir/Observation')).body)).toEqual([`Observation/${obsA}`]);
    expect(ids((await get(`/fhir/Observation?subject=Patient/${b}`)).body)).toEqual([]);
    expect(ids((await get('/fhir/Patient?family=Zed')).body)).toEqual([`Patient/${a}`]);
    expect(ids((await get('/fhir/Observation?subject:Patient.given=Bob')).body)).toEqual([]);
    expect(ids((await get('/fhir/Patient?_has:Observation:subject:value-quantity=90')).body)).toEqual([]);
    const post = await t.http.post('/fhir/Observation/_search').auth(token, { type: 'bearer' }).type('form').send({ subject: `Patient/${b}` });
    expect(ids(post.body)).toEqual([]);
  });

  it('never includes B through _include, _revinclude or :iterate', async () => {
    const linked = await get('/fhir/Patient?_include=Patient:link');
    expect(ids(linked.body)).toEqual([`Patient/${a}`]);
    const rev = await get(`/fhir/Practitioner?_revinclude=Observation:performer&_revinclude=Patient:general-practitioner`);
    expect(ids(rev.body)).toEqual([`Observation/${obsA}`, `Patient/${a}`, `Practitioner/${practitioner}`].sort());
    const iterate = await get('/fhir/Observation?_include=Observation:subject&_include:iterate=Patient:link');
    expect(ids(iterate.body)).toEqual([`Observation/${obsA}`, `Patient/${a}`].sort());
  });

  it('keeps history, compartment search and $everything to A', async () => {
    const history = await get('/fhir/Observation/_history');
    expect(history.status).toBe(200);
    expect(history.body.entry.map((e: { resource: { id: string } }) => e.resource.id)).toEqual([obsA]);
    expect((await get(`/fhir/Patient/${b}/Observation`)).status).toBe(403);
    expect((await get(`/fhir/Patient/${b}/$everything`)).status).toBe(403);
    const everything = await get(`/fhir/Patient/${a}/$everything`);
    expect(everything.status, JSON.stringify(everything.body)).toBe(200);
    expect(ids(everything.body)).toEqual([`Observation/${obsA}`, `Patient/${a}`].sort());
    expect((await get('/fhir/_history')).status).toBe(403);
  });

  it('writes only into A’s record, and cannot move a resource out of it', async () => {
    const observation = (subject: string) => ({ resourceType: 'Observation', status: 'final', code: { text: 'note' }, subject: { reference: `Patient/${subject}` } });
    const created = await t.http.post('/fhir/Observation').auth(token, { type: 'bearer' }).send(observation(a));
    expect(created.status).toBe(201);
    expect((await t.http.post('/fhir/Observation').auth(token, { type: 'bearer' }).send(observation(b))).status).toBe(403);
    const id = created.body.id;
    expect((await t.http.put(`/fhir/Observation/${id}`).auth(token, { type: 'bearer' }).send({ ...observation(b), id })).status).toBe(403);
    expect((await t.http.put(`/fhir/Observation/${obsB}`).auth(token, { type: 'bearer' }).send({ ...observation(a), id: obsB })).status).toBe(403);
    const moveOut = await t.http
      .patch(`/fhir/Observation/${id}`)
      .auth(token, { type: 'bearer' })
      .type('application/json-patch+json')
      .send(JSON.stringify([{ op: 'replace', path: '/subject/reference', value: `Patient/${b}` }]));
    expect(moveOut.status).toBe(403);
    expect((await t.http.delete(`/fhir/Observation/${obsB}`).auth(token, { type: 'bearer' })).status).toBe(403);
    // a conditional delete searches within A's record only: B's Observation is not found
    const conditional = await t.http.delete(`/fhir/Observation?subject=Patient/${b}`).auth(token, { type: 'bearer' });
    expect([conditional.status, conditional.body.issue[0].diagnostics]).toEqual([200, expect.stringMatching(/nothing was deleted/)]);
    // nothing of B's changed
    expect((await t.server.app.repo.read('Observation', obsB)).meta?.versionId).toBe('1');
    expect(((await t.server.app.repo.read('Observation', id)) as { subject: { reference: string } }).subject.reference).toBe(`Patient/${a}`);
    expect((await t.http.delete(`/fhir/Observation/${id}`).auth(token, { type: 'bearer' })).status).toBe(200);
  });

  it('cannot reach B through a batch, a transaction or $export', async () => {
    const batch = {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        { request: { method: 'GET', url: `Observation/${obsB}` } },
        { request: { method: 'GET', url: `Observation/${obsA}` } },
        { request: { method: 'GET', url: 'Observation?code=8867-4' } },
        { request: { method: 'GET', url: `Observation?subject=Patient/${b}` } },
        { request: { method: 'GET', url: `Observation?subject:Patient.name=Zed` } },
        { request: { method: 'DELETE', url: `Observation?subject=Patient/${b}` } },
      ],
    };
    const res = await t.http.post('/fhir').auth(token, { type: 'bearer' }).send(batch);
    const statuses = res.body.entry.map((e: { response: { status: string } }) => e.response.status.slice(0, 3));
    expect(statuses).toEqual(['403', '200', '200', '200', '403', '204']);
    expect(ids(res.body.entry[2].resource)).toEqual([`Observation/${obsA}`]); // the search stays in A's record
    expect(ids(res.body.entry[3].resource)).toEqual([]);
    const tx = { resourceType: 'Bundle', type: 'transaction', entry: [{ request: { method: 'DELETE', url: `Observation/${obsB}` } }] };
    expect((await t.http.post('/fhir').auth(token, { type: 'bearer' }).send(tx)).status).toBe(403);
    expect((await get('/fhir/$export').set('Prefer', 'respond-async')).status).toBe(403); // system level spans every patient
    expect((await t.server.app.repo.read('Observation', obsB)).meta?.versionId).toBe('1');
  });

  it('exports A’s record alone with Patient/$export (B’s data is not in the files)', async () => {
    const kicked = await get('/fhir/Patient/$export?_type=Patient,Observation').set('Prefer', 'respond-async');
    expect(kicked.status, JSON.stringify(kicked.body)).toBe(202);
    const status = new URL(kicked.headers['content-location']).pathname;
    let manifest: { output: { type: string; url: string }[] } | undefined;
    for (let i = 0; i < 200 && !manifest; i++) {
      const res = await get(status);
      if (res.status === 200) manifest = res.body;
      else await new Promise((r) => setTimeout(r, 50));
    }
    const found: string[] = [];
    for (const file of manifest!.output) {
      const text = (await get(new URL(file.url).pathname).expect(200)).text;
      for (const line of text.trim().split('\n')) {
        const r = JSON.parse(line);
        found.push(`${r.resourceType}/${r.id}`);
      }
    }
    expect(found).toContain(`Patient/${a}`);
    expect(found).toContain(`Observation/${obsA}`);
    expect(found).not.toContain(`Patient/${b}`);
    expect(found).not.toContain(`Observation/${obsB}`);
  });

  it('conditional writes match within A’s record only', async () => {
    const tagged = (subject: string, value: string) => ({ resourceType: 'Observation', status: 'final', code: { text: 'cond' }, identifier: [{ system: 'urn:cond', value }], subject: { reference: `Patient/${subject}` } });
    // B has an Observation with identifier urn:cond|shared; A's token cannot see it
    const bs = (await t.server.app.repo.create(tagged(b, 'shared') as never)).resource.id!;
    const created = await t.http.post('/fhir/Observation').auth(token, { type: 'bearer' }).set('If-None-Exist', 'identifier=urn:cond|shared').send(tagged(a, 'shared'));
    expect(created.status).toBe(201); // B's match is not visible: a new one in A's record
    const updated = await t.http.put('/fhir/Observation?identifier=urn:cond|shared').auth(token, { type: 'bearer' }).send({ ...tagged(a, 'shared'), status: 'amended' });
    expect([updated.status, updated.body.id]).toEqual([200, created.body.id]);
    const patched = await t.http
      .patch('/fhir/Observation?identifier=urn:cond|shared')
      .auth(token, { type: 'bearer' })
      .type('application/json-patch+json')
      .send(JSON.stringify([{ op: 'replace', path: '/subject/reference', value: `Patient/${b}` }]));
    expect(patched.status).toBe(403); // would move it out of A's record
    expect((await t.server.app.repo.read('Observation', bs)).meta?.versionId).toBe('1');
    expect((await t.http.delete('/fhir/Observation?identifier=urn:cond|shared').auth(token, { type: 'bearer' })).status).toBe(200);
    expect((await t.server.app.repo.read('Observation', bs)).meta?.versionId).toBe('1');
  });

  it('writes A’s record through a transaction or a batch, and nothing of B’s: a transaction with one entry for B writes nothing', async () => {
    const observation = (subject: string, text: string) => ({ resourceType: 'Observation', status: 'final', code: { text }, subject: { reference: `Patient/${subject}` } });
    const count = async (text: string) => (await t.db.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM resources WHERE resource_type = 'Observation' AND NOT deleted AND content->'code'->>'text' = $1`, [text])).rows[0].n;
    const post = (resource: object, fullUrl?: string) => ({ ...(fullUrl ? { fullUrl } : {}), resource, request: { method: 'POST', url: 'Observation' } });
    const ok = { resourceType: 'Bundle', type: 'transaction', entry: [post(observation(a, 'tx-a'), 'urn:uuid:a1'), post(observation(a, 'tx-a'))] };
    const done = await t.http.post('/fhir').auth(token, { type: 'bearer' }).send(ok);
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(await count('tx-a')).toBe(2);

    const mixed = { resourceType: 'Bundle', type: 'transaction', entry: [post(observation(a, 'tx-mixed')), post(observation(b, 'tx-mixed'))] };
    const refused = await t.http.post('/fhir').auth(token, { type: 'bearer' }).send(mixed);
    expect([refused.status, refused.body.resourceType]).toEqual([403, 'OperationOutcome']);
    expect(await count('tx-mixed')).toBe(0);

    // moving B's Observation into A's record is a change to B's record: refused
    const steal = { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: { ...observation(a, 'stolen'), id: obsB }, request: { method: 'PUT', url: `Observation/${obsB}` } }] };
    expect((await t.http.post('/fhir').auth(token, { type: 'bearer' }).send(steal)).status).toBe(403);
    expect((await t.server.app.repo.read('Observation', obsB)).meta?.versionId).toBe('1');

    const batch = { resourceType: 'Bundle', type: 'batch', entry: [post(observation(a, 'batch-a')), post(observation(b, 'batch-b'))] };
    const answered = await t.http.post('/fhir').auth(token, { type: 'bearer' }).send(batch);
    expect(answered.status).toBe(200);
    expect(answered.body.entry.map((e: { response: { status: string } }) => e.response.status.slice(0, 3))).toEqual(['201', '403']);
    expect([await count('batch-a'), await count('batch-b')]).toEqual([1, 0]);
  });
});

describe('a patient/Observation.rs token', () => {
  it('reads Observations of A and cannot write any, nor read other types', async () => {
    expect((await get(`/fhir/Observation/${obsA}`, readOnly)).status).toBe(200);
    const write = await t.http.post('/fhir/Observation').auth(readOnly, { type: 'bearer' }).send({ resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: `Patient/${a}` } });
    expect(write.status).toBe(403);
    expect(write.headers['www-authenticate']).toMatch(/insufficient_scope/);
    expect((await t.http.delete(`/fhir/Observation/${obsA}`).auth(readOnly, { type: 'bearer' })).status).toBe(403);
    expect((await get(`/fhir/Patient/${a}`, readOnly)).status).toBe(403);
  });
});
