// $reindex rebuilds index rows from the stored resources.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FHIR_JSON, testServer, type TestServer } from './harness.js';

let t: TestServer;
beforeAll(async () => {
  t = await testServer();
});
afterAll(() => t?.close());

const names = async (q: string) => ((await t.http.get(`/fhir/Patient?${q}`)).body.entry ?? []).map((e: any) => e.resource.id).sort();

describe('$reindex', () => {
  it('restores lost index rows at system, type and instance level', async () => {
    for (const [id, family] of [['ri-1', 'Reyes'], ['ri-2', 'Rivera']]) {
      await t.http.put(`/fhir/Patient/${id}`).set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient', id, name: [{ family }] });
    }
    await t.http.post('/fhir/Practitioner').set('Content-Type', FHIR_JSON).send({ resourceType: 'Practitioner', name: [{ family: 'Ruiz' }] });
    expect(await names('name=r')).toEqual(['ri-1', 'ri-2']);

    const wipe = () => t.db.db.query("DELETE FROM search_string WHERE resource_type IN ('Patient', 'Practitioner')");
    await wipe();
    expect(await names('name=r')).toEqual([]);
    const one = await t.http.post('/fhir/Patient/ri-1/$reindex');
    expect(one.status).toBe(200);
    expect(one.body.issue[0].diagnostics).toBe('Reindexed 1 resource');
    expect(await names('name=r')).toEqual(['ri-1']);

    const type = await t.http.post('/fhir/Patient/$reindex');
    expect(type.body.issue[0].diagnostics).toBe('Reindexed 2 resources');
    expect(await names('name=r')).toEqual(['ri-1', 'ri-2']);

    await wipe();
    const all = await t.http.post('/fhir/$reindex');
    expect(all.status).toBe(200);
    expect(await names('name=r')).toEqual(['ri-1', 'ri-2']);
    expect((await t.http.get('/fhir/Practitioner?name=ruiz')).body.entry).toHaveLength(1);
  });

  it('leaves no duplicate rows when run twice, and 404s on unknown resources', async () => {
    await t.http.post('/fhir/Patient/$reindex');
    await t.http.post('/fhir/Patient/$reindex');
    const { rows } = await t.db.db.query<{ n: number }>("SELECT count(*)::integer AS n FROM search_string WHERE resource_type = 'Patient' AND resource_id = 'ri-1' AND param = 'family'");
    expect(rows[0].n).toBe(1);
    expect((await t.http.post('/fhir/Patient/nobody/$reindex')).status).toBe(404);
    expect((await t.http.post('/fhir/Spaceship/$reindex')).status).toBe(404);
  });
});
