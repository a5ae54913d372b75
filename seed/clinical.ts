// Physiology: how a patient's measurements follow from who they are, what they live with and what they
// take. Growth curves for children, BMI drift for adults, blood pressure raised by hypertension and
// brought down by treatment, HbA1c that falls after metformin starts, eGFR from creatinine (CKD-EPI 2021),
// calculated LDL (Friedewald), INR in range on warfarin, TSH back to normal on levothyroxine.
import { type ConditionKey, type LabDef, type LabKey, type MedicationKey, LABS } from './codes.js';
import { ageOn, yearsBetween } from './dates.js';
import { type Profile, type Sex, ckdStage, has } from './profile.js';
import { Random } from './random.js';

/** Per-patient constants of the laboratory models, drawn once per patient. */
export interface Physiology {
  a1cUntreated: number;
  a1cDrop: number;
  ldl: number;
  hdl: number;
  triglycerides: number;
  hemoglobin: number;
  tsh: number;
}

export function makePhysiology(profile: Profile, rng: Random): Physiology {
  const hyperlipidemia = has(profile, 'hyperlipidemia');
  return {
    a1cUntreated: rng.normalIn(8.6, 1.0, 6.8, 11.5),
    a1cDrop: rng.float(0.9, 2.0),
    ldl: hyperlipidemia ? rng.normalIn(168, 18, 135, 230) : rng.normalIn(112, 22, 60, 158),
    hdl: profile.sex === 'male' ? rng.normalIn(47, 9, 28, 85) : rng.normalIn(58, 11, 32, 95),
    triglycerides: rng.normalIn(has(profile, 'diabetes') ? 170 : 120, 40, 45, 380),
    hemoglobin: profile.sex === 'male' ? rng.normalIn(14.8, 0.8, 13.0, 17.2) : rng.normalIn(13.4, 0.8, 11.8, 15.4),
    tsh: Math.exp(rng.normalIn(Math.log(1.7), 0.35, Math.log(0.6), Math.log(3.8))),
  };
}

/** Day from which a drug has its effect (it was started that day), per medication. */
export type Treatments = Map<MedicationKey, number>;

export interface Visit {
  day: number;
  asOfDay: number;
  /** The acute problem of the visit, if any. */
  acute?: ConditionKey;
  treatments: Treatments;
}

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

const onTreatment = (v: Visit, drug: MedicationKey, delayDays = 0) => {
  const since = v.treatments.get(drug);
  return since !== undefined && v.day >= since + delayDays;
};

// Median height (cm) by whole year of age 0..18; the adult height is the value at 18.
const HEIGHT: Record<Sex, number[]> = {
  male: [50, 76, 87, 96, 103, 110, 116, 122, 128, 133, 138, 143, 149, 156, 164, 170, 173, 175, 176],
  female: [49, 74, 86, 95, 102, 109, 115, 121, 127, 133, 138, 144, 151, 157, 160, 162, 163, 163, 163],
};
// Median BMI (kg/m2) by whole year of age 0..18.
const CHILD_BMI = [13.5, 17.2, 16.4, 15.9, 15.5, 15.3, 15.3, 15.5, 15.8, 16.2, 16.6, 17.2, 17.8, 18.4, 19.0, 19.6, 20.2, 20.7, 21.3];

function interpolate(table: number[], years: number): number {
  if (years <= 0) return table[0];
  if (years >= table.length - 1) return table[table.length - 1];
  const i = Math.floor(years);
  return table[i] + (table[i + 1] - table[i]) * (years - i);
}

/** Height in cm on a day: a growth curve for children, constant for adults. */
export function heightAt(profile: Profile, day: number): number {
  const years = yearsBetween(profile.birthDay, day);
  const spread = profile.sex === 'male' ? 0.041 : 0.04;
  return interpolate(HEIGHT[profile.sex], years) * (1 + profile.heightZ * spread);
}

/** BMI on a day: BMI-for-age times the child's factor, or the adult's BMI drifting over the years. */
export function bmiAt(profile: Profile, day: number, asOfDay: number): number {
  const years = yearsBetween(profile.birthDay, day);
  if (years < 18) return interpolate(CHILD_BMI, years) * profile.childBmiFactor;
  return clamp(profile.bmi + profile.bmiPerYear * yearsBetween(asOfDay, day), 16, 60);
}

export interface Vitals {
  heartRate: number;
  respiratoryRate: number;
  temperature: number;
  oxygenSaturation: number;
  systolic: number;
  diastolic: number;
}

const FEBRILE: ConditionKey[] = ['acuteBronchitis', 'viralSinusitis', 'strepThroat', 'otitisMedia', 'pneumonia'];

