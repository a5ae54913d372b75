// Search conformance: a fixed data set (search-fixture.ts) and hand-checked expected ids for every
// parameter type, modifier, prefix, chain, _has, include, sort and paging.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FHIR_JSON, testServer, type TestServer } from './harness.js';
import { searchFixture } from './search-fixture.js';

let t: TestServer;
let loadedAt: string;
beforeAll(async () => {
  t = await testServer();
  loadedAt = new Date(Date.now() - 1000).toISOString();
  for (const r of searchFixture) {
    const res = await t.http.put(`/fhir/${r.resourceType}/${r.id}`).set('Content-Type', FHIR_JSON).send(r);
    if (res.status !== 201) throw new Error(`${r.resourceType}/${r.id}: ${JSON.stringify(res.body)}`);
  }
});
afterAll(() => t?.close());

async function bundle(path: string, expectedStatus = 200) {
  const res = await t.http.get(`/fhir/${path}`);
  expect(res.status, `${path}: ${JSON.stringify(res.body).slice(0, 400)}`).toBe(expectedStatus);
  return res.body;
}
/** Ids of the matches, sorted (for unordered expectations). */
async function ids(path: string): Promise<string[]> {
  return ordered(path).then((list) => list.sort());
}
/** Ids of the matches in the server's order. */
async function ordered(path: string): Promise<string[]> {
  const b = await bundle(path);
  return (b.entry ?? []).filter((e: any) => e.search.mode === 'match').map((e: any) => e.resource.id);
}
const included = (b: any) => (b.entry ?? []).filter((e: any) => e.search.mode === 'include').map((e: any) => `${e.resource.resourceType}/${e.resource.id}`).sort();

describe('string', () => {
  it('starts-with, case- and accent-insensitive, on every part of a name', async () => {
    expect(await ids('Patient?name=smi')).toEqual(['p-bob', 'p-cy']);
    expect(await ids('Patient?name=SMITH')).toEqual(['p-bob', 'p-cy']);
    expect(await ids('Patient?name=nunez')).toEqual(['p-ana']);
    expect(await ids('Patient?name=Núñez')).toEqual(['p-ana']);
    expect(await ids('Patient?name=maria')).toEqual(['p-ana']);
    expect(await ids('Patient?family=smith')).toEqual(['p-bob', 'p-cy']);
    expect(await ids('Patient?given=cy')).toEqual(['p-cy']);
    expect(await ids('Patient?address-city=zurich')).toEqual(['p-ana']);
    expect(await ids('Organization?name=acme')).toEqual(['org-acme']);
  });

  it(':exact and :contains', async () => {
    expect(await ids('Patient?name:exact=Smith')).toEqual(['p-bob']);
    expect(await ids('Patient?name:exact=smith')).toEqual([]);
    expect(await ids('Patient?name:contains=mit')).toEqual(['p-bob', 'p-cy']);
    expect(await ids('Patient?name:contains=ari')).toEqual(['p-ana']);
  });

  it('OR with commas, AND by repetition, escaped commas', async () => {
    expect(await ids('Patient?name=ana,bob')).toEqual(['p-ana', 'p-bob']);
    expect(await ids('Patient?name=smi&name=smithson')).toEqual(['p-cy']);
    expect(await ids('Patient?name=smith\\,x')).toEqual([]);
  });
});

describe('token', () => {
  it('code, system|code, |code, system|', async () => {
    expect(await ids('Patient?gender=male')).toEqual(['p-bob']);
    expect(await ids('Patient?identifier=urn:mrn|1001')).toEqual(['p-ana']);
    expect(await ids('Patient?identifier=1001')).toEqual(['p-ana', 'p-cy']);
    expect(await ids('Patient?identifier=urn:mrn|')).toEqual(['p-ana', 'p-bob']);
    expect(await ids('Patient?identifier=|1001')).toEqual([]);
    expect(await ids('Observation?code=http://loinc.org|8867-4')).toEqual(['o-hr1', 'o-hr2']);
    expect(await ids('Observation?combo-code=8480-6')).toEqual(['o-bp']);
  });

  it('booleans, ContactPoints, tags', async () => {
    expect(await ids('Patient?active=true')).toEqual(['p-ana']);
    expect(await ids('Patient?active=false')).toEqual(['p-bob']);
    expect(await ids('Patient?email=ana@example.org')).toEqual(['p-ana']);
    expect(await ids('Patient?_tag=urn:t|vip')).toEqual(['p-ana']);
  });

  it(':not, :text, :of-type, :missing', async () => {
    expect(await ids('Patient?gender:not=male')).toEqual(['p-ana', 'p-cy']);
    expect(await ids('Observation?code:text=heart')).toEqual(['o-hr1', 'o-hr2']);
    expect(await ids('Patient?identifier:text=medical')).toEqual(['p-ana']);
    expect(await ids('Patient?identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|MR|1001')).toEqual(['p-ana']);
    expect(await ids('Patient?active:missing=true')).toEqual(['p-cy']);
    expect(await ids('Patient?active:missing=false')).toEqual(['p-ana', 'p-bob']);
  });
});

