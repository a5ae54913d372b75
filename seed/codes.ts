// The curated, shipped set of real codes the generator uses — and the same set the terminology work
// loads as CodeSystems (see codeSystemContents()). Plain data: system URLs, codes, displays, and the few
// properties the generator needs (UCUM units, reference ranges, ICD-10-CM maps, ingredients, classes).
// Sources and licences: seed/README.md.

export const SYSTEM = {
  loinc: 'http://loinc.org',
  snomed: 'http://snomed.info/sct',
  icd10cm: 'http://hl7.org/fhir/sid/icd-10-cm',
  rxnorm: 'http://www.nlm.nih.gov/research/umls/rxnorm',
  cpt: 'http://www.ama-assn.org/go/cpt',
  ucum: 'http://unitsofmeasure.org',
  bcp47: 'urn:ietf:bcp:47',
  ssn: 'http://hl7.org/fhir/sid/us-ssn',
  identifierType: 'http://terminology.hl7.org/CodeSystem/v2-0203',
  actCode: 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
  roleCode: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode',
  participationType: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType',
  maritalStatus: 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus',
  interpretation: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation',
  observationCategory: 'http://terminology.hl7.org/CodeSystem/observation-category',
  conditionClinical: 'http://terminology.hl7.org/CodeSystem/condition-clinical',
  conditionVerification: 'http://terminology.hl7.org/CodeSystem/condition-ver-status',
  conditionCategory: 'http://terminology.hl7.org/CodeSystem/condition-category',
  allergyClinical: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical',
  allergyVerification: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification',
  medicationRequestCategory: 'http://terminology.hl7.org/CodeSystem/medicationrequest-category',
  courseOfTherapy: 'http://terminology.hl7.org/CodeSystem/medicationrequest-course-of-therapy',
  claimType: 'http://terminology.hl7.org/CodeSystem/claim-type',
  processPriority: 'http://terminology.hl7.org/CodeSystem/processpriority',
  adjudication: 'http://terminology.hl7.org/CodeSystem/adjudication',
  paymentType: 'http://terminology.hl7.org/CodeSystem/ex-paymenttype',
  coverageClass: 'http://terminology.hl7.org/CodeSystem/coverage-class',
  subscriberRelationship: 'http://terminology.hl7.org/CodeSystem/subscriber-relationship',
  organizationType: 'http://terminology.hl7.org/CodeSystem/organization-type',
  practitionerRole: 'http://terminology.hl7.org/CodeSystem/practitioner-role',
  locationPhysicalType: 'http://terminology.hl7.org/CodeSystem/location-physical-type',
  serviceCategory: 'http://terminology.hl7.org/CodeSystem/service-category',
  appointmentType: 'http://terminology.hl7.org/CodeSystem/v2-0276',
  cancellationReason: 'http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason',
  dischargeDisposition: 'http://terminology.hl7.org/CodeSystem/discharge-disposition',
  diagnosisRole: 'http://terminology.hl7.org/CodeSystem/diagnosis-role',
  actSite: 'http://terminology.hl7.org/CodeSystem/v3-ActSite',
  routeOfAdministration: 'http://terminology.hl7.org/CodeSystem/v3-RouteOfAdministration',
  cvx: 'http://hl7.org/fhir/sid/cvx',
} as const;

export interface Coded {
  system: string;
  code: string;
  display: string;
}

const c = (system: string, code: string, display: string): Coded => ({ system, code, display });

// ---------------------------------------------------------------------------------------------------
// LOINC: vital signs (the FHIR R4 vital-signs profile codes) and common laboratory tests.

export interface VitalDef {
  loinc: string;
  display: string;
  /** UCUM code and its human display. */
  unit: string;
  unitDisplay: string;
  decimals: number;
}

export const VITALS = {
  heartRate: { loinc: '8867-4', display: 'Heart rate', unit: '/min', unitDisplay: 'beats/minute', decimals: 0 },
  respiratoryRate: { loinc: '9279-1', display: 'Respiratory rate', unit: '/min', unitDisplay: 'breaths/minute', decimals: 0 },
  bodyTemperature: { loinc: '8310-5', display: 'Body temperature', unit: 'Cel', unitDisplay: 'C', decimals: 1 },
  oxygenSaturation: { loinc: '2708-6', display: 'Oxygen saturation in Arterial blood', unit: '%', unitDisplay: '%', decimals: 0 },
  bodyWeight: { loinc: '29463-7', display: 'Body weight', unit: 'kg', unitDisplay: 'kg', decimals: 1 },
  bodyHeight: { loinc: '8302-2', display: 'Body height', unit: 'cm', unitDisplay: 'cm', decimals: 1 },
  bmi: { loinc: '39156-5', display: 'Body mass index (BMI) [Ratio]', unit: 'kg/m2', unitDisplay: 'kg/m2', decimals: 1 },
  systolic: { loinc: '8480-6', display: 'Systolic blood pressure', unit: 'mm[Hg]', unitDisplay: 'mmHg', decimals: 0 },
  diastolic: { loinc: '8462-4', display: 'Diastolic blood pressure', unit: 'mm[Hg]', unitDisplay: 'mmHg', decimals: 0 },
} as const satisfies Record<string, VitalDef>;

export const BP_PANEL = c(SYSTEM.loinc, '85354-9', 'Blood pressure panel with all children optional');
/** The SpO2 profile asks for 2708-6; pulse oximetry adds this more specific code. */
export const PULSE_OXIMETRY = c(SYSTEM.loinc, '59408-5', 'Oxygen saturation in Arterial blood by Pulse oximetry');

export type VitalKey = keyof typeof VITALS;

export interface LabDef {
  loinc: string;
  display: string;
  unit: string;
  unitDisplay: string;
  decimals: number;
  /** Reference range (either end may be open); by administrative gender where it differs. */
  range: { low?: number; high?: number; female?: { low?: number; high?: number } };
  /** Values beyond these are critical (HH / LL). */
  critical?: { low?: number; high?: number };
  /** The CPT-style code under which the test is billed (a panel bills once). */
  billedAs: ProcedureKey;
}

