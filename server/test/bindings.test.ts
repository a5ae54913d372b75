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

describe('bindings of profiles', () => {
  const VITALS = 'https://meridian.dev/fhir/StructureDefinition/meridian-observation-vital-signs';
  const CONDITION = 'https://meridian.dev/fhir/StructureDefinition/meridian-condition';
  const heartRate = (unit: string) => ({
    resourceType: 'Observation',
    meta: { profile: [VITALS] },
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
    code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
    subject: { reference: 'Patient/p1' },
    effectiveDateTime: '2026-11-01T10:00:00Z',
    valueQuantity: { value: 72, unit, system: 'http://unitsofmeasure.org', code: unit },
  });
  const condition = (code: string) => ({
    resourceType: 'Condition',
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
    verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed' }] },
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-category', code: 'problem-list-item' }] }],
    code: { coding: [{ system: 'http://snomed.info/sct', code }] },
    subject: { reference: 'Patient/p1' },
  });

  it('refuse a value outside a required binding of a claimed profile, at its path', async () => {
    expect((await t.http.post('/fhir/Observation').set('Content-Type', FHIR_JSON).send(heartRate('/min'))).status).toBe(201);
    const res = await t.http.post('/fhir/Observation').set('Content-Type', FHIR_JSON).send(heartRate('[furlong]/h'));
    expect(res.status).toBe(400);
    const error = res.body.issue.find((i: any) => i.severity === 'error');
    expect(error).toMatchObject({ code: 'code-invalid', expression: ['Observation.valueQuantity.code'] });
    expect(error.diagnostics).toMatch(/required value set https:\/\/meridian.dev\/fhir\/ValueSet\/vital-units \(profile .*meridian-observation-vital-signs\)/);
  });

  it('warn for a code outside an extensible binding of a profile, claimed or asked for in $validate', async () => {
    const claimed = await t.http.post('/fhir/Condition').set('Content-Type', FHIR_JSON).set('Prefer', 'return=OperationOutcome').send({ ...condition('233604007'), meta: { profile: [CONDITION] } });
    expect(claimed.status).toBe(201);
    expect(claimed.body.issue.filter((i: any) => i.severity === 'warning')).toEqual([]); // pneumonia is in the conditions ValueSet
    const outside = await t.http.post('/fhir/Condition').set('Content-Type', FHIR_JSON).set('Prefer', 'return=OperationOutcome').send({ ...condition('22298006'), meta: { profile: [CONDITION] } });
    expect(outside.status).toBe(201);
    expect(outside.body.issue.find((i: any) => i.severity === 'warning')).toMatchObject({ code: 'code-invalid', expression: ['Condition.code'] });
    const validated = (await t.http.post(`/fhir/Condition/$validate?profile=${encodeURIComponent(CONDITION)}`).set('Content-Type', FHIR_JSON).send(condition('22298006')).expect(200)).body;
    const warnings = validated.issue.filter((i: any) => i.severity === 'warning' && i.code === 'code-invalid');
    expect(warnings).toHaveLength(1);
    expect(warnings[0].diagnostics).toMatch(/extensible value set https:\/\/meridian.dev\/fhir\/ValueSet\/conditions/);
  });
});
