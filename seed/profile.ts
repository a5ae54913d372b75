// A patient's profile: who they are and what chronic state they live with, drawn from its own random
// stream (seed, 'profile', index) so that the practice plan can compute it for every patient cheaply
// without generating their record. Everything the record shows is derived from this plus the
// patient's history stream.
import { type AllergenKey, type ConditionKey, type LanguageKey, ALLERGENS } from './codes.js';
import { addYears, ageOn, dayOf, yearOf } from './dates.js';
import { FAMILY, GIVEN_FEMALE, GIVEN_MALE, STREETS, TOWNS } from './names.js';
import { Random } from './random.js';

export type Sex = 'male' | 'female';
export type PayerKey = 'medicare' | 'medicaid' | 'bluewater' | 'northstar' | 'keystone';

export interface ChronicCondition {
  key: ConditionKey;
  onsetDay: number;
}

export interface AllergyProfile {
  key: AllergenKey;
  onsetDay: number;
  criticality: 'low' | 'high';
  severity: 'mild' | 'moderate' | 'severe';
  confirmed: boolean;
  resolved: boolean;
}

export interface Profile {
  index: number;
  sex: Sex;
  birthDay: number;
  /** Age in whole years on the as-of day. */
  age: number;
  given: string[];
  family: string;
  language: LanguageKey;
  maritalStatus?: 'M' | 'S' | 'D' | 'W';
  address: { line: string; city: string; postalCode: string };
  phone: string;
  email?: string;
  ssn: string;
  mrn: string;
  /** Height percentile as a z-score (adult height = mean + z * sd). */
  heightZ: number;
  /** Adult BMI on the as-of day, and its change per year; for children a factor on the BMI-for-age median. */
  bmi: number;
  bmiPerYear: number;
  childBmiFactor: number;
  smoker: boolean;
  /** Per-patient offsets of resting heart rate and systolic pressure. */
  heartRateOffset: number;
  systolicOffset: number;
  /** eGFR on the as-of day (adults); it declines about 1 per year, so it was higher before. */
  egfr: number;
  conditions: ChronicCondition[];
  allergies: AllergyProfile[];
  payer: PayerKey;
  memberId: string;
}

const AGE_BANDS: readonly (readonly [[number, number], number])[] = [
  [[0, 0], 1.2],
  [[1, 4], 4.8],
  [[5, 11], 8.5],
  [[12, 17], 7.5],
  [[18, 29], 15],
  [[30, 44], 19],
  [[45, 64], 25],
  [[65, 79], 14],
  [[80, 95], 5],
];

const LANGUAGE_WEIGHTS: readonly (readonly [LanguageKey, number])[] = [
  ['en', 84],
  ['es', 10],
  ['zh', 2],
  ['vi', 2],
  ['ar', 1],
  ['fr', 1],
];

export function has(profile: { conditions: ChronicCondition[] }, key: ConditionKey, onDay?: number): boolean {
  return profile.conditions.some((c) => c.key === key && (onDay === undefined || c.onsetDay <= onDay));
}

export function ckdStage(profile: Profile, onDay?: number): 0 | 1 | 2 | 3 {
  if (has(profile, 'ckd3', onDay)) return 3;
  if (has(profile, 'ckd2', onDay)) return 2;
  if (has(profile, 'ckd1', onDay)) return 1;
  return 0;
}