describe('reference', () => {
  it('Type/id, id, absolute URL of this server, :Type', async () => {
    expect(await ids('Observation?subject=Patient/p-ana')).toEqual(['o-hr1', 'o-hr2']);
    expect(await ids('Observation?subject=p-ana')).toEqual(['o-hr1', 'o-hr2']);
    expect(await ids('Observation?patient=p-bob')).toEqual(['o-bp', 'o-glu']);
    expect(await ids('Observation?subject=http://localhost/fhir/Patient/p-cy')).toEqual(['o-temp']);
    expect(await ids('Observation?subject:Patient=p-cy')).toEqual(['o-temp']);
    expect(await ids('Patient?general-practitioner=Practitioner/dr-ng')).toEqual(['p-ana', 'p-cy']);
  });

  it(':identifier and :missing', async () => {
    expect(await ids('Observation?subject:identifier=urn:other|1001')).toEqual(['o-temp']);
    expect(await ids('Observation?performer:missing=false')).toEqual(['o-glu']);
    expect(await ids('Observation?encounter:missing=false')).toEqual(['o-hr1']);
  });
});

describe('date', () => {
  it('partial precision as ranges, with each prefix', async () => {
    expect(await ids('Observation?date=2024-03-01')).toEqual(['o-hr1']);
    expect(await ids('Observation?date=2024')).toEqual(['o-glu', 'o-hr1', 'o-hr2', 'o-temp']);
    expect(await ids('Observation?date=ge2024-06-01')).toEqual(['o-glu', 'o-hr2']);
    expect(await ids('Observation?date=lt2024')).toEqual(['o-bp']);
    expect(await ids('Observation?date=2024-01-02')).toEqual([]);
    expect(await ids('Observation?date=sa2024-01-01')).toEqual(['o-glu', 'o-hr1', 'o-hr2']);
    expect(await ids('Observation?date=eb2024-01-01')).toEqual(['o-bp']);
    expect(await ids('Observation?date=ne2024')).toEqual(['o-bp']);
    expect(await ids('Observation?date=gt2024-06-15')).toEqual([]);
    expect(await ids('Observation?date=le2023-11-20')).toEqual(['o-bp']);
    expect(await ids('Observation?date=ge2024-01-02&date=le2024-01-02')).toEqual(['o-temp']);
    expect(await ids('Observation?date=2024-06-15T08:30:00Z')).toEqual(['o-hr2']);
  });

  it('dates and Periods of other types, and _lastUpdated', async () => {
    expect(await ids('Patient?birthdate=1980')).toEqual(['p-ana']);
    expect(await ids('Patient?birthdate=lt1980')).toEqual(['p-bob']);
    expect(await ids('Patient?birthdate=2001-06')).toEqual(['p-cy']);
    expect(await ids('Patient?birthdate=2001-06-15')).toEqual([]);
    expect(await ids('Encounter?date=2024-03-01')).toEqual(['e1']);
    expect(await ids(`Patient?_lastUpdated=ge${encodeURIComponent(loadedAt)}`)).toEqual(['p-ana', 'p-bob', 'p-cy']);
    expect(await ids('Patient?_lastUpdated=lt2001')).toEqual([]);
  });
});

