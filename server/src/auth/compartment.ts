// patient/ scopes: what a token with a patient in context may reach. Resources in that patient's
// compartment (R4 CompartmentDefinition "Patient"), and, for reading, resources of types outside
// any patient compartment (Practitioner, Medication, Organization, ...: they hold no patient's data).
import type { Resource } from '@medplum/fhirtypes';
import type { Criterion } from '../search/index.js';
import { patientCompartment } from '../search/compartment.js';
import { extractIndex } from '../search/extract.js';

/** Whether resources of this type can belong to a patient at all. */
export const isPatientData = (type: string): boolean => type === 'Patient' || patientCompartment().has(type);

/** The search criterion that keeps a search of type within the patient's compartment (none for types outside it). */
export function compartmentCriterion(type: string, patient: string): Criterion | undefined {
  if (type === 'Patient') return { kind: 'is', type: 'Patient', id: patient };
  const params = patientCompartment().get(type);
  if (!params) return undefined;
  return { kind: 'compartment', targetType: 'Patient', targetIds: [patient], links: params.map((param) => ({ type, param })) };
}

/** Whether the resource is the patient, or in the patient's compartment by one of its reference parameters. */
export function inPatientCompartment(resource: Resource, patient: string, baseUrl: string): boolean {
  if (resource.resourceType === 'Patient') return resource.id === patient;
  const params = new Set(patientCompartment().get(resource.resourceType) ?? []);
  if (!params.size) return false;
  const refs = extractIndex(resource, baseUrl).reference;
  return refs.param.some((p, i) => params.has(p) && refs.targetType[i] === 'Patient' && refs.targetId[i] === patient);
}