/** The profile of patient `index` of a population. */
export function makeProfile(seed: string, index: number, asOfDay: number): Profile {
  const rng = Random.of(seed, 'profile', index);
  const sex: Sex = rng.chance(0.51) ? 'female' : 'male';
  const [minAge, maxAge] = rng.weighted(AGE_BANDS);
  const age = rng.int(minAge, maxAge);
  // born `age` years before some day of the past year
  const birthDay = addYears(asOfDay, -age) - rng.int(1, 364);
  const language = rng.weighted(LANGUAGE_WEIGHTS);
  const givenList = sex === 'female' ? GIVEN_FEMALE : GIVEN_MALE;
  const first = rng.pick(givenList);
  let middle = rng.pick(givenList);
  if (middle === first) middle = rng.pick(givenList);
  const family = rng.pick(FAMILY[language]);
  const ageNow = ageOn(birthDay, asOfDay);
  const town = rng.pick(TOWNS);
  const address = { line: `${rng.int(1, 1999)} ${rng.pick(STREETS)}`, city: town.city, postalCode: town.postalCode };
  const phone = `${town.areaCode}-555-01${String(rng.int(0, 99)).padStart(2, '0')}`;
  const email = ageNow >= 16 && rng.chance(0.75)
    ? `${first}.${family}${rng.int(1, 99)}@example.com`.toLowerCase()
    : undefined;
  const ssn = `999-${String(rng.int(10, 99))}-${String(rng.int(0, 9999)).padStart(4, '0')}`;
  const mrn = String(10_000_000 + index * 7 + rng.int(0, 6)); // unique within a population, 8 digits
  let maritalStatus: Profile['maritalStatus'];
  if (ageNow >= 18) {
    maritalStatus = rng.weighted<NonNullable<Profile['maritalStatus']>>(
      ageNow < 30 ? [['S', 70], ['M', 27], ['D', 3]] : ageNow < 65 ? [['M', 58], ['S', 22], ['D', 17], ['W', 3]] : [['M', 52], ['W', 28], ['D', 12], ['S', 8]],
    );
  }

  const heightZ = rng.normalIn(0, 1, -2.5, 2.5);
  const smoker = ageNow >= 18 && rng.chance(ageNow < 65 ? 0.14 : 0.09);
  let bmi = ageNow < 30 ? rng.normalIn(25.5, 4.5, 17.5, 45) : rng.normalIn(28.7, 5.5, 18, 52);
  const childBmiFactor = Math.exp(rng.normalIn(0, 0.11, -0.15, 0.45));
  const bmiPerYear = rng.normalIn(0.15, 0.35, -0.8, 1);

  // Chronic conditions, by age band and risk (rough US prevalences).
  const conditions: ChronicCondition[] = [];
  const onset = (minAgeAtOnset: number): number => {
    const lo = Math.min(ageNow, Math.max(minAgeAtOnset, 0));
    const ageAtOnset = rng.float(lo, ageNow + 0.999);
    const day = birthDay + Math.floor(ageAtOnset * 365.2425);
    return Math.min(day, asOfDay - 30);
  };
  const add = (key: ConditionKey, minAgeAtOnset: number) => conditions.push({ key, onsetDay: onset(minAgeAtOnset) });
  const band = ageNow < 18 ? 0 : ageNow < 40 ? 1 : ageNow < 60 ? 2 : 3;
  if (ageNow >= 18) {
    const obese = bmi >= 30;
    const diabetes = rng.chance([0, 0.03, 0.12, 0.24][band] * (obese ? 1.8 : 0.7));
    if (diabetes) add('diabetes', 25);
    else if (ageNow >= 30 && bmi >= 25 && rng.chance(0.22)) add('prediabetes', 28);
    const hypertension = rng.chance([0, 0.1, 0.33, 0.6][band] * (obese ? 1.3 : 0.9));
    if (hypertension) add('hypertension', 25);
    if (rng.chance([0, 0.1, 0.3, 0.45][band] * (diabetes ? 1.5 : 1))) add('hyperlipidemia', 25);
    if (obese && rng.chance(0.75)) add('obesity', 18);
    if (ageNow >= 40 && rng.chance((smoker ? 0.2 : 0.03) * (band === 3 ? 1.6 : 1))) add('copd', 40);
    if (rng.chance(band === 3 ? 0.09 : band === 2 ? 0.015 : 0)) add('atrialFibrillation', 50);
    if (rng.chance(sex === 'female' ? (band >= 2 ? 0.11 : 0.04) : band >= 2 ? 0.03 : 0.01)) add('hypothyroidism', 20);
    if (ageNow >= 50 && rng.chance(band === 3 ? 0.16 : 0.06)) add('osteoarthritisKnee', 45);
    if (rng.chance(0.08)) add('depression', 14);
    if (rng.chance(0.07)) add('anxiety', 14);
  } else if (ageNow >= 12) {
    if (rng.chance(0.04)) add('depression', 12);
    if (rng.chance(0.06)) add('anxiety', 10);
  }
  if (ageNow >= 3 && rng.chance(0.08)) add('asthma', 3);
  if (ageNow < 18 && ageNow >= 2 && childBmiFactor > 1.22) add('obesity', 2);

  // Kidney function: eGFR declines with age; diabetes and hypertension raise the odds of CKD.
  let egfr = Math.min(122, Math.max(62, rng.normal(116 - 0.85 * Math.max(ageNow - 20, 0), 10)));
  const atRisk = has({ conditions }, 'diabetes') || has({ conditions }, 'hypertension');
  if (ageNow >= 45 && atRisk && rng.chance(ageNow >= 65 ? 0.3 : 0.15)) {
    const stage = rng.weighted<1 | 2 | 3>([[1, 2], [2, 4], [3, 4]]);
    egfr = stage === 1 ? rng.float(91, 110) : stage === 2 ? rng.float(62, 88) : rng.float(33, 58);
    const first = Math.max(...conditions.filter((c) => c.key === 'diabetes' || c.key === 'hypertension').map((c) => c.onsetDay));
    const onsetDay = Math.min(asOfDay - 30, first + rng.int(365, 365 * 6));
    conditions.push({ key: stage === 1 ? 'ckd1' : stage === 2 ? 'ckd2' : 'ckd3', onsetDay: Math.max(onsetDay, first) });
  }

  // Allergies.
  const allergies: AllergyProfile[] = [];
  const allergyOnset = (minAge: number) => Math.min(asOfDay - 60, birthDay + Math.floor(rng.float(Math.min(minAge, ageNow), Math.max(ageNow, minAge) + 0.9) * 365.2425));
  const addAllergy = (key: AllergenKey, minAge: number) => {
    const def = ALLERGENS[key];
    const severe = (def.reactions as readonly string[]).includes('anaphylaxis') && rng.chance(0.2);
    allergies.push({
      key,
      onsetDay: Math.max(birthDay + 30, allergyOnset(minAge)),
      criticality: severe ? 'high' : 'low',
      severity: severe ? 'severe' : rng.chance(0.6) ? 'mild' : 'moderate',
      confirmed: rng.chance(0.8),
      resolved: key === 'egg' && ageNow >= 8 && rng.chance(0.6),
    });
  };
  if (rng.chance(0.08)) addAllergy('penicillin', 1);
  if (rng.chance(0.03)) addAllergy('sulfonamide', 5);
  if (ageNow >= 18 && rng.chance(0.015)) addAllergy('aspirin', 18);
  if (rng.chance(ageNow < 18 ? 0.025 : 0.012)) addAllergy('peanut', 1);
  if (rng.chance(ageNow < 18 ? 0.02 : 0.006)) addAllergy('egg', 0);
  if (rng.chance(0.006)) addAllergy('fish', 2);
  if (ageNow >= 3 && rng.chance(0.08)) addAllergy('grassPollen', 3);
  if (ageNow >= 3 && rng.chance(0.05)) addAllergy('dustMite', 3);
  if (ageNow >= 3 && rng.chance(0.04)) addAllergy('animalDander', 3);
  if (ageNow >= 18 && rng.chance(0.01)) addAllergy('latex', 18);
  const environmental = allergies.filter((a) => ALLERGENS[a.key].category === 'environment' && a.key !== 'latex');
  if (environmental.length && rng.chance(0.6)) {
    conditions.push({ key: 'allergicRhinitis', onsetDay: Math.min(...environmental.map((a) => a.onsetDay)) });
  }

  // Coverage.
  let payer: PayerKey;
  if (ageNow >= 65) payer = rng.chance(0.95) ? 'medicare' : 'bluewater';
  else if (ageNow < 18) payer = rng.chance(0.35) ? 'medicaid' : rng.pick(['bluewater', 'northstar', 'keystone'] as const);
  else payer = rng.chance(0.15) ? 'medicaid' : rng.weighted<PayerKey>([['bluewater', 45], ['northstar', 35], ['keystone', 20]]);
  const memberId = `${payer.slice(0, 2).toUpperCase()}${String(rng.int(0, 999_999_999)).padStart(9, '0')}`;

  conditions.sort((a, b) => a.onsetDay - b.onsetDay || a.key.localeCompare(b.key));
  allergies.sort((a, b) => a.onsetDay - b.onsetDay || a.key.localeCompare(b.key));
  return {
    index,
    sex,
    birthDay,
    age: ageNow,
    given: [first, middle],
    family,
    language,
    maritalStatus,
    address,
    phone,
    email,
    ssn,
    mrn,
    heightZ,
    bmi,
    bmiPerYear,
    childBmiFactor,
    smoker,
    heartRateOffset: rng.normal(0, 6),
    systolicOffset: rng.normal(0, 8),
    egfr,
    conditions,
    allergies,
    payer,
    memberId,
  };
}

/** The first day of January of a day's year (for yearly schedules). */
export function startOfYear(day: number): number {
  return dayOf(yearOf(day), 1, 1);
}
