// One patient's record as a transaction Bundle: Patient, Coverage, AllergyIntolerances, Conditions,
// Encounters over several years with their vital signs and laboratory results, MedicationRequests,
// Appointments on the practice's Slots, and a Claim (with its ClaimResponse once adjudicated) per visit.
// The patient's own resources reference each other by urn:uuid fullUrls; practice resources are reached
// by conditional references on their seed identifiers.
import type {
  AllergyIntolerance, Appointment, Bundle, BundleEntry, Claim, ClaimItem, ClaimResponse, ClaimResponseItem, Condition,
  Coverage, Encounter, Identifier, Immunization, MedicationRequest, Observation, ObservationReferenceRange, Patient, Resource,
} from '@medplum/fhirtypes';
import { makePhysiology, bmiAt, heightAt, interpretation, labValues, referenceRange, vitalsAt, type Treatments, type Visit } from './clinical.js';
import {
  type ConditionKey, type LabKey, type MedicationDef, type MedicationKey, type ProcedureKey, type VitalKey, ALLERGENS, BP_PANEL, CONDITIONS, ENCOUNTER_TYPES, HL7,
  ICD10_VISIT, LABS, LANGUAGES, MEDICATIONS, PROCEDURES, PULSE_OXIMETRY, REACTIONS, ROUTES, SMOKING, SMOKING_STATUS, SPECIALTIES, SYSTEM, VACCINES, VITALS,
} from './codes.js';
import { type Moment, addMinutes, ageOn, formatMoment, isoDay, localDateTime, weekday, yearOf, dayOf, momentKey } from './dates.js';
import { type Ref, concept, createEntry, money, quantity, round, seedIdentifier } from './fhir.js';
import { type AppointmentPlan, type PracticePlan, HOSPITALISTS, PAST_WINDOW_DAYS, SLOT_MINUTES, followUpConditions, historyStart } from './plan.js';
import { PAYERS, refs, siteOf, specialtyCoding } from './practice.js';
import { immunizationPlan, smokingStatus } from './prevention.js';
import { type Profile, ckdStage, has, makeProfile } from './profile.js';
import { Random } from './random.js';

type VisitKind = 'wellness' | 'followup' | 'diagnosis' | 'acute' | 'consult' | 'ed' | 'inpatient';
type SiteKey = 'main' | 'north' | 'hospital' | 'ed';

interface PlannedVisit {
  start: Moment;
  end: Moment;
  kind: VisitKind;
  practitioner: number;
  site: SiteKey;
  acute?: ConditionKey;
  reason?: ConditionKey;
  /** Index of the plan appointment this visit fulfils. */
  appointment?: number;
}

/** At most this many visits per record (the most recent are kept), which keeps a Bundle near 50-200 entries. */
const MAX_VISITS = 12;

const SECTIONS = ['Patient', 'Coverage', 'AllergyIntolerance', 'Condition', 'Encounter', 'Observation', 'MedicationRequest', 'Immunization', 'Appointment', 'Claim', 'ClaimResponse'] as const;
type Section = (typeof SECTIONS)[number];

class RecordBuilder {
  readonly base: string;
  private readonly uuids: Random;
  private readonly sections = new Map<Section, BundleEntry[]>(SECTIONS.map((s) => [s, []]));
  private readonly counters = new Map<string, number>();

  constructor(plan: PracticePlan, index: number) {
    this.base = `${plan.tag}.pat-${index}`;
    this.uuids = Random.of(plan.options.seed, 'uuids', index);
  }

  /** A fullUrl and seed identifier for a resource to come. kind '' is the Patient itself. */
  allocate(kind: string): { fullUrl: string; value: string; identifier: Identifier[] } {
    let value = this.base;
    if (kind) {
      const n = (this.counters.get(kind) ?? 0) + 1;
      this.counters.set(kind, n);
      value = `${this.base}.${kind}-${n}`;
    }
    return { fullUrl: `urn:uuid:${this.uuids.uuid()}`, value, identifier: [seedIdentifier(value)] };
  }

  push(alloc: { fullUrl: string; value: string }, resource: Resource): string {
    this.sections.get(resource.resourceType as Section)!.push(createEntry(alloc.fullUrl, resource, alloc.value));
    return alloc.fullUrl;
  }

  bundle(): Bundle {
    return { resourceType: 'Bundle', type: 'transaction', entry: SECTIONS.flatMap((s) => this.sections.get(s)!) };
  }
}

/** Moves a clinic visit off the weekend to the Monday after, or to the Friday before when Monday is not past yet. */
function clinicDay(day: number, asOfDay: number): number {
  const wd = weekday(day);
  if (wd !== 0 && wd !== 6) return day;
  const monday = day + (wd === 6 ? 2 : 1);
  return monday < asOfDay ? monday : day - (wd === 6 ? 1 : 2);
}

function acuteFor(age: number, rng: Random): ConditionKey {
  if (age < 5) return rng.weighted<ConditionKey>([['otitisMedia', 45], ['viralSinusitis', 25], ['acuteBronchitis', 20], ['strepThroat', age >= 3 ? 10 : 0]]);
  if (age < 18) return rng.weighted<ConditionKey>([['strepThroat', 35], ['viralSinusitis', 30], ['acuteBronchitis', 20], ['otitisMedia', 15]]);
  return rng.weighted<ConditionKey>([['viralSinusitis', 42], ['acuteBronchitis', 38], ['strepThroat', 20]]);
}