describe('number and quantity', () => {
  it('implicit precision, prefixes, value|system|code', async () => {
    expect(await ids('Observation?value-quantity=72')).toEqual(['o-hr1']);
    expect(await ids('Observation?value-quantity=gt100')).toEqual(['o-hr2']);
    expect(await ids('Observation?value-quantity=lt10')).toEqual(['o-glu']);
    expect(await ids('Observation?value-quantity=5.4|http://unitsofmeasure.org|mmol/L')).toEqual(['o-glu']);
    expect(await ids('Observation?value-quantity=5.4||mmol/L')).toEqual(['o-glu']);
    expect(await ids('Observation?value-quantity=72||mm[Hg]')).toEqual([]);
    expect(await ids('Observation?value-quantity=37.5')).toEqual(['o-temp']);
    expect(await ids('Observation?value-quantity=37')).toEqual([]);
    expect(await ids('Observation?value-quantity=ap110')).toEqual(['o-hr2']);
    expect(await ids('Observation?component-value-quantity=gt140')).toEqual(['o-bp']);
    expect(await ids('RiskAssessment?probability=0.25')).toEqual(['ra1']);
    expect(await ids('RiskAssessment?probability=gt0.3')).toEqual([]);
  });
});

describe('composite', () => {
  it('matches both components within the same element', async () => {
    expect(await ids('Observation?component-code-value-quantity=http://loinc.org|8480-6$gt140')).toEqual(['o-bp']);
    expect(await ids('Observation?component-code-value-quantity=http://loinc.org|8462-4$gt140')).toEqual([]);
    expect(await ids('Observation?component-code-value-quantity=8462-4$lt100')).toEqual(['o-bp']);
    expect(await ids('Observation?code-value-quantity=8867-4$gt100')).toEqual(['o-hr2']);
    expect(await ids('Observation?code-value-quantity=8867-4$gt100,2339-0$5.4')).toEqual(['o-glu', 'o-hr2']);
    expect(await ids('Observation?combo-code-value-quantity=8480-6$150|http://unitsofmeasure.org|mm[Hg]')).toEqual(['o-bp']);
  });
});

describe('uri', () => {
  it('exact, :below, :above, and _profile', async () => {
    expect(await ids('ValueSet?url=http://example.org/fhir/ValueSet/colors')).toEqual(['vs1']);
    expect(await ids('ValueSet?url:below=http://example.org/fhir')).toEqual(['vs1']);
    expect(await ids('ValueSet?url:above=http://example.org/fhir/ValueSet/colors/extra')).toEqual(['vs1']);
    expect(await ids('ValueSet?url=http://example.org/fhir')).toEqual([]);
    expect(await ids('Patient?_profile=http://example.org/fhir/StructureDefinition/my-patient')).toEqual(['p-ana']);
  });
});

describe('_text and _content', () => {
  it('plain full text over the narrative, or over every string', async () => {
    expect(await ids('Patient?_text=cardiology')).toEqual(['p-ana']);
    expect(await ids('Patient?_text=cardiology clinic')).toEqual(['p-ana']);
    expect(await ids('Patient?_text=boston')).toEqual([]);
    expect(await ids('Patient?_content=boston')).toEqual(['p-bob']);
    expect(await ids('Patient?_content=Spanish')).toEqual(['p-ana']);
    expect(await ids('Patient?_content=cardiology,boston')).toEqual(['p-ana', 'p-bob']);
    expect(await ids('Observation?_content=glucose')).toEqual(['o-glu']);
  });
});

describe('chaining, _has and _list', () => {
  it('chains, typed and untyped, to depth two', async () => {
    expect(await ids('Observation?subject:Patient.name=smith')).toEqual(['o-bp', 'o-glu', 'o-temp']);
    expect(await ids('Observation?patient.gender=female')).toEqual(['o-hr1', 'o-hr2']);
    expect(await ids('Observation?subject.name=smith')).toEqual(['o-bp', 'o-glu', 'o-temp']);
    expect(await ids('Patient?general-practitioner:PractitionerRole.organization.name=acme')).toEqual(['p-bob']);
    expect(await ids('Patient?general-practitioner:Practitioner.name=ng')).toEqual(['p-ana', 'p-cy']);
  });

  it('_has, nested', async () => {
    expect(await ids('Patient?_has:Observation:patient:code=8867-4')).toEqual(['p-ana']);
    expect(await ids('Patient?_has:Observation:subject:value-quantity=gt100')).toEqual(['p-ana']);
    expect(await ids('Patient?_has:Observation:patient:_has:Provenance:target:agent=Practitioner/dr-ng')).toEqual(['p-ana']);
  });

  it('_list', async () => {
    expect(await ids('Observation?_list=l1')).toEqual(['o-bp', 'o-hr1']);
  });
});