export const LABS = {
  hba1c: { loinc: '4548-4', display: 'Hemoglobin A1c/Hemoglobin.total in Blood', unit: '%', unitDisplay: '%', decimals: 1, range: { low: 4.0, high: 5.6 }, billedAs: 'hba1c' },
  glucose: { loinc: '2339-0', display: 'Glucose [Mass/volume] in Blood', unit: 'mg/dL', unitDisplay: 'mg/dL', decimals: 0, range: { low: 70, high: 99 }, critical: { low: 50, high: 400 }, billedAs: 'cmp' },
  bun: { loinc: '3094-0', display: 'Urea nitrogen [Mass/volume] in Serum or Plasma', unit: 'mg/dL', unitDisplay: 'mg/dL', decimals: 0, range: { low: 7, high: 20 }, billedAs: 'cmp' },
  creatinine: { loinc: '2160-0', display: 'Creatinine [Mass/volume] in Serum or Plasma', unit: 'mg/dL', unitDisplay: 'mg/dL', decimals: 2, range: { low: 0.74, high: 1.35, female: { low: 0.59, high: 1.04 } }, billedAs: 'cmp' },
  egfr: { loinc: '62238-1', display: 'Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum, Plasma or Blood by Creatinine-based formula (CKD-EPI)', unit: 'mL/min/{1.73_m2}', unitDisplay: 'mL/min/1.73m2', decimals: 0, range: { low: 60 }, critical: { low: 15 }, billedAs: 'cmp' },
  sodium: { loinc: '2951-2', display: 'Sodium [Moles/volume] in Serum or Plasma', unit: 'mmol/L', unitDisplay: 'mmol/L', decimals: 0, range: { low: 136, high: 145 }, critical: { low: 120, high: 160 }, billedAs: 'cmp' },
  potassium: { loinc: '2823-3', display: 'Potassium [Moles/volume] in Serum or Plasma', unit: 'mmol/L', unitDisplay: 'mmol/L', decimals: 1, range: { low: 3.5, high: 5.1 }, critical: { low: 2.8, high: 6.2 }, billedAs: 'cmp' },
  cholesterol: { loinc: '2093-3', display: 'Cholesterol [Mass/volume] in Serum or Plasma', unit: 'mg/dL', unitDisplay: 'mg/dL', decimals: 0, range: { high: 200 }, billedAs: 'lipidPanel' },
  ldl: { loinc: '13457-7', display: 'Cholesterol in LDL [Mass/volume] in Serum or Plasma by calculation', unit: 'mg/dL', unitDisplay: 'mg/dL', decimals: 0, range: { high: 100 }, billedAs: 'lipidPanel' },
  hdl: { loinc: '2085-9', display: 'Cholesterol in HDL [Mass/volume] in Serum or Plasma', unit: 'mg/dL', unitDisplay: 'mg/dL', decimals: 0, range: { low: 40, female: { low: 50 } }, billedAs: 'lipidPanel' },
  triglycerides: { loinc: '2571-8', display: 'Triglyceride [Mass/volume] in Serum or Plasma', unit: 'mg/dL', unitDisplay: 'mg/dL', decimals: 0, range: { high: 150 }, billedAs: 'lipidPanel' },
  hemoglobin: { loinc: '718-7', display: 'Hemoglobin [Mass/volume] in Blood', unit: 'g/dL', unitDisplay: 'g/dL', decimals: 1, range: { low: 13.5, high: 17.5, female: { low: 12.0, high: 15.5 } }, critical: { low: 7.0, high: 20.0 }, billedAs: 'cbc' },
  wbc: { loinc: '6690-2', display: 'Leukocytes [#/volume] in Blood by Automated count', unit: '10*3/uL', unitDisplay: '10^3/uL', decimals: 1, range: { low: 4.5, high: 11.0 }, critical: { low: 1.5, high: 30 }, billedAs: 'cbc' },
  platelets: { loinc: '777-3', display: 'Platelets [#/volume] in Blood by Automated count', unit: '10*3/uL', unitDisplay: '10^3/uL', decimals: 0, range: { low: 150, high: 400 }, critical: { low: 20, high: 1000 }, billedAs: 'cbc' },
  tsh: { loinc: '3016-3', display: 'Thyrotropin [Units/volume] in Serum or Plasma', unit: 'm[IU]/L', unitDisplay: 'mIU/L', decimals: 2, range: { low: 0.4, high: 4.0 }, billedAs: 'tsh' },
  inr: { loinc: '6301-6', display: 'INR in Platelet poor plasma by Coagulation assay', unit: '{INR}', unitDisplay: 'INR', decimals: 1, range: { low: 0.8, high: 1.2 }, critical: { high: 4.5 }, billedAs: 'inr' },
  uacr: { loinc: '14959-1', display: 'Microalbumin/Creatinine [Mass Ratio] in Urine', unit: 'mg/g', unitDisplay: 'mg/g', decimals: 0, range: { high: 30 }, billedAs: 'urineAlbumin' },
} as const satisfies Record<string, LabDef>;

export type LabKey = keyof typeof LABS;

// ---------------------------------------------------------------------------------------------------
// SNOMED CT problems, each with its ICD-10-CM code.

export interface ConditionDef {
  snomed: string;
  display: string;
  icd10: string;
  icd10Display: string;
  chronic: boolean;
}

