// history (instance, type, system; _since, _at, _count paging) and the first search-type.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FHIR_JSON, testServer, type TestServer } from './harness.js';

let t: TestServer;
beforeAll(async () => {
  t = await testServer();
});
afterAll(() => t?.close());

const post = (type: string, body: Record<string, unknown>) => t.http.post(`/fhir/${type}`).set('Content-Type', FHIR_JSON).send({ resourceType: type, ...body });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Follows next links and returns every entry. */
async function allPages(url: string) {
  const entries: any[] = [];
  let next: string | undefined = url;
  let pages = 0;
  while (next) {
    const res = await t.http.get(next.replace('http://localhost', ''));
    expect(res.status).toBe(200);
    entries.push(...(res.body.entry ?? []));
    next = res.body.link.find((l: any) => l.relation === 'next')?.url;
    if (++pages > 100) throw new Error('too many pages');
  }
  return { entries, pages };
}

describe('history', () => {
  it('instance history lists every version newest first, with request and response', async () => {
    const created = await post('Practitioner', { name: [{ family: 'Hale' }] });
    const id = created.body.id;
    await t.http.put(`/fhir/Practitioner/${id}`).set('Content-Type', FHIR_JSON).send({ ...created.body, active: true });
    await t.http.patch(`/fhir/Practitioner/${id}`).set('Content-Type', 'application/json-patch+json').send([{ op: 'add', path: '/gender', value: 'male' }]);
    await t.http.delete(`/fhir/Practitioner/${id}`);
    const res = await t.http.get(`/fhir/Practitioner/${id}/_history`);
    expect(res.status).toBe(200);
    expect(res.body.resourceType).toBe('Bundle');
    expect(res.body.type).toBe('history');
    const e = res.body.entry;
    expect(e.map((x: any) => x.request.method)).toEqual(['DELETE', 'PATCH', 'PUT', 'POST']);
    expect(e.map((x: any) => x.response.etag)).toEqual(['W/"4"', 'W/"3"', 'W/"2"', 'W/"1"']);
    expect(e.map((x: any) => x.response.status)).toEqual(['204', '200', '200', '201']);
    expect(e[3].request.url).toBe('Practitioner');
    expect(e[1].request.url).toBe(`Practitioner/${id}`);
    expect(e[1].fullUrl).toBe(`http://localhost/fhir/Practitioner/${id}`);
    expect(e[1].resource.gender).toBe('male');
    expect(e[0].resource).toBeUndefined();
    expect((await t.http.get('/fhir/Practitioner/never/_history')).status).toBe(404);
  });

  it('type and system history, with _since', async () => {
    const before = await post('Location', { name: 'old' });
    await sleep(20);
    const since = new Date().toISOString();
    await sleep(20);
    const a = await post('Location', { name: 'a' });
    const b = await post('Organization', { name: 'b' });
    const type = await t.http.get(`/fhir/Location/_history?_since=${since}`);
    expect(type.body.entry.map((x: any) => x.resource.id)).toEqual([a.body.id]);
    const system = await t.http.get(`/fhir/_history?_since=${encodeURIComponent(since)}`);
    expect(system.body.entry.map((x: any) => x.resource.id)).toEqual([b.body.id, a.body.id]);
    const all = await t.http.get('/fhir/Location/_history');
    expect(all.body.entry.map((x: any) => x.resource.id)).toContain(before.body.id);
  });

  it('_at gives the versions current during the given time', async () => {
    const created = await post('Device', { distinctIdentifier: 'v1' });
    const id = created.body.id;
    await sleep(30);
    const duringV1 = new Date().toISOString();
    await sleep(30);
    await t.http.put(`/fhir/Device/${id}`).set('Content-Type', FHIR_JSON).send({ ...created.body, distinctIdentifier: 'v2' });
    await sleep(30);
    const duringV2 = new Date().toISOString();
    const atV1 = await t.http.get(`/fhir/Device/${id}/_history?_at=${encodeURIComponent(duringV1)}`);
    expect(atV1.body.entry.map((x: any) => x.resource.distinctIdentifier)).toEqual(['v1']);
    const atV2 = await t.http.get(`/fhir/Device/${id}/_history?_at=${encodeURIComponent(duringV2)}`);
    expect(atV2.body.entry.map((x: any) => x.resource.distinctIdentifier)).toEqual(['v2']);
    const year = new Date().getUTCFullYear();
    const atYear = await t.http.get(`/fhir/Device/${id}/_history?_at=${year}`);
    expect(atYear.body.entry).toHaveLength(2);
    const past = await t.http.get(`/fhir/Device/${id}/_history?_at=2001`);
    expect(past.body.entry ?? []).toHaveLength(0);
  });

  it('_count pages with next links that neither skip nor repeat while new versions are written', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await post('Substance', { code: { text: `s${i}` } })).body.id);
    const first = await t.http.get('/fhir/Substance/_history?_count=3');
    expect(first.body.entry).toHaveLength(3);
    expect(first.body.link.find((l: any) => l.relation === 'self').url).toBe('http://localhost/fhir/Substance/_history?_count=3');
    await post('Substance', { code: { text: 'written while paging' } });
    const next = first.body.link.find((l: any) => l.relation === 'next').url;
    const rest = await allPages(next);
    const seen = [...first.body.entry, ...rest.entries].map((e: any) => e.resource.id);
    expect(seen).toEqual([...ids].reverse());
    expect(rest.pages).toBe(2);
  });
});

