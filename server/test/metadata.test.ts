// The CapabilityStatement tells the truth: every type, and only what works.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resourceTypes } from '../src/fhir/definitions.js';
import { testServer, type TestServer } from './harness.js';

let t: TestServer;
beforeAll(async () => {
  t = await testServer();
});
afterAll(() => t?.close());

describe('/metadata', () => {
  it('is an R4 CapabilityStatement for every resource type', async () => {
    const res = await t.http.get('/fhir/metadata');
    expect(res.status).toBe(200);
    const cs = res.body;
    expect(cs.resourceType).toBe('CapabilityStatement');
    expect(cs.fhirVersion).toBe('4.0.1');
    expect(cs.kind).toBe('instance');
    expect(cs.format).toEqual(['application/fhir+json', 'application/json']);
    expect(cs.patchFormat).toEqual(['application/json-patch+json', 'application/fhir+json']);
    expect(cs.implementation.url).toBe('http://localhost/fhir');
    const rest = cs.rest[0];
    expect(rest.mode).toBe('server');
    expect(rest.interaction).toEqual([{ code: 'transaction' }, { code: 'batch' }, { code: 'history-system' }]);
    expect(rest.resource.map((r: any) => r.type)).toEqual(resourceTypes());
    expect(rest.operation.map((o: any) => o.name)).toEqual(['export', 'reindex']);
    expect(rest.resource.find((r: any) => r.type === 'Group').operation.map((o: any) => o.name)).toContain('export');
    expect(rest.resource.find((r: any) => r.type === 'Patient').operation.map((o: any) => o.name)).toEqual(['validate', 'everything', 'export']);
    // AuditEvents are recorded by the server and only read through the API
    const audit = rest.resource.find((r: any) => r.type === 'AuditEvent');
    expect(audit.interaction.map((i: any) => i.code).sort()).toEqual(['history-instance', 'history-type', 'read', 'search-type', 'vread']);
    expect(audit.documentation).toMatch(/read-only/);
    for (const r of rest.resource.filter((x: any) => x.type !== 'AuditEvent')) {
      expect(r.interaction.map((i: any) => i.code).sort()).toEqual(
        ['create', 'delete', 'history-instance', 'history-type', 'patch', 'read', 'search-type', 'update', 'vread'].sort(),
      );
      expect(r).toMatchObject({ versioning: 'versioned-update', readHistory: true, updateCreate: true, conditionalCreate: true, conditionalUpdate: true, conditionalDelete: 'single' });
      expect(r.searchParam.every((p: any) => ['token', 'string', 'uri', 'reference', 'date', 'number', 'quantity', 'composite'].includes(p.type))).toBe(true);
      expect(r.operation).toContainEqual({ name: 'validate', definition: 'http://hl7.org/fhir/OperationDefinition/Resource-validate' });
    }
  });

  it('warns, under AUTH_MODE=open, that anyone may call the API', async () => {
    const rest = (await t.http.get('/fhir/metadata')).body.rest[0];
    expect(rest.documentation).toContain('WARNING: AUTH_MODE=open');
    expect(rest.security.service[0].coding[0].code).toBe('SMART-on-FHIR');
  });

  it('declares, for Patient, exactly the search parameters that work', async () => {
    const res = await t.http.get('/fhir/metadata');
    const patient = res.body.rest[0].resource.find((r: any) => r.type === 'Patient');
    const names = patient.searchParam.map((p: any) => p.name);
    expect(names).toEqual(expect.arrayContaining(['_id', '_lastUpdated', 'identifier', 'gender', 'name', 'birthdate', 'general-practitioner', '_tag', '_profile']));
    expect(patient.searchInclude).toEqual(expect.arrayContaining(['*', 'Patient:general-practitioner', 'Patient:organization']));
    expect(patient.searchRevInclude).toEqual(expect.arrayContaining(['Observation:subject', 'Observation:patient', 'Provenance:target']));
    const sample: Record<string, string> = { token: 'x', string: 'x', uri: 'http://x', reference: 'Patient/x', date: 'ge2024-01-01', number: '1', quantity: '1' };
    for (const p of patient.searchParam) {
      const search = await t.http.get(`/fhir/Patient?${p.name}=${encodeURIComponent(sample[p.type])}`).set('Prefer', 'handling=strict');
      expect(search.status, p.name).toBe(200);
    }
  });

  it('is valid against the R4 CapabilityStatement definition', async () => {
    const res = await t.http.post('/fhir/CapabilityStatement/$validate').set('Content-Type', 'application/fhir+json').send((await t.http.get('/fhir/metadata')).body);
    expect(res.body.issue).toEqual([expect.objectContaining({ severity: 'information' })]);
  });
});

describe('/metadata terminology operations', () => {
  it('lists the terminology operations on CodeSystem, ValueSet and ConceptMap with their R4 definitions', async () => {
    const rest = (await t.http.get('/fhir/metadata').expect(200)).body.rest[0];
    const ops = (type: string) => rest.resource.find((r: any) => r.type === type).operation.filter((o: any) => o.name !== 'validate');
    expect(ops('CodeSystem')).toEqual([
      { name: 'lookup', definition: 'http://hl7.org/fhir/OperationDefinition/CodeSystem-lookup' },
      { name: 'validate-code', definition: 'http://hl7.org/fhir/OperationDefinition/CodeSystem-validate-code' },
      { name: 'subsumes', definition: 'http://hl7.org/fhir/OperationDefinition/CodeSystem-subsumes' },
    ]);
    expect(ops('ValueSet').map((o: any) => o.name)).toEqual(['expand', 'validate-code']);
    expect(ops('ConceptMap')).toEqual([{ name: 'translate', definition: 'http://hl7.org/fhir/OperationDefinition/ConceptMap-translate' }]);
  });
});
