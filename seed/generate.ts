// The seed generator's public surface: the practice as one transaction Bundle, then one transaction
// Bundle per patient, produced lazily. The same options always give byte-identical JSON: nothing reads
// the clock or Math.random, every random draw comes from seed/random.ts streams named by the seed and
// the patient's index, and every object is written in a fixed key order.
import type { Bundle } from '@medplum/fhirtypes';
import { buildPatientBundle } from './patient.js';
import { type PracticePlan, type SeedOptions, planPractice } from './plan.js';
import { buildPracticeBundle } from './practice.js';

export type { SeedOptions } from './plan.js';
export { SEED_SYSTEM, seedTag, defaultPractitioners } from './plan.js';
export { codeSystemContents } from './codes.js';

/**
 * The practice: clinic, hospital and payer Organizations, Locations, Practitioners, PractitionerRoles
 * (specialties, location, availableTime), Schedules and Slots (past and future; a Slot is busy when a
 * patient's Appointment holds it). Load it before the patient Bundles.
 */
export function generatePractice(options: SeedOptions): Bundle {
  return buildPracticeBundle(planPractice(options));
}

/**
 * One transaction Bundle per patient, in patient order, made as they are asked for: memory stays bounded
 * (the practice plan keeps a few numbers per patient, never a record).
 */
export function* generatePatientBundles(options: SeedOptions): Generator<Bundle> {
  const plan: PracticePlan = planPractice(options);
  for (let i = 0; i < plan.options.patients; i++) yield buildPatientBundle(plan, i);
}
