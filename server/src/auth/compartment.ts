// patient/ scopes: what a token with a patient in context may reach. Resources in that patient's
// compartment (R4 CompartmentDefinition "Patient"), and, for reading, resources of types outside
// any patient compartment (Practitioner, Medication, Organization, ...: they hold no patient's data).
import type { Resource } from '@medplum/fhirtypes';
import type { Criterion } from '../search/index.js';
import { searchParam } from '../search/index.js';
import { patientCompartment } from '../search/compartment.js';
import { typedValues } from '../search/extract.js';

/** Whether resources of this type can belong to a patient at all. */
export const isPatientData = (type: string): boolean => type === 'Patient' || patientCompartment().has(type);

/** The search criterion that keeps a search of type within the patient's compartment (none for types outside it). */
export function compartmentCriterion(type: string, patient: string): Criterion | undefined {
  if (type === 'Patient') return { kind: 'is', type: 'Patient', id: patient };
  const params = patientCompartment().get(type);
  if (!params) return undefined;
  return { kind: 'compartment', targetType: 'Patient', targetIds: [patient], links: params.map((param) => ({ type, param })) };
}

/**
 * The ids of the patients whose compartment holds the resource: a Patient's own id, or the
 * patients its compartment parameters (subject, patient, performer, ...) reference on this server.
 */
export function compartmentPatients(resource: Resource, baseUrl: string): string[] {
  if (resource.resourceType === 'Patient') return resource.id ? [resource.id] : [];
  const patients = new Set<string>();
  for (const code of patientCompartment().get(resource.resourceType) ?? []) {
    const param = searchParam(resource.resourceType, code);
    if (!param) continue;
    for (const { value } of typedValues(resource, param)) {
      const id = patientId(value?.reference, baseUrl);
      if (id) patients.add(id);
    }
  }
  return [...patients];
}

/** Whether the resource is the patient, or in the patient's compartment by one of its reference parameters. */
export function inPatientCompartment(resource: Resource, patient: string, baseUrl: string): boolean {
  return compartmentPatients(resource, baseUrl).includes(patient);
}

const PATIENT_REFERENCE = /^Patient\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]+)?$/;

function patientId(reference: unknown, baseUrl: string): string | undefined {
  if (typeof reference !== 'string') return undefined;
  const local = reference.startsWith(`${baseUrl}/`) ? reference.slice(baseUrl.length + 1) : reference;
  return PATIENT_REFERENCE.exec(local)?.[1];
}
