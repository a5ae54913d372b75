// The terminology modifiers on token search parameters: :below and :above (subsumption in a code
// system's hierarchy, the code itself included), :in and :not-in (a ValueSet's codes). A CodeSystem
// and ValueSets POSTed here (found through the database at search time) give exact expectations;
// the shipped SNOMED CT and vital-signs content is searched too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FHIR_JSON, testServer, type TestServer } from './harness.js';

let t: TestServer;
const ANIMALS = 'http://example.org/fhir/CodeSystem/animals';
const PETS = 'http://example.org/fhir/ValueSet/pets';
const MAMMALS = 'http://example.org/fhir/ValueSet/mammals';
const EMPTY = 'http://example.org/fhir/ValueSet/empty';
const UNICORNS = 'http://example.org/fhir/ValueSet/unicorns';
const SCT = 'http://snomed.info/sct';
let petsId: string;

const animal = (code: string) => ({ system: ANIMALS, code });
function observation(id: string, codings: { system: string; code: string }[], subject = 'Patient/pt-a') {
  return { resourceType: 'Observation', id, status: 'final', code: codings.length ? { coding: codings } : { text: 'not coded' }, subject: { reference: subject } };
}

beforeAll(async () => {
  t = await testServer();
  const post = async (r: Record<string, unknown>) => {
    const res = await t.http.post(`/fhir/${r.resourceType}`).set('Content-Type', FHIR_JSON).send(r);
    if (res.status !== 201) throw new Error(`${r.resourceType}: ${JSON.stringify(res.body)}`);
    return res.body.id as string;
  };
  const put = async (r: Record<string, unknown>) => {
    const res = await t.http.put(`/fhir/${r.resourceType}/${r.id}`).set('Content-Type', FHIR_JSON).send(r);
    if (res.status !== 201) throw new Error(`${r.resourceType}/${r.id}: ${JSON.stringify(res.body)}`);
  };
  // animal > mammal > dog, cat; animal > bird > parrot; plant (no parent)
  await post({
    resourceType: 'CodeSystem',
    url: ANIMALS,
    status: 'active',
    content: 'complete',
    hierarchyMeaning: 'is-a',
    concept: [
      {
        code: 'animal',
        display: 'Animal',
        concept: [
          { code: 'mammal', display: 'Mammal', concept: [{ code: 'dog', display: 'Dog' }, { code: 'cat', display: 'Cat' }] },
          { code: 'bird', display: 'Bird', concept: [{ code: 'parrot', display: 'Parrot' }] },
        ],
      },
      { code: 'plant', display: 'Plant' },
    ],
  });
  petsId = await post({ resourceType: 'ValueSet', url: PETS, status: 'active', compose: { include: [{ system: ANIMALS, concept: [{ code: 'dog' }, { code: 'parrot' }] }] } });
  await post({ resourceType: 'ValueSet', url: MAMMALS, status: 'active', compose: { include: [{ system: ANIMALS, filter: [{ property: 'concept', op: 'is-a', value: 'mammal' }] }] } });
  await post({ resourceType: 'ValueSet', url: EMPTY, status: 'active', compose: { include: [{ system: ANIMALS, concept: [{ code: 'dog' }] }], exclude: [{ system: ANIMALS, concept: [{ code: 'dog' }] }] } });
  await post({ resourceType: 'ValueSet', url: UNICORNS, status: 'active', compose: { include: [{ system: ANIMALS, concept: [{ code: 'unicorn' }] }] } });
  for (const id of ['pt-a', 'pt-b', 'pt-c']) await put({ resourceType: 'Patient', id });
  await put(observation('o-animal', [animal('animal')]));
  await put(observation('o-mammal', [animal('mammal')]));
  await put(observation('o-dog', [animal('dog')]));
  await put(observation('o-cat', [animal('cat')], 'Patient/pt-b'));
  await put(observation('o-parrot', [animal('parrot')], 'Patient/pt-b'));
  await put(observation('o-plant', [animal('plant')]));
  // several codings: one in an unknown system, one a cat
  await put(observation('o-two', [{ system: 'http://example.org/other', code: 'x' }, animal('cat')]));
  await put(observation('o-other', [{ system: 'http://example.org/other', code: 'x' }]));
  await put(observation('o-none', []));
  await put(observation('o-hr', [{ system: 'http://loinc.org', code: '8867-4' }]));
  await put({ resourceType: 'DiagnosticReport', id: 'dr-1', status: 'final', code: { text: 'report' }, result: [{ reference: 'Observation/o-dog' }] });
  await put({ resourceType: 'DiagnosticReport', id: 'dr-2', status: 'final', code: { text: 'report' }, result: [{ reference: 'Observation/o-plant' }] });
  const conditions: [string, string][] = [
    ['c-dm', '73211009'],
    ['c-dm1', '46635009'],
    ['c-dm2', '44054006'],
    ['c-htn', '38341003'],
  ];
  for (const [id, code] of conditions) await put({ resourceType: 'Condition', id, subject: { reference: 'Patient/pt-c' }, code: { coding: [{ system: SCT, code }] } });
});
afterAll(() => t?.close());

