// The terminology operations over a CodeSystem, ValueSet and ConceptMap POSTed at runtime (so the
// expected answers are written here), and over shipped content: the FHIR core and the curated systems.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FHIR_JSON, testServer, type TestServer } from './harness.js';

let t: TestServer;
const SYSTEM = 'https://example.org/fhir/CodeSystem/shapes';
const VS = 'https://example.org/fhir/ValueSet/round-shapes';

// shape > round > circle, ellipse (ellipse also under stretched); shape > polygon > square, triangle; oval inactive
const shapes = {
  resourceType: 'CodeSystem',
  url: SYSTEM,
  version: '2',
  name: 'Shapes',
  status: 'active',
  content: 'complete',
  hierarchyMeaning: 'is-a',
  property: [
    { code: 'parent', uri: 'http://hl7.org/fhir/concept-properties#parent', type: 'code' },
    { code: 'inactive', uri: 'http://hl7.org/fhir/concept-properties#inactive', type: 'boolean' },
    { code: 'sides', type: 'integer' },
  ],
  concept: [
    { code: 'shape', display: 'Shape' },
    { code: 'round', display: 'Round shape', property: [{ code: 'parent', valueCode: 'shape' }] },
    { code: 'stretched', display: 'Stretched shape', property: [{ code: 'parent', valueCode: 'shape' }] },
    { code: 'circle', display: 'Circle', designation: [{ language: 'fr', value: 'Cercle' }], property: [{ code: 'parent', valueCode: 'round' }, { code: 'sides', valueInteger: 0 }] },
    { code: 'ellipse', display: 'Ellipse', property: [{ code: 'parent', valueCode: 'round' }, { code: 'parent', valueCode: 'stretched' }] },
    { code: 'oval', display: 'Oval (old)', property: [{ code: 'parent', valueCode: 'round' }, { code: 'inactive', valueBoolean: true }] },
    { code: 'polygon', display: 'Polygon', property: [{ code: 'parent', valueCode: 'shape' }] },
    { code: 'square', display: 'Square', property: [{ code: 'parent', valueCode: 'polygon' }, { code: 'sides', valueInteger: 4 }] },
    { code: 'triangle', display: 'Triangle', property: [{ code: 'parent', valueCode: 'polygon' }, { code: 'sides', valueInteger: 3 }] },
  ],
};

const roundShapes = {
  resourceType: 'ValueSet',
  url: VS,
  name: 'RoundShapes',
  status: 'active',
  compose: {
    include: [
      { system: SYSTEM, filter: [{ property: 'concept', op: 'is-a', value: 'round' }] },
      { system: SYSTEM, concept: [{ code: 'square' }] },
    ],
    exclude: [{ system: SYSTEM, concept: [{ code: 'ellipse' }] }],
  },
};

let vsId: string;
let csId: string;

beforeAll(async () => {
  t = await testServer();
  csId = (await t.http.post('/fhir/CodeSystem').set('Content-Type', FHIR_JSON).send(shapes).expect(201)).body.id;
  vsId = (await t.http.post('/fhir/ValueSet').set('Content-Type', FHIR_JSON).send(roundShapes).expect(201)).body.id;
});
afterAll(() => t?.close());

const param = (body: any, name: string) => body.parameter?.find((p: any) => p.name === name);
const value = (body: any, name: string) => {
  const p = param(body, name);
  return p && Object.entries(p).find(([k]) => k.startsWith('value'))?.[1];
};
const codes = (vs: any) => vs.expansion.contains.map((c: any) => c.code);
const post = (path: string, parameter: unknown[]) => t.http.post(path).set('Content-Type', FHIR_JSON).send({ resourceType: 'Parameters', parameter });

