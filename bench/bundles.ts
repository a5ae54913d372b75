// The ingest phase's data: one transaction Bundle per synthetic patient, as an EHR feed or a
// migration sends it: the Patient and their record over a few years (encounters, vital signs from
// observations.ts, lab panels with their DiagnosticReports, conditions, the medications for them,
// immunizations, procedures, allergies, smoking status), every entry a POST with a urn:uuid fullUrl
// that the other entries refer to. Codes are real LOINC, SNOMED CT, ICD-10-CM, RxNorm and CVX codes;
// people, places and numbers are made up. Deterministic: the same seed gives the same Bundles.
import { observationGenerator, seededRandom } from './observations.js';

type Json = Record<string, unknown>;

export interface BundleEntry {
  fullUrl: string;
  resource: Json & { resourceType: string };
  request: { method: 'POST'; url: string };
}

export interface TransactionBundle {
  resourceType: 'Bundle';
  type: 'transaction';
  entry: BundleEntry[];
}

/** A resource as a bare JSONB table stores it: its id, its type, its JSON with references resolved. */
export interface RawRow {
  id: string;
  resourceType: string;
  content: string;
}

const LOINC = 'http://loinc.org';
const SNOMED = 'http://snomed.info/sct';
const ICD10 = 'http://hl7.org/fhir/sid/icd-10-cm';
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const CVX = 'http://hl7.org/fhir/sid/cvx';
const UCUM = 'http://unitsofmeasure.org';
const TERMINOLOGY = 'http://terminology.hl7.org/CodeSystem';
const BENCH = 'https://bench.meridian.example.org';

/** Encounters fall in 2021–2025. */
const HISTORY_START = Date.UTC(2021, 0, 1);
const HISTORY_DAYS = 5 * 365;
const HOUR = 3600_000;
const DAY = 24 * HOUR;

const coding = (system: string, code: string, display: string) => ({ system, code, display });
const concept = (system: string, code: string, display: string, text = display) => ({ coding: [coding(system, code, display)], text });
const instant = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

// --- people -----------------------------------------------------------------------------------

const FAMILY = ['Okafor', 'Lindqvist', 'Moreau', 'Tanaka', 'Kowalski', 'Haddad', 'Brennan', 'Castillo', 'Nakamura', 'Oyelaran', 'Petrov', 'Schulz', 'Varga', 'Whitfield', 'Yilmaz', 'Abernathy', 'Delacroix', 'Fitzgerald', 'Gallagher', 'Iversen'];
const GIVEN_FEMALE = ['Amara', 'Beatrice', 'Chiara', 'Dana', 'Elif', 'Freya', 'Grace', 'Hina', 'Ingrid', 'Julia', 'Keiko', 'Lena'];
const GIVEN_MALE = ['Aaron', 'Bruno', 'Caleb', 'Dmitri', 'Emeka', 'Felix', 'Goran', 'Hugo', 'Idris', 'Jonas', 'Kenji', 'Luca'];
const STREETS = ['Maple Avenue', 'Harbor Road', 'Elm Street', 'Juniper Lane', 'Ridgeview Drive', 'Cedar Court', 'Willow Way', 'Station Road'];
const CITIES: [string, string, string][] = [
  ['Springfield', 'MA', '011'], ['Worcester', 'MA', '016'], ['Lowell', 'MA', '018'], ['Cambridge', 'MA', '021'], ['Providence', 'RI', '029'], ['Hartford', 'CT', '061'],
];
const MARITAL: [string, string][] = [['M', 'Married'], ['S', 'Never Married'], ['D', 'Divorced'], ['W', 'Widowed']];

// --- encounters -------------------------------------------------------------------------------

interface EncounterKind {
  cls: [string, string];
  type: [string, string];
  hours: [number, number];
  /** Vital-sign readings taken during the encounter. */
  vitals: [number, number];
  /** Chance of a lab panel (with its DiagnosticReport). */
  labs: number;
}
const CHECK_UP: EncounterKind = { cls: ['AMB', 'ambulatory'], type: ['185349003', 'Encounter for check up (procedure)'], hours: [0.5, 1], vitals: [2, 4], labs: 0.5 };
const EMERGENCY: EncounterKind = { cls: ['EMER', 'emergency'], type: ['50849002', 'Emergency room admission (procedure)'], hours: [2, 8], vitals: [4, 6], labs: 0.9 };
const INPATIENT: EncounterKind = { cls: ['IMP', 'inpatient encounter'], type: ['32485007', 'Hospital admission (procedure)'], hours: [24, 120], vitals: [6, 10], labs: 1 };