export function buildPatientBundle(plan: PracticePlan, index: number): Bundle {
  const { seed } = plan.options;
  const asOfDay = plan.asOfDay;
  const profile = makeProfile(seed, index, asOfDay);
  const rng = Random.of(seed, 'history', index);
  const phys = makePhysiology(profile, rng);
  const rec = new RecordBuilder(plan, index);
  const gp = plan.gpOf(index);
  const hospitalist = plan.options.practitioners + rng.int(0, HOSPITALISTS - 1);
  const start = historyStart(asOfDay, profile.birthDay, rng.int(3, 5));
  const windowStart = asOfDay - PAST_WINDOW_DAYS;
  const appointments = plan.appointments(index);
  const ageAt = (day: number) => ageOn(profile.birthDay, day);
  const clinicMinute = () => 510 + 15 * rng.int(0, 32); // 08:30 .. 16:30

  // ---- the visits ---------------------------------------------------------------------------------
  let visits: PlannedVisit[] = [];
  const clinicVisit = (day: number, kind: VisitKind, minutes: number, extra: Partial<PlannedVisit> = {}): PlannedVisit => {
    const s = { day: clinicDay(day, asOfDay), minute: clinicMinute() };
    return { start: s, end: addMinutes(s, minutes), kind, practitioner: gp, site: siteOf(plan.practitioners[gp]), ...extra };
  };
  // yearly check-ups (well-child visits at 1, 2, 4, 6, 9, 12, 15, 18 and 24 months for the youngest)
  const wellDay = rng.int(0, 364);
  const wellness: number[] = [];
  for (const months of [1, 2, 4, 6, 9, 12, 15, 18, 24]) wellness.push(profile.birthDay + Math.round(months * 30.44));
  for (let y = yearOf(start); y <= yearOf(windowStart); y++) {
    const d = dayOf(y, 1, 1) + wellDay;
    if (d - profile.birthDay > 730) wellness.push(d);
  }
  for (const d of wellness) if (d >= start && d < windowStart) visits.push(clinicVisit(d, 'wellness', 40));
  // chronic follow-ups, every three to six months
  const followOnsets = profile.conditions.filter((c) => followUpConditions(profile).includes(c.key)).map((c) => c.onsetDay);
  if (followOnsets.length) {
    const close = has(profile, 'diabetes') || has(profile, 'atrialFibrillation') || has(profile, 'ckd3');
    const interval = close ? 120 : 182;
    for (let d = Math.max(start, Math.min(...followOnsets) + 14) + rng.int(0, interval); d < windowStart; d += interval + rng.int(-20, 20)) {
      const reasons = followUpConditions(profile, d);
      if (!reasons.length || visits.some((v) => Math.abs(v.start.day - d) < 45)) continue;
      visits.push(clinicVisit(d, 'followup', 25, { reason: reasons[0] }));
    }
  }
  // acute illness, emergencies, the odd admission
  const span = Math.max(0, (asOfDay - start) / 365.2425);
  const age = profile.age;
  const acuteRate = age < 5 ? 1.5 : age < 18 ? 0.8 : age < 65 ? 0.45 : 0.6;
  for (let k = Math.min(4, rng.poisson(acuteRate * span)); k > 0; k--) {
    const d = rng.int(start, asOfDay - 1);
    if (ageAt(d) < 0 || d - profile.birthDay < 60) continue;
    visits.push(clinicVisit(d, 'acute', 20, { acute: acuteFor(ageAt(d), rng) }));
  }
  for (let k = Math.min(2, rng.poisson(0.06 * span)); k > 0; k--) {
    const d = rng.int(start, asOfDay - 1);
    const a = ageAt(d);
    if (a < 6) continue;
    const problem = rng.weighted<ConditionKey>([['ankleSprain', 40], ['chestPain', a >= 35 ? 40 : 0], ['pneumonia', a >= 60 ? 25 : 5]]);
    const s = { day: d, minute: rng.int(0, 1439) };
    visits.push({ start: s, end: addMinutes(s, rng.int(150, 360)), kind: 'ed', practitioner: hospitalist, site: 'ed', acute: problem });
  }
  if (age >= 65 && rng.chance(Math.min(0.5, 0.04 * span))) {
    const d = rng.int(start, asOfDay - 6);
    const s = { day: d, minute: rng.int(0, 1439) };
    visits.push({ start: s, end: { day: d + rng.int(2, 5), minute: rng.int(600, 780) }, kind: 'inpatient', practitioner: hospitalist, site: 'hospital', acute: 'pneumonia' });
  }
  // visits of the past window: the appointments that took place
  appointments.forEach((a, n) => {
    if (a.status !== 'fulfilled') return;
    const slot = plan.slots[a.practitioner][a.slot];
    const s = { day: slot.day, minute: slot.minute + rng.int(0, 10) };
    visits.push({
      start: s,
      end: addMinutes(s, SLOT_MINUTES - 5),
      kind: a.kind === 'specialist' ? 'consult' : a.reason ? 'followup' : 'wellness',
      practitioner: a.practitioner,
      site: siteOf(plan.practitioners[a.practitioner]),
      reason: a.reason,
      appointment: n,
    });
  });
  // a chronic problem that began after the last visit gets a visit of its own
  for (const c of profile.conditions) {
    if (c.onsetDay < start || !CONDITIONS[c.key].chronic) continue;
    if (!visits.some((v) => v.start.day >= c.onsetDay)) visits.push(clinicVisit(c.onsetDay + rng.int(1, 10), 'diagnosis', 25, { reason: c.key }));
  }
  visits.sort((a, b) => momentKey(a.start) - momentKey(b.start) || a.kind.localeCompare(b.kind));
  if (visits.length > MAX_VISITS) visits = visits.slice(visits.length - MAX_VISITS);
  const firstDay = visits.length ? visits[0].start.day : undefined;

  // ---- when each chronic problem was recorded, and what was prescribed for it ---------------------
  const conditionUrl = new Map<ConditionKey, ReturnType<RecordBuilder['allocate']>>();
  const recordedAt = new Map<ConditionKey, number | undefined>(); // index of the visit, or undefined
  for (const c of profile.conditions) {
    conditionUrl.set(c.key, rec.allocate('cond'));
    let at: number | undefined;
    if (firstDay === undefined) at = undefined;
    else if (c.onsetDay < firstDay) at = 0;
    else {
      const i = visits.findIndex((v) => v.start.day >= c.onsetDay);
      at = i >= 0 ? i : undefined;
    }
    recordedAt.set(c.key, at);
  }
  interface Prescription { drug: MedicationKey; reasons: ConditionKey[]; visit: number | undefined; since: number }
  const prescriptions: Prescription[] = [];
  const treatments: Treatments = new Map();
  const prescribe = (drug: MedicationKey, reason: ConditionKey) => {
    const existing = prescriptions.find((p) => p.drug === drug);
    if (existing) {
      if (!existing.reasons.includes(reason)) existing.reasons.push(reason);
      return;
    }
    const onset = profile.conditions.find((c) => c.key === reason)!.onsetDay;
    const visit = recordedAt.get(reason);
    const since = visit === undefined || onset < visits[0].start.day ? onset + 30 : visits[visit].start.day;
    prescriptions.push({ drug, reasons: [reason], visit, since });
    treatments.set(drug, since);
  };
  for (const c of profile.conditions) {
    switch (c.key) {
      case 'diabetes': if (rng.chance(0.95)) prescribe('metformin', c.key); break;
      case 'hypertension':
        prescribe(rng.chance(0.75) ? 'lisinopril' : 'amlodipine', c.key);
        if (age >= 60 && rng.chance(0.3)) prescribe('amlodipine', c.key);
        if (rng.chance(0.2)) prescribe('hydrochlorothiazide', c.key);
        break;
      case 'ckd1': case 'ckd2': case 'ckd3':
        if (has(profile, 'diabetes') || has(profile, 'hypertension')) prescribe('lisinopril', c.key);
        break;
      case 'hyperlipidemia': if (rng.chance(0.8)) prescribe('atorvastatin', c.key); break;
      case 'asthma': prescribe('albuterol', c.key); if (rng.chance(0.45)) prescribe('fluticasone', c.key); break;
      case 'copd': prescribe('albuterol', c.key); break;
      case 'atrialFibrillation': if (rng.chance(0.85)) prescribe('warfarin', c.key); break;
      case 'depression': if (rng.chance(0.7)) prescribe('sertraline', c.key); break;
      case 'anxiety': if (rng.chance(0.35)) prescribe('sertraline', c.key); break;
      case 'hypothyroidism': if (rng.chance(0.95)) prescribe('levothyroxine', c.key); break;
      default: break;
    }
  }

  // ---- Patient and Coverage ------------------------------------------------------------------------
  const patientAlloc = rec.allocate('');
  const patientName = `${profile.given[0]} ${profile.family}`;
  const patientRef = (): Ref => ({ reference: patientAlloc.fullUrl, display: patientName });
  const patient: Patient = {
    resourceType: 'Patient',
    identifier: [
      ...patientAlloc.identifier,
      { use: 'usual', type: concept(HL7.identifierType.MR), system: 'urn:meridian:mrn', value: profile.mrn },
      { use: 'official', type: concept(HL7.identifierType.SS), system: SYSTEM.ssn, value: profile.ssn },
    ],
    active: true,
    name: [{ use: 'official', family: profile.family, given: profile.given }],
    telecom: [
      { system: 'phone', value: profile.phone, use: profile.age >= 16 ? 'mobile' : 'home' },
      ...(profile.email ? [{ system: 'email' as const, value: profile.email, use: 'home' as const }] : []),
    ],
    gender: profile.sex,
    birthDate: isoDay(profile.birthDay),
    address: [{ use: 'home', type: 'physical', line: [profile.address.line], city: profile.address.city, state: 'MA', postalCode: profile.address.postalCode, country: 'US' }],
  };
  if (profile.maritalStatus) patient.maritalStatus = concept(HL7.maritalStatus[profile.maritalStatus]);
  if (profile.age < 18) {
    patient.contact = [{
      relationship: [concept({ system: 'http://terminology.hl7.org/CodeSystem/v2-0131', code: 'N', display: 'Next-of-Kin' }, 'Parent')],
      name: { family: profile.family, given: [rng.pick(rng.chance(0.5) ? ['Maria', 'Jennifer', 'Sarah', 'Linda', 'Aisha', 'Mei'] : ['David', 'Michael', 'Jose', 'Wei', 'James', 'Omar'])] },
      telecom: [{ system: 'phone', value: profile.phone, use: 'mobile' }],
    }];
  }
  patient.communication = [{ language: concept(LANGUAGES[profile.language], LANGUAGES[profile.language].display), preferred: true }];
  patient.generalPractitioner = [refs.practitioner(plan, gp)];
  patient.managingOrganization = refs.clinic(plan);
  rec.push(patientAlloc, patient);

  const payer = PAYERS[profile.payer];
  const coverageAlloc = rec.allocate('cov');
  const coverage: Coverage = {
    resourceType: 'Coverage',
    identifier: [...coverageAlloc.identifier, { type: concept(HL7.identifierType.MB), system: `urn:meridian:payer:${profile.payer}:member`, value: profile.memberId }],
    status: 'active',
    type: concept(payer.coverageType),
    subscriberId: profile.memberId,
    beneficiary: patientRef(),
    relationship: concept(profile.age < 18 && profile.payer !== 'medicaid' ? HL7.subscriberRelationship.child : HL7.subscriberRelationship.self),
    period: { start: isoDay(start) },
    payor: [refs.payer(plan, profile.payer)],
    class: [
      { type: concept(HL7.coverageClass.group), value: payer.group, name: payer.name },
      { type: concept(HL7.coverageClass.plan), value: payer.plan.replace(/\s+/g, '-').toUpperCase(), name: payer.plan },
    ],
  };
  if (!(profile.age < 18 && profile.payer !== 'medicaid')) coverage.subscriber = patientRef();
  rec.push(coverageAlloc, coverage);

  // ---- allergies -----------------------------------------------------------------------------------
  for (const a of profile.allergies) {
    if (a.onsetDay >= asOfDay) continue;
    const def = ALLERGENS[a.key];
    const alloc = rec.allocate('alg');
    const recorded = firstDay !== undefined ? Math.max(firstDay, a.onsetDay) : a.onsetDay;
    const recordedVisit = visits.find((v) => v.start.day >= recorded);
    const allergy: AllergyIntolerance = {
      resourceType: 'AllergyIntolerance',
      identifier: alloc.identifier,
      clinicalStatus: concept(a.resolved ? HL7.allergyClinical.resolved : HL7.allergyClinical.active),
      verificationStatus: concept(a.confirmed ? HL7.allergyVerification.confirmed : HL7.allergyVerification.unconfirmed),
      type: def.type,
      category: [def.category],
      criticality: a.criticality,
      code: concept({ system: SYSTEM.snomed, code: def.snomed, display: def.display }, def.display),
      patient: patientRef(),
      onsetDateTime: isoDay(a.onsetDay),
      recordedDate: recordedVisit ? formatMoment(recordedVisit.start) : isoDay(recorded),
      recorder: refs.practitioner(plan, gp),
      reaction: [{
        manifestation: (a.severity === 'severe' ? def.reactions.slice(-1) : def.reactions.slice(0, 2)).map((r) => concept(REACTIONS[r])),
        severity: a.severity,
      }],
    };
    rec.push(alloc, allergy);
  }

  // ---- chronic Conditions --------------------------------------------------------------------------
  const encounterAllocs = visits.map(() => rec.allocate('enc'));
  for (const c of profile.conditions) {
    const alloc = conditionUrl.get(c.key)!;
    const at = recordedAt.get(c.key);
    const condition: Condition = {
      resourceType: 'Condition',
      identifier: alloc.identifier,
      clinicalStatus: concept(HL7.conditionClinical.active),
      verificationStatus: concept(HL7.conditionVerification.confirmed),
      category: [concept(HL7.conditionCategory.problemListItem)],
      code: conditionCode(c.key),
      subject: patientRef(),
      onsetDateTime: isoDay(c.onsetDay),
      recordedDate: at === undefined ? isoDay(c.onsetDay) : formatMoment(visits[at].start),
    };
    if (at !== undefined) {
      condition.encounter = { reference: encounterAllocs[at].fullUrl };
      condition.recorder = refs.practitioner(plan, visits[at].practitioner);
      condition.asserter = refs.practitioner(plan, visits[at].practitioner);
    }
    rec.push(alloc, condition);
  }

  // ---- each visit: Encounter, acute Condition, vital signs, labs, prescriptions, Claim --------------
  const coverageRef: Ref = { reference: coverageAlloc.fullUrl };
  const appointmentAllocs = appointments.map(() => rec.allocate('appt'));
  let heightMeasured = false;
  visits.forEach((v, vi) => {
    const encAlloc = encounterAllocs[vi];
    const encRef: Ref = { reference: encAlloc.fullUrl };
    const day = v.start.day;
    const a = ageAt(day);
    const visitCtx: Visit = { day, asOfDay, acute: v.acute, treatments };
    const practitionerRef = refs.practitioner(plan, v.practitioner);

    // conditions addressed
    const addressed: ConditionKey[] = [];
    let acuteUrl: string | undefined;
    if (v.acute) {
      const alloc = rec.allocate('cond');
      const onset = day - rng.int(1, 4);
      const abated = day + rng.int(7, 14);
      const condition: Condition = {
        resourceType: 'Condition',
        identifier: alloc.identifier,
        clinicalStatus: concept(abated < asOfDay ? HL7.conditionClinical.resolved : HL7.conditionClinical.active),
        verificationStatus: concept(HL7.conditionVerification.confirmed),
        category: [concept(HL7.conditionCategory.encounterDiagnosis)],
        code: conditionCode(v.acute),
        subject: patientRef(),
        encounter: encRef,
        onsetDateTime: isoDay(onset),
        recordedDate: formatMoment(v.start),
        recorder: practitionerRef,
        asserter: practitionerRef,
      };
      if (abated < asOfDay) condition.abatementDateTime = isoDay(abated);
      acuteUrl = rec.push(alloc, condition);
      addressed.push(v.acute);
    }
    const diagnosedHere = profile.conditions.filter((c) => recordedAt.get(c.key) === vi && c.onsetDay >= (firstDay ?? 0)).map((c) => c.key);
    addressed.push(...diagnosedHere);
    if (v.reason && !addressed.includes(v.reason)) addressed.push(v.reason);
    if (v.kind === 'followup' || v.kind === 'consult') {
      for (const k of followUpConditions(profile, day)) if (addressed.length < 3 && !addressed.includes(k)) addressed.push(k);
    }
    const reasonRefs = (keys: ConditionKey[]): Ref[] => keys.map((k) => ({ reference: k === v.acute ? acuteUrl! : conditionUrl.get(k)!.fullUrl, display: CONDITIONS[k].display }));

    // Encounter
    const encounter: Encounter = {
      resourceType: 'Encounter',
      identifier: encAlloc.identifier,
      status: 'finished',
      class: v.kind === 'ed' ? HL7.encounterClass.EMER : v.kind === 'inpatient' ? HL7.encounterClass.IMP : HL7.encounterClass.AMB,
      type: [concept(encounterType(v.kind, a))],
      subject: patientRef(),
      participant: [{ type: [concept(HL7.participationType.PPRF)], individual: practitionerRef }],
    };
    if (v.appointment !== undefined) encounter.appointment = [{ reference: appointmentAllocs[v.appointment].fullUrl }];
    encounter.period = { start: formatMoment(v.start), end: formatMoment(v.end) };
    if (addressed.length) encounter.reasonReference = reasonRefs(addressed);
    if (v.acute) {
      encounter.diagnosis = [{ condition: { reference: acuteUrl! }, use: concept(v.kind === 'inpatient' ? HL7.diagnosisRole.DD : HL7.diagnosisRole.billing), rank: 1 }];
    }
    if (v.kind === 'inpatient') encounter.hospitalization = { dischargeDisposition: concept(HL7.dischargeDisposition.home) };
    encounter.location = [{ location: refs.site(plan, v.site), status: 'completed' }];
    encounter.serviceProvider = v.kind === 'ed' || v.kind === 'inpatient' ? refs.hospital(plan) : refs.clinic(plan);
    rec.push(encAlloc, encounter);

    // vital signs
    const vitals = vitalsAt(profile, visitCtx, rng);
    const taken = new Set<VitalKey | 'bp'>();
    const adult = a >= 18;
    if (v.kind === 'wellness') {
      ['heartRate', 'respiratoryRate', 'bodyTemperature', 'bodyWeight', 'bodyHeight'].forEach((k) => taken.add(k as VitalKey));
      if (a >= 3) taken.add('bp').add('oxygenSaturation');
      if (a >= 2) taken.add('bmi');
    } else if (v.kind === 'followup' || v.kind === 'diagnosis' || v.kind === 'consult') {
      taken.add('heartRate').add('bp').add('bodyWeight').add('bmi');
      if (!adult) taken.add('bodyHeight');
      if (has(profile, 'copd', day) || has(profile, 'asthma', day)) taken.add('oxygenSaturation');
    } else {
      taken.add('heartRate').add('respiratoryRate').add('bodyTemperature').add('oxygenSaturation');
      if (a >= 3) taken.add('bp');
      if (!adult && v.kind === 'acute') taken.add('bodyWeight');
    }
    if (a < 2) taken.delete('bmi');
    if (taken.has('bmi') && !heightMeasured) taken.add('bodyHeight'); // a first visit measures height too
    if (taken.has('bodyHeight')) heightMeasured = true;
    const measured = addMinutes(v.start, 5);
    const height = round(heightAt(profile, day), 1);
    const weight = round(bmiAt(profile, day, asOfDay) * (heightAt(profile, day) / 100) ** 2 * (1 + rng.normal(0, 0.004)), 1);
    const vitalValue: Record<VitalKey, number> = {
      heartRate: vitals.heartRate,
      respiratoryRate: vitals.respiratoryRate,
      bodyTemperature: vitals.temperature,
      oxygenSaturation: vitals.oxygenSaturation,
      bodyWeight: weight,
      bodyHeight: height,
      bmi: weight / (height / 100) ** 2,
      systolic: vitals.systolic,
      diastolic: vitals.diastolic,
    };
    for (const key of ['heartRate', 'bp', 'respiratoryRate', 'bodyTemperature', 'oxygenSaturation', 'bodyHeight', 'bodyWeight', 'bmi'] as const) {
      if (!taken.has(key)) continue;
      const alloc = rec.allocate('obs');
      const observation: Observation = {
        resourceType: 'Observation',
        identifier: alloc.identifier,
        status: 'final',
        category: [concept(HL7.observationCategory.vitalSigns, 'Vital Signs')],
        code: key === 'bp'
          ? concept(BP_PANEL, 'Blood pressure')
          : key === 'oxygenSaturation'
            ? concept([{ system: SYSTEM.loinc, code: VITALS.oxygenSaturation.loinc, display: VITALS.oxygenSaturation.display }, PULSE_OXIMETRY], 'Oxygen saturation')
            : concept({ system: SYSTEM.loinc, code: VITALS[key].loinc, display: VITALS[key].display }, VITALS[key].display),
        subject: patientRef(),
        encounter: encRef,
        effectiveDateTime: formatMoment(measured),
      };
      if (key === 'bp') {
        observation.component = (['systolic', 'diastolic'] as const).map((k) => ({
          code: concept({ system: SYSTEM.loinc, code: VITALS[k].loinc, display: VITALS[k].display }, VITALS[k].display),
          valueQuantity: quantity(vitalValue[k], VITALS[k].unit, VITALS[k].unitDisplay, VITALS[k].decimals),
        }));
      } else {
        observation.valueQuantity = quantity(vitalValue[key], VITALS[key].unit, VITALS[key].unitDisplay, VITALS[key].decimals);
      }
      rec.push(alloc, observation);
    }

    // laboratory results
    const labs = labsFor(v, profile, visitCtx, rng, diagnosedHere);
    const values = labValues(profile, phys, visitCtx, labs, rng);
    const drawn = addMinutes(v.start, 20);
    for (const key of labs) {
      const def = LABS[key];
      const value = values.get(key)!;
      const range = referenceRange(def, profile.sex);
      const rr: ObservationReferenceRange = {};
      if (range.low !== undefined) rr.low = quantity(range.low, def.unit, def.unitDisplay, def.decimals);
      if (range.high !== undefined) rr.high = quantity(range.high, def.unit, def.unitDisplay, def.decimals);
      const alloc = rec.allocate('obs');
      rec.push(alloc, {
        resourceType: 'Observation',
        identifier: alloc.identifier,
        status: 'final',
        category: [concept(HL7.observationCategory.laboratory, 'Laboratory')],
        code: concept({ system: SYSTEM.loinc, code: def.loinc, display: def.display }, def.display),
        subject: patientRef(),
        encounter: encRef,
        effectiveDateTime: formatMoment(drawn),
        issued: formatMoment(addMinutes(drawn, 240 + rng.int(0, 600))),
        valueQuantity: quantity(value, def.unit, def.unitDisplay, def.decimals),
        interpretation: [concept(HL7.interpretation[interpretation(def, value, profile.sex)])],
        referenceRange: [rr],
      } satisfies Observation);
    }

    // prescriptions written at this visit: long-term therapy started (or renewed at the first visit), acute courses
    for (const p of prescriptions) {
      if (p.visit !== vi) continue;
      pushPrescription(p.drug, p.reasons.map((k) => conditionUrl.get(k)!.fullUrl), v, 'active');
    }
    if (v.acute) {
      const penicillinAllergy = profile.allergies.some((x) => x.key === 'penicillin');
      let drug: MedicationKey | undefined;
      if (v.acute === 'strepThroat' && a >= 12) drug = penicillinAllergy ? 'azithromycin' : 'amoxicillin';
      if (v.acute === 'otitisMedia' && a >= 12) drug = penicillinAllergy ? 'azithromycin' : 'amoxicillin';
      if (v.acute === 'pneumonia') drug = 'azithromycin';
      if (drug) pushPrescription(drug, [acuteUrl!], v, day + ((MEDICATIONS[drug] as MedicationDef).courseDays ?? 0) < asOfDay ? 'completed' : 'active');
    }

    // the Claim, and the payer's answer when it has come
    pushClaim(v, vi, encRef, addressed, labs, a);
  });

  function pushPrescription(drug: MedicationKey, reasonUrls: string[], v: PlannedVisit, status: 'active' | 'completed') {
    const def: MedicationDef = MEDICATIONS[drug];
    const alloc = rec.allocate('med');
    const course = def.courseDays;
    const repeat = def.perDay === 0
      ? { frequency: 1, period: 4, periodMax: 6, periodUnit: 'h' as const }
      : { frequency: def.perDay, period: 1, periodUnit: 'd' as const };
    const request: MedicationRequest = {
      resourceType: 'MedicationRequest',
      identifier: alloc.identifier,
      status,
      intent: 'order',
      category: [concept(HL7.medicationRequestCategory.outpatient)],
      medicationCodeableConcept: concept({ system: SYSTEM.rxnorm, code: def.rxnorm, display: def.display }, def.display),
      subject: patientRef(),
      encounter: { reference: encounterAllocs[visits.indexOf(v)].fullUrl },
      authoredOn: formatMoment(addMinutes(v.start, 15)),
      requester: refs.practitioner(plan, v.practitioner),
      reasonReference: reasonUrls.map((reference) => ({ reference })),
      courseOfTherapyType: concept(course ? HL7.courseOfTherapy.acute : HL7.courseOfTherapy.continuous),
      dosageInstruction: [{
        sequence: 1,
        text: def.sig,
        timing: { repeat: course ? { ...repeat, boundsDuration: { value: course, unit: 'days', system: SYSTEM.ucum, code: 'd' } } : repeat },
        ...(def.perDay === 0 ? { asNeededBoolean: true } : {}),
        route: concept(ROUTES[def.route]),
        doseAndRate: [{ doseQuantity: quantity(def.dose.value, def.dose.unit, def.dose.unitDisplay, 0) }],
      }],
      dispenseRequest: {
        validityPeriod: { start: isoDay(v.start.day), end: isoDay(v.start.day + (course ? 30 : 365)) },
        numberOfRepeatsAllowed: course ? 0 : 3,
        quantity: quantity(def.dispense.value, def.dispense.unit, def.dispense.unitDisplay, 0),
        expectedSupplyDuration: { value: course ?? (def.perDay === 0 ? 30 : def.dispense.value / def.perDay), unit: 'days', system: SYSTEM.ucum, code: 'd' },
      },
    };
    rec.push(alloc, request);
  }

  function pushClaim(v: PlannedVisit, vi: number, encRef: Ref, addressed: ConditionKey[], labs: LabKey[], a: number) {
    // diagnoses: the problems addressed, or the routine examination (with the chronic problems known)
    const diagnoses: { code: string; display: string }[] = addressed.map((k) => ({ code: CONDITIONS[k].icd10, display: CONDITIONS[k].icd10Display }));
    if (v.kind === 'wellness') {
      diagnoses.unshift(a < 18 ? ICD10_VISIT.childExam : ICD10_VISIT.adultExam);
      for (const k of followUpConditions(profile, v.start.day).slice(0, 2)) diagnoses.push({ code: CONDITIONS[k].icd10, display: CONDITIONS[k].icd10Display });
    }
    const unique = diagnoses.filter((d, i) => diagnoses.findIndex((x) => x.code === d.code) === i).slice(0, 4);
    const procedures: ProcedureKey[] = [visitProcedure(v, a, addressed.length, labs.length > 0)];
    if (v.kind === 'wellness' && (has(profile, 'atrialFibrillation', v.start.day) || (a >= 65 && rng.chance(0.3)))) procedures.push('ecg');
    if (v.kind === 'wellness' && (has(profile, 'copd', v.start.day) || has(profile, 'asthma', v.start.day)) && rng.chance(0.5)) procedures.push('spirometry');
    if (v.kind === 'consult' && specialtyOfVisit(v) === 'cardiology') procedures.push('ecg');
    if (v.kind === 'consult' && specialtyOfVisit(v) === 'pulmonology') procedures.push('spirometry');
    if (v.acute === 'strepThroat') procedures.push('rapidStrep');
    if (v.acute === 'chestPain') procedures.push('ecg');
    if (v.acute === 'pneumonia') procedures.push('chestXray');
    if (v.kind === 'inpatient') procedures.push('hospitalDischarge');
    if (labs.length) {
      procedures.push('venipuncture');
      for (const l of labs) if (!procedures.includes(LABS[l].billedAs)) procedures.push(LABS[l].billedAs);
    }

    const claimAlloc = rec.allocate('claim');
    const claimDay = Math.min(v.end.day + rng.int(0, 2), asOfDay - 1);
    const payerKey = profile.payer;
    const facility = refs.site(plan, v.site);
    const items: ClaimItem[] = procedures.map((p, n) => ({
      sequence: n + 1,
      careTeamSequence: [1],
      diagnosisSequence: n === 0 ? unique.map((_, d) => d + 1) : [1],
      productOrService: concept({ system: SYSTEM.cpt, code: PROCEDURES[p].code, display: PROCEDURES[p].display }),
      servicedDate: isoDay(v.start.day),
      quantity: { value: 1 },
      unitPrice: money(PROCEDURES[p].fee),
      net: money(PROCEDURES[p].fee),
      encounter: [encRef],
    }));
    const total = procedures.reduce((sum, p) => sum + PROCEDURES[p].fee, 0);
    const claim: Claim = {
      resourceType: 'Claim',
      identifier: claimAlloc.identifier,
      status: 'active',
      type: concept(HL7.claimType.professional),
      use: 'claim',
      patient: patientRef(),
      billablePeriod: { start: formatMoment(v.start), end: formatMoment(v.end) },
      created: isoDay(claimDay),
      insurer: refs.payer(plan, payerKey),
      provider: refs.practitioner(plan, v.practitioner),
      priority: concept(HL7.processPriority.normal),
      facility,
      careTeam: [{ sequence: 1, provider: refs.practitioner(plan, v.practitioner) }],
      diagnosis: unique.map((d, n) => ({ sequence: n + 1, diagnosisCodeableConcept: concept({ system: SYSTEM.icd10cm, code: d.code, display: d.display }) })),
      insurance: [{ sequence: 1, focal: true, coverage: coverageRef }],
      item: items,
      total: money(total),
    };
    const claimUrl = rec.push(claimAlloc, claim);

    const responseDay = claimDay + rng.int(7, 30);
    if (responseDay >= asOfDay) return; // not adjudicated yet
    const payer = PAYERS[payerKey];
    const preventive = v.kind === 'wellness';
    let benefitTotal = 0;
    const adjudicated: ClaimResponseItem[] = procedures.map((p, n) => {
      const fee = PROCEDURES[p].fee;
      const eligible = round(fee * payer.allowed, 2);
      const copay = n === 0 && !preventive && v.kind !== 'inpatient' ? Math.min(payer.copay, eligible) : 0;
      const benefit = round(eligible - copay, 2);
      benefitTotal += benefit;
      const adjudication = [
        { category: concept(HL7.adjudication.submitted), amount: money(fee) },
        { category: concept(HL7.adjudication.eligible), amount: money(eligible) },
      ];
      if (copay > 0) adjudication.push({ category: concept(HL7.adjudication.copay), amount: money(copay) });
      adjudication.push({ category: concept(HL7.adjudication.benefit), amount: money(benefit) });
      return { itemSequence: n + 1, adjudication };
    });
    const responseAlloc = rec.allocate('cr');
    const response: ClaimResponse = {
      resourceType: 'ClaimResponse',
      identifier: responseAlloc.identifier,
      status: 'active',
      type: concept(HL7.claimType.professional),
      use: 'claim',
      patient: patientRef(),
      created: isoDay(responseDay),
      insurer: refs.payer(plan, payerKey),
      requestor: refs.practitioner(plan, v.practitioner),
      request: { reference: claimUrl },
      outcome: 'complete',
      disposition: 'Claim settled as per contract.',
      item: adjudicated,
      total: [
        { category: concept(HL7.adjudication.submitted), amount: money(total) },
        { category: concept(HL7.adjudication.benefit), amount: money(benefitTotal) },
      ],
      payment: { type: concept(HL7.paymentType.complete), date: isoDay(responseDay), amount: money(benefitTotal) },
    };
    rec.push(responseAlloc, response);
  }

  function specialtyOfVisit(v: PlannedVisit) {
    return plan.practitioners[v.practitioner].specialty;
  }

  // ---- Appointments on Slots (past, future; fulfilled, no-shows, cancellations) --------------------
  appointments.forEach((ap, n) => pushAppointment(ap, n));

  function pushAppointment(ap: AppointmentPlan, n: number) {
    const prac = plan.practitioners[ap.practitioner];
    const slot = plan.slots[ap.practitioner][ap.slot];
    const begin: Moment = { day: slot.day, minute: slot.minute };
    const specialist = ap.kind === 'specialist';
    const type = specialist ? HL7.appointmentType.ROUTINE : ap.reason ? HL7.appointmentType.FOLLOWUP : HL7.appointmentType.CHECKUP;
    const description = specialist
      ? `${SPECIALTIES[prac.specialty].display} consultation${ap.reason ? `: ${CONDITIONS[ap.reason].display}` : ''}`
      : ap.reason ? `Follow-up: ${CONDITIONS[ap.reason].display}` : 'Check-up';
    const patientDeclined = ap.status === 'cancelled' && ap.cancellation?.startsWith('pat');
    // participant (required) is set last, to keep the JSON in the order of the specification
    const appointment = { resourceType: 'Appointment', identifier: appointmentAllocs[n].identifier, status: ap.status } as Appointment;
    if (ap.status === 'cancelled' && ap.cancellation) appointment.cancelationReason = concept(HL7.cancellationReason[ap.cancellation]);
    appointment.serviceCategory = [concept(specialist ? HL7.serviceCategory.specialistMedical : HL7.serviceCategory.generalPractice)];
    appointment.specialty = [concept(specialtyCoding(prac))];
    appointment.appointmentType = concept(type);
    if (ap.reason) appointment.reasonReference = [{ reference: conditionUrl.get(ap.reason)!.fullUrl, display: CONDITIONS[ap.reason].display }];
    appointment.description = description;
    appointment.start = formatMoment(begin);
    appointment.end = formatMoment(addMinutes(begin, SLOT_MINUTES));
    appointment.minutesDuration = SLOT_MINUTES;
    appointment.slot = [refs.slot(plan, ap.practitioner, ap.slot)];
    appointment.created = localDateTime(slot.day - ap.bookedDaysBefore, 480 + rng.int(0, 600));
    appointment.participant = [
      { actor: patientRef(), required: 'required', status: patientDeclined ? 'declined' : 'accepted' },
      { actor: refs.practitioner(plan, ap.practitioner), required: 'required', status: 'accepted' },
      { actor: refs.site(plan, siteOf(prac)), required: 'required', status: 'accepted' },
    ];
    rec.push(appointmentAllocs[n], appointment);
  }

  // ---- smoking status and immunizations: their own random stream, allocated last, so that nothing above
  // changes ----------------------------------------------------------------------------------------
  const prevention = Random.of(seed, 'prevention', index);
  const smoking = smokingStatus(profile, prevention);
  if (smoking) {
    const at = visits.findLastIndex((v) => ['wellness', 'followup', 'diagnosis'].includes(v.kind) && ageAt(v.start.day) >= 18);
    const alloc = rec.allocate('obs');
    const observation: Observation = {
      resourceType: 'Observation',
      identifier: alloc.identifier,
      status: 'final',
      category: [concept(HL7.observationCategory.socialHistory, 'Social History')],
      code: concept(SMOKING_STATUS, SMOKING_STATUS.display),
      subject: patientRef(),
    };
    if (at >= 0) {
      observation.encounter = { reference: encounterAllocs[at].fullUrl };
      observation.effectiveDateTime = formatMoment(addMinutes(visits[at].start, 5));
      observation.performer = [refs.practitioner(plan, visits[at].practitioner)];
    } else {
      observation.effectiveDateTime = isoDay(asOfDay - prevention.int(30, 365));
    }
    observation.valueCodeableConcept = concept(SMOKING[smoking], SMOKING[smoking].display);
    rec.push(alloc, observation);
  }
  for (const dose of immunizationPlan(profile, asOfDay, visits.map((v) => ({ day: v.start.day, kind: v.kind })), prevention)) {
    const alloc = rec.allocate('imm');
    const vaccine = VACCINES[dose.vaccine];
    const v = dose.visit === undefined ? undefined : visits[dose.visit];
    const immunization: Immunization = {
      resourceType: 'Immunization',
      identifier: alloc.identifier,
      status: 'completed',
      vaccineCode: concept(vaccine, vaccine.display),
      patient: patientRef(),
    };
    if (v) {
      immunization.encounter = { reference: encounterAllocs[dose.visit!].fullUrl };
      immunization.occurrenceDateTime = formatMoment(addMinutes(v.start, 25));
      immunization.primarySource = true;
      immunization.location = refs.site(plan, v.site);
      immunization.site = concept(HL7.bodySite.leftArm);
      immunization.route = concept(HL7.immunizationRoute.IM);
      immunization.performer = [{ actor: refs.practitioner(plan, v.practitioner) }];
    } else {
      // given elsewhere (a pharmacy, an earlier clinician) and recorded from that report
      immunization.occurrenceDateTime = isoDay(dose.day);
      immunization.primarySource = false;
    }
    rec.push(alloc, immunization);
  }

  return rec.bundle();
}