describe('_include and _revinclude', () => {
  it('includes referenced resources, marked search.mode include', async () => {
    const b = await bundle('Observation?code=8867-4&_include=Observation:subject');
    expect(b.entry.filter((e: any) => e.search.mode === 'match').map((e: any) => e.resource.id).sort()).toEqual(['o-hr1', 'o-hr2']);
    expect(included(b)).toEqual(['Patient/p-ana']);
    expect(included(await bundle('Observation?_id=o-hr1&_revinclude=Provenance:target'))).toEqual(['Provenance/prov1']);
    expect(included(await bundle('Observation?_id=o-hr1&_include=*'))).toEqual(['Encounter/e1', 'Patient/p-ana']);
    expect(included(await bundle('Observation?_id=o-glu&_include=Observation:performer:Organization'))).toEqual([]);
  });

  it(':iterate follows included resources', async () => {
    const b = await bundle('Observation?_id=o-glu&_include=Observation:subject&_include:iterate=Patient:general-practitioner');
    expect(included(b)).toEqual(['Patient/p-bob', 'Practitioner/dr-hale', 'PractitionerRole/role-ng']);
    const without = await bundle('Observation?_id=o-glu&_include=Observation:subject&_include=Patient:general-practitioner', 400);
    expect(without.resourceType).toBe('OperationOutcome');
  });
});

