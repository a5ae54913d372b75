// The patient-view care-gap service and the encounter-discharge follow-up service, called directly
// (run() with hand-built prefetch): for each rule a patient that triggers it and one that does not;
// the risk score against the NCEP ATP III point tables; the rules files' terminology check.
import fs from 'node:fs';
import type { Appointment, Bundle, Condition, Encounter, Immunization, MedicationRequest, Observation, Patient, Resource, ServiceRequest } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARE_GAP_RULES, framinghamAtp3, loadCareGapRules, PATIENT_VIEW_SERVICE } from '../src/cds/services/patient-view.js';
import { DISCHARGE_RULES, ENCOUNTER_DISCHARGE_SERVICE, loadDischargeRules } from '../src/cds/services/encounter-discharge.js';
import type { CdsCard, CdsInput, CdsServiceResult, FhirReader, Hook } from '../src/cds/types.js';
import { FHIR_JSON, testServer, type TestServer } from './harness.js';

const NOW = new Date('2026-12-02T10:00:00Z');
const LOINC = 'http://loinc.org';
const SNOMED = 'http://snomed.info/sct';
const CVX = 'http://hl7.org/fhir/sid/cvx';
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';

const noFhir: FhirReader = {
  async search() { throw new Error('the service should not search: prefetch is filled'); },
  async read() { throw new Error('the service should not read: prefetch is filled'); },
};

const bundle = (...resources: Resource[]): Bundle => ({ resourceType: 'Bundle', type: 'searchset', total: resources.length, entry: resources.map((resource) => ({ resource })) });

let n = 0;
const patient = (birthDate: string, gender: Patient['gender']): Patient => ({ resourceType: 'Patient', id: 'p1', birthDate, gender });
const condition = (code: string, display: string, status = 'active'): Condition => ({
  resourceType: 'Condition', id: `c${++n}`, subject: { reference: 'Patient/p1' },
  clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: status }] },
  code: { coding: [{ system: SNOMED, code, display }] }, onsetDateTime: '2019-03-02',
});
const DIABETES = () => condition('44054006', 'Diabetes mellitus type 2');
const HYPERTENSION = () => condition('38341003', 'Hypertensive disorder, systemic arterial');
const lab = (code: string, value: number, unit: string, date: string): Observation => ({
  resourceType: 'Observation', id: `o${++n}`, status: 'final', code: { coding: [{ system: LOINC, code }] }, subject: { reference: 'Patient/p1' },
  effectiveDateTime: date, valueQuantity: { value, unit, system: 'http://unitsofmeasure.org', code: unit },
});
const bpPanel = (sys: number, dia: number, date: string): Observation => ({
  resourceType: 'Observation', id: `o${++n}`, status: 'final', code: { coding: [{ system: LOINC, code: '85354-9' }] }, subject: { reference: 'Patient/p1' },
  effectiveDateTime: date,
  component: [
    { code: { coding: [{ system: LOINC, code: '8480-6' }] }, valueQuantity: { value: sys, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } },
    { code: { coding: [{ system: LOINC, code: '8462-4' }] }, valueQuantity: { value: dia, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } },
  ],
});
const shot = (cvx: string, date: string): Immunization => ({
  resourceType: 'Immunization', id: `i${++n}`, status: 'completed', vaccineCode: { coding: [{ system: CVX, code: cvx }] }, patient: { reference: 'Patient/p1' }, occurrenceDateTime: date,
});
const med = (rxnorm: string, display: string): MedicationRequest => ({
  resourceType: 'MedicationRequest', id: `m${++n}`, status: 'active', intent: 'order', subject: { reference: 'Patient/p1' },
  medicationCodeableConcept: { coding: [{ system: RXNORM, code: rxnorm, display }] },
});

interface Chart {
  patient: Patient;
  conditions?: Condition[];
  hba1c?: Observation[];
  bloodPressure?: Observation[];
  immunizations?: Immunization[];
  lipids?: Observation[];
  smoking?: Observation[];
  medications?: MedicationRequest[];
}