export const CONDITIONS = {
  diabetes: { snomed: '44054006', display: 'Diabetes mellitus type 2', icd10: 'E11.9', icd10Display: 'Type 2 diabetes mellitus without complications', chronic: true },
  prediabetes: { snomed: '15777000', display: 'Prediabetes', icd10: 'R73.03', icd10Display: 'Prediabetes', chronic: true },
  hypertension: { snomed: '38341003', display: 'Hypertensive disorder, systemic arterial', icd10: 'I10', icd10Display: 'Essential (primary) hypertension', chronic: true },
  hyperlipidemia: { snomed: '55822004', display: 'Hyperlipidemia', icd10: 'E78.5', icd10Display: 'Hyperlipidemia, unspecified', chronic: true },
  asthma: { snomed: '195967001', display: 'Asthma', icd10: 'J45.909', icd10Display: 'Unspecified asthma, uncomplicated', chronic: true },
  copd: { snomed: '13645005', display: 'Chronic obstructive lung disease', icd10: 'J44.9', icd10Display: 'Chronic obstructive pulmonary disease, unspecified', chronic: true },
  depression: { snomed: '35489007', display: 'Depressive disorder', icd10: 'F32.A', icd10Display: 'Depression, unspecified', chronic: true },
  anxiety: { snomed: '197480006', display: 'Anxiety disorder', icd10: 'F41.9', icd10Display: 'Anxiety disorder, unspecified', chronic: true },
  atrialFibrillation: { snomed: '49436004', display: 'Atrial fibrillation', icd10: 'I48.91', icd10Display: 'Unspecified atrial fibrillation', chronic: true },
  ckd1: { snomed: '431855005', display: 'Chronic kidney disease stage 1', icd10: 'N18.1', icd10Display: 'Chronic kidney disease, stage 1', chronic: true },
  ckd2: { snomed: '431856006', display: 'Chronic kidney disease stage 2', icd10: 'N18.2', icd10Display: 'Chronic kidney disease, stage 2 (mild)', chronic: true },
  ckd3: { snomed: '433144002', display: 'Chronic kidney disease stage 3', icd10: 'N18.30', icd10Display: 'Chronic kidney disease, stage 3 unspecified', chronic: true },
  hypothyroidism: { snomed: '40930008', display: 'Hypothyroidism', icd10: 'E03.9', icd10Display: 'Hypothyroidism, unspecified', chronic: true },
  obesity: { snomed: '414916001', display: 'Obesity', icd10: 'E66.9', icd10Display: 'Obesity, unspecified', chronic: true },
  osteoarthritisKnee: { snomed: '239873007', display: 'Osteoarthritis of knee', icd10: 'M17.9', icd10Display: 'Osteoarthritis of knee, unspecified', chronic: true },
  allergicRhinitis: { snomed: '61582004', display: 'Allergic rhinitis', icd10: 'J30.9', icd10Display: 'Allergic rhinitis, unspecified', chronic: true },
  acuteBronchitis: { snomed: '10509002', display: 'Acute bronchitis', icd10: 'J20.9', icd10Display: 'Acute bronchitis, unspecified', chronic: false },
  viralSinusitis: { snomed: '444814009', display: 'Viral sinusitis', icd10: 'J01.90', icd10Display: 'Acute sinusitis, unspecified', chronic: false },
  strepThroat: { snomed: '43878008', display: 'Streptococcal sore throat', icd10: 'J02.0', icd10Display: 'Streptococcal pharyngitis', chronic: false },
  otitisMedia: { snomed: '65363002', display: 'Otitis media', icd10: 'H66.90', icd10Display: 'Otitis media, unspecified, unspecified ear', chronic: false },
  pneumonia: { snomed: '233604007', display: 'Pneumonia', icd10: 'J18.9', icd10Display: 'Pneumonia, unspecified organism', chronic: false },
  chestPain: { snomed: '29857009', display: 'Chest pain', icd10: 'R07.9', icd10Display: 'Chest pain, unspecified', chronic: false },
  ankleSprain: { snomed: '44465007', display: 'Sprain of ankle', icd10: 'S93.409A', icd10Display: 'Sprain of unspecified ligament of unspecified ankle, initial encounter', chronic: false },
} as const satisfies Record<string, ConditionDef>;

export type ConditionKey = keyof typeof CONDITIONS;

/** ICD-10-CM codes of routine examinations (the diagnosis of a check-up with nothing to treat). */
export const ICD10_VISIT = {
  adultExam: { code: 'Z00.00', display: 'Encounter for general adult medical examination without abnormal findings' },
  childExam: { code: 'Z00.129', display: 'Encounter for routine child health examination without abnormal findings' },
} as const;

// ---------------------------------------------------------------------------------------------------
// Allergies: SNOMED CT substances and reaction manifestations.

export const REACTIONS = {
  anaphylaxis: c(SYSTEM.snomed, '39579001', 'Anaphylaxis'),
  urticaria: c(SYSTEM.snomed, '126485001', 'Urticaria'),
  rash: c(SYSTEM.snomed, '271807003', 'Eruption of skin'),
  angioedema: c(SYSTEM.snomed, '41291007', 'Angioedema'),
  dyspnea: c(SYSTEM.snomed, '267036007', 'Dyspnea'),
  itching: c(SYSTEM.snomed, '418290006', 'Itching'),
  sneezing: c(SYSTEM.snomed, '76067001', 'Sneezing'),
  rhinitis: c(SYSTEM.snomed, '70076002', 'Rhinitis'),
  nausea: c(SYSTEM.snomed, '422587007', 'Nausea'),
} as const;

export type ReactionKey = keyof typeof REACTIONS;

export interface AllergenDef {
  snomed: string;
  display: string;
  category: 'food' | 'medication' | 'environment' | 'biologic';
  type: 'allergy' | 'intolerance';
  reactions: readonly ReactionKey[];
}

