// Error statuses (always an OperationOutcome) and content negotiation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FHIR_JSON, testServer, type TestServer } from './harness.js';

let t: TestServer;
beforeAll(async () => {
  t = await testServer({ bodyLimit: 64 * 1024 });
});
afterAll(() => t?.close());

function expectOutcome(res: { status: number; body: any; headers: Record<string, string> }, status: number) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/fhir\+json/);
  expect(res.body.resourceType).toBe('OperationOutcome');
  expect(res.body.issue.length).toBeGreaterThan(0);
  expect(res.body.issue[0].severity).toMatch(/error|fatal/);
}

describe('errors', () => {
  it('FHIR responses are not kept in caches (no-store), errors included; the public documents may be', async () => {
    const created = await t.http.post('/fhir/Patient').set('Content-Type', 'application/fhir+json').send({ resourceType: 'Patient' });
    expect(created.headers['cache-control']).toBe('no-store');
    expect((await t.http.get(`/fhir/Patient/${created.body.id}`)).headers['cache-control']).toBe('no-store');
    expect((await t.http.get('/fhir/Patient?_count=1')).headers['cache-control']).toBe('no-store');
    expect((await t.http.get('/fhir/Patient/nope')).headers['cache-control']).toBe('no-store');
    expect((await t.http.get('/fhir/metadata')).headers['cache-control']).toBeUndefined();
  });

  it('404 for an unknown type, an unknown id and an unknown endpoint', async () => {
    expectOutcome(await t.http.get('/fhir/Spaceship/1'), 404);
    expectOutcome(await t.http.get('/fhir/Spaceship'), 404);
    expectOutcome(await t.http.post('/fhir/Spaceship').set('Content-Type', FHIR_JSON).send({ resourceType: 'Spaceship' }), 404);
    expectOutcome(await t.http.get('/fhir/Patient/unknown-id'), 404);
    expectOutcome(await t.http.get('/nowhere'), 404);
    expectOutcome(await t.http.get('/fhir/Patient/1/2/3/4'), 404);
  });

  it('400 for malformed JSON, and nothing is written', async () => {
    for (const body of ['{"resourceType": "Patient",', '{resourceType: Patient}', '\u0000']) {
      expectOutcome(await t.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send(body), 400);
      expectOutcome(await t.http.put('/fhir/Patient/m1').set('Content-Type', FHIR_JSON).send(body), 400);
    }
    expectOutcome(await t.http.get('/fhir/Patient/m1'), 404);
  });

  it('413 for a body over the configured limit', async () => {
    const big = { resourceType: 'Patient', text: { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">${'x'.repeat(70 * 1024)}</div>` } };
    expectOutcome(await t.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send(big), 413);
  });

  it('405 for a method the URL does not support', async () => {
    expectOutcome(await t.http.post('/fhir/Patient/123').set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient' }), 405);
    expectOutcome(await t.http.delete('/fhir/metadata'), 405);
    expectOutcome(await t.http.put('/fhir/Patient/1/_history/1').set('Content-Type', FHIR_JSON).send({}), 405);
  });

  it('400 for bad history parameters', async () => {
    expectOutcome(await t.http.get('/fhir/Patient/_history?_since=yesterday'), 400);
    expectOutcome(await t.http.get('/fhir/Patient/_history?_count=many'), 400);
    expectOutcome(await t.http.get('/fhir/Patient/_history?_at=2024-02-30'), 400);
    expectOutcome(await t.http.get('/fhir/_history?_cursor=abc'), 400);
    expectOutcome(await t.http.get('/fhir/_history?color=red'), 400);
  });
});

describe('formats', () => {
  it('serves application/fhir+json by default and application/json when asked', async () => {
    const byDefault = await t.http.get('/fhir/metadata');
    expect(byDefault.headers['content-type']).toBe('application/fhir+json; charset=utf-8');
    const json = await t.http.get('/fhir/metadata').set('Accept', 'application/json');
    expect(json.headers['content-type']).toBe('application/json; charset=utf-8');
    const any = await t.http.get('/fhir/metadata').set('Accept', 'text/html,application/xhtml+xml,*/*;q=0.8');
    expect(any.status).toBe(200);
    const viaFormat = await t.http.get('/fhir/metadata?_format=json').set('Accept', 'application/fhir+xml');
    expect(viaFormat.status).toBe(200);
    expect(viaFormat.headers['content-type']).toBe('application/fhir+json; charset=utf-8');
    const unencodedPlus = await t.http.get('/fhir/metadata?_format=application/fhir+json');
    expect(unencodedPlus.status).toBe(200);
    expect(unencodedPlus.headers['content-type']).toBe('application/fhir+json; charset=utf-8');
    const viaFormatJson = await t.http.get('/fhir/metadata?_format=application/json');
    expect(viaFormatJson.headers['content-type']).toBe('application/json; charset=utf-8');
  });

  it('406 for XML or another format it cannot produce', async () => {
    expectOutcome(await t.http.get('/fhir/metadata').set('Accept', 'application/fhir+xml'), 406);
    expectOutcome(await t.http.get('/fhir/metadata?_format=xml'), 406);
    expectOutcome(await t.http.get('/fhir/metadata?_format=application/fhir%2Bxml'), 406);
    expectOutcome(await t.http.get('/fhir/metadata?_format=turtle'), 406);
  });

  it('415 for a request body that is not JSON', async () => {
    expectOutcome(await t.http.post('/fhir/Patient').set('Content-Type', 'application/fhir+xml').send('<Patient/>'), 415);
    expectOutcome(await t.http.post('/fhir/Patient').type('form').send('resourceType=Patient'), 415);
    expectOutcome(await t.http.put('/fhir/Patient/x').set('Content-Type', 'text/plain').send('{}'), 415);
  });

  it('accepts application/json bodies and a charset parameter', async () => {
    const res = await t.http.post('/fhir/Patient').set('Content-Type', 'application/json; charset=utf-8').send(JSON.stringify({ resourceType: 'Patient' }));
    expect(res.status).toBe(201);
  });

  it('_pretty indents, and is compact otherwise', async () => {
    const pretty = await t.http.get('/fhir/metadata?_pretty=true');
    expect(pretty.text).toMatch(/^\{\n {2}"resourceType": "CapabilityStatement"/);
    const compact = await t.http.get('/fhir/metadata');
    expect(compact.text).toMatch(/^\{"resourceType":"CapabilityStatement"/);
  });
});
