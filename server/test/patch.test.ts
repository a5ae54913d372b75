// PATCH with JSON Patch and FHIRPath Patch.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FHIR_JSON, testServer, type TestServer } from './harness.js';

let t: TestServer;
beforeAll(async () => {
  t = await testServer();
});
afterAll(() => t?.close());

const JSON_PATCH = 'application/json-patch+json';
async function newPatient() {
  const res = await t.http
    .post('/fhir/Patient')
    .set('Content-Type', FHIR_JSON)
    .send({
      resourceType: 'Patient',
      name: [{ family: 'Diaz', given: ['Ana', 'Maria'] }],
      identifier: [{ system: 'urn:a', value: '1' }, { system: 'urn:b', value: '2' }],
      gender: 'female',
    });
  return res.body.id as string;
}
const jsonPatch = (id: string, ops: unknown) => t.http.patch(`/fhir/Patient/${id}`).set('Content-Type', JSON_PATCH).send(ops as object);
const op = (type: string, path: string, more: Record<string, unknown>[] = []) => ({
  name: 'operation',
  part: [{ name: 'type', valueCode: type }, { name: 'path', valueString: path }, ...more],
});
const fhirPathPatch = (id: string, ...operations: unknown[]) =>
  t.http.patch(`/fhir/Patient/${id}`).set('Content-Type', FHIR_JSON).send({ resourceType: 'Parameters', parameter: operations });

describe('JSON Patch', () => {
  it('applies the operations as a new version', async () => {
    const id = await newPatient();
    const res = await jsonPatch(id, [
      { op: 'test', path: '/gender', value: 'female' },
      { op: 'replace', path: '/gender', value: 'other' },
      { op: 'add', path: '/birthDate', value: '1990-05-06' },
      { op: 'remove', path: '/identifier/1' },
    ]);
    expect(res.status).toBe(200);
    expect(res.body.meta.versionId).toBe('2');
    expect(res.headers.etag).toBe('W/"2"');
    expect(res.body.gender).toBe('other');
    expect(res.body.birthDate).toBe('1990-05-06');
    expect(res.body.identifier).toEqual([{ system: 'urn:a', value: '1' }]);
    const hist = await t.http.get(`/fhir/Patient/${id}/_history`);
    expect(hist.body.entry[0].request.method).toBe('PATCH');
  });

  it('422 when an operation cannot be applied, and nothing changes', async () => {
    const id = await newPatient();
    for (const ops of [[{ op: 'test', path: '/gender', value: 'male' }], [{ op: 'remove', path: '/nope' }], [{ op: 'replace', path: '/id', value: 'other' }]]) {
      const res = await jsonPatch(id, ops);
      expect(res.status, JSON.stringify(ops)).toBe(422);
      expect(res.body.resourceType).toBe('OperationOutcome');
    }
    expect((await t.http.get(`/fhir/Patient/${id}`)).body.meta.versionId).toBe('1');
  });

  it('400 for a malformed patch document or a result that is not a valid resource', async () => {
    const id = await newPatient();
    for (const body of [{ op: 'add' }, [{ op: 'frobnicate', path: '/x' }], [{ op: 'add', path: '/active' }], [{ path: '/x' }]]) {
      expect((await jsonPatch(id, body)).status, JSON.stringify(body)).toBe(400);
    }
    const invalid = await jsonPatch(id, [{ op: 'replace', path: '/gender', value: 'bogus' }]);
    expect(invalid.status).toBe(400);
    expect(invalid.body.issue[0].expression).toEqual(['Patient.gender']);
    const unknown = await jsonPatch(id, [{ op: 'add', path: '/favouriteColour', value: 'blue' }]);
    expect(unknown.status).toBe(400);
    expect((await t.http.get(`/fhir/Patient/${id}`)).body.meta.versionId).toBe('1');
  });

  it('honours If-Match, and 404/410 for unknown or deleted resources', async () => {
    const id = await newPatient();
    const ops = [{ op: 'add', path: '/active', value: true }];
    expect((await jsonPatch(id, ops).set('If-Match', 'W/"2"')).status).toBe(412);
    expect((await jsonPatch(id, ops).set('If-Match', 'W/"1"')).status).toBe(200);
    expect((await jsonPatch('no-such-patient', ops)).status).toBe(404);
    await t.http.delete(`/fhir/Patient/${id}`);
    expect((await jsonPatch(id, ops)).status).toBe(410);
  });

  it('415 for other patch formats', async () => {
    const id = await newPatient();
    const res = await t.http.patch(`/fhir/Patient/${id}`).set('Content-Type', 'application/merge-patch+json').send('{}');
    expect(res.status).toBe(415);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });
});

describe('FHIRPath Patch', () => {
  it('add, insert, replace, delete and move', async () => {
    const id = await newPatient();
    const res = await fhirPathPatch(
      id,
      op('add', 'Patient', [{ name: 'name', valueString: 'birthDate' }, { name: 'value', valueDate: '1971-02-03' }]),
      op('replace', 'Patient.name[0].family', [{ name: 'value', valueString: 'Díaz' }]),
      op('insert', 'Patient.name[0].given', [{ name: 'index', valueInteger: 0 }, { name: 'value', valueString: 'Lucia' }]),
      op('delete', "Patient.identifier.where(system='urn:b')"),
      op('move', 'Patient.name[0].given', [{ name: 'source', valueInteger: 2 }, { name: 'destination', valueInteger: 0 }]),
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.birthDate).toBe('1971-02-03');
    expect(res.body.name[0].family).toBe('Díaz');
    expect(res.body.name[0].given).toEqual(['Maria', 'Lucia', 'Ana']);
    expect(res.body.identifier).toEqual([{ system: 'urn:a', value: '1' }]);
  });

  it('adds a complex value given as parts', async () => {
    const id = await newPatient();
    const res = await fhirPathPatch(
      id,
      op('add', 'Patient', [
        { name: 'name', valueString: 'contact' },
        { name: 'value', part: [{ name: 'gender', valueCode: 'male' }, { name: 'name', valueHumanName: { family: 'Diaz' } }] },
      ]),
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.contact).toEqual([{ gender: 'male', name: { family: 'Diaz' } }]);
  });

  it('400 for malformed operations, 422 when a path does not resolve, 400 for an invalid result', async () => {
    const id = await newPatient();
    expect((await fhirPathPatch(id, op('frobnicate', 'Patient'))).status).toBe(400);
    expect((await fhirPathPatch(id, { name: 'operation', part: [{ name: 'type', valueCode: 'delete' }] })).status).toBe(400);
    expect((await fhirPathPatch(id, op('replace', 'Patient.gender'))).status).toBe(400);
    expect((await t.http.patch(`/fhir/Patient/${id}`).set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient' })).status).toBe(400);
    expect((await fhirPathPatch(id)).status).toBe(400);
    const unresolved = await fhirPathPatch(id, op('replace', 'Patient.name.given', [{ name: 'value', valueString: 'x' }]));
    expect(unresolved.status).toBe(422);
    const invalid = await fhirPathPatch(id, op('replace', 'Patient.gender', [{ name: 'value', valueCode: 'bogus' }]));
    expect(invalid.status).toBe(400);
    expect((await t.http.get(`/fhir/Patient/${id}`)).body.meta.versionId).toBe('1');
  });
});