// --- labs: LOINC code, display, UCUM unit, normal range, drawn range, decimals ------------------

type Analyte = [code: string, display: string, unit: string, low: number, high: number, min: number, max: number, decimals: number];
interface Panel {
  code: string;
  display: string;
  analytes: Analyte[];
}
const PANELS: Panel[] = [
  {
    code: '51990-0',
    display: 'Basic metabolic panel - Blood',
    analytes: [
      ['2345-7', 'Glucose [Mass/volume] in Serum or Plasma', 'mg/dL', 70, 99, 62, 190, 0],
      ['3094-0', 'Urea nitrogen [Mass/volume] in Serum or Plasma', 'mg/dL', 7, 20, 5, 32, 0],
      ['2160-0', 'Creatinine [Mass/volume] in Serum or Plasma', 'mg/dL', 0.6, 1.3, 0.5, 2.1, 2],
      ['2951-2', 'Sodium [Moles/volume] in Serum or Plasma', 'mmol/L', 136, 145, 131, 149, 0],
      ['2823-3', 'Potassium [Moles/volume] in Serum or Plasma', 'mmol/L', 3.5, 5.1, 3.1, 5.6, 1],
      ['2075-0', 'Chloride [Moles/volume] in Serum or Plasma', 'mmol/L', 98, 107, 94, 111, 0],
      ['2028-9', 'Carbon dioxide, total [Moles/volume] in Serum or Plasma', 'mmol/L', 22, 29, 19, 32, 0],
      ['17861-6', 'Calcium [Mass/volume] in Serum or Plasma', 'mg/dL', 8.6, 10.3, 8.1, 10.9, 1],
    ],
  },
  {
    code: '58410-2',
    display: 'CBC panel - Blood by Automated count',
    analytes: [
      ['6690-2', 'Leukocytes [#/volume] in Blood by Automated count', '10*3/uL', 4.5, 11, 3.2, 14.5, 1],
      ['789-8', 'Erythrocytes [#/volume] in Blood by Automated count', '10*6/uL', 4.2, 5.9, 3.7, 6.2, 2],
      ['718-7', 'Hemoglobin [Mass/volume] in Blood', 'g/dL', 12, 17.5, 10.4, 18.2, 1],
      ['4544-3', 'Hematocrit [Volume Fraction] of Blood by Automated count', '%', 36, 50, 31, 53, 1],
      ['777-3', 'Platelets [#/volume] in Blood by Automated count', '10*3/uL', 150, 400, 120, 460, 0],
    ],
  },
  {
    code: '57698-3',
    display: 'Lipid panel with direct LDL - Serum or Plasma',
    analytes: [
      ['2093-3', 'Cholesterol [Mass/volume] in Serum or Plasma', 'mg/dL', 125, 200, 140, 280, 0],
      ['2571-8', 'Triglyceride [Mass/volume] in Serum or Plasma', 'mg/dL', 35, 150, 60, 320, 0],
      ['2085-9', 'Cholesterol in HDL [Mass/volume] in Serum or Plasma', 'mg/dL', 40, 90, 28, 85, 0],
      ['18262-6', 'Cholesterol in LDL [Mass/volume] in Serum or Plasma by Direct assay', 'mg/dL', 0, 100, 60, 190, 0],
    ],
  },
  {
    code: '4548-4',
    display: 'Hemoglobin A1c/Hemoglobin.total in Blood',
    analytes: [['4548-4', 'Hemoglobin A1c/Hemoglobin.total in Blood', '%', 4, 5.6, 4.8, 9.4, 1]],
  },
];

// --- conditions and what is prescribed for them -------------------------------------------------