describe('ValueSet/$expand', () => {
  it('expands include, is-a filter and exclude (type level by url, GET)', async () => {
    const res = await t.http.get(`/fhir/ValueSet/$expand?url=${encodeURIComponent(VS)}`).expect(200);
    expect(res.body.resourceType).toBe('ValueSet');
    expect(res.body.expansion.total).toBe(4);
    expect(codes(res.body).sort()).toEqual(['circle', 'oval', 'round', 'square']);
    expect(res.body.expansion.contains.find((c: any) => c.code === 'oval').inactive).toBe(true);
    expect(res.body.compose).toBeUndefined();
    expect(res.body.expansion.identifier).toMatch(/^urn:uuid:/);
  });

  it('pages with count and offset, filters text, drops inactive codes with activeOnly (instance level)', async () => {
    const all = codes((await t.http.get(`/fhir/ValueSet/${vsId}/$expand`).expect(200)).body);
    const first = (await t.http.get(`/fhir/ValueSet/${vsId}/$expand?count=2`).expect(200)).body;
    const second = (await t.http.get(`/fhir/ValueSet/${vsId}/$expand?count=2&offset=2`).expect(200)).body;
    expect(first.expansion.total).toBe(4);
    expect(first.expansion.offset).toBe(0);
    expect(second.expansion.offset).toBe(2);
    expect([...codes(first), ...codes(second)]).toEqual(all);
    expect(codes((await t.http.get(`/fhir/ValueSet/${vsId}/$expand?filter=circ`).expect(200)).body)).toEqual(['circle']);
    expect(codes((await t.http.get(`/fhir/ValueSet/${vsId}/$expand?filter=cerc`).expect(200)).body)).toEqual(['circle']); // a designation
    const designated = (await t.http.get(`/fhir/ValueSet/${vsId}/$expand?filter=circ&includeDesignations=true`).expect(200)).body;
    expect(designated.expansion.contains[0].designation).toEqual([{ language: 'fr', value: 'Cercle' }]);
    expect((await t.http.get(`/fhir/ValueSet/${vsId}/$expand?filter=circ`).expect(200)).body.expansion.contains[0].designation).toBeUndefined();
    expect(codes((await t.http.get(`/fhir/ValueSet/${vsId}/$expand?filter=SHAPE%20ro`).expect(200)).body)).toEqual(['round']);
    expect(codes((await t.http.get(`/fhir/ValueSet/${vsId}/$expand?filter=ircle`).expect(200)).body)).toEqual([]); // word starts only
    const active = (await t.http.get(`/fhir/ValueSet/${vsId}/$expand?activeOnly=true`).expect(200)).body;
    expect(codes(active).sort()).toEqual(['circle', 'round', 'square']);
    expect(active.expansion.parameter).toContainEqual({ name: 'activeOnly', valueBoolean: true });
  });

  it('takes a POSTed Parameters body, with an inline ValueSet and every filter operator', async () => {
    const expand = async (filter: unknown) =>
      codes((await post('/fhir/ValueSet/$expand', [{ name: 'valueSet', resource: { resourceType: 'ValueSet', status: 'active', compose: { include: [{ system: SYSTEM, filter: [filter] }] } } }]).expect(200)).body).sort();
    expect(await expand({ property: 'concept', op: 'descendent-of', value: 'round' })).toEqual(['circle', 'ellipse', 'oval']);
    expect(await expand({ property: 'concept', op: 'is-a', value: 'stretched' })).toEqual(['ellipse', 'stretched']);
    expect(await expand({ property: 'concept', op: 'is-not-a', value: 'round' })).toEqual(['polygon', 'shape', 'square', 'stretched', 'triangle']);
    expect(await expand({ property: 'concept', op: 'generalizes', value: 'ellipse' })).toEqual(['ellipse', 'round', 'shape', 'stretched']);
    expect(await expand({ property: 'code', op: 'regex', value: '[ct].*' })).toEqual(['circle', 'triangle']);
    expect(await expand({ property: 'sides', op: '=', value: '4' })).toEqual(['square']);
    expect(await expand({ property: 'sides', op: 'exists', value: 'true' })).toEqual(['circle', 'square', 'triangle']);
    expect(await expand({ property: 'concept', op: 'in', value: 'square,circle' })).toEqual(['circle', 'square']);
  });

  it('refuses what it cannot do with an OperationOutcome', async () => {
    const bad = async (res: any, status: number, text: RegExp) => {
      expect(res.status).toBe(status);
      expect(res.body.resourceType).toBe('OperationOutcome');
      expect(res.body.issue[0].diagnostics).toMatch(text);
    };
    await bad(await t.http.get('/fhir/ValueSet/$expand'), 400, /needs a ValueSet/);
    await bad(await t.http.get('/fhir/ValueSet/$expand?url=https://nowhere.example/vs'), 404, /not known/);
    await bad(await t.http.get('/fhir/ValueSet/nope/$expand'), 404, /not known|not found/i);
    await bad(await t.http.get(`/fhir/ValueSet/${vsId}/$expand?count=-1`), 400, /count/);
    await bad(await t.http.get(`/fhir/ValueSet/${vsId}/$expand?count=5000`), 400, /count/);
    await bad(await t.http.get(`/fhir/ValueSet/${vsId}/$expand?activeOnly=yes`), 400, /true or false/);
    await bad(await post('/fhir/ValueSet/$expand', [{ name: 'valueSet', resource: { resourceType: 'ValueSet', status: 'active', compose: { include: [{ system: 'https://nowhere.example/cs' }] } } }]), 422, /not known/);
    await bad(await post('/fhir/ValueSet/$expand', [{ name: 'valueSet', resource: { resourceType: 'ValueSet', status: 'active', compose: { include: [{ system: SYSTEM, filter: [{ property: 'code', op: 'regex', value: '(' }] }] } } }]), 400, /regular expression/);
    await bad(await post('/fhir/ValueSet/$expand', [{ name: 'valueSet', resource: { resourceType: 'ValueSet', status: 'active', compose: { include: [{ system: SYSTEM, filter: [{ property: 'concept', op: 'is-a', value: 'hexagon' }] }] } } }]), 422, /hexagon/);
    await bad(await post('/fhir/ValueSet/$expand', [{ name: 'valueSet', valueString: 'x' }]), 400, /ValueSet resource/);
    await bad(await post('/fhir/ValueSet/$expand', [{ name: 'valueSet', resource: { resourceType: 'ValueSet', status: 'active', compose: { include: [{ system: SYSTEM, filter: [{ property: 'code', op: 'regex', value: '(a+)+b' }] }] } } }]), 400, /repeat a group/);
    await bad(await t.http.post('/fhir/ValueSet/$expand').set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient' }), 400, /Parameters/);
  });

  it('refuses a CodeSystem whose codes repeat (csd-1), nested ones too', async () => {
    const res = await t.http.post('/fhir/CodeSystem').set('Content-Type', FHIR_JSON).send({ ...shapes, url: 'https://example.org/dup', concept: [{ code: 'a', concept: [{ code: 'b' }] }, { code: 'b' }] });
    expect(res.status).toBe(400);
    expect(res.body.issue[0]).toMatchObject({ severity: 'error', code: 'invariant', expression: ['CodeSystem.concept'] });
    expect(res.body.issue[0].diagnostics).toMatch(/csd-1.*"b"/);
  });

  it('expands a FHIR core ValueSet', async () => {
    const res = await t.http.get('/fhir/ValueSet/$expand?url=http://hl7.org/fhir/ValueSet/administrative-gender').expect(200);
    expect(codes(res.body).sort()).toEqual(['female', 'male', 'other', 'unknown']);
  });
});

describe('$validate-code', () => {
  it('checks membership and display in a ValueSet (GET and POST, type and instance)', async () => {
    const ok = (await t.http.get(`/fhir/ValueSet/$validate-code?url=${encodeURIComponent(VS)}&system=${encodeURIComponent(SYSTEM)}&code=circle&display=Circle`).expect(200)).body;
    expect(value(ok, 'result')).toBe(true);
    expect(value(ok, 'display')).toBe('Circle');
    const notIn = (await t.http.get(`/fhir/ValueSet/${vsId}/$validate-code?system=${encodeURIComponent(SYSTEM)}&code=triangle`).expect(200)).body;
    expect(value(notIn, 'result')).toBe(false);
    expect(value(notIn, 'message')).toMatch(/not in the value set/);
    const unknown = (await t.http.get(`/fhir/ValueSet/${vsId}/$validate-code?system=${encodeURIComponent(SYSTEM)}&code=hexagon`).expect(200)).body;
    expect(value(unknown, 'message')).toMatch(/not a code of/);
    const wrongDisplay = (await post(`/fhir/ValueSet/${vsId}/$validate-code`, [{ name: 'coding', valueCoding: { system: SYSTEM, code: 'circle', display: 'Round thing' } }]).expect(200)).body;
    expect(value(wrongDisplay, 'result')).toBe(false);
    expect(value(wrongDisplay, 'message')).toMatch(/display "Round thing".*should be "Circle"/);
    expect(value(wrongDisplay, 'display')).toBe('Circle');
    const designation = (await post(`/fhir/ValueSet/${vsId}/$validate-code`, [{ name: 'coding', valueCoding: { system: SYSTEM, code: 'circle', display: 'cercle' } }]).expect(200)).body;
    expect(value(designation, 'result')).toBe(true);
    const concept = (await post('/fhir/ValueSet/$validate-code', [
      { name: 'url', valueUri: VS },
      { name: 'codeableConcept', valueCodeableConcept: { coding: [{ system: 'http://other.example', code: 'x' }, { system: SYSTEM, code: 'square' }] } },
    ]).expect(200)).body;
    expect(value(concept, 'result')).toBe(true);
    const inactive = (await t.http.get(`/fhir/ValueSet/${vsId}/$validate-code?system=${encodeURIComponent(SYSTEM)}&code=oval&activeOnly=true`).expect(200)).body;
    expect(value(inactive, 'result')).toBe(false);
    expect(value(inactive, 'message')).toMatch(/inactive/);
  });

  it('checks a code of a CodeSystem', async () => {
    const ok = (await t.http.get(`/fhir/CodeSystem/$validate-code?url=${encodeURIComponent(SYSTEM)}&code=triangle`).expect(200)).body;
    expect(value(ok, 'result')).toBe(true);
    expect(value(ok, 'display')).toBe('Triangle');
    const bad = (await t.http.get(`/fhir/CodeSystem/${csId}/$validate-code?code=triangle&display=Square`).expect(200)).body;
    expect(value(bad, 'result')).toBe(false);
    expect(value(bad, 'message')).toMatch(/should be "Triangle"/);
    const missing = (await post(`/fhir/CodeSystem/${csId}/$validate-code`, [{ name: 'code', valueCode: 'hexagon' }]).expect(200)).body;
    expect(value(missing, 'result')).toBe(false);
    const core = (await t.http.get('/fhir/CodeSystem/$validate-code?url=http://hl7.org/fhir/administrative-gender&code=female').expect(200)).body;
    expect(value(core, 'result')).toBe(true);
  });

  it('refuses incomplete input', async () => {
    expect((await t.http.get(`/fhir/ValueSet/${vsId}/$validate-code`)).status).toBe(400);
    expect((await t.http.get(`/fhir/ValueSet/${vsId}/$validate-code?code=a&coding=${encodeURIComponent(SYSTEM)}|b`)).status).toBe(400);
    expect((await t.http.get('/fhir/CodeSystem/$validate-code?code=a')).status).toBe(400);
    expect((await t.http.get('/fhir/CodeSystem/$validate-code?url=https://nowhere.example&code=a')).status).toBe(404);
    expect((await t.http.get(`/fhir/ValueSet/${vsId}/$validate-code?codeableConcept=x`)).status).toBe(400);
  });
});

describe('CodeSystem/$lookup and $subsumes', () => {
  it('looks up display, designations, properties, parents and children', async () => {
    const res = (await t.http.get(`/fhir/CodeSystem/$lookup?system=${encodeURIComponent(SYSTEM)}&code=ellipse`).expect(200)).body;
    expect(value(res, 'name')).toBe('Shapes');
    expect(value(res, 'version')).toBe('2');
    expect(value(res, 'display')).toBe('Ellipse');
    const props = res.parameter.filter((p: any) => p.name === 'property').map((p: any) => [p.part[0].valueCode, Object.entries(p.part[1]).find(([k]) => k.startsWith('value'))![1]]);
    expect(props).toContainEqual(['parent', 'round']);
    expect(props).toContainEqual(['parent', 'stretched']);
    expect(props).toContainEqual(['inactive', false]);
    const circle = (await post('/fhir/CodeSystem/$lookup', [{ name: 'coding', valueCoding: { system: SYSTEM, code: 'circle' } }]).expect(200)).body;
    expect(param(circle, 'designation').part).toContainEqual({ name: 'value', valueString: 'Cercle' });
    const round = (await t.http.get(`/fhir/CodeSystem/$lookup?system=${encodeURIComponent(SYSTEM)}&code=round&property=child`).expect(200)).body;
    expect(round.parameter.filter((p: any) => p.name === 'property').map((p: any) => p.part[1].valueCode).sort()).toEqual(['circle', 'ellipse', 'oval']);
    const core = (await t.http.get('/fhir/CodeSystem/$lookup?system=http://terminology.hl7.org/CodeSystem/v3-ActCode&code=AMB').expect(200)).body;
    expect(value(core, 'display')).toBe('ambulatory');
  });

  it('answers 404 for unknown codes and systems, 400 for missing input', async () => {
    expect((await t.http.get(`/fhir/CodeSystem/$lookup?system=${encodeURIComponent(SYSTEM)}&code=hexagon`)).status).toBe(404);
    expect((await t.http.get('/fhir/CodeSystem/$lookup?system=https://nowhere.example&code=a')).status).toBe(404);
    expect((await t.http.get('/fhir/CodeSystem/$lookup?code=a')).status).toBe(400);
    expect((await t.http.get(`/fhir/CodeSystem/${csId}/$lookup?code=a`)).status).toBe(404); // $lookup is type-level only
  });

  it('tells how two codes relate', async () => {
    const outcome = async (a: string, b: string, path = '/fhir/CodeSystem/$subsumes', system = `&system=${encodeURIComponent(SYSTEM)}`) =>
      value((await t.http.get(`${path}?codeA=${a}&codeB=${b}${system}`).expect(200)).body, 'outcome');
    expect(await outcome('shape', 'circle')).toBe('subsumes');
    expect(await outcome('ellipse', 'stretched')).toBe('subsumed-by');
    expect(await outcome('square', 'square')).toBe('equivalent');
    expect(await outcome('circle', 'polygon')).toBe('not-subsumed');
    expect(await outcome('round', 'oval', `/fhir/CodeSystem/${csId}/$subsumes`, '')).toBe('subsumes');
    const coded = (await post('/fhir/CodeSystem/$subsumes', [{ name: 'codingA', valueCoding: { system: SYSTEM, code: 'polygon' } }, { name: 'codingB', valueCoding: { system: SYSTEM, code: 'triangle' } }]).expect(200)).body;
    expect(value(coded, 'outcome')).toBe('subsumes');
    expect((await t.http.get(`/fhir/CodeSystem/$subsumes?codeA=circle&codeB=hexagon&system=${encodeURIComponent(SYSTEM)}`)).status).toBe(400);
    expect((await t.http.get('/fhir/CodeSystem/$subsumes?codeA=circle&codeB=square')).status).toBe(400);
    expect((await post('/fhir/CodeSystem/$subsumes', [{ name: 'codingA', valueCoding: { system: SYSTEM, code: 'a' } }, { name: 'codingB', valueCoding: { system: 'http://x', code: 'b' } }])).status).toBe(400);
  });
});

describe('ConceptMap/$translate', () => {
  const MAP = 'https://example.org/fhir/ConceptMap/shapes-to-sides';
  let mapId: string;
  beforeAll(async () => {
    mapId = (await t.http.post('/fhir/ConceptMap').set('Content-Type', FHIR_JSON).send({
      resourceType: 'ConceptMap',
      url: MAP,
      status: 'active',
      group: [{ source: SYSTEM, target: 'https://example.org/sides', element: [
        { code: 'square', target: [{ code: '4', display: 'Four', equivalence: 'equivalent' }] },
        { code: 'polygon', target: [{ code: '3+', display: 'Three or more', equivalence: 'wider' }] },
        { code: 'circle', target: [{ equivalence: 'unmatched' }] },
      ] }],
    }).expect(201)).body.id;
  });

  it('translates forward and in reverse, by url, instance and across all maps', async () => {
    const res = (await t.http.get(`/fhir/ConceptMap/$translate?url=${encodeURIComponent(MAP)}&system=${encodeURIComponent(SYSTEM)}&code=square`).expect(200)).body;
    expect(value(res, 'result')).toBe(true);
    expect(param(res, 'match').part).toEqual([
      { name: 'equivalence', valueCode: 'equivalent' },
      { name: 'concept', valueCoding: { system: 'https://example.org/sides', code: '4', display: 'Four' } },
      { name: 'source', valueUri: MAP },
    ]);
    const instance = (await t.http.get(`/fhir/ConceptMap/${mapId}/$translate?system=${encodeURIComponent(SYSTEM)}&code=polygon`).expect(200)).body;
    expect(param(instance, 'match').part[0].valueCode).toBe('wider');
    const reverse = (await post('/fhir/ConceptMap/$translate', [{ name: 'coding', valueCoding: { system: 'https://example.org/sides', code: '3+' } }, { name: 'reverse', valueBoolean: true }]).expect(200)).body;
    expect(value(reverse, 'result')).toBe(true);
    expect(param(reverse, 'match').part[0].valueCode).toBe('narrower');
    expect(param(reverse, 'match').part[1].valueCoding.code).toBe('polygon');
    const unmatched = (await t.http.get(`/fhir/ConceptMap/$translate?system=${encodeURIComponent(SYSTEM)}&code=circle`).expect(200)).body;
    expect(value(unmatched, 'result')).toBe(false);
    expect(value(unmatched, 'message')).toMatch(/No mapping/);
    const none = (await t.http.get(`/fhir/ConceptMap/$translate?system=${encodeURIComponent(SYSTEM)}&code=triangle`).expect(200)).body;
    expect(value(none, 'result')).toBe(false);
    expect((await t.http.get('/fhir/ConceptMap/$translate?url=https://nowhere.example&code=a&system=b')).status).toBe(404);
    expect((await t.http.get('/fhir/ConceptMap/$translate?url=x')).status).toBe(400);
  });
});

describe('shipped content', () => {
  const SNOMED = 'http://snomed.info/sct';
  it('knows the SNOMED CT hierarchy of the concepts Meridian uses', async () => {
    const outcome = async (a: string, b: string) => value((await t.http.get(`/fhir/CodeSystem/$subsumes?system=${SNOMED}&codeA=${a}&codeB=${b}`).expect(200)).body, 'outcome');
    expect(await outcome('73211009', '44054006')).toBe('subsumes'); // diabetes mellitus > type 2
    expect(await outcome('44054006', '404684003')).toBe('subsumed-by'); // type 2 < clinical finding
    expect(await outcome('44054006', '38341003')).toBe('not-subsumed'); // hypertension
    const lookup = (await t.http.get(`/fhir/CodeSystem/$lookup?system=${SNOMED}&code=44054006&property=parent`).expect(200)).body;
    expect(value(lookup, 'display')).toBe('Diabetes mellitus type 2');
    expect(lookup.parameter.filter((p: any) => p.name === 'property').map((p: any) => p.part[1].valueCode)).toContain('73211009');
  });

  it('expands the conditions ValueSet with a text filter, and validates vital-sign codes with their displays', async () => {
    const found = (await t.http.get('/fhir/ValueSet/$expand?url=https://meridian.dev/fhir/ValueSet/conditions&filter=diabetes').expect(200)).body;
    expect(codes(found)).toEqual(expect.arrayContaining(['73211009', '44054006']));
    expect(found.expansion.contains.every((c: any) => /diabetes/i.test(c.display))).toBe(true);
    const ok = (await t.http.get('/fhir/ValueSet/$validate-code?url=https://meridian.dev/fhir/ValueSet/vital-signs&system=http://loinc.org&code=8480-6').expect(200)).body;
    expect(value(ok, 'result')).toBe(true);
    const wrong = (await t.http.get('/fhir/ValueSet/$validate-code?url=https://meridian.dev/fhir/ValueSet/vital-signs&system=http://loinc.org&code=8480-6&display=Heart%20rate').expect(200)).body;
    expect(value(wrong, 'result')).toBe(false);
    expect(value(wrong, 'message')).toMatch(/not a display of http:\/\/loinc.org\|8480-6/);
    const lab = (await t.http.get('/fhir/ValueSet/$validate-code?url=https://meridian.dev/fhir/ValueSet/vital-signs&system=http://loinc.org&code=4548-4').expect(200)).body;
    expect(value(lab, 'result')).toBe(false); // HbA1c is a lab test, not a vital sign
  });

  it('translates ICD-10-CM to SNOMED CT and back with the shipped maps', async () => {
    const forward = (await t.http.get('/fhir/ConceptMap/$translate?system=http://hl7.org/fhir/sid/icd-10-cm&code=E11.9&targetsystem=http://snomed.info/sct').expect(200)).body;
    expect(value(forward, 'result')).toBe(true);
    const concepts = forward.parameter.filter((p: any) => p.name === 'match').map((m: any) => m.part.find((x: any) => x.name === 'concept').valueCoding.code);
    expect(concepts).toContain('44054006');
    const back = (await t.http.get(`/fhir/ConceptMap/$translate?url=https://meridian.dev/fhir/ConceptMap/snomed-to-icd-10-cm&system=${SNOMED}&code=38341003`).expect(200)).body;
    expect(param(back, 'match').part.find((x: any) => x.name === 'concept').valueCoding.code).toBe('I10');
  });
});