function input(hook: Hook, context: Record<string, unknown>, prefetch: CdsInput['prefetch']): CdsInput {
  return { request: { hook, hookInstance: 'd1f4a7e2-0000-4000-8000-000000000001', context }, prefetch, fhir: noFhir, now: NOW };
}

function patientView(chart: Chart): Promise<CdsServiceResult> {
  const orNull = (list?: Resource[]) => (list && list.length ? bundle(...list) : null);
  return PATIENT_VIEW_SERVICE.run(input('patient-view', { userId: 'Practitioner/pr1', patientId: 'p1' }, {
    patient: chart.patient,
    conditions: orNull(chart.conditions),
    hba1c: orNull(chart.hba1c),
    bloodPressure: orNull(chart.bloodPressure),
    immunizations: orNull(chart.immunizations),
    lipids: orNull(chart.lipids),
    smoking: orNull(chart.smoking),
    medications: orNull(chart.medications),
  }));
}

const rulesFired = (r: CdsServiceResult) => r.fired.map((f) => f.rule);
/** A child: no adult immunization or BP rule applies, so only the rule under test can fire. */
const CHILD = patient('2016-05-01', 'female');
/** An adult up to date on immunizations, to isolate the other rules. */
const vaccinated = (birthDate: string, gender: Patient['gender']) => ({
  patient: patient(birthDate, gender),
  immunizations: [shot('150', '2026-10-01'), shot('115', '2020-06-01'), shot('216', '2025-01-10')],
});