interface Medication {
  rxnorm: string;
  display: string;
  dose: string;
  /** Times per day; 0 = as needed. */
  perDay: number;
}
interface ConditionKind {
  snomed: [string, string];
  icd10: [string, string];
  medication?: Medication;
}
const CHRONIC: ConditionKind[] = [
  { snomed: ['38341003', 'Hypertensive disorder, systemic arterial (disorder)'], icd10: ['I10', 'Essential (primary) hypertension'], medication: { rxnorm: '314076', display: 'lisinopril 10 MG Oral Tablet', dose: '1 tablet', perDay: 1 } },
  { snomed: ['44054006', 'Diabetes mellitus type 2 (disorder)'], icd10: ['E11.9', 'Type 2 diabetes mellitus without complications'], medication: { rxnorm: '860975', display: '24 HR metformin hydrochloride 500 MG Extended Release Oral Tablet', dose: '1 tablet', perDay: 1 } },
  { snomed: ['55822004', 'Hyperlipidemia (disorder)'], icd10: ['E78.5', 'Hyperlipidemia, unspecified'], medication: { rxnorm: '259255', display: 'atorvastatin 80 MG Oral Tablet', dose: '1 tablet', perDay: 1 } },
  { snomed: ['195967001', 'Asthma (disorder)'], icd10: ['J45.909', 'Unspecified asthma, uncomplicated'], medication: { rxnorm: '745679', display: '200 ACTUAT albuterol 0.09 MG/ACTUAT Metered Dose Inhaler', dose: '2 puffs', perDay: 0 } },
  { snomed: ['239873007', 'Osteoarthritis of knee (disorder)'], icd10: ['M17.9', 'Osteoarthritis of knee, unspecified'], medication: { rxnorm: '310965', display: 'ibuprofen 200 MG Oral Tablet', dose: '2 tablets', perDay: 0 } },
  { snomed: ['370143000', 'Major depressive disorder (disorder)'], icd10: ['F32.9', 'Major depressive disorder, single episode, unspecified'], medication: { rxnorm: '312940', display: 'sertraline 50 MG Oral Tablet', dose: '1 tablet', perDay: 1 } },
  { snomed: ['235595009', 'Gastroesophageal reflux disease (disorder)'], icd10: ['K21.9', 'Gastro-esophageal reflux disease without esophagitis'] },
  { snomed: ['414916001', 'Obesity (disorder)'], icd10: ['E66.9', 'Obesity, unspecified'] },
];
const ACETAMINOPHEN: Medication = { rxnorm: '313782', display: 'acetaminophen 325 MG Oral Tablet', dose: '2 tablets', perDay: 0 };
const ACUTE: ConditionKind[] = [
  { snomed: ['444814009', 'Viral sinusitis (disorder)'], icd10: ['J01.90', 'Acute sinusitis, unspecified'], medication: ACETAMINOPHEN },
  { snomed: ['10509002', 'Acute bronchitis (disorder)'], icd10: ['J20.9', 'Acute bronchitis, unspecified'], medication: ACETAMINOPHEN },
  { snomed: ['195662009', 'Acute viral pharyngitis (disorder)'], icd10: ['J02.9', 'Acute pharyngitis, unspecified'], medication: ACETAMINOPHEN },
  { snomed: ['233604007', 'Pneumonia (disorder)'], icd10: ['J18.9', 'Pneumonia, unspecified organism'] },
];

const VACCINES: [string, string][] = [
  ['140', 'Influenza, seasonal, injectable, preservative free'],
  ['208', 'SARS-COV-2 (COVID-19) vaccine, mRNA, spike protein, LNP, preservative free, 30 mcg/0.3mL dose'],
  ['115', 'Tdap'],
  ['187', 'zoster vaccine recombinant'],
];
const PROCEDURES: [string, string][] = [
  ['430193006', 'Medication reconciliation (procedure)'],
  ['171207006', 'Depression screening (procedure)'],
  ['428191000124101', 'Documentation of current medications (procedure)'],
  ['73761001', 'Colonoscopy (procedure)'],
];
type AllergyKind = [code: string, display: string, category: 'medication' | 'food' | 'environment', reaction: [string, string]];
const ALLERGIES: AllergyKind[] = [
  ['91936005', 'Allergy to penicillin (finding)', 'medication', ['271807003', 'Eruption of skin (disorder)']],
  ['91935009', 'Allergy to peanut (finding)', 'food', ['247472004', 'Wheal (finding)']],
  ['300916003', 'Latex allergy (finding)', 'environment', ['271807003', 'Eruption of skin (disorder)']],
  ['232347008', 'Dander (animal) allergy (finding)', 'environment', ['49727002', 'Cough (finding)']],
];
const SMOKING: [string, string][] = [
  ['266919005', 'Never smoked tobacco (finding)'],
  ['266919005', 'Never smoked tobacco (finding)'],
  ['8517006', 'Ex-smoker (finding)'],
  ['77176002', 'Smoker (finding)'],
];

