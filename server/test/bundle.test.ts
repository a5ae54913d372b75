// Batch and transaction Bundles (FHIR R4 3.1.0.11).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FHIR_JSON, testServer, type TestServer } from './harness.js';

let t: TestServer;
beforeAll(async () => {
  t = await testServer({ bodyLimit: 8 * 1024 * 1024 });
});
afterAll(() => t?.close());

let n = 0;
const unique = () => `${Date.now()}-${n++}`;
const post = (bundle: unknown) => t.http.post('/fhir').set('Content-Type', FHIR_JSON).send(bundle as object);
const transaction = (entry: unknown[]) => post({ resourceType: 'Bundle', type: 'transaction', entry });
const batch = (entry: unknown[]) => post({ resourceType: 'Bundle', type: 'batch', entry });
const patientEntry = (mrn: string, extra: Record<string, unknown> = {}, fullUrl = `urn:uuid:${crypto.randomUUID()}`) => ({
  fullUrl,
  resource: { resourceType: 'Patient', identifier: [{ system: 'urn:mrn', value: mrn }], ...extra },
  request: { method: 'POST', url: 'Patient' },
});
const count = async (q: string) => (await t.http.get(`/fhir/${q}${q.includes('?') ? '&' : '?'}_summary=count`)).body.total;

