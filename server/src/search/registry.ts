// The search-parameter registry: every R4 SearchParameter, by resource type and code, with its
// FHIRPath expression parsed once.
import type { SearchParameter } from '@medplum/fhirtypes';
import { core, loadDefinitions, readJson } from '../fhir/definitions.js';
import { compilePaths, type PathPlan } from './compile.js';

export interface RegisteredParam {
  code: string;
  type: SearchParameter['type'];
  definition: SearchParameter;
  /** Parsed FHIRPath; undefined for parameters without an expression (_text, _content, ...). */
  expression?: ReturnType<typeof core.parseFhirPath>;
  /** The expression as plain property walks, when it is that simple (see compile.ts). */
  paths?: PathPlan[];
  /** For a composite: its two components (a token, then a token, quantity, date or string). */
  components?: CompositeComponent[];
}

export interface CompositeComponent {
  type: SearchParameter['type'];
  text: string;
  expression: ReturnType<typeof core.parseFhirPath>;
  /** The expression compiled for elements of each type it is applied to (undefined: use FHIRPath). */
  compiled: Map<string, PathPlan[] | undefined>;
}

let typeByUrl: Map<string, SearchParameter['type']> | undefined;

/** The components of a composite parameter that Meridian indexes: (token, token|quantity|date|string). */
function compositeComponents(definition: SearchParameter): RegisteredParam['components'] {
  if (definition.type !== 'composite' || definition.component?.length !== 2) return undefined;
  if (!typeByUrl) {
    typeByUrl = new Map();
    for (const e of readJson('fhir/r4/search-parameters.json').entry as { resource: SearchParameter }[]) typeByUrl.set(e.resource.url!, e.resource.type);
  }
  const components = definition.component.map((c) => ({
    type: typeByUrl!.get(c.definition!)!,
    text: c.expression!,
    expression: core.parseFhirPath(c.expression!),
    compiled: new Map<string, PathPlan[] | undefined>(),
  }));
  const [first, second] = components;
  if (first.type !== 'token' || !['token', 'quantity', 'date', 'string'].includes(second.type)) return undefined;
  return components;
}

/** The search parameters R4 defines on Resource, for every type. */
const R4_RESOURCE_PARAMS = new Set(['_id', '_lastUpdated', '_profile', '_security', '_source', '_tag']);

const byType = new Map<string, Map<string, RegisteredParam>>();

export function searchParams(resourceType: string): Map<string, RegisteredParam> {
  let params = byType.get(resourceType);
  if (!params) {
    loadDefinitions();
    params = new Map();
    for (const [code, definition] of Object.entries(core.getSearchParameters(resourceType) ?? {})) {
      // @medplum/core adds per-type copies of the Resource parameters (without url) and some of its
      // own (_project, _compartment); only R4's count here.
      if (!definition.url?.startsWith('http://hl7.org/fhir/SearchParameter/') && !R4_RESOURCE_PARAMS.has(code)) continue;
      params.set(code, {
        code,
        type: definition.type,
        definition,
        expression: definition.expression ? core.parseFhirPath(definition.expression) : undefined,
        paths: definition.expression ? compilePaths(resourceType, definition.expression) : undefined,
        components: compositeComponents(definition),
      });
    }
    byType.set(resourceType, params);
  }
  return params;
}

export function searchParam(resourceType: string, code: string): RegisteredParam | undefined {
  return searchParams(resourceType).get(code);
}

/** Kinds of parameter whose values are indexed on write (composite and special are not, yet). */
const INDEXED_TYPES = new Set(['token', 'string', 'uri', 'reference', 'date', 'number', 'quantity']);

/** Parameters whose values are indexed on write. `_id` and `_lastUpdated` are columns, not index rows. */
export function indexedParams(resourceType: string): RegisteredParam[] {
  return [...searchParams(resourceType).values()].filter(
    (p) => (INDEXED_TYPES.has(p.type) || p.components) && p.expression && p.code !== '_id' && p.code !== '_lastUpdated',
  );
}