/**
 * `count` transaction Bundles, one per patient, numbered from `first` (MRNs INGEST-000001 on).
 * Each holds the Patient and about 40–100 resources about them; fullUrls are urn:uuids drawn from
 * the seeded PRNG, so they too are the same from run to run.
 */
export function patientBundles(seed: number, count: number, first = 1): TransactionBundle[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, (_, n) => patientBundle(first + n, seed + 1000 * (first + n), random));
}

function patientBundle(n: number, seed: number, random: () => number): TransactionBundle {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const between = (low: number, high: number) => low + random() * (high - low);
  const int = (low: number, high: number) => low + Math.floor(random() * (high - low + 1));
  const uuid = () => {
    const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16));
    hex[12] = '4';
    hex[16] = '89ab'[Math.floor(random() * 4)];
    const s = hex.join('');
    return `urn:uuid:${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
  };
  const entries: BundleEntry[] = [];
  const add = (resource: BundleEntry['resource']): string => {
    const fullUrl = uuid();
    entries.push({ fullUrl, resource, request: { method: 'POST', url: resource.resourceType } });
    return fullUrl;
  };

  // The Patient.
  const female = random() < 0.52;
  const family = pick(FAMILY);
  const given = [pick(female ? GIVEN_FEMALE : GIVEN_MALE), ...(random() < 0.4 ? [pick(female ? GIVEN_FEMALE : GIVEN_MALE)] : [])];
  const [city, state, zip] = pick(CITIES);
  const [marital, maritalDisplay] = pick(MARITAL);
  const born = Date.UTC(1940, 0, 1) + Math.floor(random() * 65 * 365) * DAY;
  const mrn = `INGEST-${String(n).padStart(6, '0')}`;
  const patient = add({
    resourceType: 'Patient',
    identifier: [{ use: 'usual', type: concept(`${TERMINOLOGY}/v2-0203`, 'MR', 'Medical Record Number'), system: `${BENCH}/mrn`, value: mrn }],
    active: true,
    name: [{ use: 'official', family, given }],
    telecom: [{ system: 'phone', value: `555-01${int(10, 99)}-${int(1000, 9999)}`, use: 'home' }],
    gender: female ? 'female' : 'male',
    birthDate: day(born),
    address: [{ use: 'home', line: [`${int(1, 999)} ${pick(STREETS)}`], city, state, postalCode: `${zip}${int(10, 99)}`, country: 'US' }],
    maritalStatus: concept(`${TERMINOLOGY}/v3-MaritalStatus`, marital, maritalDisplay),
    communication: [{ language: concept('urn:ietf:bcp:47', 'en-US', 'English (United States)', 'English'), preferred: true }],
  });
  const subject = { reference: patient };

  // Encounters, oldest first; the first is a check-up.
  const visits = int(5, 7);
  const starts = Array.from({ length: visits }, () => HISTORY_START + Math.floor(random() * HISTORY_DAYS) * DAY + int(7, 17) * HOUR + int(0, 3) * 15 * 60_000).sort((a, b) => a - b);
  const chronic = shuffled(CHRONIC, random).slice(0, int(1, 3));
  let smokingRecorded = false;
  let vitalsSeed = seed;
  for (const [v, start] of starts.entries()) {
    const kind = v === 0 ? CHECK_UP : pick([CHECK_UP, CHECK_UP, CHECK_UP, CHECK_UP, EMERGENCY, INPATIENT]);
    const end = start + Math.round(between(...kind.hours) * 60) * 60_000;
    const acute = kind === CHECK_UP ? undefined : pick(ACUTE);
    const encounter = add({
      resourceType: 'Encounter',
      identifier: [{ system: `${BENCH}/visit`, value: `${mrn}-V${v + 1}` }],
      status: 'finished',
      class: coding('http://terminology.hl7.org/CodeSystem/v3-ActCode', ...kind.cls),
      type: [concept(SNOMED, ...kind.type)],
      subject,
      period: { start: instant(start), end: instant(end) },
      ...(acute ? { reasonCode: [concept(SNOMED, ...acute.snomed)] } : {}),
      ...(kind === INPATIENT ? { hospitalization: { dischargeDisposition: concept(`${TERMINOLOGY}/discharge-disposition`, 'home', 'Home') } } : {}),
      serviceProvider: { display: 'Meridian Bench General Hospital' },
    });
    const context = { subject, encounter: { reference: encounter } };

    // Vital signs during the encounter (observations.ts), about this patient and this encounter.
    const vitals = observationGenerator((vitalsSeed += 7), [], { start, days: (end - start) / DAY });
    for (let k = int(...kind.vitals); k > 0; k--) add({ ...(vitals() as BundleEntry['resource']), ...context });

    if (!smokingRecorded) {
      smokingRecorded = true;
      add({
        resourceType: 'Observation',
        status: 'final',
        category: [concept(`${TERMINOLOGY}/observation-category`, 'social-history', 'Social History')],
        code: concept(LOINC, '72166-2', 'Tobacco smoking status'),
        ...context,
        effectiveDateTime: instant(start + 10 * 60_000),
        issued: new Date(start + 10 * 60_000).toISOString(),
        valueCodeableConcept: concept(SNOMED, ...pick(SMOKING)),
      });
    }

    // A lab panel: its results, then the report that lists them.
    if (random() < kind.labs) {
      const panel = v === 0 ? PANELS[0] : pick(PANELS);
      const drawn = start + int(20, 50) * 60_000;
      const issued = drawn + int(2, 6) * HOUR;
      const results = panel.analytes.map(([code, display, unit, low, high, min, max, decimals]) => {
        const value = Number(between(min, max).toFixed(decimals));
        const [flag, flagDisplay] = value < low ? ['L', 'Low'] : value > high ? ['H', 'High'] : ['N', 'Normal'];
        const quantity = (x: number) => ({ value: x, unit, system: UCUM, code: unit });
        return add({
          resourceType: 'Observation',
          identifier: [{ system: `${BENCH}/lab-result`, value: `${mrn}-V${v + 1}-${code}` }],
          status: 'final',
          category: [concept(`${TERMINOLOGY}/observation-category`, 'laboratory', 'Laboratory')],
          code: concept(LOINC, code, display),
          ...context,
          effectiveDateTime: instant(drawn),
          issued: new Date(issued).toISOString(),
          valueQuantity: quantity(value),
          interpretation: [concept(`${TERMINOLOGY}/v3-ObservationInterpretation`, flag, flagDisplay)],
          referenceRange: [{ low: quantity(low), high: quantity(high) }],
          specimen: { display: panel.code === '58410-2' || panel.code === '4548-4' ? 'Whole blood' : 'Serum' },
        });
      });
      add({
        resourceType: 'DiagnosticReport',
        identifier: [{ system: `${BENCH}/lab-report`, value: `${mrn}-V${v + 1}-${panel.code}` }],
        status: 'final',
        category: [concept(`${TERMINOLOGY}/v2-0074`, 'LAB', 'Laboratory')],
        code: concept(LOINC, panel.code, panel.display),
        ...context,
        effectiveDateTime: instant(drawn),
        issued: new Date(issued).toISOString(),
        performer: [{ display: 'Meridian Bench Laboratory' }],
        result: results.map((reference) => ({ reference })),
      });
    }

    // Diagnoses: the chronic ones at the first visit, an acute one at each emergency or admission.
    const diagnoses: { kind: ConditionKind; resolved: boolean }[] = [
      ...(v === 0 ? chronic.map((c) => ({ kind: c, resolved: false })) : []),
      ...(acute ? [{ kind: acute, resolved: true }] : []),
    ];
    for (const { kind: c, resolved } of diagnoses) {
      const condition = add({
        resourceType: 'Condition',
        clinicalStatus: concept(`${TERMINOLOGY}/condition-clinical`, resolved ? 'resolved' : 'active', resolved ? 'Resolved' : 'Active'),
        verificationStatus: concept(`${TERMINOLOGY}/condition-ver-status`, 'confirmed', 'Confirmed'),
        category: [
          resolved
            ? concept(`${TERMINOLOGY}/condition-category`, 'encounter-diagnosis', 'Encounter Diagnosis')
            : concept(`${TERMINOLOGY}/condition-category`, 'problem-list-item', 'Problem List Item'),
        ],
        code: { coding: [coding(SNOMED, ...c.snomed), coding(ICD10, ...c.icd10)], text: c.snomed[1].replace(/ \((disorder|finding)\)$/, '') },
        ...context,
        onsetDateTime: instant(resolved ? start - int(1, 5) * DAY : start - int(60, 3000) * DAY),
        ...(resolved ? { abatementDateTime: instant(end + int(5, 20) * DAY) } : {}),
        recordedDate: instant(start + 30 * 60_000),
      });
      const m = c.medication;
      if (!m) continue;
      const asNeeded = m.perDay === 0;
      add({
        resourceType: 'MedicationRequest',
        identifier: [{ system: `${BENCH}/prescription`, value: `${mrn}-V${v + 1}-${m.rxnorm}` }],
        status: resolved ? 'completed' : 'active',
        intent: 'order',
        medicationCodeableConcept: concept(RXNORM, m.rxnorm, m.display),
        ...context,
        authoredOn: instant(start + 45 * 60_000),
        requester: { display: `Dr. ${pick(FAMILY)}` },
        reasonReference: [{ reference: condition }],
        dosageInstruction: [
          {
            sequence: 1,
            text: asNeeded ? `${m.dose} as needed` : `${m.dose} ${m.perDay === 1 ? 'once' : `${m.perDay} times`} a day`,
            timing: { repeat: { frequency: asNeeded ? 1 : m.perDay, period: asNeeded ? 6 : 1, periodUnit: asNeeded ? 'h' : 'd' } },
            asNeededBoolean: asNeeded,
            route: concept(SNOMED, m.dose.includes('puff') ? '447694001' : '26643006', m.dose.includes('puff') ? 'Respiratory tract route (qualifier value)' : 'Oral route (qualifier value)'),
          },
        ],
        ...(resolved ? { dispenseRequest: { numberOfRepeatsAllowed: 0, quantity: { value: 20, unit: 'tablet' } } } : {}),
      });
    }

    // A vaccine at some check-ups, a procedure at some visits.
    if (kind === CHECK_UP && random() < 0.6) {
      const [code, display] = pick(VACCINES);
      add({
        resourceType: 'Immunization',
        status: 'completed',
        vaccineCode: concept(CVX, code, display),
        patient: subject,
        encounter: { reference: encounter },
        occurrenceDateTime: instant(start + 40 * 60_000),
        primarySource: true,
        lotNumber: `LOT${int(10000, 99999)}`,
        site: concept(`${TERMINOLOGY}/v3-ActSite`, 'LA', 'left arm'),
        route: concept(`${TERMINOLOGY}/v3-RouteOfAdministration`, 'IM', 'Injection, intramuscular'),
      });
    }
    if (random() < 0.4) {
      const [code, display] = pick(PROCEDURES);
      const performed = start + int(10, 40) * 60_000;
      add({
        resourceType: 'Procedure',
        status: 'completed',
        code: concept(SNOMED, code, display),
        ...context,
        performedPeriod: { start: instant(performed), end: instant(performed + 15 * 60_000) },
      });
    }
  }

  for (let a = random() < 0.35 ? int(1, 2) : 0; a > 0; a--) {
    const [code, display, category, [reaction, reactionDisplay]] = pick(ALLERGIES);
    add({
      resourceType: 'AllergyIntolerance',
      clinicalStatus: concept(`${TERMINOLOGY}/allergyintolerance-clinical`, 'active', 'Active'),
      verificationStatus: concept(`${TERMINOLOGY}/allergyintolerance-verification`, 'confirmed', 'Confirmed'),
      type: 'allergy',
      category: [category],
      criticality: random() < 0.8 ? 'low' : 'high',
      code: concept(SNOMED, code, display),
      patient: subject,
      recordedDate: instant(starts[0] + 20 * 60_000),
      reaction: [{ manifestation: [concept(SNOMED, reaction, reactionDisplay)], severity: random() < 0.7 ? 'mild' : 'moderate' }],
    });
  }
  return { resourceType: 'Bundle', type: 'transaction', entry: entries };
}

/** Fisher–Yates on a copy. */
function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}

/**
 * The Bundle's resources as rows of a bare JSONB table: each with the id `idOf(entry index)` gives
 * it, and every urn:uuid reference replaced by Type/id, as the server stores them.
 */
export function rawRows(bundle: TransactionBundle, idOf: (index: number) => string): RawRow[] {
  const targets = new Map(bundle.entry.map((e, i) => [e.fullUrl, `${e.resource.resourceType}/${idOf(i)}`]));
  return bundle.entry.map((e, i) => {
    const { resourceType, ...rest } = e.resource;
    const content = JSON.stringify({ resourceType, id: idOf(i), ...rest }).replace(/"(urn:uuid:[0-9a-f-]{36})"/g, (_, url: string) => {
      const target = targets.get(url);
      if (!target) throw new Error(`${url} is not a fullUrl of the Bundle`);
      return JSON.stringify(target);
    });
    return { id: idOf(i), resourceType, content };
  });
}
