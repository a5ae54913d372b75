// Terminology bindings on write: a code outside a required binding is a 400 naming the element; one
// outside an extensible or preferred binding is written, with a warning in the response's outcome.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FHIR_JSON, testServer, type TestServer } from './harness.js';

let t: TestServer;
beforeAll(async () => {
  t = await testServer();
});
afterAll(() => t?.close());

const patient = (extra: object) => ({ resourceType: 'Patient', name: [{ family: 'Binding' }], ...extra });
const observation = (extra: object) => ({
  resourceType: 'Observation',
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
  ...extra,
});

describe('required bindings', () => {
  it('refuse a code outside the value set with the element path, and write nothing', async () => {
    const res = await t.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send(patient({ gender: 'mostly', identifier: [{ system: 'urn:test:bindings', value: 'refused' }] }));
    expect(res.status).toBe(400);
    expect(res.body.issue[0]).toMatchObject({ severity: 'error', code: 'code-invalid', expression: ['Patient.gender'] });
    expect(res.body.issue[0].diagnostics).toMatch(/"mostly" is not in the required value set http:\/\/hl7.org\/fhir\/ValueSet\/administrative-gender/);
    const found = await t.http.get('/fhir/Patient?identifier=urn:test:bindings|refused').expect(200);
    expect(found.body.total ?? found.body.entry?.length ?? 0).toBe(0);
  });

  it('check nested and repeated elements', async () => {
    const res = await t.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send(patient({ contact: [{ name: { family: 'A' }, gender: 'female' }, { name: { family: 'B' }, gender: 'x' }] }));
    expect(res.status).toBe(400);
    expect(res.body.issue[0].expression).toEqual(['Patient.contact[1].gender']);
  });
});

describe('extensible and preferred bindings', () => {
  const outside = { coding: [{ system: 'https://example.org/marital', code: 'it-is-complicated' }] };

  it('write the resource and warn in the OperationOutcome', async () => {
    const res = await t.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).set('Prefer', 'return=OperationOutcome').send(patient({ maritalStatus: outside }));
    expect(res.status).toBe(201);
    const warning = res.body.issue.find((i: any) => i.severity === 'warning');
    expect(warning).toMatchObject({ code: 'code-invalid', expression: ['Patient.maritalStatus'] });
    expect(warning.diagnostics).toMatch(/extensible value set http:\/\/hl7.org\/fhir\/ValueSet\/marital-status/);
    const preferred = await t.http.post('/fhir/Observation').set('Content-Type', FHIR_JSON).set('Prefer', 'return=OperationOutcome').send(observation({ category: [{ coding: [{ system: 'https://example.org/c', code: 'odd' }] }] }));
    expect(preferred.status).toBe(201);
    expect(preferred.body.issue.find((i: any) => i.severity === 'warning')).toMatchObject({ expression: ['Observation.category[0]'] });
    expect(preferred.body.issue.find((i: any) => i.severity === 'warning').diagnostics).toMatch(/preferred value set/);
  });

  it('say nothing for codes in the value set, or text alone', async () => {
    const inside = await t.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).set('Prefer', 'return=OperationOutcome')
      .send(patient({ maritalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus', code: 'M' }] } }));
    expect(inside.status).toBe(201);
    expect(inside.body.issue.filter((i: any) => i.severity === 'warning')).toEqual([]);
    const text = await t.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).set('Prefer', 'return=OperationOutcome').send(patient({ maritalStatus: { text: 'separated, sort of' } }));
    expect(text.body.issue.filter((i: any) => i.severity === 'warning')).toEqual([]);
  });

  it('put the warning in a transaction entry response, and in $validate', async () => {
    const res = await t.http.post('/fhir').set('Content-Type', FHIR_JSON).send({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { resource: patient({ maritalStatus: outside }), request: { method: 'POST', url: 'Patient' } },
        { resource: patient({}), request: { method: 'POST', url: 'Patient' } },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.entry[0].response.status).toMatch(/^201/);
    expect(res.body.entry[0].response.outcome.issue[0]).toMatchObject({ severity: 'warning', expression: ['Patient.maritalStatus'] });
    expect(res.body.entry[1].response.outcome).toBeUndefined();
    const validated = await t.http.post('/fhir/Patient/$validate').set('Content-Type', FHIR_JSON).send(patient({ maritalStatus: outside })).expect(200);
    expect(validated.body.issue).toContainEqual(expect.objectContaining({ severity: 'warning', expression: ['Patient.maritalStatus'] }));
  });
});