describe('rules files', () => {
  it('load, with a version and sources, and every code checked against the shipped terminology', () => {
    expect(CARE_GAP_RULES.version).toMatch(/^care-gaps-/);
    expect(CARE_GAP_RULES.sources.every((s) => s.title && s.url)).toBe(true);
    expect(DISCHARGE_RULES.version).toMatch(/^discharge-/);
  });

  it('fail loudly when a rule names a code the terminology does not have', () => {
    const text = fs.readFileSync(new URL('../src/cds/rules/care-gaps.json', import.meta.url), 'utf8');
    const bad = JSON.parse(text);
    bad.rules.hba1c.test.code = '99999-9';
    bad.rules.hba1c.conditions[0].code = '73211008';
    expect(() => loadCareGapRules(JSON.stringify(bad))).toThrow(/http:\/\/snomed.info\/sct\|73211008 is not in the shipped SNOMED CT[\s\S]*http:\/\/loinc.org\|99999-9/);
    const badCvx = JSON.parse(text);
    badCvx.rules.immunizations[0].cvx.push('999');
    expect(() => loadCareGapRules(JSON.stringify(badCvx))).toThrow(/CVX 999 is not in the file's cvx list/);
    const badSystem = JSON.parse(fs.readFileSync(new URL('../src/cds/rules/discharge.json', import.meta.url), 'utf8'));
    badSystem.rules.followUp.chronicConditions.push({ system: 'http://example.org/not-shipped', code: 'x' });
    expect(() => loadDischargeRules(JSON.stringify(badSystem))).toThrow(/code system http:\/\/example.org\/not-shipped is not shipped/);
    const badClass = JSON.parse(text);
    badClass.rules.risk.antihypertensiveClasses.codes.push('beta-blocker');
    expect(() => loadCareGapRules(JSON.stringify(badClass))).toThrow(/drug-class\|beta-blocker/);
  });
});

describe('patient-view: HbA1c overdue in diabetes', () => {
  it('fires for a type 2 diabetic (is-a 73211009 through the shipped SNOMED) with no HbA1c, proposing a valid ServiceRequest', async () => {
    const result = await patientView({ patient: CHILD, conditions: [DIABETES()] });
    expect(rulesFired(result)).toEqual(['care-gap/hba1c-overdue']);
    expect(result.fired[0].version).toBe(CARE_GAP_RULES.version);
    expect(result.fired[0].why).toContain('44054006');
    const card = result.cards[0];
    expect(card.indicator).toBe('warning');
    expect(card.summary.length).toBeLessThan(140);
    expect(card.source.topic).toMatchObject({ code: 'care-gap/hba1c-overdue' });
    expect(card.overrideReasons?.map((c) => c.system)).toContain('https://meridian.dev/fhir/CodeSystem/cds-override-reason');
    const order = card.suggestions![0].actions![0].resource as ServiceRequest;
    expect(order).toMatchObject({ resourceType: 'ServiceRequest', status: 'draft', intent: 'proposal', subject: { reference: 'Patient/p1' }, requester: { reference: 'Practitioner/pr1' } });
    expect(order.code?.coding?.[0]).toMatchObject({ system: LOINC, code: '4548-4' });
  });

  it('fires for a diabetic coded in ICD-10-CM only (E11.9 is-a the block E08-E13 of the shipped ICD-10-CM); not for R73.03 prediabetes', async () => {
    const icd = (code: string, display: string): Condition => ({ ...condition('x', display), code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code, display }] } });
    const result = await patientView({ patient: CHILD, conditions: [icd('E11.9', 'Type 2 diabetes mellitus without complications')] });
    expect(rulesFired(result)).toEqual(['care-gap/hba1c-overdue']);
    expect(result.fired[0].why).toContain('ICD-10-CM E11.9');
    expect((await patientView({ patient: CHILD, conditions: [icd('R73.03', 'Prediabetes')] })).fired).toEqual([]);
  });

  it('fires when the last HbA1c is older than 6 months, naming its value and date', async () => {
    const result = await patientView({ patient: CHILD, conditions: [DIABETES()], hba1c: [lab('4548-4', 7.9, '%', '2026-04-20')] });
    expect(rulesFired(result)).toEqual(['care-gap/hba1c-overdue']);
    expect(result.cards[0].detail).toContain('7.9 %');
    expect(result.cards[0].detail).toContain('2026-04-20');
  });

  it('does not fire with a recent HbA1c, for a prediabetic (15777000 is not a diabetes), or for resolved diabetes', async () => {
    expect((await patientView({ patient: CHILD, conditions: [DIABETES()], hba1c: [lab('4548-4', 6.8, '%', '2026-09-15')] })).fired).toEqual([]);
    expect((await patientView({ patient: CHILD, conditions: [condition('15777000', 'Prediabetes')] })).fired).toEqual([]);
    expect((await patientView({ patient: CHILD, conditions: [condition('44054006', 'Diabetes mellitus type 2', 'resolved')] })).fired).toEqual([]);
  });
});

describe('patient-view: blood pressure above target', () => {
  it('warns a hypertensive whose last 3 readings average above 130/80 (panels 85354-9)', async () => {
    const result = await patientView({
      ...vaccinated('1960-02-10', 'female'),
      conditions: [HYPERTENSION()],
      bloodPressure: [bpPanel(148, 92, '2026-11-20'), bpPanel(142, 88, '2026-08-01'), bpPanel(139, 86, '2026-05-03'), bpPanel(118, 70, '2026-01-10')],
    });
    expect(rulesFired(result)).toEqual(['care-gap/bp-above-target']);
    const card = result.cards[0];
    expect(card.indicator).toBe('warning');
    expect(card.summary).toContain('143/89'); // (148+142+139)/3, (92+88+86)/3
    expect(card.detail).toContain('148/92 mmHg on 2026-11-20');
    expect(card.detail).not.toContain('118/70');
  });

  it('pairs separate systolic and diastolic Observations; no hypertension diagnosis gives an info card', async () => {
    const result = await patientView({
      ...vaccinated('1970-02-10', 'male'),
      bloodPressure: [lab('8480-6', 136, 'mm[Hg]', '2026-11-01T09:00:00Z'), lab('8462-4', 84, 'mm[Hg]', '2026-11-01T09:00:00Z'), lab('8480-6', 134, 'mm[Hg]', '2026-10-01T09:00:00Z'), lab('8462-4', 82, 'mm[Hg]', '2026-10-01T09:00:00Z')],
    });
    expect(rulesFired(result)).toEqual(['care-gap/bp-above-target']);
    expect(result.cards[0].indicator).toBe('info');
    expect(result.cards[0].summary).toContain('135/83');
  });

  it('does not fire at target, on a single reading, or on readings older than 12 months', async () => {
    const base = { ...vaccinated('1960-02-10', 'female'), conditions: [HYPERTENSION()] };
    expect((await patientView({ ...base, bloodPressure: [bpPanel(126, 78, '2026-11-20'), bpPanel(128, 76, '2026-08-01')] })).fired).toEqual([]);
    expect((await patientView({ ...base, bloodPressure: [bpPanel(160, 100, '2026-11-20')] })).fired).toEqual([]);
    expect((await patientView({ ...base, bloodPressure: [bpPanel(150, 95, '2025-10-20'), bpPanel(152, 96, '2025-08-01')] })).fired).toEqual([]);
  });
});