describe('transaction', () => {
  it('writes every entry in one transaction and rewrites urn:uuid references everywhere', async () => {
    const mrn = unique();
    const p = `urn:uuid:${crypto.randomUUID()}`;
    const enc = `urn:uuid:${crypto.randomUUID()}`;
    const res = await transaction([
      {
        fullUrl: 'urn:uuid:obs-1-' + mrn,
        resource: {
          resourceType: 'Observation',
          status: 'final',
          code: { text: 'x' },
          subject: { reference: p },
          encounter: { reference: enc },
          extension: [{ url: 'http://example.org/ext', valueReference: { reference: p } }, { url: 'http://example.org/uri', valueUri: p }],
          component: [{ code: { text: 'c' }, valueString: 'v', extension: [{ url: 'http://example.org/nested', valueReference: { reference: enc } }] }],
          text: { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">see <a href="${p}">patient</a></div>` },
        },
        request: { method: 'POST', url: 'Observation' },
      },
      patientEntry(mrn, {}, p),
      { fullUrl: enc, resource: { resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, subject: { reference: p } }, request: { method: 'POST', url: 'Encounter' } },
    ]);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.type).toBe('transaction-response');
    const [obsR, patR, encR] = res.body.entry;
    for (const e of res.body.entry) {
      expect(e.response.status).toBe('201 Created');
      expect(e.response.location).toMatch(/^(Observation|Patient|Encounter)\/[0-9a-f-]+\/_history\/1$/);
      expect(e.response.etag).toBe('W/"1"');
      expect(e.response.lastModified).toBeDefined();
    }
    const patientRef = `Patient/${patR.resource.id}`;
    const obs = (await t.http.get(`/fhir/Observation/${obsR.resource.id}`)).body;
    expect(obs.subject.reference).toBe(patientRef);
    expect(obs.encounter.reference).toBe(`Encounter/${encR.resource.id}`);
    expect(obs.extension[0].valueReference.reference).toBe(patientRef);
    expect(obs.extension[1].valueUri).toBe(patientRef);
    expect(obs.component[0].extension[0].valueReference.reference).toBe(`Encounter/${encR.resource.id}`);
    expect(obs.text.div).toContain(`href="${patientRef}"`);
    expect((await t.http.get(`/fhir/Observation?subject=${patientRef}`)).body.entry).toHaveLength(1);
  });

  it('processes DELETE, POST, PUT/PATCH, GET in that order', async () => {
    const mrn = unique();
    await t.http.put(`/fhir/Patient/order-${mrn}`).set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient', id: `order-${mrn}`, active: true });
    const res = await transaction([
      { request: { method: 'GET', url: `Patient?identifier=urn:mrn|${mrn}` } },
      { resource: { resourceType: 'Patient', id: `order-${mrn}`, active: false }, request: { method: 'PUT', url: `Patient/order-${mrn}` } },
      patientEntry(mrn),
      { request: { method: 'DELETE', url: `Patient/order-${mrn}` } },
    ]);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.entry.map((e: any) => e.response.status)).toEqual(['200 OK', '201 Created', '201 Created', '204 No Content']);
    // GET ran last: it sees the POSTed patient; PUT ran after DELETE: it brought the resource back as version 3
    expect(res.body.entry[0].resource.entry).toHaveLength(1);
    expect(res.body.entry[1].resource.meta.versionId).toBe('3');
  });

  it('rolls everything back when any entry fails, at any position, naming the entry', async () => {
    for (const position of [0, 1, 2, 3]) {
      const mrn = unique();
      const entries: unknown[] = [patientEntry(mrn), patientEntry(mrn), patientEntry(mrn)];
      entries.splice(position, 0, { resource: { resourceType: 'Observation', status: 'bogus', code: { text: 'x' } }, request: { method: 'POST', url: 'Observation' } });
      const res = await transaction(entries);
      expect(res.status).toBe(400);
      expect(res.body.resourceType).toBe('OperationOutcome');
      expect(res.body.issue[0].diagnostics).toMatch(new RegExp(`^Bundle\\.entry\\[${position}\\] \\(POST Observation\\)`));
      expect(res.body.issue[0].expression).toEqual([`Bundle.entry[${position}].resource.Observation.status`]);
      expect(await count(`Patient?identifier=urn:mrn|${mrn}`)).toBe(0);
    }
  });

  it('rolls back on a failure found only in the database (stale ifMatch after other writes)', async () => {
    const mrn = unique();
    await t.http.put(`/fhir/Patient/rb-${mrn}`).set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient', id: `rb-${mrn}` });
    const res = await transaction([
      patientEntry(mrn),
      { request: { method: 'DELETE', url: `Patient?identifier=urn:mrn|nobody-${mrn}` } },
      { resource: { resourceType: 'Patient', id: `rb-${mrn}`, active: true }, request: { method: 'PUT', url: `Patient/rb-${mrn}`, ifMatch: 'W/"9"' } },
    ]);
    expect(res.status).toBe(412);
    expect(res.body.issue[0].diagnostics).toMatch(/^Bundle\.entry\[2\] \(PUT/);
    expect(await count(`Patient?identifier=urn:mrn|${mrn}`)).toBe(0);
    expect((await t.http.get(`/fhir/Patient/rb-${mrn}`)).body.meta.versionId).toBe('1');
  });

  it('resolves conditional references, failing on no match (400) or several (412)', async () => {
    const mrn = unique();
    await t.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient', identifier: [{ system: 'urn:mrn', value: mrn }] });
    const obs = (reference: string) => ({ resource: { resourceType: 'Observation', status: 'final', code: { text: mrn }, subject: { reference } }, request: { method: 'POST', url: 'Observation' } });
    const ok = await transaction([obs(`Patient?identifier=urn:mrn|${mrn}`)]);
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body.entry[0].resource.subject.reference).toMatch(/^Patient\/[0-9a-f-]+$/);
    const none = await transaction([patientEntry(`x-${mrn}`), obs(`Patient?identifier=urn:mrn|nobody-${mrn}`)]);
    expect(none.status).toBe(400);
    expect(none.body.issue[0].diagnostics).toMatch(/Bundle\.entry\[1\].*matches no resource/);
    await t.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient', identifier: [{ system: 'urn:mrn', value: mrn }] });
    const many = await transaction([patientEntry(`y-${mrn}`), obs(`Patient?identifier=urn:mrn|${mrn}`)]);
    expect(many.status).toBe(412);
    expect(await count(`Patient?identifier=urn:mrn|x-${mrn},y-${mrn}`)).toBe(0);
    const dangling = await transaction([obs(`urn:uuid:${crypto.randomUUID()}`)]);
    expect(dangling.status).toBe(400);
  });

  it('ifNoneExist, conditional PUT, PATCH and GET with ifNoneMatch', async () => {
    const mrn = unique();
    const first = await transaction([{ ...patientEntry(mrn), request: { method: 'POST', url: 'Patient', ifNoneExist: `identifier=urn:mrn|${mrn}` } }]);
    expect(first.body.entry[0].response.status).toBe('201 Created');
    const id = first.body.entry[0].resource.id;
    const res = await transaction([
      { ...patientEntry(mrn), request: { method: 'POST', url: 'Patient', ifNoneExist: `identifier=urn:mrn|${mrn}` } },
      { resource: { resourceType: 'Patient', identifier: [{ system: 'urn:mrn', value: mrn }], gender: 'other' }, request: { method: 'PUT', url: `Patient?identifier=urn:mrn|${mrn}` } },
      { resource: { resourceType: 'Parameters', parameter: [{ name: 'operation', part: [{ name: 'type', valueCode: 'add' }, { name: 'path', valueString: 'Patient' }, { name: 'name', valueString: 'birthDate' }, { name: 'value', valueDate: '1999-09-09' }] }] }, request: { method: 'PATCH', url: `Patient/${id}` } },
      { request: { method: 'GET', url: `Patient/${id}`, ifNoneMatch: 'W/"3"' } },
    ]);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.entry.map((e: any) => e.response.status)).toEqual(['200 OK', '200 OK', '200 OK', '304 Not Modified']);
    expect(res.body.entry[0].resource.id).toBe(id);
    const current = (await t.http.get(`/fhir/Patient/${id}`)).body;
    expect(current).toMatchObject({ gender: 'other', birthDate: '1999-09-09', meta: { versionId: '3' } });
  });

  it('rejects what is not a transaction or batch Bundle, and malformed entries', async () => {
    expect((await post({ resourceType: 'Bundle', type: 'collection' })).status).toBe(400);
    expect((await post({ resourceType: 'Patient' })).status).toBe(400);
    for (const entry of [{}, { request: { method: 'FETCH', url: 'Patient' } }, { request: { method: 'POST', url: 'Spaceship' }, resource: { resourceType: 'Patient' } }, { request: { method: 'POST', url: 'Patient' } }, { request: { method: 'PUT', url: 'Patient' }, resource: { resourceType: 'Patient' } }]) {
      const res = await transaction([patientEntry(unique()), entry]);
      expect(res.status, JSON.stringify(entry)).toBe(400);
      expect(res.body.issue[0].diagnostics).toMatch(/^Bundle\.entry\[1\]/);
    }
  });

  it('accepts a 1,000-entry transaction (a whole patient record)', async () => {
    const mrn = unique();
    const p = `urn:uuid:${crypto.randomUUID()}`;
    const entries = [patientEntry(mrn, {}, p)];
    for (let i = 0; i < 999; i++) {
      entries.push({
        fullUrl: `urn:uuid:${crypto.randomUUID()}`,
        resource: { resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] }, subject: { reference: p }, effectiveDateTime: `2024-01-01T00:${String(i % 60).padStart(2, '0')}:00Z`, valueQuantity: { value: 60 + (i % 40), unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' } } as never,
        request: { method: 'POST', url: 'Observation' },
      });
    }
    const res = await transaction(entries).set('Prefer', 'return=minimal');
    expect(res.status).toBe(200);
    expect(res.body.entry).toHaveLength(1000);
    expect(res.body.entry[5].resource).toBeUndefined();
    const patientId = res.body.entry[0].response.location.split('/')[1];
    expect(await count(`Observation?subject=Patient/${patientId}`)).toBe(999);
  }, 120_000);
});

