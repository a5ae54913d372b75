// read, vread, create, update, delete and their HTTP headers; Prefer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FHIR_JSON, testServer, type TestServer } from './harness.js';

let t: TestServer;
beforeAll(async () => {
  t = await testServer();
});
afterAll(() => t?.close());

const patient = (extra: Record<string, unknown> = {}) => ({ resourceType: 'Patient', name: [{ family: 'Okafor', given: ['Ada'] }], ...extra });
const post = (path: string, body: unknown) => t.http.post(path).set('Content-Type', FHIR_JSON).send(body as object);
const put = (path: string, body: unknown) => t.http.put(path).set('Content-Type', FHIR_JSON).send(body as object);

describe('create', () => {
  it('assigns an id and version, and answers 201 with Location, ETag and Last-Modified', async () => {
    const res = await post('/fhir/Patient', patient({ id: 'client-chosen' }));
    expect(res.status).toBe(201);
    expect(res.body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body.id).not.toBe('client-chosen');
    expect(res.body.meta.versionId).toBe('1');
    expect(Date.parse(res.body.meta.lastUpdated)).toBeGreaterThan(Date.now() - 60_000);
    expect(res.headers.location).toBe(`http://localhost/fhir/Patient/${res.body.id}/_history/1`);
    expect(res.headers.etag).toBe('W/"1"');
    expect(new Date(res.headers['last-modified']).getTime()).toBe(Math.floor(Date.parse(res.body.meta.lastUpdated) / 1000) * 1000);
    expect(res.headers['content-type']).toBe('application/fhir+json; charset=utf-8');
  });

  it('keeps client meta such as profile and tags but sets versionId and lastUpdated itself', async () => {
    const res = await post('/fhir/Patient', patient({ meta: { versionId: '99', lastUpdated: '2001-01-01T00:00:00Z', tag: [{ system: 'urn:t', code: 'x' }] } }));
    expect(res.status).toBe(201);
    expect(res.body.meta.versionId).toBe('1');
    expect(res.body.meta.lastUpdated).not.toBe('2001-01-01T00:00:00Z');
    expect(res.body.meta.tag).toEqual([{ system: 'urn:t', code: 'x' }]);
  });
});