describe('patient-view: immunizations', () => {
  it('an adult of 60 with none on record: influenza this season, Td/Tdap and pneumococcal, each a suggestion', async () => {
    const result = await patientView({ patient: patient('1966-03-01', 'male') });
    expect(rulesFired(result)).toEqual(['care-gap/influenza-this-season', 'care-gap/td-tdap-10-years', 'care-gap/pneumococcal-50-plus']);
    const card = result.cards[0];
    expect(card.summary).toBe('Immunizations due: Influenza, Td/Tdap, Pneumococcal');
    expect(card.selectionBehavior).toBe('any');
    expect(card.suggestions).toHaveLength(3);
    expect(card.suggestions![0].actions![0].resource).toMatchObject({ resourceType: 'MedicationRequest', status: 'draft', intent: 'proposal', medicationCodeableConcept: { coding: [{ system: CVX, code: '150' }] } });
  });

  it('last season\'s influenza dose and a Td 11 years ago do not count; a 30-year-old needs no pneumococcal dose', async () => {
    const result = await patientView({ patient: patient('1996-03-01', 'female'), immunizations: [shot('158', '2026-03-01'), shot('09', '2015-11-01')] });
    expect(rulesFired(result)).toEqual(['care-gap/influenza-this-season', 'care-gap/td-tdap-10-years']);
    expect(result.cards[0].detail).toContain('2015-11-01');
  });

  it('does not fire when up to date, nor for a child', async () => {
    expect((await patientView(vaccinated('1966-03-01', 'male'))).fired).toEqual([]);
    expect((await patientView({ patient: CHILD })).fired).toEqual([]);
  });
});

