// Conditional create, update, patch and delete: the 0 / 1 / many-match outcomes of FHIR R4.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FHIR_JSON, testServer, type TestServer } from './harness.js';

let t: TestServer;
beforeAll(async () => {
  t = await testServer();
});
afterAll(() => t?.close());

let n = 0;
const mrn = () => `mrn-${Date.now()}-${n++}`;
const patient = (value: string, extra: Record<string, unknown> = {}) => ({
  resourceType: 'Patient',
  identifier: [{ system: 'urn:mrn', value }],
  ...extra,
});
const post = (body: unknown) => t.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send(body as object);
const count = async (value: string) => {
  const hist = await t.http.get('/fhir/Patient/_history?_count=1000');
  const ids = new Set(
    hist.body.entry.filter((e: any) => e.resource?.identifier?.some((i: any) => i.value === value)).map((e: any) => e.resource.id),
  );
  const live = await Promise.all([...ids].map((id) => t.http.get(`/fhir/Patient/${id}`)));
  return live.filter((r) => r.status === 200).length;
};

describe('conditional create (If-None-Exist)', () => {
  it('creates when nothing matches, returns the match (200) when one does, 412 when several do', async () => {
    const value = mrn();
    const first = await post(patient(value)).set('If-None-Exist', `identifier=urn:mrn|${value}`);
    expect(first.status).toBe(201);
    const second = await post(patient(value, { active: true })).set('If-None-Exist', `identifier=urn:mrn|${value}`);
    expect(second.status).toBe(200);
    expect(second.body.id).toBe(first.body.id);
    expect(second.body.active).toBeUndefined();
    expect(second.headers.etag).toBe('W/"1"');
    await post(patient(value)); // a duplicate made without the condition
    const third = await post(patient(value)).set('If-None-Exist', `Patient?identifier=urn:mrn|${value}`);
    expect(third.status).toBe(412);
    expect(third.body.resourceType).toBe('OperationOutcome');
    expect(await count(value)).toBe(2);
  });

  it('matches token forms: code, system|code, |code and system|, and _id', async () => {
    const value = mrn();
    const created = await post(patient(value, { gender: 'other' }));
    const id = created.body.id;
    for (const criteria of [`identifier=${value}`, `identifier=urn:mrn|${value}`, `_id=${id}`, `_id=nope,${id}`, `identifier=${value}&gender=other`]) {
      const res = await post(patient(value)).set('If-None-Exist', criteria);
      expect(res.status, criteria).toBe(200);
      expect(res.body.id).toBe(id);
    }
    const noSystem = mrn();
    await post({ resourceType: 'Patient', identifier: [{ value: noSystem }] });
    expect((await post(patient(noSystem)).set('If-None-Exist', `identifier=|${noSystem}`)).status).toBe(200);
    expect((await post(patient(value)).set('If-None-Exist', `identifier=urn:other|${value}`)).status).toBe(201);
  });

  it('refuses criteria it cannot evaluate instead of ignoring them', async () => {
    for (const criteria of ['nonsense=1', 'identifier:bogus=x', 'identifier=', 'birthdate=yesterday', '_sort=name', '']) {
      const res = await post(patient(mrn())).set('If-None-Exist', criteria || 'identifier');
      expect(res.status, criteria).toBe(400);
      expect(res.body.resourceType).toBe('OperationOutcome');
    }
  });

  it('is atomic: eight concurrent identical creates leave exactly one resource', async () => {
    const value = mrn();
    const results = await Promise.all(
      Array.from({ length: 8 }, () => post(patient(value)).set('If-None-Exist', `identifier=urn:mrn|${value}`)),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 201]);
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    expect(await count(value)).toBe(1);
  });
});

describe('conditional update (PUT /Type?criteria)', () => {
  it('creates on no match, updates the one match, 412 on several', async () => {
    const value = mrn();
    const put = (body: unknown) => t.http.put(`/fhir/Patient?identifier=urn:mrn|${value}`).set('Content-Type', FHIR_JSON).send(body as object);
    const created = await put(patient(value));
    expect(created.status).toBe(201);
    const updated = await put(patient(value, { active: true }));
    expect(updated.status).toBe(200);
    expect(updated.body.id).toBe(created.body.id);
    expect(updated.body.meta.versionId).toBe('2');
    const mismatched = await put(patient(value, { id: 'someone-else' }));
    expect(mismatched.status).toBe(400);
    await post(patient(value));
    const many = await put(patient(value));
    expect(many.status).toBe(412);
    expect(await count(value)).toBe(2);
  });

  it('uses the body id when nothing matches, and needs criteria', async () => {
    const value = mrn();
    const res = await t.http.put(`/fhir/Patient?identifier=${value}`).set('Content-Type', FHIR_JSON).send(patient(value, { id: `cu-${n}` }));
    expect(res.status).toBe(201);
    expect(res.body.id).toBe(`cu-${n}`);
    const none = await t.http.put('/fhir/Patient').set('Content-Type', FHIR_JSON).send(patient(value));
    expect(none.status).toBe(400);
  });
});

describe('conditional patch (PATCH /Type?criteria)', () => {
  it('patches the one match, 404 on none, 412 on several', async () => {
    const value = mrn();
    const ops = [{ op: 'add', path: '/active', value: true }];
    const patch = () => t.http.patch(`/fhir/Patient?identifier=${value}`).set('Content-Type', 'application/json-patch+json').send(ops);
    expect((await patch()).status).toBe(404);
    const created = await post(patient(value));
    const one = await patch();
    expect(one.status).toBe(200);
    expect(one.body.id).toBe(created.body.id);
    expect(one.body.active).toBe(true);
    await post(patient(value));
    expect((await patch()).status).toBe(412);
  });
});

describe('conditional delete (DELETE /Type?criteria)', () => {
  it('deletes the one match, does nothing on none, 412 on several', async () => {
    const value = mrn();
    const del = () => t.http.delete(`/fhir/Patient?identifier=urn:mrn|${value}`);
    const none = await del();
    expect(none.status).toBe(200);
    expect(none.body.issue[0].diagnostics).toMatch(/nothing was deleted/);
    const created = await post(patient(value));
    expect((await del()).status).toBe(200);
    expect((await t.http.get(`/fhir/Patient/${created.body.id}`)).status).toBe(410);
    await post(patient(value));
    await post(patient(value));
    expect((await del()).status).toBe(412);
    expect(await count(value)).toBe(2);
    expect((await t.http.delete('/fhir/Patient')).status).toBe(400);
  });

  it('does not match deleted resources', async () => {
    const value = mrn();
    const created = await post(patient(value));
    await t.http.delete(`/fhir/Patient/${created.body.id}`);
    const again = await post(patient(value)).set('If-None-Exist', `identifier=${value}`);
    expect(again.status).toBe(201);
    expect(again.body.id).not.toBe(created.body.id);
  });
});
