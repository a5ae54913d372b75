// Every R4 resource type goes through the same generic path: create, read, update, delete.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resourceTypes } from '../src/fhir/definitions.js';
import { FHIR_JSON, testServer, type TestServer } from './harness.js';
import { minimalResource } from './minimal.js';

let t: TestServer;
beforeAll(async () => {
  t = await testServer();
});
afterAll(() => t?.close());

describe('every resource type', () => {
  it('knows all R4 resource types', () => {
    const types = resourceTypes();
    expect(types).toHaveLength(146); // the R4 resource-types code system, less Resource and DomainResource
    expect(types).not.toContain('SubscriptionStatus'); // R4B and later
    for (const type of ['Patient', 'Practitioner', 'Appointment', 'Observation', 'Claim', 'MedicationRequest', 'Bundle', 'Binary', 'Parameters']) {
      expect(types).toContain(type);
    }
  });

  it('creates, reads, updates and deletes each one (AuditEvent: the server writes those, 405)', async () => {
    const failures: string[] = [];
    const audit = await t.http.post('/fhir/AuditEvent').set('Content-Type', FHIR_JSON).send(minimalResource('AuditEvent'));
    expect([audit.status, audit.body.resourceType]).toEqual([405, 'OperationOutcome']);
    for (const type of resourceTypes().filter((x) => x !== 'AuditEvent')) {
      const resource = minimalResource(type);
      const created = await t.http.post(`/fhir/${type}`).set('Content-Type', FHIR_JSON).send(resource);
      if (created.status !== 201) {
        failures.push(`${type} create ${created.status}: ${JSON.stringify(created.body.issue)}`);
        continue;
      }
      const id = created.body.id;
      const read = await t.http.get(`/fhir/${type}/${id}`);
      if (read.status !== 200 || read.body.resourceType !== type) failures.push(`${type} read ${read.status}`);
      const updated = await t.http
        .put(`/fhir/${type}/${id}`)
        .set('Content-Type', FHIR_JSON)
        .send({ ...read.body, meta: undefined, language: 'en' });
      if (updated.status !== 200 || updated.body.meta.versionId !== '2') failures.push(`${type} update ${updated.status}: ${JSON.stringify(updated.body.issue)}`);
      const deleted = await t.http.delete(`/fhir/${type}/${id}`);
      if (deleted.status !== 200) failures.push(`${type} delete ${deleted.status}`);
      const gone = await t.http.get(`/fhir/${type}/${id}`);
      if (gone.status !== 410) failures.push(`${type} read after delete ${gone.status}`);
    }
    expect(failures).toEqual([]);
  });
});