export const ALLERGENS = {
  penicillin: { snomed: '764146007', display: 'Penicillin', category: 'medication', type: 'allergy', reactions: ['urticaria', 'rash', 'anaphylaxis'] },
  sulfonamide: { snomed: '387406002', display: 'Sulfonamide', category: 'medication', type: 'allergy', reactions: ['rash', 'itching'] },
  aspirin: { snomed: '387458008', display: 'Aspirin', category: 'medication', type: 'intolerance', reactions: ['nausea', 'urticaria'] },
  peanut: { snomed: '256349002', display: 'Peanut - dietary', category: 'food', type: 'allergy', reactions: ['urticaria', 'angioedema', 'anaphylaxis'] },
  egg: { snomed: '102263004', display: 'Eggs (edible)', category: 'food', type: 'allergy', reactions: ['urticaria', 'nausea'] },
  fish: { snomed: '227037002', display: 'Fish - dietary', category: 'food', type: 'allergy', reactions: ['urticaria', 'angioedema'] },
  grassPollen: { snomed: '256277009', display: 'Grass pollen', category: 'environment', type: 'allergy', reactions: ['sneezing', 'rhinitis', 'itching'] },
  dustMite: { snomed: '260147004', display: 'House dust mite', category: 'environment', type: 'allergy', reactions: ['sneezing', 'rhinitis'] },
  animalDander: { snomed: '264287008', display: 'Animal dander', category: 'environment', type: 'allergy', reactions: ['sneezing', 'itching', 'dyspnea'] },
  latex: { snomed: '111088007', display: 'Latex', category: 'environment', type: 'allergy', reactions: ['rash', 'urticaria'] },
} as const satisfies Record<string, AllergenDef>;

export type AllergenKey = keyof typeof ALLERGENS;

// ---------------------------------------------------------------------------------------------------
// RxNorm clinical drugs (SCD) with their ingredient (IN) and drug class.

export const ROUTES = {
  oral: c(SYSTEM.snomed, '26643006', 'Oral route'),
  inhalation: c(SYSTEM.snomed, '447694001', 'Respiratory tract route'),
} as const;

export interface MedicationDef {
  rxnorm: string;
  display: string;
  ingredient: { rxnorm: string; display: string };
  drugClass: string;
  route: keyof typeof ROUTES;
  /** One dose: value and UCUM unit. */
  dose: { value: number; unit: string; unitDisplay: string };
  /** Doses per day (0 = as needed). */
  perDay: number;
  sig: string;
  /** Days of an acute course; absent for long-term therapy. */
  courseDays?: number;
  dispense: { value: number; unit: string; unitDisplay: string };
}

const tablet = { unit: '{tbl}', unitDisplay: 'tablet' };
const capsule = { unit: '{capsule}', unitDisplay: 'capsule' };
const puff = { unit: '{puff}', unitDisplay: 'puff' };
const inhaler = { unit: '{inhaler}', unitDisplay: 'inhaler' };

export const MEDICATIONS = {
  metformin: { rxnorm: '860975', display: '24 HR metformin hydrochloride 500 MG Extended Release Oral Tablet', ingredient: { rxnorm: '6809', display: 'metformin' }, drugClass: 'Biguanide', route: 'oral', dose: { value: 1, ...tablet }, perDay: 1, sig: 'Take 1 tablet by mouth once daily with the evening meal', dispense: { value: 90, ...tablet } },
  lisinopril: { rxnorm: '314076', display: 'lisinopril 10 MG Oral Tablet', ingredient: { rxnorm: '29046', display: 'lisinopril' }, drugClass: 'Angiotensin-converting enzyme inhibitor', route: 'oral', dose: { value: 1, ...tablet }, perDay: 1, sig: 'Take 1 tablet by mouth once daily', dispense: { value: 90, ...tablet } },
  amlodipine: { rxnorm: '197361', display: 'amlodipine 5 MG Oral Tablet', ingredient: { rxnorm: '17767', display: 'amlodipine' }, drugClass: 'Dihydropyridine calcium channel blocker', route: 'oral', dose: { value: 1, ...tablet }, perDay: 1, sig: 'Take 1 tablet by mouth once daily', dispense: { value: 90, ...tablet } },
  hydrochlorothiazide: { rxnorm: '310798', display: 'hydrochlorothiazide 25 MG Oral Tablet', ingredient: { rxnorm: '5487', display: 'hydrochlorothiazide' }, drugClass: 'Thiazide diuretic', route: 'oral', dose: { value: 1, ...tablet }, perDay: 1, sig: 'Take 1 tablet by mouth every morning', dispense: { value: 90, ...tablet } },
  atorvastatin: { rxnorm: '617310', display: 'atorvastatin 20 MG Oral Tablet', ingredient: { rxnorm: '83367', display: 'atorvastatin' }, drugClass: 'HMG-CoA reductase inhibitor (statin)', route: 'oral', dose: { value: 1, ...tablet }, perDay: 1, sig: 'Take 1 tablet by mouth once daily at bedtime', dispense: { value: 90, ...tablet } },
  albuterol: { rxnorm: '745679', display: '200 ACTUAT albuterol 0.09 MG/ACTUAT Metered Dose Inhaler', ingredient: { rxnorm: '435', display: 'albuterol' }, drugClass: 'Short-acting beta-2 adrenergic agonist', route: 'inhalation', dose: { value: 2, ...puff }, perDay: 0, sig: 'Inhale 2 puffs every 4 to 6 hours as needed for wheezing or shortness of breath', dispense: { value: 1, ...inhaler } },
  fluticasone: { rxnorm: '895994', display: '120 ACTUAT fluticasone propionate 0.044 MG/ACTUAT Metered Dose Inhaler', ingredient: { rxnorm: '41126', display: 'fluticasone' }, drugClass: 'Inhaled corticosteroid', route: 'inhalation', dose: { value: 2, ...puff }, perDay: 2, sig: 'Inhale 2 puffs twice daily; rinse mouth after use', dispense: { value: 1, ...inhaler } },
  warfarin: { rxnorm: '855332', display: 'warfarin sodium 5 MG Oral Tablet', ingredient: { rxnorm: '11289', display: 'warfarin' }, drugClass: 'Vitamin K antagonist anticoagulant', route: 'oral', dose: { value: 1, ...tablet }, perDay: 1, sig: 'Take 1 tablet by mouth once daily in the evening, or as directed by the anticoagulation clinic', dispense: { value: 30, ...tablet } },
  sertraline: { rxnorm: '312941', display: 'sertraline 50 MG Oral Tablet', ingredient: { rxnorm: '36437', display: 'sertraline' }, drugClass: 'Selective serotonin reuptake inhibitor', route: 'oral', dose: { value: 1, ...tablet }, perDay: 1, sig: 'Take 1 tablet by mouth once daily', dispense: { value: 30, ...tablet } },
  levothyroxine: { rxnorm: '966222', display: 'levothyroxine sodium 0.075 MG Oral Tablet', ingredient: { rxnorm: '10582', display: 'levothyroxine' }, drugClass: 'Thyroid hormone', route: 'oral', dose: { value: 1, ...tablet }, perDay: 1, sig: 'Take 1 tablet by mouth every morning on an empty stomach', dispense: { value: 90, ...tablet } },
  amoxicillin: { rxnorm: '308191', display: 'amoxicillin 500 MG Oral Capsule', ingredient: { rxnorm: '723', display: 'amoxicillin' }, drugClass: 'Aminopenicillin antibacterial', route: 'oral', dose: { value: 1, ...capsule }, perDay: 2, sig: 'Take 1 capsule by mouth twice daily for 10 days', courseDays: 10, dispense: { value: 20, ...capsule } },
  azithromycin: { rxnorm: '308460', display: 'azithromycin 250 MG Oral Tablet', ingredient: { rxnorm: '18631', display: 'azithromycin' }, drugClass: 'Macrolide antibacterial', route: 'oral', dose: { value: 1, ...tablet }, perDay: 1, sig: 'Take 2 tablets on day 1, then 1 tablet daily on days 2 to 5', courseDays: 5, dispense: { value: 6, ...tablet } },
} as const satisfies Record<string, MedicationDef>;

