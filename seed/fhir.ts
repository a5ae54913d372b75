// Small builders for the FHIR JSON the generator writes: codings, quantities, money, seed identifiers,
// conditional references, and transaction entries that create only what is not there yet.
import type { BundleEntry, CodeableConcept, Coding, Identifier, Money, Quantity, Reference, Resource } from '@medplum/fhirtypes';
import { type Coded, SYSTEM } from './codes.js';
import { SEED_SYSTEM } from './plan.js';

/** A Reference to any type (the generated Bundles are checked by validation, not by the reference's target type). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Ref = Reference<any>;

export function coding(c: Coded): Coding {
  return { system: c.system, code: c.code, display: c.display };
}

export function concept(c: Coded | Coded[], text?: string): CodeableConcept {
  const list = Array.isArray(c) ? c : [c];
  const result: CodeableConcept = { coding: list.map(coding) };
  if (text !== undefined) result.text = text;
  return result;
}

export function round(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

export function quantity(value: number, unitCode: string, unitDisplay: string, decimals: number): Quantity {
  return { value: round(value, decimals), unit: unitDisplay, system: SYSTEM.ucum, code: unitCode };
}

export function money(value: number): Money {
  return { value: round(value, 2), currency: 'USD' };
}

export function seedIdentifier(value: string): Identifier {
  return { system: SEED_SYSTEM, value };
}

/** A conditional reference to a practice resource, resolved by the server when the Bundle is loaded. */
export function practiceReference(type: string, value: string, display?: string): Ref {
  const ref: Ref = { reference: `${type}?identifier=${SEED_SYSTEM}|${value}` };
  if (display !== undefined) ref.display = display;
  return ref;
}

/** A POST entry that creates the resource only when no resource of its type has its seed identifier. */
export function createEntry(fullUrl: string, resource: Resource, seedValue: string): BundleEntry {
  return {
    fullUrl,
    resource,
    request: { method: 'POST', url: resource.resourceType, ifNoneExist: `identifier=${SEED_SYSTEM}|${seedValue}` },
  };
}