describe('patient-view: 10-year CHD risk (ATP III Framingham points)', () => {
  it('matches the published point tables', () => {
    // Man, 53, nonsmoker, total cholesterol 210, HDL 45, SBP 135 untreated:
    // age 50-54 6, TC 200-239 at 50-59 3, nonsmoker 0, HDL 40-49 1, SBP 130-139 untreated 1 = 11 points -> 8%
    expect(framinghamAtp3({ sex: 'male', age: 53, totalCholesterol: 210, hdl: 45, systolic: 135, treated: false, smoker: false })).toMatchObject({ points: 11, risk: '8' });
    // Woman, 62, smoker, TC 220, HDL 55, SBP 145 treated: 10 + 2 + 2 + 0 + 5 = 19 points -> 8%
    expect(framinghamAtp3({ sex: 'female', age: 62, totalCholesterol: 220, hdl: 55, systolic: 145, treated: true, smoker: true })).toMatchObject({ points: 19, risk: '8' });
    // Man, 55, smoker, TC 250, HDL 38, SBP 165 treated: 8 + 4 + 3 + 2 + 3 = 20 points -> >=30%
    expect(framinghamAtp3({ sex: 'male', age: 55, totalCholesterol: 250, hdl: 38, systolic: 165, treated: true, smoker: true })).toMatchObject({ points: 20, risk: '>=30' });
    // Woman, 36, nonsmoker, TC 150, HDL 65, SBP 110: -3 + 0 + 0 - 1 + 0 = -4 points -> <1%
    expect(framinghamAtp3({ sex: 'female', age: 36, totalCholesterol: 150, hdl: 65, systolic: 110, treated: false, smoker: false })).toMatchObject({ points: -4, risk: '<1' });
    expect(framinghamAtp3({ sex: 'male', age: 82, totalCholesterol: 210, hdl: 45, systolic: 135, treated: false, smoker: false })).toBeUndefined();
  });

  it('reads its inputs from the chart: treated BP from an active lisinopril (RxNorm drug class is-a raas-agent), smoking status from 72166-2', async () => {
    const smoking: Observation = { ...lab('72166-2', 0, '', '2026-06-01'), valueQuantity: undefined, valueCodeableConcept: { coding: [{ system: SNOMED, code: '77176002', display: 'Smoker' }] } };
    const result = await patientView({
      ...vaccinated('1964-05-01', 'female'), // 62
      bloodPressure: [bpPanel(145, 78, '2026-11-20')],
      lipids: [lab('2093-3', 220, 'mg/dL', '2026-06-01'), lab('2085-9', 55, 'mg/dL', '2026-06-01'), lab('2093-3', 260, 'mg/dL', '2020-06-01')],
      smoking: [smoking],
      medications: [med('314076', 'lisinopril 10 MG Oral Tablet')],
    });
    expect(rulesFired(result)).toEqual(['risk/framingham-atp3-10y-chd']);
    const card = result.cards[0];
    expect(card.summary).toBe('10-year CHD risk 8% (Framingham/ATP III, 19 points)');
    expect(card.indicator).toBe('info');
    expect(card.detail).toContain('treated: lisinopril 10 MG Oral Tablet');
    expect(card.detail).toContain('current smoker');
  });

  it('without a smoking status it scores a nonsmoker and gives the smoker value; diabetes makes it a warning', async () => {
    const result = await patientView({
      ...vaccinated('1973-05-01', 'male'), // 53
      conditions: [DIABETES()],
      hba1c: [lab('4548-4', 7.1, '%', '2026-10-01')],
      bloodPressure: [bpPanel(135, 78, '2026-11-20')],
      lipids: [lab('2093-3', 210, 'mg/dL', '2026-06-01'), lab('2085-9', 45, 'mg/dL', '2026-06-01')],
    });
    expect(rulesFired(result)).toEqual(['risk/framingham-atp3-10y-chd']);
    expect(result.cards[0].summary).toBe('10-year CHD risk 8% (Framingham/ATP III, 11 points); diabetes is a CHD risk equivalent; 16% if a smoker');
    expect(result.cards[0].indicator).toBe('warning');
  });

  it('gives no score without cholesterol and HDL', async () => {
    expect((await patientView({ ...vaccinated('1973-05-01', 'male'), bloodPressure: [bpPanel(125, 78, '2026-11-20')], lipids: [lab('2093-3', 210, 'mg/dL', '2026-06-01')] })).fired).toEqual([]);
  });
});

const inpatientEncounter = (end?: string): Encounter => ({
    resourceType: 'Encounter', id: 'e1', status: end ? 'finished' : 'in-progress', subject: { reference: 'Patient/p1' },
    class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP', display: 'inpatient encounter' },
    period: { start: '2026-11-28T14:00:00Z', ...(end ? { end } : {}) },
});