export type MedicationKey = keyof typeof MEDICATIONS;

// ---------------------------------------------------------------------------------------------------
// CPT-style procedure codes. CPT is the AMA's copyright: only these code numbers are shipped, with short
// descriptions written for this project (not the AMA's descriptors), and fees that are invented.

export interface ProcedureDef {
  code: string;
  display: string;
  /** Synthetic charge in USD. */
  fee: number;
}

export const PROCEDURES = {
  newPatientLow: { code: '99203', display: 'Office visit, new patient, low complexity', fee: 167 },
  newPatientModerate: { code: '99204', display: 'Office visit, new patient, moderate complexity', fee: 251 },
  establishedLow: { code: '99213', display: 'Office visit, established patient, low complexity', fee: 131 },
  establishedModerate: { code: '99214', display: 'Office visit, established patient, moderate complexity', fee: 186 },
  preventiveInfant: { code: '99391', display: 'Preventive visit, established patient, under 1 year', fee: 162 },
  preventiveEarlyChild: { code: '99392', display: 'Preventive visit, established patient, age 1 to 4', fee: 172 },
  preventiveChild: { code: '99393', display: 'Preventive visit, established patient, age 5 to 11', fee: 171 },
  preventiveAdolescent: { code: '99394', display: 'Preventive visit, established patient, age 12 to 17', fee: 184 },
  preventiveAdult: { code: '99395', display: 'Preventive visit, established patient, age 18 to 39', fee: 189 },
  preventiveMidlife: { code: '99396', display: 'Preventive visit, established patient, age 40 to 64', fee: 203 },
  preventiveSenior: { code: '99397', display: 'Preventive visit, established patient, age 65 and over', fee: 219 },
  emergencyModerate: { code: '99283', display: 'Emergency department visit, moderate complexity', fee: 325 },
  emergencyHigh: { code: '99284', display: 'Emergency department visit, moderately high complexity', fee: 540 },
  hospitalAdmission: { code: '99222', display: 'Initial hospital inpatient care, moderate complexity', fee: 331 },
  hospitalDischarge: { code: '99238', display: 'Hospital discharge day management, 30 minutes or less', fee: 142 },
  ecg: { code: '93000', display: 'Electrocardiogram, 12 leads, with interpretation and report', fee: 36 },
  venipuncture: { code: '36415', display: 'Collection of venous blood by venipuncture', fee: 10 },
  cmp: { code: '80053', display: 'Comprehensive metabolic panel', fee: 31 },
  lipidPanel: { code: '80061', display: 'Lipid panel', fee: 39 },
  hba1c: { code: '83036', display: 'Hemoglobin A1c', fee: 27 },
  cbc: { code: '85025', display: 'Complete blood count with automated differential', fee: 22 },
  tsh: { code: '84443', display: 'Thyroid stimulating hormone', fee: 46 },
  inr: { code: '85610', display: 'Prothrombin time', fee: 12 },
  urineAlbumin: { code: '82043', display: 'Urine albumin, quantitative', fee: 18 },
  spirometry: { code: '94010', display: 'Spirometry', fee: 56 },
  rapidStrep: { code: '87880', display: 'Rapid streptococcus group A antigen test', fee: 25 },
  chestXray: { code: '71046', display: 'Chest X-ray, 2 views', fee: 82 },
} as const satisfies Record<string, ProcedureDef>;

export type ProcedureKey = keyof typeof PROCEDURES;

// ---------------------------------------------------------------------------------------------------
// Encounter types (SNOMED CT procedures), practice specialties (SNOMED CT, the c80 practice codes).

export const ENCOUNTER_TYPES = {
  checkUp: c(SYSTEM.snomed, '185349003', 'Encounter for check up'),
  wellChild: c(SYSTEM.snomed, '410620009', 'Well child visit'),
  followUp: c(SYSTEM.snomed, '390906007', 'Follow-up encounter'),
  symptom: c(SYSTEM.snomed, '185345009', 'Encounter for symptom'),
  consultation: c(SYSTEM.snomed, '11429006', 'Consultation'),
  emergency: c(SYSTEM.snomed, '50849002', 'Emergency room admission'),
  admission: c(SYSTEM.snomed, '32485007', 'Hospital admission'),
} as const;