describe('search-type basics', () => {
  it('finds by token and _id, ANDs repeated parameters, ORs commas', async () => {
    const a = await post('MedicationRequest', { status: 'active', intent: 'order', subject: { reference: 'Patient/x' }, medicationCodeableConcept: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '197361' }] } });
    const b = await post('MedicationRequest', { status: 'stopped', intent: 'order', subject: { reference: 'Patient/x' }, medicationCodeableConcept: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '860975' }] } });
    const ids = async (q: string) => {
      const res = await t.http.get(`/fhir/MedicationRequest?${q}`);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.type).toBe('searchset');
      return res.body.entry?.map((e: any) => e.resource.id).sort() ?? [];
    };
    expect(await ids('status=active')).toEqual([a.body.id]);
    expect(await ids('status=active,stopped')).toEqual([a.body.id, b.body.id].sort());
    expect(await ids('code=http://www.nlm.nih.gov/research/umls/rxnorm|860975')).toEqual([b.body.id]);
    expect(await ids('status=active&code=860975')).toEqual([]);
    expect(await ids(`_id=${a.body.id}`)).toEqual([a.body.id]);
    expect(await ids('')).toEqual([a.body.id, b.body.id].sort());
    await t.http.delete(`/fhir/MedicationRequest/${a.body.id}`);
    expect(await ids('status=active')).toEqual([]);
  });

  it('pages with _count and next links', async () => {
    for (let i = 0; i < 5; i++) await post('Flag', { status: 'active', code: { text: `f${i}` }, subject: { display: 'x' } });
    const { entries, pages } = await allPages('/fhir/Flag?_count=2');
    expect(entries).toHaveLength(5);
    expect(new Set(entries.map((e) => e.resource.id)).size).toBe(5);
    expect(pages).toBe(3);
    expect(entries[0].search.mode).toBe('match');
  });

  it('400 for bad values and modifiers; unknown parameters are a warning, or 400 when strict', async () => {
    for (const q of ['status:bogus=active', '_count=x', 'authoredon=notadate', '_sort=nonsense', 'code:in=http://x']) {
      const res = await t.http.get(`/fhir/MedicationRequest?${q}`);
      expect(res.status, q).toBe(400);
      expect(res.body.resourceType).toBe('OperationOutcome');
    }
    const lenient = await t.http.get('/fhir/MedicationRequest?bogus=1');
    expect(lenient.status).toBe(200);
    const warning = lenient.body.entry.find((e: any) => e.search.mode === 'outcome');
    expect(warning.resource.issue[0].severity).toBe('warning');
    expect(warning.resource.issue[0].diagnostics).toMatch(/bogus/);
    const strict = await t.http.get('/fhir/MedicationRequest?bogus=1').set('Prefer', 'handling=strict');
    expect(strict.status).toBe(400);
  });
});
