// The practice plan: everything the practice Bundle and the patient Bundles must agree on, computed
// from the options alone — the practitioners and their clinic days, every Slot, and which patient's
// Appointment takes which Slot (so a Slot is busy exactly when an Appointment holds it). It keeps a few
// numbers per patient, never a patient's record, so 10,000 patients cost well under a megabyte here.
import { type ConditionKey, type SpecialtyKey } from './codes.js';
import { addYears, parseDay, weekday } from './dates.js';
import { GIVEN_FEMALE, GIVEN_MALE, FAMILY } from './names.js';
import { type Profile, type Sex, has, makeProfile } from './profile.js';
import { Random } from './random.js';

export const SEED_SYSTEM = 'urn:meridian:seed';

/** Days of Slots before the as-of day, and from it on. */
export const PAST_WINDOW_DAYS = 14;
export const FUTURE_WINDOW_DAYS = 28;
/** Clinic sessions: 09:00-12:00 and 13:00-17:00, in 30-minute slots. */
export const SLOT_MINUTES = 30;
export const SLOT_STARTS = [540, 570, 600, 630, 660, 690, 780, 810, 840, 870, 900, 930, 960, 990];
export const HOSPITALISTS = 2;

export interface SeedOptions {
  patients: number;
  seed: string;
  /** ISO date, e.g. '2026-11-01'; everything past or future is relative to it. */
  asOf: string;
  practitioners?: number;
}

export type AppointmentStatus = 'fulfilled' | 'noshow' | 'cancelled' | 'booked';

export interface PractitionerPlan {
  index: number;
  /** Clinic practitioners have schedules; hospitalists work the hospital and have none. */
  kind: 'clinic' | 'hospitalist';
  specialty: SpecialtyKey;
  sex: Sex;
  given: string[];
  family: string;
  /** 0 = main site, 1 = north site; hospitalists work at the hospital. */
  site: 0 | 1;
  /** Clinic weekdays, 1 = Monday ... 5 = Friday. */
  days: number[];
}

export interface SlotPlan {
  day: number;
  minute: number;
  status: 'free' | 'busy' | 'busy-unavailable';
}

export interface AppointmentPlan {
  practitioner: number;
  slot: number;
  status: AppointmentStatus;
  kind: 'gp' | 'specialist';
  reason?: ConditionKey;
  /** Days between booking and the appointment (booking is never after the as-of day). */
  bookedDaysBefore: number;
  cancellation?: 'pat' | 'pat-fb' | 'pat-lt' | 'pat-cpp' | 'prov' | 'oth-weath';
}

export interface PracticePlan {
  options: Required<SeedOptions>;
  /** Prefix of every seed identifier value of this population (the seed itself when it is a plain word). */
  tag: string;
  asOfDay: number;
  practitioners: PractitionerPlan[];
  /** Indices of the family-practice practitioners (every patient's GP is one of them). */
  gps: number[];
  slots: SlotPlan[][];
  /** The appointments of patient i that hold a Slot. */
  appointments(patient: number): AppointmentPlan[];
  /** The GP of patient i. */
  gpOf(patient: number): number;
}

/** The seed as it appears in identifier values: itself when it is a plain word, else a hash of it. */
export function seedTag(seed: string): string {
  if (/^[A-Za-z0-9-]{1,40}$/.test(seed)) return seed;
  return `h${new Random(seed).uint32().toString(16).padStart(8, '0')}`;
}

export function defaultPractitioners(patients: number): number {
  return Math.min(80, Math.max(4, Math.ceil(patients / 300) + 3));
}

export function checkOptions(options: SeedOptions): Required<SeedOptions> {
  if (!Number.isInteger(options.patients) || options.patients < 0) throw new Error('patients must be a whole number >= 0');
  if (typeof options.seed !== 'string' || options.seed === '') throw new Error('seed must be a non-empty string');
  parseDay(options.asOf);
  const practitioners = options.practitioners ?? defaultPractitioners(options.patients);
  if (!Number.isInteger(practitioners) || practitioners < 1) throw new Error('practitioners must be a whole number >= 1');
  return { patients: options.patients, seed: options.seed, asOf: options.asOf, practitioners };
}

const SPECIALIST_ROTATION: SpecialtyKey[] = ['cardiology', 'endocrinology', 'pulmonology'];

/** Practitioner k is a specialist when k % 4 == 3 (cardiology, endocrinology, pulmonology in turn). */
function specialtyOf(k: number): SpecialtyKey {
  return k % 4 === 3 ? SPECIALIST_ROTATION[Math.floor(k / 4) % SPECIALIST_ROTATION.length] : 'familyPractice';
}