export const SPECIALTIES = {
  familyPractice: c(SYSTEM.snomed, '419772000', 'Family practice'),
  cardiology: c(SYSTEM.snomed, '394579002', 'Cardiology'),
  endocrinology: c(SYSTEM.snomed, '394583002', 'Endocrinology'),
  pulmonology: c(SYSTEM.snomed, '418112009', 'Pulmonary medicine'),
  internalMedicine: c(SYSTEM.snomed, '419192003', 'Internal medicine'),
} as const;

export type SpecialtyKey = keyof typeof SPECIALTIES;

// ---------------------------------------------------------------------------------------------------
// Tobacco smoking status: the LOINC question and SNOMED CT answers (the US Core smoking-status codes,
// with their SNOMED CT preferred terms).

export const SMOKING_STATUS = c(SYSTEM.loinc, '72166-2', 'Tobacco smoking status');

export const SMOKING = {
  never: c(SYSTEM.snomed, '266919005', 'Never smoked tobacco'),
  former: c(SYSTEM.snomed, '8517006', 'Ex-smoker'),
  current: c(SYSTEM.snomed, '449868002', 'Smokes tobacco daily'),
} as const;

export type SmokingKey = keyof typeof SMOKING;

// ---------------------------------------------------------------------------------------------------
// CVX (CDC, vaccines administered): the codes of the care-gap rules (server/src/cds/rules/care-gaps.json,
// its cvx list). CVX is not shipped as a CodeSystem in terminology/.

export const VACCINES = {
  iiv4: c(SYSTEM.cvx, '150', 'Influenza, injectable, quadrivalent, preservative free (IIV4)'),
  iiv4Mdv: c(SYSTEM.cvx, '158', 'influenza, injectable, quadrivalent (IIV4)'),
  ccIiv4: c(SYSTEM.cvx, '171', 'Influenza, injectable, MDCK, preservative free, quadrivalent (ccIIV4)'),
  iiv3: c(SYSTEM.cvx, '140', 'Influenza, seasonal, injectable, preservative free (IIV3)'),
  iiv3Mdv: c(SYSTEM.cvx, '141', 'Influenza, seasonal, injectable (IIV3)'),
  iiv3Hd: c(SYSTEM.cvx, '135', 'Influenza, high dose seasonal, preservative-free (IIV3)'),
  riv4: c(SYSTEM.cvx, '185', 'Influenza, recombinant, quadrivalent, injectable, preservative free (RIV4)'),
  iiv4Hd: c(SYSTEM.cvx, '197', 'influenza, high-dose, quadrivalent (IIV4-HD)'),
  aiiv4: c(SYSTEM.cvx, '205', 'influenza, adjuvanted, quadrivalent (aIIV4)'),
  td: c(SYSTEM.cvx, '113', 'tetanus and diphtheria toxoids, adsorbed, preservative free, for adult use (Td), 5 Lf of tetanus toxoid'),
  tdOld: c(SYSTEM.cvx, '09', 'tetanus and diphtheria toxoids, adsorbed, preservative free, for adult use (Td)'),
  tdap: c(SYSTEM.cvx, '115', 'tetanus toxoid, reduced diphtheria toxoid, and acellular pertussis vaccine, adsorbed (Tdap)'),
  ppsv23: c(SYSTEM.cvx, '33', 'pneumococcal polysaccharide vaccine, 23 valent (PPSV23)'),
  pcv13: c(SYSTEM.cvx, '133', 'pneumococcal conjugate vaccine, 13 valent (PCV13)'),
  pcv15: c(SYSTEM.cvx, '215', 'pneumococcal conjugate vaccine, 15 valent (PCV15)'),
  pcv20: c(SYSTEM.cvx, '216', 'pneumococcal conjugate vaccine, 20 valent (PCV20)'),
} as const;

export type VaccineKey = keyof typeof VACCINES;

// ---------------------------------------------------------------------------------------------------
// HL7 FHIR / v2 / v3 codes (terminology.hl7.org, shipped with the FHIR definitions).