function conditionCode(key: ConditionKey) {
  const def = CONDITIONS[key];
  return concept(
    [
      { system: SYSTEM.snomed, code: def.snomed, display: def.display },
      { system: SYSTEM.icd10cm, code: def.icd10, display: def.icd10Display },
    ],
    def.display,
  );
}

function encounterType(kind: VisitKind, age: number) {
  switch (kind) {
    case 'wellness': return age < 18 ? ENCOUNTER_TYPES.wellChild : ENCOUNTER_TYPES.checkUp;
    case 'followup': return ENCOUNTER_TYPES.followUp;
    case 'diagnosis': return ENCOUNTER_TYPES.symptom;
    case 'acute': return ENCOUNTER_TYPES.symptom;
    case 'consult': return ENCOUNTER_TYPES.consultation;
    case 'ed': return ENCOUNTER_TYPES.emergency;
    case 'inpatient': return ENCOUNTER_TYPES.admission;
  }
}

function visitProcedure(v: PlannedVisit, age: number, problems: number, labs: boolean): ProcedureKey {
  switch (v.kind) {
    case 'wellness':
      return age < 1 ? 'preventiveInfant' : age < 5 ? 'preventiveEarlyChild' : age < 12 ? 'preventiveChild' : age < 18 ? 'preventiveAdolescent' : age < 40 ? 'preventiveAdult' : age < 65 ? 'preventiveMidlife' : 'preventiveSenior';
    case 'consult': return 'newPatientModerate';
    case 'ed': return v.acute === 'ankleSprain' ? 'emergencyModerate' : 'emergencyHigh';
    case 'inpatient': return 'hospitalAdmission';
    default: return problems >= 2 || labs ? 'establishedModerate' : 'establishedLow';
  }
}