export function vitalsAt(profile: Profile, v: Visit, rng: Random): Vitals {
  const age = ageOn(profile.birthDay, v.day);
  const af = has(profile, 'atrialFibrillation', v.day);
  const copd = has(profile, 'copd', v.day);
  const pneumonia = v.acute === 'pneumonia';

  let temperature = rng.normalIn(36.8, 0.22, 36.0, 37.5);
  if (v.acute && FEBRILE.includes(v.acute) && rng.chance(pneumonia ? 0.9 : 0.55)) temperature = rng.normalIn(pneumonia ? 38.8 : 38.3, 0.45, 37.8, 40.2);

  const hrBase = age < 1 ? 130 : age < 3 ? 115 : age < 6 ? 100 : age < 12 ? 88 : age < 18 ? 78 : 72;
  let heartRate = hrBase + profile.heartRateOffset + rng.normal(0, af ? 12 : 5) + (af ? 10 : 0) + Math.max(0, temperature - 37) * 10;
  if (v.acute === 'chestPain') heartRate += 12;
  heartRate = clamp(heartRate, 45, 175);

  const rrBase = age < 1 ? 34 : age < 3 ? 26 : age < 6 ? 22 : age < 12 ? 19 : age < 18 ? 16 : 15;
  const respiratoryRate = clamp(rrBase + rng.normal(0, 1.5) + (copd ? 2 : 0) + (pneumonia ? 6 : 0), 10, 60);

  const oxygenSaturation = clamp(pneumonia ? rng.normal(91.5, 2) : copd ? rng.normal(93.5, 1.3) : rng.normal(97.8, 0.9), 82, 100);

  let systolic = age < 18 ? Math.min(118, 92 + 1.4 * age) : 108 + 0.5 * (age - 18) + (profile.sex === 'male' ? 5 : 0);
  systolic += profile.systolicOffset;
  if (has(profile, 'hypertension', v.day)) {
    const drugs = (['lisinopril', 'amlodipine', 'hydrochlorothiazide'] as const).filter((d) => onTreatment(v, d, 21)).length;
    systolic += drugs === 0 ? 24 : Math.max(2, 10 - 4 * (drugs - 1));
  }
  systolic = clamp(systolic + rng.normal(0, 7), 82, 215);
  const diastolic = clamp(0.55 * systolic + 8 + rng.normal(0, 5), 42, Math.min(125, systolic - 20));
  return { heartRate, respiratoryRate, temperature, oxygenSaturation, systolic, diastolic };
}

// --- laboratory ------------------------------------------------------------------------------------

/** CKD-EPI 2021 creatinine equation (race-free). */
export function ckdEpi2021(creatinine: number, age: number, sex: Sex): number {
  const kappa = sex === 'female' ? 0.7 : 0.9;
  const alpha = sex === 'female' ? -0.241 : -0.302;
  const r = creatinine / kappa;
  return 142 * Math.min(r, 1) ** alpha * Math.max(r, 1) ** -1.2 * 0.9938 ** age * (sex === 'female' ? 1.012 : 1);
}

/** The creatinine that gives an eGFR (inverse of CKD-EPI 2021). */
function creatinineFor(egfr: number, age: number, sex: Sex): number {
  const kappa = sex === 'female' ? 0.7 : 0.9;
  const alpha = sex === 'female' ? -0.241 : -0.302;
  const ratio = egfr / (142 * 0.9938 ** age * (sex === 'female' ? 1.012 : 1));
  return ratio <= 1 ? kappa * ratio ** (-1 / 1.2) : kappa * ratio ** (1 / alpha);
}

const roundTo = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;