async function search(path: string, headers: Record<string, string> = {}) {
  const res = await t.http.get(`/fhir/${path}`).set(headers);
  expect(res.status, `${path}: ${JSON.stringify(res.body).slice(0, 400)}`).toBe(200);
  return res.body;
}
const matchIds = (b: any): string[] => (b.entry ?? []).filter((e: any) => e.search.mode === 'match').map((e: any) => e.resource.id).sort();
const ids = async (path: string) => matchIds(await search(path));
const observations = (q: string) => ids(`Observation?${q}`);
const enc = encodeURIComponent;

async function fails(path: string, expected: RegExp, status = 400) {
  const res = await t.http.get(`/fhir/${path}`);
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.resourceType).toBe('OperationOutcome');
  expect(res.body.issue[0].diagnostics ?? res.body.issue[0].details?.text).toMatch(expected);
}

describe(':below and :above', () => {
  it(':below is the code and its descendants, not its siblings', async () => {
    expect(await observations(`code:below=${ANIMALS}|mammal`)).toEqual(['o-cat', 'o-dog', 'o-mammal', 'o-two']);
    expect(await observations(`code:below=${ANIMALS}|dog`)).toEqual(['o-dog']);
    expect(await observations(`code:below=${ANIMALS}|animal`)).toEqual(['o-animal', 'o-cat', 'o-dog', 'o-mammal', 'o-parrot', 'o-two']);
  });

  it(':above is the code and its ancestors', async () => {
    expect(await observations(`code:above=${ANIMALS}|dog`)).toEqual(['o-animal', 'o-dog', 'o-mammal']);
    expect(await observations(`code:above=${ANIMALS}|plant`)).toEqual(['o-plant']);
  });

  it('OR by commas, AND with other criteria', async () => {
    expect(await observations(`code:below=${ANIMALS}|bird,${ANIMALS}|dog`)).toEqual(['o-dog', 'o-parrot']);
    expect(await observations(`code:below=${ANIMALS}|mammal&subject=Patient/pt-b`)).toEqual(['o-cat']);
    expect(await observations(`code:below=${ANIMALS}|mammal&code:not-in=${PETS}`)).toEqual(['o-cat', 'o-mammal', 'o-two']);
  });

  it('on the shipped SNOMED CT content: 73211009 Diabetes mellitus and its types, not hypertension', async () => {
    expect(await ids(`Condition?code:below=${SCT}|73211009`)).toEqual(['c-dm', 'c-dm1', 'c-dm2']);
    expect(await ids(`Condition?code:above=${SCT}|44054006`)).toEqual(['c-dm', 'c-dm2']);
    expect(await ids(`Condition?code:not-in=${enc('https://meridian.dev/fhir/ValueSet/vital-signs')}`)).toEqual(['c-dm', 'c-dm1', 'c-dm2', 'c-htn']);
  });
});