export const HL7 = {
  identifierType: {
    MR: c(SYSTEM.identifierType, 'MR', 'Medical record number'),
    SS: c(SYSTEM.identifierType, 'SS', 'Social Security number'),
    MB: c(SYSTEM.identifierType, 'MB', 'Member Number'),
  },
  encounterClass: {
    AMB: c(SYSTEM.actCode, 'AMB', 'ambulatory'),
    IMP: c(SYSTEM.actCode, 'IMP', 'inpatient encounter'),
    EMER: c(SYSTEM.actCode, 'EMER', 'emergency'),
  },
  coverageType: {
    HIP: c(SYSTEM.actCode, 'HIP', 'health insurance plan policy'),
    PUBLICPOL: c(SYSTEM.actCode, 'PUBLICPOL', 'public healthcare'),
    SUBSIDIZ: c(SYSTEM.actCode, 'SUBSIDIZ', 'subsidized health program'),
  },
  participationType: {
    PPRF: c(SYSTEM.participationType, 'PPRF', 'primary performer'),
    ATND: c(SYSTEM.participationType, 'ATND', 'attender'),
  },
  locationType: {
    FMC: c(SYSTEM.roleCode, 'FMC', 'Family medicine clinic'),
    ER: c(SYSTEM.roleCode, 'ER', 'Emergency room'),
    HOSP: c(SYSTEM.roleCode, 'HOSP', 'Hospital'),
  },
  maritalStatus: {
    M: c(SYSTEM.maritalStatus, 'M', 'Married'),
    S: c(SYSTEM.maritalStatus, 'S', 'Never Married'),
    D: c(SYSTEM.maritalStatus, 'D', 'Divorced'),
    W: c(SYSTEM.maritalStatus, 'W', 'Widowed'),
  },
  observationCategory: {
    vitalSigns: c(SYSTEM.observationCategory, 'vital-signs', 'Vital Signs'),
    laboratory: c(SYSTEM.observationCategory, 'laboratory', 'Laboratory'),
    socialHistory: c(SYSTEM.observationCategory, 'social-history', 'Social History'),
  },
  interpretation: {
    N: c(SYSTEM.interpretation, 'N', 'Normal'),
    H: c(SYSTEM.interpretation, 'H', 'High'),
    L: c(SYSTEM.interpretation, 'L', 'Low'),
    HH: c(SYSTEM.interpretation, 'HH', 'Critical high'),
    LL: c(SYSTEM.interpretation, 'LL', 'Critical low'),
  },
  conditionClinical: {
    active: c(SYSTEM.conditionClinical, 'active', 'Active'),
    resolved: c(SYSTEM.conditionClinical, 'resolved', 'Resolved'),
  },
  conditionVerification: {
    confirmed: c(SYSTEM.conditionVerification, 'confirmed', 'Confirmed'),
  },
  conditionCategory: {
    problemListItem: c(SYSTEM.conditionCategory, 'problem-list-item', 'Problem List Item'),
    encounterDiagnosis: c(SYSTEM.conditionCategory, 'encounter-diagnosis', 'Encounter Diagnosis'),
  },
  allergyClinical: {
    active: c(SYSTEM.allergyClinical, 'active', 'Active'),
    resolved: c(SYSTEM.allergyClinical, 'resolved', 'Resolved'),
  },
  allergyVerification: {
    confirmed: c(SYSTEM.allergyVerification, 'confirmed', 'Confirmed'),
    unconfirmed: c(SYSTEM.allergyVerification, 'unconfirmed', 'Unconfirmed'),
  },
  medicationRequestCategory: {
    outpatient: c(SYSTEM.medicationRequestCategory, 'outpatient', 'Outpatient'),
  },
  courseOfTherapy: {
    continuous: c(SYSTEM.courseOfTherapy, 'continuous', 'Continuous long term therapy'),
    acute: c(SYSTEM.courseOfTherapy, 'acute', 'Short course (acute) therapy'),
  },
  claimType: {
    professional: c(SYSTEM.claimType, 'professional', 'Professional'),
  },
  processPriority: {
    normal: c(SYSTEM.processPriority, 'normal', 'Normal'),
  },
  adjudication: {
    submitted: c(SYSTEM.adjudication, 'submitted', 'Submitted Amount'),
    eligible: c(SYSTEM.adjudication, 'eligible', 'Eligible Amount'),
    copay: c(SYSTEM.adjudication, 'copay', 'CoPay'),
    deductible: c(SYSTEM.adjudication, 'deductible', 'Deductible'),
    benefit: c(SYSTEM.adjudication, 'benefit', 'Benefit Amount'),
  },
  paymentType: {
    complete: c(SYSTEM.paymentType, 'complete', 'Complete'),
  },
  coverageClass: {
    group: c(SYSTEM.coverageClass, 'group', 'Group'),
    plan: c(SYSTEM.coverageClass, 'plan', 'Plan'),
  },
  subscriberRelationship: {
    self: c(SYSTEM.subscriberRelationship, 'self', 'Self'),
    child: c(SYSTEM.subscriberRelationship, 'child', 'Child'),
  },
  organizationType: {
    prov: c(SYSTEM.organizationType, 'prov', 'Healthcare Provider'),
    pay: c(SYSTEM.organizationType, 'pay', 'Payer'),
    ins: c(SYSTEM.organizationType, 'ins', 'Insurance Company'),
    govt: c(SYSTEM.organizationType, 'govt', 'Government'),
  },
  practitionerRole: {
    doctor: c(SYSTEM.practitionerRole, 'doctor', 'Doctor'),
  },
  locationPhysicalType: {
    bu: c(SYSTEM.locationPhysicalType, 'bu', 'Building'),
  },
  serviceCategory: {
    generalPractice: c(SYSTEM.serviceCategory, '17', 'General Practice'),
    specialistMedical: c(SYSTEM.serviceCategory, '27', 'Specialist Medical'),
  },
  appointmentType: {
    ROUTINE: c(SYSTEM.appointmentType, 'ROUTINE', 'Routine appointment - default if not valued'),
    FOLLOWUP: c(SYSTEM.appointmentType, 'FOLLOWUP', 'A follow up visit from a previous appointment'),
    CHECKUP: c(SYSTEM.appointmentType, 'CHECKUP', 'A routine check-up, such as an annual physical'),
  },
  cancellationReason: {
    pat: c(SYSTEM.cancellationReason, 'pat', 'Patient'),
    'pat-fb': c(SYSTEM.cancellationReason, 'pat-fb', 'Patient: Feeling Better'),
    'pat-lt': c(SYSTEM.cancellationReason, 'pat-lt', 'Patient: Lack of Transportation'),
    'pat-cpp': c(SYSTEM.cancellationReason, 'pat-cpp', 'Patient: Canceled via Patient Portal'),
    prov: c(SYSTEM.cancellationReason, 'prov', 'Provider'),
    'oth-weath': c(SYSTEM.cancellationReason, 'oth-weath', 'Other: Weather'),
  },
  dischargeDisposition: {
    home: c(SYSTEM.dischargeDisposition, 'home', 'Home'),
  },
  bodySite: {
    leftArm: c(SYSTEM.actSite, 'LA', 'left arm'),
  },
  immunizationRoute: {
    IM: c(SYSTEM.routeOfAdministration, 'IM', 'Injection, intramuscular'),
  },
  diagnosisRole: {
    AD: c(SYSTEM.diagnosisRole, 'AD', 'Admission diagnosis'),
    DD: c(SYSTEM.diagnosisRole, 'DD', 'Discharge diagnosis'),
    billing: c(SYSTEM.diagnosisRole, 'billing', 'Billing'),
  },
} as const;

