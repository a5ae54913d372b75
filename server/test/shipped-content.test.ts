// The shipped definitions become resources (SHIPPED_CONTENT): stored in the background at start,
// readable and searchable, written once, and brought back in step when the shipped content changes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.js';
import { startServer, type RunningServer } from '../src/server.js';
import { SHIPPED_TAG_SYSTEM } from '../src/terminology/index.js';
import request from 'supertest';
import { testConfig, testDb, type TestDb } from './harness.js';

let db: TestDb;
beforeAll(async () => {
  db = await testDb();
});
afterAll(() => db?.drop());

async function start(shippedContent: 'all' | 'meridian' | 'none'): Promise<RunningServer> {
  const config = testConfig({ shippedContent });
  const server = await startServer(config, createLogger(config.logLevel), db.db);
  await server.shipped.done;
  return server;
}

describe('shipped content', () => {
  it('is stored at start, once, as resources that read and search like any other', async () => {
    const first = await start('meridian');
    const http = request(first.http);
    const loinc = (await http.get('/fhir/CodeSystem?url=http://loinc.org').expect(200)).body;
    expect(loinc.entry).toHaveLength(1);
    expect(loinc.entry[0].resource.id).toBe('loinc');
    expect(loinc.entry[0].resource.meta.tag).toContainEqual(expect.objectContaining({ system: SHIPPED_TAG_SYSTEM }));
    const vs = (await http.get('/fhir/ValueSet/vital-signs').expect(200)).body;
    expect(vs.url).toBe('https://meridian.dev/fhir/ValueSet/vital-signs');
    // an instance-level operation on the stored copy
    const expanded = (await http.get('/fhir/ValueSet/vital-signs/$expand?filter=systolic').expect(200)).body;
    expect(expanded.expansion.contains.map((c: any) => c.code)).toContain('8480-6');
    expect((await http.get('/fhir/StructureDefinition/meridian-patient').expect(200)).body.url).toBe('https://meridian.dev/fhir/StructureDefinition/meridian-patient');
    // the FHIR core content is not stored under 'meridian'
    expect((await http.get('/fhir/CodeSystem?url=http://hl7.org/fhir/administrative-gender').expect(200)).body.entry ?? []).toHaveLength(0);
    await first.close();

    const second = await start('meridian');
    const again = (await request(second.http).get('/fhir/CodeSystem/loinc').expect(200)).body;
    expect(again.meta.versionId).toBe('1'); // nothing written twice
    await second.close();
  });

  it('is written again when the stored copy is not the shipped one', async () => {
    const server = await start('none');
    const http = request(server.http);
    const stored = (await http.get('/fhir/CodeSystem/ucum').expect(200)).body;
    const { meta: _meta, ...rest } = stored;
    await http.put('/fhir/CodeSystem/ucum').set('Content-Type', 'application/fhir+json').send({ ...rest, title: 'Changed here' }).expect(200); // loses the shipped tag
    await server.close();
    const restarted = await start('meridian');
    const back = (await request(restarted.http).get('/fhir/CodeSystem/ucum').expect(200)).body;
    expect(back.title).not.toBe('Changed here');
    expect(back.meta.versionId).toBe('3');
    await restarted.close();
  });

  it("stores the FHIR core content with 'all'", async () => {
    const server = await start('all');
    const http = request(server.http);
    const gender = (await http.get('/fhir/CodeSystem?url=http://hl7.org/fhir/administrative-gender').expect(200)).body;
    expect(gender.entry).toHaveLength(1);
    const id = (await http.get('/fhir/ValueSet?url=http://hl7.org/fhir/ValueSet/administrative-gender').expect(200)).body.entry[0].resource.id;
    const expanded = (await http.get(`/fhir/ValueSet/${id}/$expand`).expect(200)).body;
    expect(expanded.expansion.total).toBe(4);
    await server.close();
  }, 120_000);
});
