// Prevention in a patient's record: tobacco smoking status and the immunization history of adults
// (influenza by season, Td/Tdap boosters, pneumococcal vaccine). Drawn from its own random stream
// (seed, 'prevention', index), so adding it changed none of the draws of the other streams: every other
// resource of a record is what it was before.
import type { SmokingKey, VaccineKey } from './codes.js';
import { addYears, ageOn, dayOf, yearOf } from './dates.js';
import { type Profile, has } from './profile.js';
import type { Random } from './random.js';

/** A visit of the record, as far as prevention needs it. */
export interface PreventionVisit {
  day: number;
  kind: string;
}

export interface PlannedDose {
  vaccine: VaccineKey;
  day: number;
  /** Index of the visit it was given at; undefined: given elsewhere (pharmacy, earlier clinician). */
  visit?: number;
}

const DAYS_PER_YEAR = 365.2425;

/** Smoking status of an adult on the as-of day (undefined for children): current smokers are the profile's. */
export function smokingStatus(profile: Profile, rng: Random): SmokingKey | undefined {
  if (profile.age < 18) return undefined;
  if (profile.smoker) return 'current';
  const a = profile.age;
  const former = has(profile, 'copd') ? 0.85 : a < 30 ? 0.1 : a < 45 ? 0.2 : a < 65 ? 0.32 : 0.45;
  return rng.chance(former) ? 'former' : 'never';
}

/** Conditions that make influenza and pneumococcal vaccination more likely (CDC high-risk groups, roughly). */
function highRisk(profile: Profile): boolean {
  return ['diabetes', 'copd', 'asthma', 'ckd1', 'ckd2', 'ckd3', 'atrialFibrillation'].some((k) => has(profile, k as never));
}

/**
 * The immunizations of an adult, oldest first: influenza most seasons for about half of adults (more over
 * 65 and with chronic disease), a Td/Tdap booster in the last 10 years for about two thirds, pneumococcal
 * vaccine for most over 65 and some at 50-64 with a chronic disease. Children get none.
 */
export function immunizationPlan(profile: Profile, asOfDay: number, visits: PreventionVisit[], rng: Random): PlannedDose[] {
  if (profile.age < 18) return [];
  const doses: PlannedDose[] = [];
  const a = profile.age;
  const risk = highRisk(profile);
  const ageAt = (day: number) => ageOn(profile.birthDay, day);
  /** A visit of one of the kinds between from and to (the first), when the dose is given there. */
  const visitIn = (from: number, to: number, kinds: string[], chance: number): number | undefined => {
    const i = visits.findIndex((v) => v.day >= from && v.day <= to && v.day < asOfDay && kinds.includes(v.kind));
    return i >= 0 && rng.chance(chance) ? i : undefined;
  };
  const push = (vaccine: VaccineKey, day: number, visit?: number) => doses.push({ vaccine, day: visit === undefined ? day : visits[visit].day, visit });

  // Influenza: a habit per patient (regular, occasional, never), then one draw per season (from 1 August).
  const coverage = Math.min(0.85, (a >= 65 ? 0.7 : a >= 50 ? 0.5 : 0.36) + (risk ? 0.12 : 0));
  const regular = (coverage - 0.3 * 0.35) / 0.92;
  const occasional = Math.min(0.3, 1 - regular);
  const habit = rng.weighted<'regular' | 'occasional' | 'never'>([['regular', regular], ['occasional', occasional], ['never', Math.max(0, 1 - regular - occasional)]]);
  const perSeason = habit === 'regular' ? 0.92 : habit === 'occasional' ? 0.35 : 0;
  for (let y = yearOf(asOfDay) - 5; y <= yearOf(asOfDay); y++) {
    if (dayOf(y, 8, 1) >= asOfDay) continue;
    const given = rng.chance(perSeason);
    const month = rng.weighted<number>([[9, 25], [10, 40], [11, 20], [12, 10], [13, 5]]);
    const day = (month === 13 ? dayOf(y + 1, 1, 1) : dayOf(y, month, 1)) + rng.int(0, 27);
    if (!given || day >= asOfDay || ageAt(day) < 18) continue;
    const older = ageAt(day) >= 65;
    // trivalent vaccines from the 2024-25 season on, quadrivalent before
    const vaccine = y >= 2024
      ? rng.weighted<VaccineKey>(older ? [['iiv3Hd', 65], ['iiv3', 35]] : [['iiv3', 70], ['iiv3Mdv', 30]])
      : rng.weighted<VaccineKey>(older ? [['iiv4Hd', 55], ['aiiv4', 30], ['iiv4', 15]] : [['iiv4', 60], ['iiv4Mdv', 15], ['ccIiv4', 15], ['riv4', 10]]);
    const visit = visitIn(dayOf(y, 9, 1), Math.min(day + 30, dayOf(y + 1, 1, 31)), ['wellness', 'followup'], 0.7);
    push(vaccine, day, visit);
  }

  // Td/Tdap: the last booster within 10 years for about two thirds; else an older one, or none recorded.
  let last: number | undefined;
  if (rng.chance(a >= 65 ? 0.55 : 0.68)) last = rng.int(asOfDay - 3652, asOfDay - 1);
  else if (rng.chance(0.6)) last = asOfDay - rng.int(3653, Math.round(DAYS_PER_YEAR * 25));
  if (last !== undefined) {
    const adolescent = addYears(profile.birthDay, 11) + rng.int(0, 364); // the adolescent Tdap at 11-12
    const previous = rng.chance(0.5) ? last - rng.int(3300, 4000) : undefined;
    if (ageAt(last) < 11) last = adolescent < asOfDay ? adolescent : undefined;
    const tdVaccine = (day: number) => (yearOf(day) < 2006 ? 'tdOld' : ageAt(day) < 19 || rng.chance(0.7) ? 'tdap' : 'td');
    if (previous !== undefined && ageAt(previous) >= 11) push(tdVaccine(previous), previous);
    if (last !== undefined) push(tdVaccine(last), last, visitIn(last - 120, last + 120, ['wellness'], 0.6));
  }

  // Pneumococcal: most from 65 on, some at 50-64 with a chronic disease (PCV13 then PPSV23 before the
  // 2022 recommendations, PCV20, or PCV15 then PPSV23, after).
  let from: number | undefined;
  if (a >= 65 && rng.chance(0.7)) from = Math.max(addYears(profile.birthDay, 65), asOfDay - 3652);
  else if (a >= 50 && a < 65 && risk && rng.chance(0.35)) {
    const onset = Math.min(...profile.conditions.filter((c) => highRisk({ ...profile, conditions: [c] })).map((c) => c.onsetDay));
    from = Math.max(onset, addYears(profile.birthDay, 19), asOfDay - 3652);
  }
  if (from !== undefined && from < asOfDay - 1) {
    const day = rng.int(from, asOfDay - 1);
    const visit = visitIn(day - 90, day + 90, ['wellness', 'followup'], 0.6);
    const given = visit === undefined ? day : visits[visit].day;
    const conjugate = given < dayOf(2022, 1, 1)
      ? (ageAt(given) >= 65 ? 'pcv13' : 'ppsv23')
      : rng.weighted<VaccineKey>([['pcv20', 70], ['pcv15', 30]]);
    push(conjugate, day, visit);
    const then = given + rng.int(365, 500);
    if ((conjugate === 'pcv13' || conjugate === 'pcv15') && then < asOfDay && rng.chance(0.75)) push('ppsv23', then);
  }
  return doses.sort((x, y) => x.day - y.day);
}
