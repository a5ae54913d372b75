// No input produces a 500 or a partial write.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FHIR_JSON, testServer, type TestServer } from './harness.js';

let t: TestServer;
beforeAll(async () => {
  t = await testServer();
});
afterAll(() => t?.close());

const deep = (n: number) => {
  let v: unknown = { family: 'x' };
  for (let i = 0; i < n; i++) v = { extension: [{ url: 'urn:x', extension: [v] }] };
  return v;
};

const bodies: unknown[] = [
  { resourceType: 'Patient', name: [null] },
  { resourceType: 'Patient', name: null },
  { resourceType: 'Patient', name: [] },
  { resourceType: 'Patient', name: [{}] },
  { resourceType: 'Patient', active: null },
  { resourceType: 'Patient', _birthDate: { extension: [{ url: 'x' }] } },
  { resourceType: 'Patient', birthDate: 19900101 },
  { resourceType: 'Patient', birthDate: { year: 1990 } },
  { resourceType: 'Patient', id: 42 },
  { resourceType: 'Patient', id: null },
  { resourceType: 'Patient', meta: 'v1' },
  { resourceType: 'Patient', meta: { versionId: 7, tag: 'x' } },
  { resourceType: 'Patient', contained: [{}] },
  { resourceType: 'Patient', contained: [{ resourceType: 'Nope' }] },
  { resourceType: 'Patient', contained: 'x' },
  { resourceType: 'Patient', extension: [{ url: 'urn:x', valueSpaceship: 1 }] },
  { resourceType: 'Patient', multipleBirthInteger: 1e400 },
  { resourceType: 'Patient', multipleBirthInteger: 1.5 },
  { resourceType: 'Patient', identifier: [{ system: '\u0000', value: '\uD800' }] },
  { resourceType: 'Patient', text: { status: 'generated', div: '<script>alert(1)</script>' } },
  { resourceType: 'Patient', text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script>x</div>' } },
  { resourceType: 'Patient', text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml"><img src="x" onerror="alert(1)"/></div>' } },
  { resourceType: 'Patient', text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml"><a href="javascript:alert(1)">x</a></div>' } },
  { resourceType: 'Patient', contained: [{ resourceType: 'Patient', text: { status: 'generated', div: '<div>x</div>' } }] },
  JSON.parse('{"resourceType":"Patient","__proto__":{"polluted":true}}'),
  { resourceType: 'Patient', constructor: { prototype: { polluted: true } } },
  { resourceType: ['Patient'] },
  { resourceType: 'Patient', name: [{ given: [[['deep']]] }] },
  { resourceType: 'Observation', status: 'final', code: { text: 'x' }, valueQuantity: { value: 'NaN' } },
  { resourceType: 'Observation', status: 'final', code: { text: 'x' }, component: [{ code: null }] },
  { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: { resourceType: 'Patient', gender: 'bogus' } }] },
  { resourceType: 'Patient', name: [deep(20)] },
  { resourceType: 'Patient', name: [deep(400)] },
];

describe('bad input', () => {
  it('never answers 500 to a strange body, on create, update, patch or $validate, and writes nothing', async () => {
    const before = (await t.http.get('/fhir/_history?_count=1000')).body.entry?.length ?? 0;
    for (const body of bodies) {
      const text = JSON.stringify(body);
      const type = typeof (body as { resourceType?: unknown }).resourceType === 'string' ? (body as { resourceType: string }).resourceType : 'Patient';
      const results = [
        await t.http.post(`/fhir/${type}`).set('Content-Type', FHIR_JSON).send(text),
        await t.http.put(`/fhir/${type}/bad1`).set('Content-Type', FHIR_JSON).send(text),
        await t.http.post(`/fhir/${type}/$validate`).set('Content-Type', FHIR_JSON).send(text),
        await t.http.patch(`/fhir/${type}/bad1`).set('Content-Type', FHIR_JSON).send(text),
        await t.http.patch(`/fhir/${type}/bad1`).set('Content-Type', 'application/json-patch+json').send(text),
      ];
      for (const res of results) {
        expect(res.status, `${text.slice(0, 120)} -> ${res.text.slice(0, 300)}`).toBeLessThan(500);
        if (res.status >= 400) expect(res.body.resourceType).toBe('OperationOutcome');
      }
    }
    const after = (await t.http.get('/fhir/_history?_count=1000')).body.entry?.length ?? 0;
    // only bodies that are valid may have been written; none of these is
    expect(after).toBe(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('never answers 500 to strange URLs, headers or queries', async () => {
    const created = await t.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient', identifier: [{ value: 'q' }] });
    const id = created.body.id;
    const requests = [
      t.http.get('/fhir/Patient/%E0%A4%A'),
      t.http.get('/fhir/%00/%00'),
      t.http.get(`/fhir/Patient/${id}/_history/99999999999999999999`),
      t.http.get('/fhir/Patient?identifier=%5C'),
      t.http.get('/fhir/Patient?identifier=a%7Cb%7Cc'),
      t.http.get('/fhir/Patient?_id=' + 'x'.repeat(5000)),
      t.http.get('/fhir/Patient?_count=99999999999999999999'),
      t.http.get('/fhir/Patient?_cursor=' + 'z'.repeat(70)),
      t.http.get('/fhir/_history?_since=2024-01-01T10:00:00'),
      t.http.get('/fhir/_history?_at=9999999'),
      t.http.get(`/fhir/Patient/${id}`).set('If-None-Match', 'garbage'),
      t.http.get(`/fhir/Patient/${id}`).set('If-Modified-Since', 'not a date'),
      t.http.put(`/fhir/Patient/${id}`).set('Content-Type', FHIR_JSON).set('If-Match', 'W/"99999999999"').send({ resourceType: 'Patient', id }),
      t.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).set('If-None-Exist', '%%%').send({ resourceType: 'Patient' }),
      t.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).set('Prefer', 'return=whatever; handling=strict').send({ resourceType: 'Patient' }),
      t.http.delete('/fhir/Patient?_id=' + id + '&identifier='),
      t.http.post('/fhir/Patient').set('Content-Type', 'application/fhir+json; charset=latin-7').send('{}'),
    ];
    for (const res of await Promise.all(requests)) {
      expect(res.status, `${(res as any).req.method} ${(res as any).req.path} -> ${res.text.slice(0, 300)}`).toBeLessThan(500);
      if (res.status >= 400) expect(res.body.resourceType).toBe('OperationOutcome');
    }
  });
});