describe('encounter-discharge: follow-up within 14 days', () => {
  const inpatient = inpatientEncounter;
  const appointment = (start: string, status: Appointment['status'] = 'booked'): Appointment => ({
    resourceType: 'Appointment', id: `a${++n}`, status, start, end: start.replace('T09:00', 'T09:20'), participant: [{ actor: { reference: 'Patient/p1' }, status: 'accepted' }],
  });
  const discharge = (encounter: Encounter, conditions: Condition[], appointments: Appointment[]) =>
    ENCOUNTER_DISCHARGE_SERVICE.run(input('encounter-discharge', { userId: 'Practitioner/pr1', patientId: 'p1', encounterId: 'e1' }, {
      patient: patient('1950-01-01', 'male'),
      encounter,
      conditions: conditions.length ? bundle(...conditions) : null,
      appointments: appointments.length ? bundle(...appointments) : null,
    }));

  it('fires for a diabetic leaving hospital with no appointment in 14 days, proposing a valid Appointment', async () => {
    const result = await discharge(inpatient(), [DIABETES(), condition('233604007', 'Pneumonia')], [appointment('2027-01-15T09:00:00Z')]);
    expect(rulesFired(result)).toEqual(['discharge/follow-up-within-14-days']);
    expect(result.fired[0]).toMatchObject({ version: DISCHARGE_RULES.version });
    expect(result.fired[0].why).toContain('next appointment 2027-01-15');
    const card = result.cards[0];
    expect(card.indicator).toBe('warning');
    expect(card.summary).toBe('No follow-up booked within 14 days of discharge (Diabetes mellitus type 2)');
    const proposed = card.suggestions![0].actions![0].resource as Appointment;
    expect(proposed).toMatchObject({ resourceType: 'Appointment', status: 'proposed', requestedPeriod: [{ start: '2026-12-02', end: '2026-12-16' }] });
    expect(proposed.participant.map((p) => p.actor?.reference)).toEqual(['Patient/p1', 'Practitioner/pr1']);
    expect(proposed.participant.every((p) => p.status)).toBe(true);
  });

  it('does not fire with an appointment within 14 days, for an ambulatory encounter, or without a chronic condition', async () => {
    expect((await discharge(inpatient('2026-12-01T11:00:00Z'), [HYPERTENSION()], [appointment('2026-12-10T09:00:00Z')])).fired).toEqual([]);
    const ambulatory = { ...inpatient(), class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' } };
    expect((await discharge(ambulatory, [DIABETES()], [])).fired).toEqual([]);
    expect((await discharge(inpatient(), [condition('233604007', 'Pneumonia')], [])).fired).toEqual([]);
  });

  it('a cancelled appointment in the window does not count', async () => {
    const result = await discharge(inpatient('2026-12-01T11:00:00Z'), [condition('13645005', 'Chronic obstructive lung disease')], [appointment('2026-12-08T09:00:00Z', 'cancelled')]);
    expect(rulesFired(result)).toEqual(['discharge/follow-up-within-14-days']);
  });
});

// Through the protocol: POST /cds-services/<id> on a running Meridian (open CDS auth, the test default),
// no prefetch in the request, so the protocol code fetches every template from Meridian itself (fhirServer
// = Meridian's base; the test server's FHIR API is in open auth mode, so the token is a placeholder).
describe('over HTTP: POST /cds-services/meridian-care-gaps and meridian-discharge-follow-up', () => {
  let t: TestServer;
  const ids: Record<string, string> = {};
  const ago = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();
  const post = async (resource: Resource): Promise<string> => {
    const res = await t.http.post(`/fhir/${resource.resourceType}`).set('Content-Type', FHIR_JSON).send(resource);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.id as string;
  };

  beforeAll(async () => {
    t = await testServer();
    const sixtyYearsAgo = new Date(Date.now() - 60.5 * 365.25 * 86_400_000).toISOString().slice(0, 10);
    ids.patient = await post({ resourceType: 'Patient', name: [{ family: 'Gap', given: ['Carla'] }], gender: 'male', birthDate: sixtyYearsAgo });
    const subject = { reference: `Patient/${ids.patient}` };
    ids.diabetes = await post({ ...DIABETES(), id: undefined, subject });
    await post({ ...HYPERTENSION(), id: undefined, subject });
    for (const [sys, dia, days] of [[152, 94, 3], [146, 90, 40], [150, 92, 90]] as const) await post({ ...bpPanel(sys, dia, ago(days)), id: undefined, subject });
    await post({ ...lab('4548-4', 8.2, '%', ago(300)), id: undefined, subject });
    await post({ ...lab('2093-3', 245, 'mg/dL', ago(90)), id: undefined, subject });
    await post({ ...lab('2085-9', 38, 'mg/dL', ago(90)), id: undefined, subject });
    ids.encounter = await post({ ...inpatientEncounter(), id: undefined, subject });
  });
  afterAll(() => t?.close());

  const call = (service: string, hook: Hook, context: Record<string, unknown>) =>
    t.http.post(`/cds-services/${service}`).set('Content-Type', 'application/json').send({
      hook, hookInstance: crypto.randomUUID(), context, fhirServer: t.server.app.config.baseUrl,
      fhirAuthorization: { access_token: 'open-mode', token_type: 'Bearer', expires_in: 300, scope: 'system/*.rs', subject: 'test' },
    });

  it('discovery lists both services with their prefetch templates', async () => {
    const res = await t.http.get('/cds-services');
    expect(res.status).toBe(200);
    const byId = Object.fromEntries((res.body.services as { id: string }[]).map((s) => [s.id, s]));
    expect(byId['meridian-care-gaps']).toMatchObject({ hook: 'patient-view', prefetch: PATIENT_VIEW_SERVICE.prefetch });
    expect(byId['meridian-discharge-follow-up']).toMatchObject({ hook: 'encounter-discharge', prefetch: ENCOUNTER_DISCHARGE_SERVICE.prefetch });
  });

  it('patient-view answers the care gaps of the stored record', async () => {
    const res = await call('meridian-care-gaps', 'patient-view', { userId: 'Practitioner/pr1', patientId: ids.patient });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const topics = (res.body.cards as { source: { topic?: { code: string } } }[]).map((c) => c.source.topic?.code);
    expect(topics).toEqual(['care-gap/hba1c-overdue', 'care-gap/bp-above-target', 'care-gap/immunizations', 'risk/framingham-atp3-10y-chd']);
    expect(res.body.cards.every((c: { uuid?: string }) => typeof c.uuid === 'string')).toBe(true);
    // SMART app links: BP and risk to prescribing, HbA1c and immunizations to scheduling (absolute launch URLs under /apps/)
    const apps = (app: string) => new URL(`/apps/${app}/`, t.server.app.config.baseUrl).href;
    const links = (res.body.cards as CdsCard[]).map((c) => c.links?.map((l) => [l.type, l.url]));
    expect(links).toEqual([[['smart', apps('scheduling')]], [['smart', apps('prescribing')]], [['smart', apps('scheduling')]], [['smart', apps('prescribing')]]]);
    for (const c of res.body.cards as CdsCard[]) for (const l of c.links!) expect(new URL(l.url).pathname).toMatch(/^\/apps\/(prescribing|scheduling)\/$/);
    // man of 60: age 10, TC 240-279 at 60-69 2, nonsmoker 0, HDL <40 2, SBP >=140 untreated 1 = 15 points -> 20%
    expect(res.body.cards[3].summary).toMatch(/^10-year CHD risk 20% \(Framingham\/ATP III, 15 points\)/);
    // the suggested resources (ServiceRequest for HbA1c, MedicationRequests for vaccines) are valid R4: Meridian accepts them
    const actions = (res.body.cards as { suggestions?: { actions?: { type: string; resource: Resource }[] }[] }[]).flatMap((c) => c.suggestions ?? []).flatMap((x) => x.actions ?? []);
    expect(actions.map((a) => a.resource.resourceType)).toEqual(['ServiceRequest', 'MedicationRequest', 'MedicationRequest', 'MedicationRequest']);
    for (const a of actions) await post({ ...a.resource, ...('requester' in a.resource ? { requester: undefined } : {}) } as Resource);
  });

  it('encounter-discharge proposes a follow-up for the hospitalised diabetic', async () => {
    const res = await call('meridian-discharge-follow-up', 'encounter-discharge', { userId: 'Practitioner/pr1', patientId: ids.patient, encounterId: ids.encounter });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.cards).toHaveLength(1);
    expect(res.body.cards[0].links).toEqual([{ label: 'Book the follow-up in scheduling', url: new URL('/apps/scheduling/', t.server.app.config.baseUrl).href, type: 'smart' }]);
    const proposed = res.body.cards[0].suggestions[0].actions[0].resource as Appointment;
    expect(proposed).toMatchObject({ resourceType: 'Appointment', status: 'proposed' });
    await post({ ...proposed, participant: proposed.participant.filter((p) => p.actor?.reference?.startsWith('Patient/')) });
  });
});