describe('batch', () => {
  it('runs entries independently: a bad entry gets its own outcome and the others are written', async () => {
    const mrn = unique();
    const res = await batch([
      patientEntry(mrn),
      { resource: { resourceType: 'Observation', status: 'bogus', code: { text: 'x' } }, request: { method: 'POST', url: 'Observation' } },
      { request: { method: 'GET', url: 'Patient/does-not-exist' } },
      { request: { method: 'NOPE', url: 'Patient' } },
      patientEntry(mrn),
      { request: { method: 'GET', url: `Patient?identifier=urn:mrn|${mrn}` } },
    ]);
    expect(res.status).toBe(200);
    expect(res.body.type).toBe('batch-response');
    const statuses = res.body.entry.map((e: any) => e.response.status);
    expect(statuses).toEqual(['201 Created', '400', '404', '400', '201 Created', '200 OK']);
    expect(res.body.entry[1].response.outcome.issue[0].diagnostics).toMatch(/^Bundle\.entry\[1\]/);
    expect(res.body.entry[3].response.outcome.issue[0].diagnostics).toMatch(/^Bundle\.entry\[3\]/);
    expect(res.body.entry[5].resource.entry).toHaveLength(2);
    expect(await count(`Patient?identifier=urn:mrn|${mrn}`)).toBe(2);
  });
});