interface Intent {
  kind: 'gp' | 'specialist';
  practitioner: number;
  past: boolean;
  status: AppointmentStatus;
  reason?: ConditionKey;
  bookedDaysBefore: number;
  cancellation?: AppointmentPlan['cancellation'];
}

const FOLLOW_UP_CONDITIONS: ConditionKey[] = ['diabetes', 'hypertension', 'atrialFibrillation', 'ckd3', 'ckd2', 'copd', 'asthma', 'hypothyroidism', 'depression', 'hyperlipidemia', 'anxiety'];

/** The chronic conditions worth a follow-up visit, most pressing first. */
export function followUpConditions(profile: Profile, onDay?: number): ConditionKey[] {
  return FOLLOW_UP_CONDITIONS.filter((k) => has(profile, k, onDay));
}

function referral(profile: Profile): { specialty: SpecialtyKey; reason: ConditionKey; probability: number } | undefined {
  if (has(profile, 'atrialFibrillation')) return { specialty: 'cardiology', reason: 'atrialFibrillation', probability: 0.35 };
  if (has(profile, 'copd')) return { specialty: 'pulmonology', reason: 'copd', probability: 0.3 };
  if (has(profile, 'diabetes')) return { specialty: 'endocrinology', reason: 'diabetes', probability: 0.2 };
  if (has(profile, 'hypertension') && profile.age >= 60) return { specialty: 'cardiology', reason: 'hypertension', probability: 0.12 };
  if (has(profile, 'hypothyroidism')) return { specialty: 'endocrinology', reason: 'hypothyroidism', probability: 0.12 };
  if (has(profile, 'asthma')) return { specialty: 'pulmonology', reason: 'asthma', probability: 0.08 };
  return undefined;
}

function appointmentStatus(rng: Random, past: boolean): { status: AppointmentStatus; cancellation?: AppointmentPlan['cancellation'] } {
  const status = past
    ? rng.weighted<AppointmentStatus>([['fulfilled', 82], ['noshow', 7], ['cancelled', 11]])
    : rng.weighted<AppointmentStatus>([['booked', 92], ['cancelled', 8]]);
  if (status !== 'cancelled') return { status };
  return { status, cancellation: rng.weighted<NonNullable<AppointmentPlan['cancellation']>>([['pat', 35], ['pat-fb', 20], ['pat-cpp', 20], ['pat-lt', 10], ['prov', 10], ['oth-weath', 5]]) };
}