describe('patient-view on the seed population', () => {
  it('the immunization card fires for some adults, not nearly all; the risk score reads the recorded smoking status', async () => {
    const { generatePatientBundles } = await import('../../seed/generate.js');
    let adults = 0;
    let immunizationsDue = 0;
    let influenzaDue = 0;
    let riskCards = 0;
    let smokingRead = 0;
    let currentSmokers = 0;
    for (const b of generatePatientBundles({ patients: 120, seed: 'care-gaps', asOf: '2026-11-01' })) {
      // the prefetch a server would return: ids for the fullUrls, the patient's references as Patient/p1
      const ids = new Map(b.entry!.map((e, i) => [e.fullUrl!, `${e.resource!.resourceType}/r${i}`]));
      const all = b.entry!.map((e, i) => {
        const text = JSON.stringify(e.resource).replace(/"reference":"(urn:uuid:[^"]+)"/g, (_, url: string) => `"reference":"${ids.get(url) === ids.get(b.entry![0].fullUrl!) ? 'Patient/p1' : ids.get(url)}"`);
        return { ...(JSON.parse(text) as Resource), id: i === 0 ? 'p1' : `r${i}` } as Resource;
      });
      const p = all[0] as Patient;
      const age = 2026 - Number(p.birthDate!.slice(0, 4));
      if (age < 20) continue;
      adults++;
      const obs = all.filter((r): r is Observation => r.resourceType === 'Observation');
      const coded = (...codes: string[]) => obs.filter((o) => o.code.coding?.some((c) => codes.includes(c.code!)));
      const result = await patientView({
        patient: p,
        conditions: all.filter((r): r is Condition => r.resourceType === 'Condition'),
        hba1c: coded('4548-4'),
        bloodPressure: coded('85354-9'),
        immunizations: all.filter((r): r is Immunization => r.resourceType === 'Immunization'),
        lipids: coded('2093-3', '2085-9'),
        smoking: coded('72166-2'),
        medications: all.filter((r): r is MedicationRequest => r.resourceType === 'MedicationRequest'),
      });
      const fired = rulesFired(result);
      if (fired.some((f) => f.startsWith('care-gap/') && ['influenza', 'td-tdap', 'pneumococcal'].some((k) => f.includes(k)))) immunizationsDue++;
      if (fired.includes('care-gap/influenza-this-season')) influenzaDue++;
      const risk = result.cards.find((c) => c.summary.startsWith('10-year CHD risk'));
      if (risk) {
        riskCards++;
        expect(risk.detail).not.toContain('smoking status not recorded');
        smokingRead++;
        if (risk.detail!.includes('(current smoker)')) currentSmokers++;
      }
    }
    expect(adults).toBeGreaterThan(60);
    // before the seed recorded immunizations every adult had one due; now influenza coverage is about half
    expect(immunizationsDue / adults).toBeLessThan(0.95);
    expect(influenzaDue / adults).toBeGreaterThan(0.3);
    expect(influenzaDue / adults).toBeLessThan(0.85);
    expect(riskCards).toBeGreaterThan(10);
    expect(smokingRead).toBe(riskCards);
    expect(currentSmokers).toBeLessThan(riskCards);
  });
});
