// Profiles (profiles/, server/src/profiles/): snapshot generation, the shipped Meridian profiles
// (slicing, cardinality, fixed and pattern values, invariants: each with a conforming and a violating
// example), meta.profile enforced on every write path, $validate?profile=, runtime profiles, the
// CapabilityStatement, and the seed's conformance.
import type { Bundle, ElementDefinition, Observation, Resource, StructureDefinition } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePatientBundles, generatePractice } from '../../seed/generate.js';
import { loadDefinitions, readJson } from '../src/fhir/definitions.js';
import { baseDefinitions, claimedBoundValues, generateSnapshot, getProfile, profileBindings, profileIssues, ProfileRegistry, shippedProfiles, SnapshotError } from '../src/profiles/index.js';
import { FHIR_JSON, testServer, type TestServer } from './harness.js';

const SD = 'https://meridian.dev/fhir/StructureDefinition/';
const VITALS = `${SD}meridian-observation-vital-signs`;
const BP = `${SD}meridian-observation-blood-pressure`;
const LAB = `${SD}meridian-observation-lab`;
const PATIENT = `${SD}meridian-patient`;
const CLAIM = `${SD}meridian-claim`;
const APPOINTMENT = `${SD}meridian-appointment`;
const COVERAGE = `${SD}meridian-coverage`;

const loinc = (code: string) => ({ coding: [{ system: 'http://loinc.org', code }] });
const category = (code: string) => [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code }] }];
const ucum = (value: number, code: string) => ({ value, unit: code, system: 'http://unitsofmeasure.org', code });
const claiming = <T extends object>(resource: T, ...profile: string[]): T => ({ ...resource, meta: { profile } });