describe(':in and :not-in', () => {
  it(':in a ValueSet of listed codes, by URL and by reference', async () => {
    expect(await observations(`code:in=${PETS}`)).toEqual(['o-dog', 'o-parrot']);
    expect(await observations(`code:in=ValueSet/${petsId}`)).toEqual(['o-dog', 'o-parrot']);
    expect(await observations(`code:in=${enc(`http://localhost/fhir/ValueSet/${petsId}`)}`)).toEqual(['o-dog', 'o-parrot']);
  });

  it(':in a ValueSet defined by a filter; a CodeableConcept matches when any coding is in it', async () => {
    expect(await observations(`code:in=${MAMMALS}`)).toEqual(['o-cat', 'o-dog', 'o-mammal', 'o-two']);
    expect(await observations(`code:in=${MAMMALS},${PETS}`)).toEqual(['o-cat', 'o-dog', 'o-mammal', 'o-parrot', 'o-two']);
    expect(await observations(`code:in=${EMPTY}`)).toEqual([]);
  });

  it(':in a shipped ValueSet', async () => {
    expect(await observations(`code:in=${enc('https://meridian.dev/fhir/ValueSet/vital-signs')}`)).toEqual(['o-hr']);
  });

  it(':not-in: no coding in the set, resources without a code included', async () => {
    expect(await observations(`code:not-in=${PETS}`)).toEqual(['o-animal', 'o-cat', 'o-hr', 'o-mammal', 'o-none', 'o-other', 'o-plant', 'o-two']);
    // o-two has a cat, so it is not "not in" mammals although its other coding is
    expect(await observations(`code:not-in=${MAMMALS}`)).toEqual(['o-animal', 'o-hr', 'o-none', 'o-other', 'o-parrot', 'o-plant']);
    expect((await observations(`code:not-in=${EMPTY}`)).length).toBe(10);
  });

  it('in _has and chains', async () => {
    expect(await ids(`Patient?_has:Observation:subject:code:in=${PETS}`)).toEqual(['pt-a', 'pt-b']);
    expect(await ids(`Patient?_has:Observation:subject:code:below=${ANIMALS}|bird`)).toEqual(['pt-b']);
    expect(await ids(`DiagnosticReport?result.code:in=${PETS}`)).toEqual(['dr-1']);
    expect(await ids(`DiagnosticReport?result:Observation.code:below=${ANIMALS}|animal`)).toEqual(['dr-1']);
  });

  it('POST _search and compartment search', async () => {
    const res = await t.http.post('/fhir/Observation/_search').type('form').send(`code:in=${enc(PETS)}`);
    expect(res.status).toBe(200);
    expect(matchIds(res.body)).toEqual(['o-dog', 'o-parrot']);
    expect(await ids(`Patient/pt-b/Observation?code:in=${PETS}`)).toEqual(['o-parrot']);
  });

  it('paging and _total', async () => {
    const q = `code:below=${ANIMALS}|animal&_total=accurate&_count=4`;
    const first = await search(`Observation?${q}`);
    expect(first.total).toBe(6);
    expect(first.entry).toHaveLength(4);
    const next = first.link.find((l: any) => l.relation === 'next').url as string;
    const second = await search(next.slice(next.indexOf('/fhir/') + 6));
    expect(second.total).toBe(6);
    expect([...matchIds(first), ...matchIds(second)].sort()).toEqual(['o-animal', 'o-cat', 'o-dog', 'o-mammal', 'o-parrot', 'o-two']);
    expect((await search(`Observation?code:not-in=${PETS}&_summary=count`)).total).toBe(8);
  });
});

describe('bad input', () => {
  it('is a 400 naming what is wrong', async () => {
    await fails('Observation?code:below=dog', /system\|code/);
    await fails(`Observation?code:below=${ANIMALS}|`, /system\|code/);
    await fails(`Observation?code:above=|dog`, /system\|code/);
    await fails('Observation?code:in=http://example.org/fhir/ValueSet/nothing', /ValueSet "http:\/\/example.org\/fhir\/ValueSet\/nothing" is not known/);
    await fails('Observation?code:in=ValueSet/nothing', /ValueSet "ValueSet\/nothing" is not known/);
    await fails(`Observation?code:below=${ANIMALS}|unicorn`, /unicorn/);
    await fails(`Observation?code:in=${UNICORNS}`, /unicorns.*"unicorn" is not in/);
    await fails('Observation?code:below=http://example.org/nothing|dog', /CodeSystem "http:\/\/example.org\/nothing"/);
    await fails(`Patient?_has:Observation:subject:code:in=${enc('http://example.org/none')}`, /not known/);
  });

  it('on parameters that are not tokens', async () => {
    await fails(`Observation?date:in=${PETS}`, /token/);
    await fails(`Observation?subject:in=${PETS}`, /token/);
    await fails(`Patient?name:below=${ANIMALS}|dog`, /token/);
    await fails(`Observation?code-value-quantity:in=${PETS}`, /token/);
  });

  it('under Prefer: handling=lenient, an unknown ValueSet is a warning and the parameter is ignored', async () => {
    const b = await search(`Observation?code:in=${enc('http://example.org/none')}&subject=Patient/pt-b`, { Prefer: 'handling=lenient' });
    expect(matchIds(b)).toEqual(['o-cat', 'o-parrot']);
    const warning = b.entry.find((e: any) => e.search.mode === 'outcome').resource;
    expect(warning.issue[0].severity).toBe('warning');
    expect(warning.issue[0].diagnostics).toMatch(/not known.*ignored/);
  });

  it('in Subscription criteria', async () => {
    const res = await t.http
      .post('/fhir/Subscription')
      .set('Content-Type', FHIR_JSON)
      .send({ resourceType: 'Subscription', status: 'requested', reason: 'r', criteria: `Observation?code:in=${PETS}`, channel: { type: 'rest-hook', endpoint: 'https://example.org/hook', payload: 'application/fhir+json' } });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toMatch(/not supported in Subscription criteria/);
  });
});

describe('conditional interactions', () => {
  it('If-None-Exist with :in finds the match, or creates', async () => {
    const found = await t.http.post('/fhir/Observation').set('Content-Type', FHIR_JSON).set('If-None-Exist', `code:in=${PETS}&subject=Patient/pt-a`).send(observation('x', [animal('dog')]));
    expect(found.status).toBe(200);
    expect(found.body.id).toBe('o-dog');
    const bad = await t.http.post('/fhir/Observation').set('Content-Type', FHIR_JSON).set('If-None-Exist', 'code:in=http://example.org/none').send(observation('x', [animal('dog')]));
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toMatch(/not known/);
  });

  it('in a transaction Bundle: ifNoneExist with :in and :below, a conditional reference with :below', async () => {
    const entry = (resource: Record<string, unknown>, ifNoneExist: string) => ({ resource, request: { method: 'POST', url: 'Observation', ifNoneExist } });
    const res = await t.http
      .post('/fhir')
      .set('Content-Type', FHIR_JSON)
      .send({
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          entry(observation('x', [animal('parrot')], 'Patient/pt-b'), `code:in=${PETS}&subject=Patient/pt-b`),
          entry(observation('x', [animal('dog')], 'Patient/pt-c'), `code:in=${PETS}&subject=Patient/pt-c`),
          entry(observation('x', [animal('cat')], 'Patient/pt-c'), `code:below=${ANIMALS}|mammal&subject=Patient/pt-c`),
          {
            resource: { resourceType: 'DiagnosticReport', status: 'final', code: { text: 'birds' }, result: [{ reference: `Observation?code:below=${ANIMALS}|bird` }] },
            request: { method: 'POST', url: 'DiagnosticReport' },
          },
        ],
      });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const statuses = res.body.entry.map((e: any) => e.response.status);
    expect(statuses[0]).toMatch(/^200/); // o-parrot matched
    expect(statuses[1]).toMatch(/^201/); // none of pt-c's is a pet
    // the dog created just before is below mammal, but the matches are looked up before the entries are written
    expect(statuses[2]).toMatch(/^201/);
    expect(statuses[3]).toMatch(/^201/);
    const report = await t.http.get(`/fhir/${res.body.entry[3].response.location.split('/_history')[0].replace(/^.*\/fhir\//, '')}`);
    expect(report.body.result[0].reference).toBe('Observation/o-parrot');
    expect(await ids(`Observation?code:in=${PETS}&subject=Patient/pt-c`)).toHaveLength(1);

    const failed = await t.http
      .post('/fhir')
      .set('Content-Type', FHIR_JSON)
      .send({ resourceType: 'Bundle', type: 'transaction', entry: [entry(observation('x', [animal('dog')], 'Patient/pt-c'), 'code:in=http://example.org/none')] });
    expect(failed.status).toBe(400);
    expect(JSON.stringify(failed.body)).toMatch(/not known/);
  });

  it('conditional update and delete with :below', async () => {
    const updated = await t.http
      .put(`/fhir/Observation?code:below=${enc(`${ANIMALS}|bird`)}&subject=Patient/pt-b`)
      .set('Content-Type', FHIR_JSON)
      .send({ ...observation('o-parrot', [animal('parrot')], 'Patient/pt-b'), status: 'amended' });
    expect(updated.status, JSON.stringify(updated.body)).toBe(200);
    expect(updated.body.status).toBe('amended');
    const deleted = await t.http.delete(`/fhir/Observation?code:above=${enc(`${ANIMALS}|plant`)}`);
    expect(deleted.status).toBeLessThan(300);
    expect(await observations(`code:below=${ANIMALS}|plant`)).toEqual([]);
  });
});