export function planPractice(input: SeedOptions): PracticePlan {
  const options = checkOptions(input);
  const tag = seedTag(options.seed);
  const asOfDay = parseDay(options.asOf);
  const rng = Random.of(options.seed, 'practice');

  // Practitioners: clinic staff, then hospitalists.
  const practitioners: PractitionerPlan[] = [];
  for (let k = 0; k < options.practitioners + HOSPITALISTS; k++) {
    const sex: Sex = rng.chance(0.5) ? 'female' : 'male';
    const names = sex === 'female' ? GIVEN_FEMALE : GIVEN_MALE;
    const hospitalist = k >= options.practitioners;
    practitioners.push({
      index: k,
      kind: hospitalist ? 'hospitalist' : 'clinic',
      specialty: hospitalist ? 'internalMedicine' : specialtyOf(k),
      sex,
      given: [rng.pick(names)],
      family: rng.pick(rng.chance(0.8) ? FAMILY.en : rng.pick([FAMILY.es, FAMILY.zh, FAMILY.vi, FAMILY.ar, FAMILY.fr])),
      site: (k % 2) as 0 | 1,
      days: [],
    });
  }
  let gps = practitioners.filter((p) => p.specialty === 'familyPractice').map((p) => p.index);
  if (gps.length === 0) {
    // a practice of specialists only still needs someone to be every patient's GP
    practitioners[0].specialty = 'familyPractice';
    gps = [0];
  }
  const specialistsOf = (s: SpecialtyKey) => practitioners.filter((p) => p.kind === 'clinic' && p.specialty === s).map((p) => p.index);

  // What each patient would book: a GP visit in the past window, one in the future window, a referral.
  const intents: Intent[][] = [];
  const demand = practitioners.map(() => ({ past: 0, future: 0 }));
  for (let i = 0; i < options.patients; i++) {
    const profile = makeProfile(options.seed, i, asOfDay);
    const r = Random.of(options.seed, 'appointments', i);
    const gp = gps[i % gps.length];
    const chronic = followUpConditions(profile).length > 0;
    const list: Intent[] = [];
    const reasonFor = () => (chronic ? r.pick(followUpConditions(profile)) : undefined);
    if (r.chance(chronic ? 0.2 : 0.07)) list.push({ kind: 'gp', practitioner: gp, past: true, reason: reasonFor(), bookedDaysBefore: r.int(2, 30), ...appointmentStatus(r, true) });
    if (r.chance(chronic ? 0.35 : 0.15)) list.push({ kind: 'gp', practitioner: gp, past: false, reason: reasonFor(), bookedDaysBefore: r.int(1, 30), ...appointmentStatus(r, false) });
    const ref = referral(profile);
    if (ref && r.chance(ref.probability)) {
      const candidates = specialistsOf(ref.specialty);
      if (candidates.length) {
        const past = r.chance(0.3);
        list.push({ kind: 'specialist', practitioner: candidates[i % candidates.length], past, reason: ref.reason, bookedDaysBefore: r.int(7, 45), ...appointmentStatus(r, past) });
      }
    }
    for (const intent of list) demand[intent.practitioner][intent.past ? 'past' : 'future']++;
    intents.push(list);
  }

  // Clinic days: enough for about 80 % of the slots to be taken, between one and five days a week.
  const slotsPerDay = SLOT_STARTS.length;
  const slots: SlotPlan[][] = [];
  const pools: { past: number[]; future: number[] }[] = [];
  for (const p of practitioners) {
    if (p.kind === 'hospitalist') {
      p.days = [1, 2, 3, 4, 5, 6, 0];
      slots.push([]);
      pools.push({ past: [], future: [] });
      continue;
    }
    const perWeek = Math.max(demand[p.index].past / (PAST_WINDOW_DAYS / 7), demand[p.index].future / (FUTURE_WINDOW_DAYS / 7));
    const maxDays = p.specialty === 'familyPractice' ? 5 : 3;
    const count = Math.min(maxDays, Math.max(1, Math.ceil(perWeek / (slotsPerDay * 0.8))));
    p.days = Array.from({ length: count }, (_, k) => ((p.index + k * 2) % 5) + 1).sort((a, b) => a - b);
    const own: SlotPlan[] = [];
    for (let day = asOfDay - PAST_WINDOW_DAYS; day < asOfDay + FUTURE_WINDOW_DAYS; day++) {
      if (!p.days.includes(weekday(day))) continue;
      for (const minute of SLOT_STARTS) own.push({ day, minute, status: rng.chance(0.04) ? 'busy-unavailable' : 'free' });
    }
    slots.push(own);
    const past: number[] = [];
    const future: number[] = [];
    own.forEach((s, n) => {
      if (s.status === 'free') (s.day < asOfDay ? past : future).push(n);
    });
    // Past slots are taken in random order; future ones mostly soonest first, as real books fill.
    rng.shuffle(past);
    const soon = new Map(future.map((n) => [n, n + rng.next() * own.length * 0.6]));
    future.sort((a, b) => soon.get(a)! - soon.get(b)!);
    pools.push({ past, future });
  }

  // Hand out the slots, patient by patient (a patient whose practitioner is fully booked goes without).
  const byPatient: AppointmentPlan[][] = [];
  for (let i = 0; i < options.patients; i++) {
    const list: AppointmentPlan[] = [];
    for (const intent of intents[i]) {
      const pool = pools[intent.practitioner][intent.past ? 'past' : 'future'];
      const slot = pool.shift();
      if (slot === undefined) continue;
      const s = slots[intent.practitioner][slot];
      if (intent.status !== 'cancelled') s.status = 'busy';
      // a future appointment was booked intent.bookedDaysBefore days before the as-of day at the latest
      const bookedDaysBefore = intent.past ? intent.bookedDaysBefore : s.day - asOfDay + intent.bookedDaysBefore;
      list.push({
        practitioner: intent.practitioner,
        slot,
        status: intent.status,
        kind: intent.kind,
        reason: intent.reason,
        bookedDaysBefore,
        cancellation: intent.cancellation,
      });
    }
    byPatient.push(list);
  }

  return {
    options,
    tag,
    asOfDay,
    practitioners,
    gps,
    slots,
    appointments: (i) => byPatient[i] ?? [],
    gpOf: (i) => gps[i % gps.length],
  };
}

/** The identifier value of a practice resource: practiceKey(plan, 'prac', 3) -> '<tag>.prac-3'. */
export function practiceValue(tag: string, kind: string, ...ids: (string | number)[]): string {
  return `${tag}.${kind}${ids.length ? '-' + ids.join('-') : ''}`;
}

/** The first history year a patient's record reaches back to. */
export function historyStart(asOfDay: number, birthDay: number, years: number): number {
  return Math.max(addYears(asOfDay, -years), birthDay + 1);
}
