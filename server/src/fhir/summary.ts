// _summary and _elements: which top-level elements of a resource a client asked to see. The summary
// elements are those the R4 StructureDefinitions mark isSummary. A subset is tagged SUBSETTED.
import type { Resource } from '@medplum/fhirtypes';
import { readJson } from './definitions.js';

interface ElementFlags {
  summary: Set<string>;
  mandatory: Set<string>;
}

let flags: Map<string, ElementFlags> | undefined;

function elementFlags(type: string): ElementFlags {
  if (!flags) {
    flags = new Map();
    for (const entry of readJson('fhir/r4/profiles-resources.json').entry as { resource: any }[]) {
      const sd = entry.resource;
      if (sd?.resourceType !== 'StructureDefinition' || sd.kind !== 'resource') continue;
      const f: ElementFlags = { summary: new Set(), mandatory: new Set() };
      for (const e of sd.snapshot?.element ?? []) {
        const parts = String(e.path).split('.');
        if (parts.length !== 2) continue;
        const name = parts[1].replace('[x]', '');
        if (e.isSummary) f.summary.add(name);
        if (e.min > 0) f.mandatory.add(name);
      }
      flags.set(sd.type, f);
    }
  }
  return flags.get(type) ?? { summary: new Set(), mandatory: new Set() };
}

const SUBSETTED = { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED' };

/** The element name a JSON key belongs to: valueQuantity -> value, _birthDate -> birthDate. */
function elementOf(key: string, names: Set<string>): string {
  const bare = key.startsWith('_') ? key.slice(1) : key;
  if (names.has(bare)) return bare;
  for (const name of names) if (bare.startsWith(name) && /^[A-Z]/.test(bare.slice(name.length))) return name;
  return bare;
}

function keep(resource: Resource, wanted: (element: string) => boolean, known: Set<string>): Resource {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(resource)) {
    if (key === 'resourceType' || key === 'id' || key === 'meta' || wanted(elementOf(key, known))) out[key] = value;
  }
  const meta = (resource.meta ?? {}) as NonNullable<Resource['meta']>;
  out.meta = { ...meta, tag: [...(meta.tag ?? []), SUBSETTED] };
  return out as unknown as Resource;
}

export function summarize(resource: Resource, summary: 'true' | 'false' | 'count' | 'data' | 'text' | undefined, elements?: string[]): Resource {
  if ((summary === undefined || summary === 'false' || summary === 'count') && !elements?.length) return resource;
  const f = elementFlags(resource.resourceType);
  const known = new Set([...f.summary, ...f.mandatory]);
  if (summary === 'true') return keep(resource, (e) => f.summary.has(e), known);
  if (summary === 'text') return keep(resource, (e) => e === 'text' || f.mandatory.has(e), known);
  if (summary === 'data') return keep(resource, (e) => e !== 'text', known);
  if (elements?.length) {
    const wanted = new Set(elements);
    return keep(resource, (e) => wanted.has(e) || f.mandatory.has(e), new Set([...known, ...wanted]));
  }
  return resource;
}