describe('read and vread', () => {
  it('reads the current version with its ETag, and answers 304 to a matching If-None-Match', async () => {
    const created = await post('/fhir/Patient', patient());
    const res = await t.http.get(`/fhir/Patient/${created.body.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(created.body);
    expect(Object.keys(res.body)[0]).toBe('resourceType');
    expect(res.headers.etag).toBe('W/"1"');
    const notModified = await t.http.get(`/fhir/Patient/${created.body.id}`).set('If-None-Match', 'W/"1"');
    expect(notModified.status).toBe(304);
    const modified = await t.http.get(`/fhir/Patient/${created.body.id}`).set('If-None-Match', 'W/"7"');
    expect(modified.status).toBe(200);
  });

  it('reads every version, and 404s on a version that never was', async () => {
    const created = await post('/fhir/Patient', patient());
    const id = created.body.id;
    await put(`/fhir/Patient/${id}`, { ...created.body, gender: 'female' });
    const v1 = await t.http.get(`/fhir/Patient/${id}/_history/1`);
    const v2 = await t.http.get(`/fhir/Patient/${id}/_history/2`);
    expect(v1.status).toBe(200);
    expect(v1.body.gender).toBeUndefined();
    expect(v1.headers.etag).toBe('W/"1"');
    expect(v2.body.gender).toBe('female');
    for (const bad of ['3', '0', 'abc']) {
      const res = await t.http.get(`/fhir/Patient/${id}/_history/${bad}`);
      expect(res.status).toBe(404);
      expect(res.body.resourceType).toBe('OperationOutcome');
    }
  });

  it('404s on unknown ids and ids that are not valid', async () => {
    for (const id of ['does-not-exist', 'bad$id', 'x'.repeat(65)]) {
      const res = await t.http.get(`/fhir/Patient/${id}`);
      expect(res.status).toBe(404);
      expect(res.body.resourceType).toBe('OperationOutcome');
    }
  });
});

describe('update', () => {
  it('creates a new version each time', async () => {
    const created = await post('/fhir/Patient', patient());
    const id = created.body.id;
    const res = await put(`/fhir/Patient/${id}`, { ...created.body, active: true });
    expect(res.status).toBe(200);
    expect(res.body.meta.versionId).toBe('2');
    expect(res.headers.etag).toBe('W/"2"');
    expect(res.headers.location).toBeUndefined();
  });

  it('creates the resource when the client chose a new id (update as create)', async () => {
    const res = await put('/fhir/Patient/mrn-1234', patient({ id: 'mrn-1234' }));
    expect(res.status).toBe(201);
    expect(res.body.id).toBe('mrn-1234');
    expect(res.headers.location).toBe('http://localhost/fhir/Patient/mrn-1234/_history/1');
    expect((await t.http.get('/fhir/Patient/mrn-1234')).status).toBe(200);
  });

  it('rejects a body without id, with another id, or an invalid URL id', async () => {
    expect((await put('/fhir/Patient/p1', patient())).status).toBe(400);
    const other = await put('/fhir/Patient/p1', patient({ id: 'p2' }));
    expect(other.status).toBe(400);
    expect(other.body.issue[0].expression).toEqual(['Patient.id']);
    expect((await put('/fhir/Patient/bad$id', patient({ id: 'bad$id' }))).status).toBe(400);
    expect((await t.http.get('/fhir/Patient/p1')).status).toBe(404);
  });

  it('If-Match: updates the named version, 412 on a stale one', async () => {
    const created = await post('/fhir/Patient', patient());
    const id = created.body.id;
    const ok = await put(`/fhir/Patient/${id}`, { ...created.body, active: true }).set('If-Match', 'W/"1"');
    expect(ok.status).toBe(200);
    const stale = await put(`/fhir/Patient/${id}`, { ...created.body, active: false }).set('If-Match', 'W/"1"');
    expect(stale.status).toBe(412);
    expect(stale.body.resourceType).toBe('OperationOutcome');
    expect((await t.http.get(`/fhir/Patient/${id}`)).body.active).toBe(true);
    const malformed = await put(`/fhir/Patient/${id}`, { ...created.body }).set('If-Match', 'yesterday');
    expect(malformed.status).toBe(400);
    const missing = await put('/fhir/Patient/never-was', patient({ id: 'never-was' })).set('If-Match', 'W/"1"');
    expect(missing.status).toBe(412);
  });
});

describe('delete', () => {
  it('deletes: a later read is 410, history keeps the deletion, a second delete changes nothing', async () => {
    const created = await post('/fhir/Patient', patient());
    const id = created.body.id;
    const del = await t.http.delete(`/fhir/Patient/${id}`);
    expect(del.status).toBe(200);
    expect(del.body.resourceType).toBe('OperationOutcome');
    expect(del.headers.etag).toBe('W/"2"');
    const read = await t.http.get(`/fhir/Patient/${id}`);
    expect(read.status).toBe(410);
    expect(read.body.resourceType).toBe('OperationOutcome');
    expect((await t.http.get(`/fhir/Patient/${id}/_history/1`)).status).toBe(200);
    expect((await t.http.get(`/fhir/Patient/${id}/_history/2`)).status).toBe(410);
    const hist = await t.http.get(`/fhir/Patient/${id}/_history`);
    expect(hist.body.entry.map((e: any) => e.request.method)).toEqual(['DELETE', 'POST']);
    expect(hist.body.entry[0].resource).toBeUndefined();
    const again = await t.http.delete(`/fhir/Patient/${id}`);
    expect(again.status).toBe(200);
    expect((await t.http.get(`/fhir/Patient/${id}/_history`)).body.entry).toHaveLength(2);
  });

  it('brings a deleted resource back with an update, as version n+1', async () => {
    const created = await post('/fhir/Patient', patient());
    const id = created.body.id;
    await t.http.delete(`/fhir/Patient/${id}`);
    const back = await put(`/fhir/Patient/${id}`, { ...created.body, meta: undefined });
    expect(back.status).toBe(201);
    expect(back.body.meta.versionId).toBe('3');
  });

  it('404s on an unknown id and honours If-Match', async () => {
    expect((await t.http.delete('/fhir/Patient/never-existed')).status).toBe(404);
    const created = await post('/fhir/Patient', patient());
    const stale = await t.http.delete(`/fhir/Patient/${created.body.id}`).set('If-Match', 'W/"5"');
    expect(stale.status).toBe(412);
    expect((await t.http.get(`/fhir/Patient/${created.body.id}`)).status).toBe(200);
    expect((await t.http.delete(`/fhir/Patient/${created.body.id}`).set('If-Match', 'W/"1"')).status).toBe(200);
  });
});

describe('Prefer', () => {
  it('return=minimal: status and headers, no body', async () => {
    const res = await post('/fhir/Patient', patient()).set('Prefer', 'return=minimal');
    expect(res.status).toBe(201);
    expect(res.text).toBe('');
    expect(res.headers.location).toMatch(/\/fhir\/Patient\/.+\/_history\/1$/);
    expect(res.headers.etag).toBe('W/"1"');
  });

  it('return=OperationOutcome: an OperationOutcome instead of the resource', async () => {
    const res = await post('/fhir/Patient', patient()).set('Prefer', 'return=OperationOutcome');
    expect(res.status).toBe(201);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue[0].severity).toBe('information');
  });

  it('return=representation (and no Prefer): the resource', async () => {
    const res = await post('/fhir/Patient', patient()).set('Prefer', 'return=representation');
    expect(res.body.resourceType).toBe('Patient');
    const updated = await put(`/fhir/Patient/${res.body.id}`, res.body).set('Prefer', 'return=minimal');
    expect(updated.status).toBe(200);
    expect(updated.text).toBe('');
  });
});

describe('the six first-class types', () => {
  it('round-trip realistic instances', async () => {
    const p = await post('/fhir/Patient', patient({ gender: 'female', birthDate: '1980-04-02', identifier: [{ system: 'urn:mrn', value: '42' }] }));
    const pr = await post('/fhir/Practitioner', { resourceType: 'Practitioner', name: [{ family: 'Ng', prefix: ['Dr'] }] });
    const resources = [
      { resourceType: 'Appointment', status: 'booked', start: '2026-12-01T09:00:00Z', end: '2026-12-01T09:20:00Z', participant: [{ actor: { reference: `Patient/${p.body.id}` }, status: 'accepted' }, { actor: { reference: `Practitioner/${pr.body.id}` }, status: 'accepted' }] },
      { resourceType: 'Observation', status: 'final', category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }], code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }] }, subject: { reference: `Patient/${p.body.id}` }, effectiveDateTime: '2026-11-23T10:00:00Z', valueQuantity: { value: 72, unit: 'beats/minute', system: 'http://unitsofmeasure.org', code: '/min' } },
      { resourceType: 'Claim', status: 'active', type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/claim-type', code: 'professional' }] }, use: 'claim', patient: { reference: `Patient/${p.body.id}` }, created: '2026-11-23', provider: { reference: `Practitioner/${pr.body.id}` }, priority: { coding: [{ code: 'normal' }] }, insurance: [{ sequence: 1, focal: true, coverage: { display: 'Acme' } }] },
      { resourceType: 'MedicationRequest', status: 'active', intent: 'order', medicationCodeableConcept: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '860975' }] }, subject: { reference: `Patient/${p.body.id}` } },
    ];
    for (const r of resources) {
      const res = await post(`/fhir/${r.resourceType}`, r);
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      const read = await t.http.get(`/fhir/${r.resourceType}/${res.body.id}`);
      expect(read.body).toMatchObject(r);
    }
  });
});