const CMP: LabKey[] = ['glucose', 'bun', 'creatinine', 'egfr', 'sodium', 'potassium'];
const LIPIDS: LabKey[] = ['cholesterol', 'ldl', 'hdl', 'triglycerides'];
const CBC: LabKey[] = ['hemoglobin', 'wbc', 'platelets'];

/** Which tests are drawn at a visit. */
function labsFor(v: PlannedVisit, profile: Profile, ctx: Visit, rng: Random, diagnosedHere: ConditionKey[]): LabKey[] {
  const day = v.start.day;
  const age = ageOn(profile.birthDay, day);
  const out = new Set<LabKey>();
  const add = (keys: LabKey[]) => keys.forEach((k) => out.add(k));
  const diabetes = has(profile, 'diabetes', day);
  const ckd = ckdStage(profile, day);
  const warfarin = ctx.treatments.has('warfarin') && day >= ctx.treatments.get('warfarin')!;
  if (v.kind === 'wellness' && age >= 18) {
    const chronic = profile.conditions.some((c) => c.onsetDay <= day && CONDITIONS[c.key].chronic);
    if (age >= 40 || chronic || rng.chance(0.4)) add(CMP);
    if (age >= 40 || diabetes || has(profile, 'hyperlipidemia', day) || rng.chance(0.25)) add(LIPIDS);
    if (ckd >= 3 || rng.chance(0.35)) add(CBC);
    if (diabetes || has(profile, 'prediabetes', day) || (age >= 45 && profile.bmi >= 25)) add(['hba1c']);
    if (has(profile, 'hypothyroidism', day) || (profile.sex === 'female' && age >= 50 && rng.chance(0.25))) add(['tsh']);
    if (diabetes || ckd > 0) add(['uacr']);
    if (warfarin) add(['inr']);
  } else if (v.kind === 'followup' || v.kind === 'diagnosis' || v.kind === 'consult') {
    if (diabetes) add(['hba1c', 'glucose']);
    if (ckd > 0) add(['creatinine', 'egfr', 'potassium']);
    if (warfarin) add(['inr']);
    if (diagnosedHere.includes('hyperlipidemia')) add(LIPIDS);
    if (diagnosedHere.some((k) => k.startsWith('ckd'))) add(['uacr']);
    if (diagnosedHere.includes('hypothyroidism') || (v.reason === 'hypothyroidism' && rng.chance(0.5))) add(['tsh']);
    if (diagnosedHere.includes('prediabetes')) add(['hba1c']);
  } else if (v.kind === 'inpatient' || (v.kind === 'ed' && v.acute === 'pneumonia')) {
    add(CBC);
    add(CMP);
  } else if (v.kind === 'ed' && v.acute === 'chestPain') {
    add(CBC);
  }
  // a stable order: the order of LABS
  return (Object.keys(LABS) as LabKey[]).filter((k) => out.has(k));
}