describe('sorting and paging', () => {
  it('_sort on dates, strings and tokens, descending, several keys', async () => {
    expect(await ordered('Patient?_sort=birthdate')).toEqual(['p-bob', 'p-ana', 'p-cy']);
    expect(await ordered('Patient?_sort=-birthdate')).toEqual(['p-cy', 'p-ana', 'p-bob']);
    expect(await ordered('Patient?_sort=name')).toEqual(['p-ana', 'p-bob', 'p-cy']);
    expect(await ordered('Patient?_sort=gender')).toEqual(['p-ana', 'p-bob', 'p-cy']);
    expect(await ordered('Observation?_sort=-date')).toEqual(['o-glu', 'o-hr2', 'o-hr1', 'o-temp', 'o-bp']);
    expect(await ordered('Observation?_sort=status,-_id')).toEqual(['o-glu', 'o-hr2', 'o-hr1', 'o-bp', 'o-temp']);
  });

  it('_count pages with next and previous links, no entry skipped or repeated', async () => {
    const seen: string[] = [];
    let b = await bundle('Observation?_sort=_id&_count=2');
    const first = b;
    for (;;) {
      seen.push(...b.entry.map((e: any) => e.resource.id));
      const next = b.link.find((l: any) => l.relation === 'next');
      if (!next) break;
      b = await bundle(next.url.replace('http://localhost/fhir/', ''));
      const previous = b.link.find((l: any) => l.relation === 'previous');
      expect(previous).toBeDefined();
    }
    expect(seen).toEqual(['o-bp', 'o-glu', 'o-hr1', 'o-hr2', 'o-temp']);
    const back = await bundle(b.link.find((l: any) => l.relation === 'previous').url.replace('http://localhost/fhir/', ''));
    expect(back.entry.map((e: any) => e.resource.id)).toEqual(['o-hr1', 'o-hr2']);
    expect(first.link.find((l: any) => l.relation === 'self').url).toBe('http://localhost/fhir/Observation?_sort=_id&_count=2');
  });

  it('entries are full resources, resourceType first; _pretty indents the Bundle', async () => {
    const b = await bundle('Patient?_id=p-ana');
    expect(Object.keys(b.entry[0].resource)[0]).toBe('resourceType');
    expect(b.entry[0].resource.name[0].family).toBe('Núñez');
    expect(b.entry[0].fullUrl).toBe('http://localhost/fhir/Patient/p-ana');
    const pretty = await t.http.get('/fhir/Patient?_id=p-ana&_pretty=true');
    expect(pretty.text).toMatch(/^\{\n {2}"resourceType": "Bundle"/);
    expect(pretty.headers['content-type']).toBe('application/fhir+json; charset=utf-8');
  });

  it('_total and _summary=count', async () => {
    expect((await bundle('Observation?_count=1&_total=accurate')).total).toBe(5);
    expect((await bundle('Observation?_count=1&_total=none')).total).toBeUndefined();
    expect((await bundle('Observation?status=final')).total).toBe(3);
    const zero = await bundle('Observation?_count=0');
    expect(zero.total).toBe(5);
    expect(zero.entry).toBeUndefined();
    expect(zero.link.find((l: any) => l.relation === 'next')).toBeUndefined();
    const count = await bundle('Observation?_summary=count');
    expect(count.total).toBe(5);
    expect(count.entry).toBeUndefined();
  });
});

describe('_summary and _elements', () => {
  it('return subsets tagged SUBSETTED', async () => {
    const summary = (await bundle('Patient?_id=p-ana&_summary=true')).entry[0].resource;
    expect(summary.name).toBeDefined();
    expect(summary.birthDate).toBe('1980-04-02');
    expect(summary.communication).toBeUndefined();
    expect(summary.meta.tag).toContainEqual({ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED' });
    const text = (await bundle('Patient?_id=p-ana&_summary=text')).entry[0].resource;
    expect(Object.keys(text).sort()).toEqual(['id', 'meta', 'resourceType', 'text']);
    const data = (await bundle('Patient?_id=p-ana&_summary=data')).entry[0].resource;
    expect(data.text).toBeUndefined();
    expect(data.communication).toBeDefined();
    const full = (await bundle('Patient?_id=p-ana&_summary=false')).entry[0].resource;
    expect(full.text).toBeDefined();
    expect(full.meta.tag).not.toContainEqual(expect.objectContaining({ code: 'SUBSETTED' }));
    const elements = (await bundle('Patient?_id=p-ana&_elements=gender')).entry[0].resource;
    expect(Object.keys(elements).sort()).toEqual(['gender', 'id', 'meta', 'resourceType']);
    const obs = (await bundle('Observation?_id=o-hr1&_elements=valueQuantity')).entry[0].resource;
    expect(obs.valueQuantity.value).toBe(72);
    expect(obs.status).toBe('final'); // mandatory elements stay
    expect(obs.subject).toBeUndefined();
  });
});

describe('POST _search and compartments', () => {
  it('POST /Type/_search with a form body searches like GET', async () => {
    const res = await t.http.post('/fhir/Patient/_search').type('form').send('name=smith');
    expect(res.status).toBe(200);
    expect(res.body.entry.map((e: any) => e.resource.id).sort()).toEqual(['p-bob', 'p-cy']);
  });

  it('GET /Patient/id/Type and /Patient/id/*', async () => {
    expect(await ids('Patient/p-ana/Observation')).toEqual(['o-hr1', 'o-hr2']);
    expect(await ids('Patient/p-ana/Observation?date=2024-06')).toEqual(['o-hr2']);
    expect(await ids('Patient/p-ana/*')).toEqual(['e1', 'o-hr1', 'o-hr2', 'ra1']);
    await bundle('Patient/p-ana/Practitioner', 400);
    await bundle('Patient/p-ana/Spaceship', 404);
  });

  it('Patient/$everything with _type, _since and _count', async () => {
    expect(await ids('Patient/p-ana/$everything')).toEqual(['e1', 'o-hr1', 'o-hr2', 'p-ana', 'ra1']);
    expect(await ids('Patient/p-ana/$everything?_type=Observation')).toEqual(['o-hr1', 'o-hr2']);
    expect(await ids(`Patient/p-ana/$everything?_since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).toEqual([]);
    const page = await bundle('Patient/p-ana/$everything?_count=2');
    expect(page.entry).toHaveLength(2);
    expect(page.link.find((l: any) => l.relation === 'next')).toBeDefined();
    await bundle('Patient/nobody/$everything', 404);
  });
});

describe('bad search input', () => {
  it('is a 400 OperationOutcome, or matched safely as text; never a 500', async () => {
    for (const q of ["name=' OR 1=1 --", 'name=%25_', "identifier=a'b", 'name=\\', 'name=%00x'.replace('%00', '')]) {
      expect(await ids(`Patient?${q}`), q).toEqual([]);
    }
    for (const q of ['date=2024-13', 'date=xx2024', 'code:foo=x', 'subject:Foo.name=x', 'subject:Patient.nonsense=x', 'value-quantity=abc', '_sort=-', '_has:Observation:nonsense:code=1', '_include=Observation', '_count=-1', 'code-value-quantity=x']) {
      const b = await bundle(`Observation?${q}`, 400);
      expect(b.resourceType, q).toBe('OperationOutcome');
    }
  });
});