const heartRate = {
  resourceType: 'Observation',
  status: 'final',
  category: category('vital-signs'),
  code: loinc('8867-4'),
  subject: { reference: 'Patient/p1' },
  effectiveDateTime: '2024-05-01T10:00:00Z',
  valueQuantity: ucum(72, '/min'),
};
const bloodPressure = {
  ...heartRate,
  code: loinc('85354-9'),
  valueQuantity: undefined,
  component: [
    { code: loinc('8480-6'), valueQuantity: ucum(120, 'mm[Hg]') },
    { code: loinc('8462-4'), valueQuantity: ucum(80, 'mm[Hg]') },
  ],
};
const patient = {
  resourceType: 'Patient',
  identifier: [{ system: 'urn:meridian:mrn', value: '12345' }],
  name: [{ family: 'Rivera', given: ['Ana'] }],
  gender: 'female',
  birthDate: '1980-02-03',
};
const claim = {
  resourceType: 'Claim',
  status: 'active',
  type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/claim-type', code: 'professional' }] },
  use: 'claim',
  patient: { reference: 'Patient/p1' },
  created: '2024-05-01',
  insurer: { reference: 'Organization/o1' },
  provider: { reference: 'Practitioner/d1' },
  priority: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/processpriority', code: 'normal' }] },
  diagnosis: [{ sequence: 1, diagnosisCodeableConcept: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'I10' }] } }],
  insurance: [{ sequence: 1, focal: true, coverage: { reference: 'Coverage/c1' } }],
  item: [{ sequence: 1, diagnosisSequence: [1], productOrService: { coding: [{ system: 'http://www.ama-assn.org/go/cpt', code: '99213' }] }, net: { value: 100, currency: 'USD' } }],
  total: { value: 100, currency: 'USD' },
};
const appointment = {
  resourceType: 'Appointment',
  status: 'booked',
  start: '2024-05-01T10:00:00Z',
  end: '2024-05-01T10:30:00Z',
  participant: [{ actor: { reference: 'Patient/p1' }, status: 'accepted' }],
};
const coverageClass = (code: string, value: string) => ({ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/coverage-class', code }] }, value });
const coverage = {
  resourceType: 'Coverage',
  status: 'active',
  beneficiary: { reference: 'Patient/p1' },
  relationship: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/subscriber-relationship', code: 'self' }] },
  payor: [{ reference: 'Organization/o1' }],
  identifier: [{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MB' }] }, system: 'urn:payer', value: 'M1' }],
  class: [coverageClass('group', 'G1'), coverageClass('plan', 'P1')],
};

/** Errors of resource against the profile at url (no server: the validator alone). */
function errorsAgainst(url: string, resource: object): { expression: string; diagnostics: string }[] {
  return profileIssues(structuredClone(resource) as Resource, getProfile(url)!)
    .filter((i) => i.severity === 'error')
    .map((i) => ({ expression: i.expression?.join() ?? '', diagnostics: i.diagnostics ?? '' }));
}

beforeAll(() => loadDefinitions());

describe('snapshot generation', () => {
  const observation = () => baseDefinitions().get('http://hl7.org/fhir/StructureDefinition/Observation')!;
  const profile = (element: ElementDefinition[]): StructureDefinition => ({
    resourceType: 'StructureDefinition',
    url: 'https://example.org/p',
    name: 'P',
    status: 'active',
    kind: 'resource',
    abstract: false,
    type: 'Observation',
    baseDefinition: 'http://hl7.org/fhir/StructureDefinition/Observation',
    derivation: 'constraint',
    differential: { element },
  });

  it('merges differential elements into the base elements by id, constraints added to the base ones', () => {
    const snapshot = generateSnapshot(
      profile([
        { id: 'Observation.subject', path: 'Observation.subject', min: 1, mustSupport: true },
        { id: 'Observation.status', path: 'Observation.status', constraint: [{ key: 'x-1', severity: 'error', human: 'x', expression: 'true' }] },
      ]),
      observation(),
    );
    expect(snapshot.length).toBe(observation().snapshot!.element.length);
    const subject = snapshot.find((e) => e.id === 'Observation.subject')!;
    expect(subject).toMatchObject({ min: 1, max: '1', mustSupport: true, path: 'Observation.subject', base: { path: 'Observation.subject' } });
    const status = snapshot.find((e) => e.id === 'Observation.status')!;
    expect(status.constraint!.map((c) => c.key)).toEqual([...(observation().snapshot!.element.find((e) => e.id === 'Observation.status')!.constraint ?? []).map((c) => c.key), 'x-1']);
    expect(observation().snapshot!.element.find((e) => e.id === 'Observation.subject')!.min).toBe(0); // the base is not changed
  });

  it('inserts slices after the sliced element (and its earlier slices), with copies of its children renamed', () => {
    const snapshot = generateSnapshot(
      profile([
        { id: 'Observation.component', path: 'Observation.component', slicing: { discriminator: [{ type: 'pattern', path: 'code' }], rules: 'open' } },
        { id: 'Observation.component:a', path: 'Observation.component', sliceName: 'a', min: 1, max: '1' },
        { id: 'Observation.component:a.code', path: 'Observation.component.code', patternCodeableConcept: loinc('1') },
        { id: 'Observation.component:b', path: 'Observation.component', sliceName: 'b', max: '1' },
      ]),
      observation(),
    );
    const ids = snapshot.map((e) => e.id!);
    const at = ids.indexOf('Observation.component');
    const children = ids.slice(at + 1).filter((id) => id.startsWith('Observation.component.'));
    expect(children).toEqual(['Observation.component.id', 'Observation.component.extension', 'Observation.component.modifierExtension', 'Observation.component.code', 'Observation.component.value[x]', 'Observation.component.dataAbsentReason', 'Observation.component.interpretation', 'Observation.component.referenceRange']);
    const a = ids.indexOf('Observation.component:a');
    expect(a).toBe(at + 1 + children.length);
    expect(ids.slice(a + 1, a + 1 + children.length)).toEqual(children.map((id) => id.replace('Observation.component', 'Observation.component:a')));
    expect(ids[a + 1 + children.length]).toBe('Observation.component:b');
    expect(snapshot[a]).toMatchObject({ sliceName: 'a', min: 1, max: '1', path: 'Observation.component' });
    expect(snapshot[a].slicing).toBeUndefined();
    expect(snapshot.find((e) => e.id === 'Observation.component:a.code')).toMatchObject({ path: 'Observation.component.code', patternCodeableConcept: loinc('1'), min: 1 });
  });

  it('adds the children of a data type on the way to an element inside it', () => {
    const snapshot = generateSnapshot(profile([{ id: 'Observation.code.coding', path: 'Observation.code.coding', min: 1 }]), observation());
    const ids = snapshot.map((e) => e.id!);
    expect(ids.slice(ids.indexOf('Observation.code'), ids.indexOf('Observation.code') + 4)).toEqual(['Observation.code', 'Observation.code.id', 'Observation.code.extension', 'Observation.code.coding']);
    expect(snapshot.find((e) => e.id === 'Observation.code.coding')).toMatchObject({ path: 'Observation.code.coding', min: 1, max: '*' });
  });

  it('reads a choice element named by its type as a type slice, and slices extensions by url', () => {
    const snapshot = generateSnapshot(
      profile([
        { id: 'Observation.valueQuantity', path: 'Observation.valueQuantity', min: 1 },
        { id: 'Observation.valueQuantity.code', path: 'Observation.valueQuantity.code', fixedCode: 'kg' },
        { id: 'Observation.extension:x', path: 'Observation.extension', sliceName: 'x', min: 1, type: [{ code: 'Extension', profile: ['https://example.org/x'] }] },
      ]),
      observation(),
    );
    expect(snapshot.find((e) => e.id === 'Observation.value[x]')!.slicing).toMatchObject({ discriminator: [{ type: 'type', path: '$this' }] });
    expect(snapshot.find((e) => e.id === 'Observation.value[x]:valueQuantity')).toMatchObject({ sliceName: 'valueQuantity', min: 1, type: [{ code: 'Quantity' }] });
    expect(snapshot.find((e) => e.id === 'Observation.value[x]:valueQuantity.code')).toMatchObject({ fixedCode: 'kg', path: 'Observation.value[x].code' });
    expect(snapshot.find((e) => e.id === 'Observation.extension')!.slicing).toMatchObject({ discriminator: [{ type: 'value', path: 'url' }] });
    expect(snapshot.find((e) => e.id === 'Observation.extension:x.url')).toMatchObject({ fixedUri: 'https://example.org/x', min: 1 });
  });

  it('makes usable snapshots of FHIR core profiles from their differentials alone (vitalsigns, heartrate)', () => {
    const others = (readJson('fhir/r4/profiles-others.json') as Bundle).entry!.map((e) => e.resource as StructureDefinition);
    const registry = new ProfileRegistry();
    for (const url of ['vitalsigns', 'heartrate'].map((n) => `http://hl7.org/fhir/StructureDefinition/${n}`)) {
      const { snapshot: _given, ...differentialOnly } = others.find((sd) => sd.url === url)!;
      registry.register(differentialOnly);
    }
    const heartrate = registry.get('http://hl7.org/fhir/StructureDefinition/heartrate')!;
    expect(profileIssues(structuredClone(heartRate) as Resource, heartrate).filter((i) => i.severity === 'error')).toEqual([]);
    const wrong = { ...heartRate, category: [{ text: 'x' }], valueQuantity: ucum(72, 'kg') };
    expect(profileIssues(wrong as Resource, heartrate).filter((i) => i.severity === 'error').map((i) => i.expression![0])).toEqual(['Observation.category', 'Observation.valueQuantity.code']);
  });

  it('reports what it cannot place', () => {
    expect(() => generateSnapshot(profile([{ id: 'Observation.nonsense', path: 'Observation.nonsense' }]), observation())).toThrow(SnapshotError);
    expect(() => generateSnapshot(profile([{ id: 'Observation.category:x', path: 'Observation.category', sliceName: 'x' }]), observation())).toThrow(/no slicing/);
    expect(() => generateSnapshot(profile([{ id: 'Observation.status', path: 'Observation.status', max: '*' }]), observation())).toThrow(/more than the base/);
    expect(() => generateSnapshot(profile([{ id: 'Observation.subject', path: 'Observation.subject', min: 2 }]), observation())).toThrow(/more than max/);
  });

  it('gives every shipped profile a snapshot; bindings point at Meridian value sets', () => {
    const shipped = shippedProfiles();
    expect(shipped.map((p) => p.id).sort()).toEqual(
      ['allergyintolerance', 'appointment', 'claim', 'condition', 'coverage', 'encounter', 'medicationrequest', 'observation-blood-pressure', 'observation-lab', 'observation-vital-signs', 'patient', 'practitioner'].map((n) => `meridian-${n}`),
    );
    for (const p of shipped) {
      expect(p.snapshot!.element.length).toBeGreaterThan(p.differential!.element.length);
      expect(p.url).toBe(`${SD}${p.id}`);
    }
    const bindings = profileBindings(VITALS).filter((b) => b.binding.valueSet?.startsWith('https://meridian.dev/'));
    expect(bindings.map((b) => `${b.id} ${b.binding.strength} ${b.binding.valueSet}`)).toEqual([
      'Observation.code extensible https://meridian.dev/fhir/ValueSet/vital-signs',
      'Observation.value[x]:valueQuantity.code required https://meridian.dev/fhir/ValueSet/vital-units',
      'Observation.component.code extensible https://meridian.dev/fhir/ValueSet/vital-signs',
      'Observation.component:systolic.code extensible https://meridian.dev/fhir/ValueSet/vital-signs',
      'Observation.component:diastolic.code extensible https://meridian.dev/fhir/ValueSet/vital-signs',
    ]);
  });
});

describe('the Meridian profiles (validator alone)', () => {
  it('slicing: a vital sign needs the VSCat category; a blood pressure a systolic and a diastolic component', () => {
    expect(errorsAgainst(VITALS, heartRate)).toEqual([]);
    expect(errorsAgainst(VITALS, { ...heartRate, category: [{ text: 'vitals' }] })).toEqual([{ expression: 'Observation.category', diagnostics: expect.stringMatching(/slice 'VSCat'.*0/) }]);
    expect(errorsAgainst(BP, bloodPressure)).toEqual([]);
    const noDiastolic = { ...bloodPressure, component: [bloodPressure.component[0]] };
    expect(errorsAgainst(BP, noDiastolic).map((e) => e.diagnostics)).toContainEqual(expect.stringMatching(/slice 'diastolic': expected 1\.\.1, but found 0/));
    expect(errorsAgainst(VITALS, noDiastolic).map((e) => e.diagnostics)).toEqual([expect.stringMatching(/mvs-1/)]);
    const twoSystolic = { ...bloodPressure, component: [bloodPressure.component[0], ...bloodPressure.component] };
    expect(errorsAgainst(VITALS, twoSystolic).map((e) => e.diagnostics)).toEqual([expect.stringMatching(/slice 'systolic': expected 0\.\.1, but found 2/)]);
    // Coverage: one group class at most
    expect(errorsAgainst(COVERAGE, coverage)).toEqual([]);
    expect(errorsAgainst(COVERAGE, { ...coverage, class: [coverageClass('group', 'G1'), coverageClass('group', 'G2')] })).toEqual([{ expression: 'Coverage.class', diagnostics: expect.stringMatching(/slice 'group'/) }]);
  });

  it('inside a slice: the elements of the valueQuantity and memberid slices', () => {
    expect(errorsAgainst(VITALS, { ...heartRate, valueQuantity: { ...heartRate.valueQuantity, system: 'http://example.org/units' } })).toEqual([
      { expression: 'Observation.valueQuantity.system', diagnostics: expect.stringMatching(/fixed value "http:\/\/unitsofmeasure.org"/) },
    ]);
    expect(errorsAgainst(VITALS, { ...heartRate, valueQuantity: { value: 72 } }).map((e) => e.expression)).toEqual(['Observation.valueQuantity.unit', 'Observation.valueQuantity.system', 'Observation.valueQuantity.code']);
    const noValue = { ...coverage, identifier: [{ type: coverage.identifier[0].type, system: 'urn:payer' }] };
    expect(errorsAgainst(COVERAGE, noValue)).toEqual([{ expression: 'Coverage.identifier[0].value', diagnostics: expect.stringMatching(/memberid/) }]);
  });

  it('cardinality: a patient needs an identifier, a name and a gender; a claim an insurer, a diagnosis, an item and a total', () => {
    expect(errorsAgainst(PATIENT, patient)).toEqual([]);
    const { identifier: _i, ...noIdentifier } = patient;
    expect(errorsAgainst(PATIENT, noIdentifier)).toEqual([{ expression: 'Patient.identifier', diagnostics: expect.stringMatching(/Missing required/) }]);
    expect(errorsAgainst(PATIENT, { ...patient, identifier: [{ value: '1' }] })).toEqual([{ expression: 'Patient.identifier[0].system', diagnostics: expect.stringMatching(/Missing required/) }]);
    expect(errorsAgainst(CLAIM, claim)).toEqual([]);
    const { insurer: _n, diagnosis: _d, ...bare } = claim;
    expect(errorsAgainst(CLAIM, bare).map((e) => e.expression).sort()).toEqual(['Claim', 'Claim.diagnosis', 'Claim.insurer']); // Claim: mclm-2 (no diagnosis sequence 1)
  });

  it('fixed and pattern values: Claim.use is "claim"; the blood pressure code is LOINC 85354-9', () => {
    expect(errorsAgainst(CLAIM, { ...claim, use: 'preauthorization' })).toEqual([{ expression: 'Claim.use', diagnostics: expect.stringMatching(/did not match/) }]);
    expect(errorsAgainst(BP, { ...bloodPressure, code: { coding: [...loinc('85354-9').coding, { system: 'urn:local', code: 'bp' }], text: 'BP' } })).toEqual([]);
    expect(errorsAgainst(BP, { ...bloodPressure, code: loinc('55284-4') })).toEqual([{ expression: 'Observation.code', diagnostics: expect.stringMatching(/did not match/) }]);
  });

  it('invariants (FHIRPath constraints)', () => {
    expect(errorsAgainst(APPOINTMENT, appointment)).toEqual([]);
    expect(errorsAgainst(APPOINTMENT, { ...appointment, end: '2024-05-01T09:30:00Z' })).toEqual([{ expression: 'Appointment', diagnostics: expect.stringMatching(/mapp-1/) }]);
    expect(errorsAgainst(APPOINTMENT, { ...appointment, status: 'cancelled' })).toEqual([{ expression: 'Appointment', diagnostics: expect.stringMatching(/mapp-2/) }]);
    expect(errorsAgainst(PATIENT, { ...patient, name: [{ text: 'Ana Rivera' }] })).toEqual([{ expression: 'Patient.name[0]', diagnostics: expect.stringMatching(/mpat-1/) }]);
    const { valueQuantity: _v, ...noValue } = heartRate;
    expect(errorsAgainst(VITALS, noValue)).toEqual([{ expression: 'Observation', diagnostics: expect.stringMatching(/mobs-1/) }]);
    expect(errorsAgainst(VITALS, { ...noValue, dataAbsentReason: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/data-absent-reason', code: 'not-performed' }] } })).toEqual([]);
    expect(errorsAgainst(VITALS, { ...heartRate, effectiveDateTime: '2024-05' })).toEqual([{ expression: 'Observation.effective[x]', diagnostics: expect.stringMatching(/mvs-2/) }]);
    expect(errorsAgainst(CLAIM, { ...claim, total: { value: 100, currency: 'EUR' } })).toEqual([{ expression: 'Claim', diagnostics: expect.stringMatching(/mclm-1/) }]);
    expect(errorsAgainst(CLAIM, { ...claim, item: [{ ...claim.item[0], diagnosisSequence: [2] }] })).toEqual([{ expression: 'Claim', diagnostics: expect.stringMatching(/mclm-2/) }]);
  });

  it('gives the values each binding of a claimed profile applies to, slices told apart (for terminology checks)', () => {
    const bp = claiming({ ...bloodPressure, component: [...bloodPressure.component, { code: loinc('8478-0'), valueQuantity: ucum(93, 'mm[Hg]') }] }, BP) as Resource;
    const found = claimedBoundValues(bp).map((v) => `${v.elementId} ${v.expression} ${v.binding.valueSet} ${(v.value as { coding: { code: string }[] }).coding[0].code}`);
    const VS = 'https://meridian.dev/fhir/ValueSet/vital-signs';
    expect(found).toEqual([
      `Observation.code Observation.code ${VS} 85354-9`,
      `Observation.component.code Observation.component[0].code ${VS} 8480-6`,
      `Observation.component.code Observation.component[1].code ${VS} 8462-4`,
      `Observation.component.code Observation.component[2].code ${VS} 8478-0`,
      `Observation.component:systolic.code Observation.component[0].code ${VS} 8480-6`,
      `Observation.component:diastolic.code Observation.component[1].code ${VS} 8462-4`,
    ]);
    const hr = claimedBoundValues(claiming(heartRate, VITALS) as Resource);
    expect(hr.find((v) => v.elementId === 'Observation.value[x]:valueQuantity.code')).toMatchObject({ expression: 'Observation.valueQuantity.code', value: '/min', binding: { strength: 'required' }, profile: VITALS });
    expect(claimedBoundValues(heartRate as Resource)).toEqual([]);
  });

  it('a profile of another type is an error', () => {
    expect(errorsAgainst(PATIENT, heartRate)).toEqual([{ expression: 'Observation', diagnostics: expect.stringMatching(/for Patient, not Observation/) }]);
  });
});

describe('the seed conforms to the Meridian profiles', () => {
  it('every resource of a profiled type in a small population', () => {
    const options = { patients: 15, seed: 'profiles', asOf: '2026-11-01' };
    const resources = [generatePractice(options), ...generatePatientBundles(options)].flatMap((b: Bundle) => (b.entry ?? []).map((e) => e.resource as Resource));
    const byType: Record<string, string> = {
      Patient: 'patient', Practitioner: 'practitioner', Appointment: 'appointment', Claim: 'claim', MedicationRequest: 'medicationrequest',
      Condition: 'condition', AllergyIntolerance: 'allergyintolerance', Encounter: 'encounter', Coverage: 'coverage',
    };
    const checked = new Map<string, number>();
    const failures: string[] = [];
    for (const r of resources) {
      const names: string[] = [];
      if (r.resourceType === 'Observation') {
        const o = r as Observation;
        const categories = o.category?.flatMap((c) => c.coding?.map((x) => x.code) ?? []) ?? [];
        if (categories.includes('vital-signs')) names.push('observation-vital-signs');
        if (categories.includes('laboratory')) names.push('observation-lab');
        if (o.code.coding?.some((c) => c.code === '85354-9')) names.push('observation-blood-pressure');
      } else if (byType[r.resourceType]) names.push(byType[r.resourceType]);
      for (const name of names) {
        checked.set(name, (checked.get(name) ?? 0) + 1);
        for (const e of errorsAgainst(`${SD}meridian-${name}`, r)) failures.push(`${name}: ${e.expression} ${e.diagnostics}`);
      }
    }
    expect(failures.slice(0, 10)).toEqual([]);
    expect([...checked.keys()].sort()).toEqual(['allergyintolerance', 'appointment', 'claim', 'condition', 'coverage', 'encounter', 'medicationrequest', 'observation-blood-pressure', 'observation-lab', 'observation-vital-signs', 'patient', 'practitioner']);
  });
});

describe('profiles over HTTP', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await testServer();
  });
  afterAll(() => t?.close());

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) => t.http.post(`/fhir/${path}`).set('Content-Type', FHIR_JSON).set(headers).send(body as object);
  const put = (path: string, body: unknown) => t.http.put(`/fhir/${path}`).set('Content-Type', FHIR_JSON).send(body as object);
  const count = async (query: string) => (await t.http.get(`/fhir/${query}${query.includes('?') ? '&' : '?'}_summary=count`)).body.total as number;
  const errorPaths = (body: { issue: { severity: string; expression?: string[] }[] }) => body.issue.filter((i) => i.severity === 'error').flatMap((i) => i.expression ?? []);

  it('create: a resource claiming a profile is validated against it; a violation is 400 with paths, and nothing is written', async () => {
    const ok = await post('Observation', claiming({ ...bloodPressure, identifier: [{ system: 'urn:t', value: 'bp-ok' }] }, VITALS, BP));
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    const bad = await post('Observation', claiming({ ...bloodPressure, identifier: [{ system: 'urn:t', value: 'bp-bad' }], component: [bloodPressure.component[0]] }, BP));
    expect(bad.status).toBe(400);
    expect(bad.body.resourceType).toBe('OperationOutcome');
    expect(errorPaths(bad.body)).toEqual(expect.arrayContaining(['Observation', 'Observation.component']));
    expect(bad.body.issue.map((i: { diagnostics: string }) => i.diagnostics).join('\n')).toMatch(/slice 'diastolic'/);
    expect(await count('Observation?identifier=urn:t|bp-bad')).toBe(0);
    expect(await count('Observation?identifier=urn:t|bp-ok')).toBe(1);
    // the same resource without the claim is only checked against the base definition
    expect((await post('Observation', { ...bloodPressure, component: [bloodPressure.component[0]] })).status).toBe(201);
  });

  it('cardinality and invariants on write', async () => {
    const { identifier: _i, ...noIdentifier } = patient;
    const res = await post('Patient', claiming(noIdentifier, PATIENT));
    expect(res.status).toBe(400);
    expect(errorPaths(res.body)).toEqual(['Patient.identifier']);
    const name = await post('Patient', claiming({ ...patient, name: [{ text: 'Ana' }] }, PATIENT));
    expect(name.status).toBe(400);
    expect(errorPaths(name.body)).toEqual(['Patient.name[0]']);
    expect((await post('Patient', claiming(patient, PATIENT))).status).toBe(201);
  });

  it('update and conditional update: the new version is validated against its profiles', async () => {
    const created = await post('Appointment', claiming(appointment, APPOINTMENT));
    expect(created.status).toBe(201);
    const id = created.body.id;
    const cancelled = { ...created.body, status: 'cancelled' };
    delete cancelled.meta.versionId;
    const res = await put(`Appointment/${id}`, cancelled);
    expect(res.status).toBe(400);
    expect(res.body.issue[0].diagnostics).toMatch(/mapp-2/);
    expect((await t.http.get(`/fhir/Appointment/${id}`)).body.meta.versionId).toBe('1');
    const withReason = { ...cancelled, cancelationReason: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason', code: 'pat' }] } };
    expect((await put(`Appointment/${id}`, withReason)).status).toBe(200);
    const conditional = await put(`Appointment?_id=${id}`, { ...withReason, end: '2024-05-01T09:00:00Z' });
    expect(conditional.status).toBe(400);
    expect(conditional.body.issue[0].diagnostics).toMatch(/mapp-1/);
  });

  it('patch: the patched resource is validated against the profiles it claims, also one the patch adds', async () => {
    const created = await post('Patient', claiming(patient, PATIENT));
    const id = created.body.id;
    const patch = (ops: unknown) => t.http.patch(`/fhir/Patient/${id}`).set('Content-Type', 'application/json-patch+json').send(JSON.stringify(ops));
    const res = await patch([{ op: 'remove', path: '/identifier' }]);
    expect(res.status).toBe(400);
    expect(errorPaths(res.body)).toEqual(['Patient.identifier']);
    const plain = await post('Patient', { resourceType: 'Patient', name: [{ text: 'No family' }] });
    const adds = await t.http.patch(`/fhir/Patient/${plain.body.id}`).set('Content-Type', 'application/json-patch+json').send(JSON.stringify([{ op: 'add', path: '/meta/profile', value: [PATIENT] }]));
    expect(adds.status).toBe(400);
  });

  it('a transaction Bundle with one violating entry rolls back whole', async () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: 'urn:uuid:7e0f7a4c-1111-4c3e-9d7e-000000000001', resource: { ...patient, identifier: [{ system: 'urn:t', value: 'tx-1' }] }, request: { method: 'POST', url: 'Patient' } },
        { resource: claiming({ ...heartRate, identifier: [{ system: 'urn:t', value: 'tx-2' }], subject: { reference: 'urn:uuid:7e0f7a4c-1111-4c3e-9d7e-000000000001' }, category: [{ text: 'vitals' }] }, VITALS), request: { method: 'POST', url: 'Observation' } },
      ],
    };
    const res = await post('', bundle);
    expect(res.status).toBe(400);
    expect(res.body.issue[0].diagnostics).toMatch(/Bundle\.entry\[1\].*VSCat/s);
    expect(await count('Patient?identifier=urn:t|tx-1')).toBe(0);
    expect(await count('Observation?identifier=urn:t|tx-2')).toBe(0);
    (bundle.entry[1].resource as { category: unknown }).category = category('vital-signs');
    const ok = await post('', bundle);
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(await count('Observation?identifier=urn:t|tx-2')).toBe(1);
  });

  it('an unknown profile url is a warning, not an error', async () => {
    const res = await post('Observation', claiming(heartRate, 'https://example.org/StructureDefinition/unknown'), { Prefer: 'return=OperationOutcome' });
    expect(res.status).toBe(201);
    expect(res.body.issue).toContainEqual(expect.objectContaining({ severity: 'warning', expression: ['Observation.meta.profile'] }));
    const v = await post('Observation/$validate', claiming(heartRate, 'https://example.org/StructureDefinition/unknown'));
    expect(v.status).toBe(200);
    expect(v.body.issue).toContainEqual(expect.objectContaining({ severity: 'warning', expression: ['Observation.meta.profile'], diagnostics: expect.stringMatching(/not known/) }));
  });

  it('$validate?profile= validates against any known profile (query or Parameters); an unknown one is 400', async () => {
    const good = await post(`Observation/$validate?profile=${encodeURIComponent(BP)}`, bloodPressure);
    expect(good.status).toBe(200);
    expect(good.body.issue.filter((i: { severity: string }) => i.severity === 'error')).toEqual([]);
    const bad = await post(`Observation/$validate?profile=${encodeURIComponent(BP)}`, heartRate);
    expect(bad.status).toBe(200);
    expect(errorPaths(bad.body)).toEqual(expect.arrayContaining(['Observation.code', 'Observation.component']));
    const parameters = {
      resourceType: 'Parameters',
      parameter: [
        { name: 'resource', resource: { ...claim, use: 'preauthorization' } },
        { name: 'profile', valueUri: CLAIM },
      ],
    };
    const viaParameters = await post('Claim/$validate', parameters);
    expect(viaParameters.status).toBe(200);
    expect(errorPaths(viaParameters.body)).toEqual(['Claim.use']);
    const lab = await post(`Observation/$validate?profile=${encodeURIComponent(LAB)}`, { ...heartRate, category: category('laboratory') });
    expect(errorPaths(lab.body)).toEqual([]);
    const unknown = await post(`Observation/$validate?profile=${encodeURIComponent('https://example.org/nope')}`, heartRate);
    expect(unknown.status).toBe(400);
    expect(unknown.body.issue[0]).toMatchObject({ severity: 'error', code: 'not-found', expression: ['profile'] });
  });

  it('a StructureDefinition POSTed at runtime (differential only) is enforced at once, follows its updates and its deletion', async () => {
    const url = 'https://example.org/fhir/StructureDefinition/needs-birthdate';
    const sd = {
      resourceType: 'StructureDefinition',
      url,
      name: 'NeedsBirthDate',
      status: 'active',
      kind: 'resource',
      abstract: false,
      type: 'Patient',
      baseDefinition: PATIENT,
      derivation: 'constraint',
      differential: { element: [{ id: 'Patient', path: 'Patient' }, { id: 'Patient.birthDate', path: 'Patient.birthDate', min: 1 }] },
    };
    const created = await post('StructureDefinition', sd);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const { birthDate: _b, ...noBirthDate } = patient;
    const res = await post('Patient', claiming(noBirthDate, url));
    expect(res.status).toBe(400);
    expect(errorPaths(res.body)).toEqual(['Patient.birthDate']);
    // built on meridian-patient: its rules hold too
    const { identifier: _i, ...noIdentifier } = patient;
    expect(errorPaths((await post('Patient', claiming(noIdentifier, url))).body)).toEqual(['Patient.identifier']);
    expect((await post('Patient', claiming(patient, url))).status).toBe(201);
    expect(errorPaths((await post(`Patient/$validate?profile=${encodeURIComponent(url)}`, noBirthDate)).body)).toEqual(['Patient.birthDate']);

    // a new version replaces the old one
    const loosened = { ...created.body, differential: { element: [{ id: 'Patient', path: 'Patient' }, { id: 'Patient.birthDate', path: 'Patient.birthDate', mustSupport: true }] } };
    expect((await put(`StructureDefinition/${created.body.id}`, loosened)).status).toBe(200);
    expect((await post('Patient', claiming(noBirthDate, url))).status).toBe(201);
    // deleted: unknown again (a warning)
    expect((await t.http.delete(`/fhir/StructureDefinition/${created.body.id}`)).status).toBe(200);
    expect((await post('Patient', claiming(noBirthDate, url))).status).toBe(201);
    expect((await post(`Patient/$validate?profile=${encodeURIComponent(url)}`, noBirthDate)).status).toBe(400);
  });

  it('a profile written by another process (straight into the database) is looked up by url', async () => {
    const url = 'https://example.org/fhir/StructureDefinition/obs-needs-note';
    await t.server.app.repo.create({
      resourceType: 'StructureDefinition',
      url,
      name: 'ObsNeedsNote',
      status: 'active',
      kind: 'resource',
      abstract: false,
      type: 'Observation',
      baseDefinition: 'http://hl7.org/fhir/StructureDefinition/Observation',
      derivation: 'constraint',
      differential: { element: [{ id: 'Observation.note', path: 'Observation.note', min: 1 }] },
    } as StructureDefinition);
    const res = await post('Observation', claiming(heartRate, url));
    expect(res.status).toBe(400);
    expect(errorPaths(res.body)).toEqual(['Observation.note']);
  });

  it('a PATCH whose result claims a profile this process has not looked up yet is checked against it', async () => {
    const url = 'https://example.org/fhir/StructureDefinition/patient-needs-telecom';
    const { repo } = t.server.app;
    await repo.create({
      resourceType: 'StructureDefinition',
      url,
      name: 'PatientNeedsTelecom',
      status: 'active',
      kind: 'resource',
      abstract: false,
      type: 'Patient',
      baseDefinition: 'http://hl7.org/fhir/StructureDefinition/Patient',
      derivation: 'constraint',
      differential: { element: [{ id: 'Patient.telecom', path: 'Patient.telecom', min: 1 }] },
    } as StructureDefinition);
    const stored = (await repo.create(claiming({ ...patient, telecom: [{ system: 'phone', value: '555' }] }, url) as Resource)).resource;
    const patch = (ops: unknown) => t.http.patch(`/fhir/Patient/${stored.id}`).set('Content-Type', 'application/json-patch+json').send(JSON.stringify(ops));
    const res = await patch([{ op: 'remove', path: '/telecom' }]);
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(errorPaths(res.body)).toEqual(['Patient.telecom']);
    expect((await patch([{ op: 'replace', path: '/gender', value: 'male' }])).status).toBe(200);
  });

  it('a PATCH entry of a transaction whose result claims a profile not looked up yet is checked against it', async () => {
    const url = 'https://example.org/fhir/StructureDefinition/patient-needs-address';
    const { repo } = t.server.app;
    await repo.create({
      resourceType: 'StructureDefinition', url, name: 'PatientNeedsAddress', status: 'active', kind: 'resource', abstract: false, type: 'Patient',
      baseDefinition: 'http://hl7.org/fhir/StructureDefinition/Patient', derivation: 'constraint',
      differential: { element: [{ id: 'Patient.address', path: 'Patient.address', min: 1 }] },
    } as StructureDefinition);
    const stored = (await repo.create(claiming({ ...patient, address: [{ city: 'Worcester' }] }, url) as Resource)).resource;
    const patchEntry = (operation: object) => ({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [{ resource: { resourceType: 'Parameters', parameter: [{ name: 'operation', part: Object.entries(operation).map(([name, v]) => ({ name, ...(name === 'path' ? { valueString: v } : { valueCode: v }) })) }] }, request: { method: 'PATCH', url: `Patient/${stored.id}` } }],
    });
    const res = await post('', patchEntry({ type: 'delete', path: 'Patient.address' }));
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.issue).toContainEqual(expect.objectContaining({ expression: ['Bundle.entry[0].resource.Patient.address'], diagnostics: expect.stringMatching(/Missing required property \(profile .*patient-needs-address\)/) }));
    expect((await post('', patchEntry({ type: 'replace', path: 'Patient.gender', value: 'male' }))).status).toBe(200);
  });

  it('a StructureDefinition that is not a profile of a resource (an extension definition) is stored and not used', async () => {
    const extension = {
      resourceType: 'StructureDefinition',
      url: 'https://example.org/fhir/StructureDefinition/favourite-colour',
      name: 'FavouriteColour',
      status: 'active',
      kind: 'complex-type',
      abstract: false,
      context: [{ type: 'element', expression: 'Patient' }],
      type: 'Extension',
      baseDefinition: 'http://hl7.org/fhir/StructureDefinition/Extension',
      derivation: 'constraint',
      differential: { element: [{ id: 'Extension', path: 'Extension' }, { id: 'Extension.value[x]', path: 'Extension.value[x]', type: [{ code: 'string' }] }] },
    };
    const res = await post('StructureDefinition', extension);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
  });

  it('a StructureDefinition that is not a usable profile is 400', async () => {
    const base = {
      resourceType: 'StructureDefinition',
      url: 'https://example.org/fhir/StructureDefinition/bad',
      name: 'Bad',
      status: 'active',
      kind: 'resource',
      abstract: false,
      type: 'Observation',
      baseDefinition: 'http://hl7.org/fhir/StructureDefinition/Observation',
      derivation: 'constraint',
    };
    const cases: [object, RegExp][] = [
      [{ ...base, baseDefinition: 'https://example.org/nowhere', differential: { element: [{ id: 'Observation', path: 'Observation' }] } }, /baseDefinition/],
      [{ ...base, type: 'Patient', differential: { element: [{ id: 'Patient', path: 'Patient' }] } }, /type/],
      [{ ...base, differential: { element: [{ id: 'Observation.colour', path: 'Observation.colour', min: 1 }] } }, /Observation.colour/],
      [{ ...base, differential: { element: [{ id: 'Observation.category:x', path: 'Observation.category', sliceName: 'x' }] } }, /no slicing/],
      [{ ...base, differential: { element: [{ id: 'Observation', path: 'Observation', constraint: [{ key: 'b-1', severity: 'error', human: 'b', expression: 'status = = 1' }] }] } }, /b-1/],
      [{ ...base }, /differential/],
    ];
    for (const [sd, text] of cases) {
      const res = await post('StructureDefinition', sd);
      expect(res.status, JSON.stringify(sd)).toBe(400);
      expect(res.body.issue.map((i: { diagnostics: string }) => i.diagnostics).join('\n')).toMatch(text);
    }
    expect(await count('StructureDefinition?url=https://example.org/fhir/StructureDefinition/bad')).toBe(0);
  });

  it('/metadata lists the Meridian profiles of each profiled type', async () => {
    const res = await t.http.get('/fhir/metadata');
    const resources = res.body.rest[0].resource as { type: string; supportedProfile?: string[] }[];
    const of = (type: string) => resources.find((r) => r.type === type)?.supportedProfile;
    expect(of('Observation')).toEqual(expect.arrayContaining([VITALS, BP, LAB]));
    expect(of('Patient')).toContain(PATIENT);
    for (const type of ['Practitioner', 'Appointment', 'Claim', 'MedicationRequest', 'Condition', 'AllergyIntolerance', 'Encounter', 'Coverage']) {
      expect(of(type), type).toEqual([`${SD}meridian-${type.toLowerCase()}`]);
    }
    expect(of('Organization')).toBeUndefined();
  });
});
