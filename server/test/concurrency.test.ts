// Concurrent writers of one resource: versions stay gap-free and If-Match lets exactly one win.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FHIR_JSON, testServer, type TestServer } from './harness.js';

let t: TestServer;
beforeAll(async () => {
  t = await testServer();
});
afterAll(() => t?.close());

const put = (id: string, body: unknown) => t.http.put(`/fhir/Patient/${id}`).set('Content-Type', FHIR_JSON).send(body as object);

describe('concurrent updates', () => {
  it('with the same If-Match: exactly one succeeds, the other seven get 412', async () => {
    const created = await t.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient' });
    const id = created.body.id;
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => put(id, { resourceType: 'Patient', id, birthDate: `200${i}-01-01` }).set('If-Match', 'W/"1"')),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 412, 412, 412, 412, 412, 412, 412]);
    const current = await t.http.get(`/fhir/Patient/${id}`);
    expect(current.body.meta.versionId).toBe('2');
    const winner = results.find((r) => r.status === 200)!;
    expect(current.body.birthDate).toBe(winner.body.birthDate);
  });

  it('without If-Match: versions 1..n with no gap and no duplicate', async () => {
    const id = `conc-${Date.now()}`;
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => put(id, { resourceType: 'Patient', id, birthDate: `199${i}-01-01` })));
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 201]);
    const versions = results.map((r) => Number(r.body.meta.versionId)).sort((a, b) => a - b);
    expect(versions).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const hist = await t.http.get(`/fhir/Patient/${id}/_history`);
    expect(hist.body.entry.map((e: any) => Number(e.resource.meta.versionId))).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
  });

  it('concurrent patches each apply once', async () => {
    const created = await t.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient', name: [{ family: 'X', given: ['a'] }] });
    const id = created.body.id;
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        t.http.patch(`/fhir/Patient/${id}`).set('Content-Type', 'application/json-patch+json').send([{ op: 'add', path: '/name/0/given/-', value: `g${i}` }]),
      ),
    );
    const current = await t.http.get(`/fhir/Patient/${id}`);
    expect(current.body.meta.versionId).toBe('9');
    expect(current.body.name[0].given).toHaveLength(9);
  });
});
