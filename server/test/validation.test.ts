// Validation on write against the R4 definitions, and $validate.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FHIR_JSON, testServer, type TestServer } from './harness.js';

let t: TestServer;
beforeAll(async () => {
  t = await testServer();
});
afterAll(() => t?.close());

const post = (type: string, body: unknown) => t.http.post(`/fhir/${type}`).set('Content-Type', FHIR_JSON).send(body as object);
const vitals = {
  resourceType: 'Observation',
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
};

async function expectRejected(type: string, body: unknown, expression: string, text?: RegExp) {
  const res = await post(type, body);
  expect(res.status, JSON.stringify(res.body)).toBe(400);
  expect(res.body.resourceType).toBe('OperationOutcome');
  const found = res.body.issue.find((i: any) => i.expression?.includes(expression));
  expect(found, `${expression} in ${JSON.stringify(res.body.issue)}`).toBeDefined();
  expect(found.severity).toBe('error');
  if (text) expect(found.diagnostics).toMatch(text);
}

describe('validation on write', () => {
  it('resourceType must be present, known, and match the URL', async () => {
    await expectRejected('Patient', { name: [{ family: 'x' }] }, 'resourceType');
    await expectRejected('Patient', { resourceType: 'Spaceship' }, 'resourceType', /Unknown resource type/);
    await expectRejected('Patient', { ...vitals }, 'resourceType', /does not match/);
  });

  it('rejects unknown elements', async () => {
    await expectRejected('Patient', { resourceType: 'Patient', favouriteColour: 'blue' }, 'Patient.favouriteColour');
    await expectRejected('Observation', { ...vitals, code: { coding: [{ system: 'http://loinc.org', cod: 'x' }] } }, 'Observation.code.coding[0].cod');
  });

  it('rejects wrong types and bad cardinality', async () => {
    await expectRejected('Patient', { resourceType: 'Patient', active: 'yes' }, 'Patient.active');
    await expectRejected('Patient', { resourceType: 'Patient', name: { family: 'x' } }, 'Patient.name');
    await expectRejected('Patient', { resourceType: 'Patient', gender: ['male', 'female'] }, 'Patient.gender');
    await expectRejected('Observation', { ...vitals, valueQuantity: { value: 'seventy' } }, 'Observation.valueQuantity.value');
  });

  it('rejects missing required elements', async () => {
    const { status: _status, ...noStatus } = vitals;
    await expectRejected('Observation', noStatus, 'Observation.status', /required/i);
    await expectRejected('Observation', { resourceType: 'Observation', status: 'final' }, 'Observation.code');
  });

  it('rejects invalid primitive formats: dates, ids, codes', async () => {
    await expectRejected('Patient', { resourceType: 'Patient', birthDate: '1990-13-45' }, 'Patient.birthDate');
    await expectRejected('Patient', { resourceType: 'Patient', birthDate: '12/05/1990' }, 'Patient.birthDate');
    await expectRejected('Observation', { ...vitals, effectiveDateTime: '2024-01-01T25:00:00Z' }, 'Observation.effectiveDateTime');
    await expectRejected('Observation', { ...vitals, status: 'has space ' }, 'Observation.status');
    await expectRejected('Patient', { resourceType: 'Patient', contained: [{ resourceType: 'Patient', id: 'bad id!' }] }, 'Patient.contained[0].id');
  });

  it('enforces required bindings of the base specification', async () => {
    await expectRejected('Observation', { ...vitals, status: 'bogus' }, 'Observation.status', /observation-status/);
    await expectRejected('Patient', { resourceType: 'Patient', gender: 'unknownish' }, 'Patient.gender');
    await expectRejected('Patient', { resourceType: 'Patient', identifier: [{ use: 'nickname', value: '1' }] }, 'Patient.identifier[0].use');
    await expectRejected('Observation', { ...vitals, valueQuantity: { value: 1, comparator: '~' } }, 'Observation.valueQuantity.comparator');
    await expectRejected('Patient', { resourceType: 'Patient', contained: [{ ...vitals, status: 'nope' }] }, 'Patient.contained[0].status');
  });

  it('rejects bodies that are not one JSON object', async () => {
    for (const body of ['[]', '"Patient"', '42', 'null']) {
      const res = await t.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send(body);
      expect(res.status, body).toBe(400);
      expect(res.body.resourceType).toBe('OperationOutcome');
    }
    const empty = await t.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON);
    expect(empty.status).toBe(400);
  });

  it('writes nothing when it rejects', async () => {
    const before = await t.http.get('/fhir/_history?_count=1000');
    await post('Observation', { ...vitals, status: 'bogus' });
    await t.http.put('/fhir/Observation/x1').set('Content-Type', FHIR_JSON).send({ ...vitals, id: 'x1', status: 'bogus' });
    const after = await t.http.get('/fhir/_history?_count=1000');
    expect(after.body.entry?.length ?? 0).toBe(before.body.entry?.length ?? 0);
    expect((await t.http.get('/fhir/Observation/x1')).status).toBe(404);
  });
});

describe('$validate', () => {
  it('returns an OperationOutcome without writing, at type and instance level', async () => {
    const ok = await t.http.post('/fhir/Observation/$validate').set('Content-Type', FHIR_JSON).send(vitals);
    expect(ok.status).toBe(200);
    expect(ok.body.resourceType).toBe('OperationOutcome');
    expect(ok.body.issue[0].severity).toBe('information');
    const bad = await t.http.post('/fhir/Observation/$validate').set('Content-Type', FHIR_JSON).send({ ...vitals, status: 'bogus', foo: 1 });
    expect(bad.status).toBe(200);
    expect(bad.body.issue.map((i: any) => i.expression[0]).sort()).toEqual(['Observation.foo', 'Observation.status']);
    const wrapped = await t.http
      .post('/fhir/Observation/$validate')
      .set('Content-Type', FHIR_JSON)
      .send({ resourceType: 'Parameters', parameter: [{ name: 'resource', resource: { ...vitals, status: 'bogus' } }, { name: 'mode', valueCode: 'create' }] });
    expect(wrapped.body.issue[0].expression).toEqual(['Observation.status']);
    const instance = await t.http.post('/fhir/Observation/abc/$validate').set('Content-Type', FHIR_JSON).send({ ...vitals, id: 'other' });
    expect(instance.status).toBe(200);
    expect(instance.body.issue.some((i: any) => i.severity === 'error')).toBe(true);
    const history = await t.http.get('/fhir/Observation/_history');
    expect(history.body.entry ?? []).toHaveLength(0);
  });

  it('400 when there is nothing to validate or it is of another type', async () => {
    expect((await t.http.post('/fhir/Observation/$validate').set('Content-Type', FHIR_JSON)).status).toBe(400);
    expect((await t.http.post('/fhir/Observation/$validate').set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient' })).status).toBe(400);
  });
});