/** Values of the requested tests drawn together (so panels agree with themselves), rounded as reported. */
export function labValues(profile: Profile, phys: Physiology, v: Visit, keys: readonly LabKey[], rng: Random): Map<LabKey, number> {
  const out = new Map<LabKey, number>();
  const want = new Set(keys);
  const age = ageOn(profile.birthDay, v.day);
  const diabetes = has(profile, 'diabetes', v.day);
  const prediabetes = has(profile, 'prediabetes', v.day);

  let a1c: number;
  if (diabetes) {
    const since = v.treatments.get('metformin');
    const target = Math.max(6.3, phys.a1cUntreated - phys.a1cDrop);
    a1c = since !== undefined && v.day >= since ? target + (phys.a1cUntreated - target) * Math.exp(-(v.day - since) / 30.4 / 3) : phys.a1cUntreated;
    a1c = clamp(a1c + rng.normal(0, 0.2), 6.5, 14);
  } else if (prediabetes) {
    a1c = rng.normalIn(6.0, 0.15, 5.7, 6.4);
  } else {
    a1c = rng.normalIn(5.3, 0.17, 4.4, 5.6);
  }
  if (want.has('hba1c')) out.set('hba1c', roundTo(a1c, 1));
  if (want.has('glucose')) {
    const glucose = diabetes ? clamp(28.7 * a1c - 46.7 + rng.normal(0, 15), 80, 420) : prediabetes ? rng.normalIn(106, 6, 100, 125) : rng.normalIn(88, 7, 70, 99);
    out.set('glucose', Math.round(glucose));
  }

  const stage = ckdStage(profile, v.day);
  let egfrTarget = profile.egfr + Math.max(0, yearsBetween(v.day, v.asOfDay)) * 1.0; // about 1 a year higher in the past
  if (stage === 0) egfrTarget = Math.max(egfrTarget, 61);
  egfrTarget = clamp(egfrTarget + rng.normal(0, 2.5), 16, 125);
  const creatinine = roundTo(creatinineFor(egfrTarget, Math.max(age, 18), profile.sex), 2);
  const egfr = Math.round(ckdEpi2021(creatinine, Math.max(age, 18), profile.sex));
  if (want.has('creatinine')) out.set('creatinine', creatinine);
  if (want.has('egfr')) out.set('egfr', egfr);
  if (want.has('bun')) out.set('bun', Math.round(clamp(14 + rng.normal(0, 3) + Math.max(0, 60 - egfr) / 2.5, 5, 60)));
  if (want.has('sodium')) out.set('sodium', Math.round(rng.normalIn(140, 1.8, 131, 147)));
  if (want.has('potassium')) {
    const k = 4.2 + (onTreatment(v, 'lisinopril') ? 0.2 : 0) + (egfr < 60 ? 0.3 : 0) + rng.normal(0, 0.3);
    out.set('potassium', roundTo(clamp(k, 3.2, 5.9), 1));
  }

  if (want.has('cholesterol') || want.has('ldl') || want.has('hdl') || want.has('triglycerides')) {
    let ldl = phys.ldl;
    if (has(profile, 'hyperlipidemia') && !has(profile, 'hyperlipidemia', v.day)) ldl -= 25;
    if (onTreatment(v, 'atorvastatin', 42)) ldl *= 0.58;
    ldl = clamp(ldl + rng.normal(0, 8), 40, 260);
    const hdl = Math.round(clamp(phys.hdl + rng.normal(0, 3), 25, 100));
    const tg = Math.round(clamp(phys.triglycerides + rng.normal(0, 15), 40, 399));
    const total = Math.round(ldl + hdl + tg / 5);
    out.set('cholesterol', total);
    out.set('hdl', hdl);
    out.set('triglycerides', tg);
    out.set('ldl', Math.round(total - hdl - tg / 5)); // Friedewald, from the reported values
  }

  if (want.has('hemoglobin')) out.set('hemoglobin', roundTo(clamp(phys.hemoglobin - (egfr < 45 ? 1.2 : 0) + rng.normal(0, 0.3), 8, 18.5), 1));
  if (want.has('wbc')) out.set('wbc', roundTo(v.acute === 'pneumonia' ? rng.normalIn(14, 3, 10, 24) : rng.normalIn(6.8, 1.5, 3.6, 10.8), 1));
  if (want.has('platelets')) out.set('platelets', Math.round(rng.normalIn(250, 45, 140, 450)));

  if (want.has('tsh')) {
    let tsh: number;
    if (has(profile, 'hypothyroidism', v.day)) {
      tsh = onTreatment(v, 'levothyroxine', 60) ? Math.exp(rng.normalIn(Math.log(2.1), 0.35, Math.log(0.4), Math.log(6))) : rng.normalIn(9, 2.5, 5.2, 25);
    } else {
      tsh = clamp(phys.tsh * Math.exp(rng.normal(0, 0.12)), 0.45, 4.2);
    }
    out.set('tsh', roundTo(tsh, 2));
  }
  if (want.has('inr')) out.set('inr', roundTo(onTreatment(v, 'warfarin', 14) ? rng.normalIn(2.5, 0.35, 1.5, 4.0) : rng.normalIn(1.0, 0.06, 0.85, 1.15), 1));
  if (want.has('uacr')) {
    const uacr = stage === 3 ? rng.normalIn(150, 80, 35, 600) : stage > 0 ? rng.normalIn(90, 45, 35, 290) : diabetes ? rng.normalIn(14, 6, 3, 29) : rng.normalIn(8, 4, 2, 25);
    out.set('uacr', Math.round(uacr));
  }
  return out;
}

export function referenceRange(def: LabDef, sex: Sex): { low?: number; high?: number } {
  return sex === 'female' && def.range.female ? def.range.female : { low: def.range.low, high: def.range.high };
}

export function interpretation(def: LabDef, value: number, sex: Sex): 'N' | 'H' | 'L' | 'HH' | 'LL' {
  const { low, high } = referenceRange(def, sex);
  if (def.critical?.low !== undefined && value < def.critical.low) return 'LL';
  if (def.critical?.high !== undefined && value > def.critical.high) return 'HH';
  if (low !== undefined && value < low) return 'L';
  if (high !== undefined && value > high) return 'H';
  return 'N';
}

export { LABS };