export const LANGUAGES = {
  en: c(SYSTEM.bcp47, 'en-US', 'English (United States)'),
  es: c(SYSTEM.bcp47, 'es', 'Spanish'),
  zh: c(SYSTEM.bcp47, 'zh', 'Chinese'),
  vi: c(SYSTEM.bcp47, 'vi', 'Vietnamese'),
  ar: c(SYSTEM.bcp47, 'ar', 'Arabic'),
  fr: c(SYSTEM.bcp47, 'fr', 'French'),
} as const;

export type LanguageKey = keyof typeof LANGUAGES;

// ---------------------------------------------------------------------------------------------------
// The shipped set, grouped by code system, for the terminology work to load as CodeSystems.

export interface ShippedCodeSystem {
  url: string;
  name: string;
  /** What may be shipped and on what terms (see seed/README.md). */
  copyright: string;
  concepts: { code: string; display: string; properties?: Record<string, string | number | boolean> }[];
}

const COPYRIGHT = {
  loinc: 'This material contains content from LOINC (http://loinc.org). LOINC is copyright Regenstrief Institute, Inc. and the Logical Observation Identifiers Names and Codes (LOINC) Committee and is available at no cost under the license at http://loinc.org/license.',
  snomed: 'This material includes SNOMED Clinical Terms (SNOMED CT), used by permission of SNOMED International. SNOMED CT is a registered trademark of SNOMED International. Use in production requires an Affiliate licence (free in IHTSDO member countries through the national release centre).',
  icd10cm: 'ICD-10-CM is published by the US National Center for Health Statistics (CDC) and is in the public domain.',
  rxnorm: 'RxNorm is produced by the US National Library of Medicine; the RxNorm-normalized names and codes (SAB=RXNORM) are free of licence restrictions.',
  cpt: 'CPT is copyright American Medical Association; all rights reserved. Only the code numbers listed here are shipped, with short descriptions written for Meridian (not the AMA descriptors), for synthetic test data.',
} as const;

/** Every code the generator uses from the external terminologies, one entry per code system. */
export function codeSystemContents(): ShippedCodeSystem[] {
  const loinc: ShippedCodeSystem['concepts'] = [];
  for (const v of Object.values(VITALS)) loinc.push({ code: v.loinc, display: v.display, properties: { unit: v.unit, class: 'vital-signs' } });
  loinc.push({ code: BP_PANEL.code, display: BP_PANEL.display, properties: { class: 'vital-signs' } });
  loinc.push({ code: PULSE_OXIMETRY.code, display: PULSE_OXIMETRY.display, properties: { unit: '%', class: 'vital-signs' } });
  for (const l of Object.values(LABS) as LabDef[]) {
    const properties: Record<string, string | number> = { unit: l.unit, class: 'laboratory' };
    if (l.range.low !== undefined) properties.referenceLow = l.range.low;
    if (l.range.high !== undefined) properties.referenceHigh = l.range.high;
    loinc.push({ code: l.loinc, display: l.display, properties });
  }
  loinc.push({ code: SMOKING_STATUS.code, display: SMOKING_STATUS.display, properties: { class: 'social-history' } });
  const snomed: ShippedCodeSystem['concepts'] = [];
  const icd10: ShippedCodeSystem['concepts'] = [];
  for (const d of Object.values(CONDITIONS)) {
    snomed.push({ code: d.snomed, display: d.display, properties: { icd10cm: d.icd10, chronic: d.chronic } });
    icd10.push({ code: d.icd10, display: d.icd10Display });
  }
  for (const v of Object.values(ICD10_VISIT)) icd10.push({ code: v.code, display: v.display });
  for (const a of Object.values(ALLERGENS)) snomed.push({ code: a.snomed, display: a.display, properties: { allergenCategory: a.category } });
  for (const r of Object.values(REACTIONS)) snomed.push({ code: r.code, display: r.display });
  for (const r of Object.values(ROUTES)) snomed.push({ code: r.code, display: r.display });
  for (const e of Object.values(ENCOUNTER_TYPES)) snomed.push({ code: e.code, display: e.display });
  for (const s of Object.values(SPECIALTIES)) snomed.push({ code: s.code, display: s.display });
  for (const s of Object.values(SMOKING)) snomed.push({ code: s.code, display: s.display });
  const rxnorm: ShippedCodeSystem['concepts'] = [];
  const ingredients = new Map<string, string>();
  for (const m of Object.values(MEDICATIONS) as MedicationDef[]) {
    rxnorm.push({ code: m.rxnorm, display: m.display, properties: { tty: 'SCD', ingredient: m.ingredient.rxnorm, drugClass: m.drugClass } });
    ingredients.set(m.ingredient.rxnorm, m.ingredient.display);
  }
  for (const [code, display] of ingredients) rxnorm.push({ code, display, properties: { tty: 'IN' } });
  const cpt = Object.values(PROCEDURES).map((p) => ({ code: p.code, display: p.display }));
  const unique = (list: ShippedCodeSystem['concepts']) => list.filter((x, i) => list.findIndex((y) => y.code === x.code) === i);
  return [
    { url: SYSTEM.loinc, name: 'LOINC', copyright: COPYRIGHT.loinc, concepts: unique(loinc) },
    { url: SYSTEM.snomed, name: 'SNOMED CT', copyright: COPYRIGHT.snomed, concepts: unique(snomed) },
    { url: SYSTEM.icd10cm, name: 'ICD-10-CM', copyright: COPYRIGHT.icd10cm, concepts: unique(icd10) },
    { url: SYSTEM.rxnorm, name: 'RxNorm', copyright: COPYRIGHT.rxnorm, concepts: unique(rxnorm) },
    { url: SYSTEM.cpt, name: 'CPT (the codes used by the seed only)', copyright: COPYRIGHT.cpt, concepts: unique(cpt) },
  ];
}
