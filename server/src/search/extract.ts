// Index values extracted from a resource on write, in the same transaction as the resource row.
import type { Resource } from '@medplum/fhirtypes';
import { core } from '../fhir/definitions.js';
import { walkPath } from './compile.js';
import { indexedTokenParams, type RegisteredParam } from './registry.js';

export interface TokenRows {
  param: string[];
  system: (string | null)[];
  code: string[];
}

/** Token rows (param, system, code) for every token search parameter of the resource's type. */
export function extractTokens(resource: Resource): TokenRows {
  const rows: TokenRows = { param: [], system: [], code: [] };
  const seen = new Set<string>();
  const add = (param: string, system: string | undefined, code: unknown) => {
    if (code === undefined || code === null || code === '') return;
    const value = String(code);
    const key = `${param}\u0000${system ?? ''}\u0000${value}`;
    if (seen.has(key)) return;
    seen.add(key);
    rows.param.push(param);
    rows.system.push(system ?? null);
    rows.code.push(value);
  };
  for (const param of indexedTokenParams(resource.resourceType)) {
    for (const { type, value } of typedValues(resource, param)) {
      if (value === undefined || value === null) continue;
      switch (type) {
        case 'Coding':
          add(param.code, value.system, value.code);
          break;
        case 'CodeableConcept':
          for (const coding of value.coding ?? []) add(param.code, coding.system, coding.code);
          break;
        case 'Identifier':
        case 'ContactPoint':
          add(param.code, value.system, value.value);
          break;
        default:
          if (typeof value !== 'object') add(param.code, undefined, value);
      }
    }
  }
  return rows;
}

/** The values a parameter's expression selects, with their FHIR types. */
export function typedValues(resource: Resource, param: RegisteredParam): { type: string; value: any }[] {
  if (param.paths) {
    return param.paths.flatMap((plan) => walkPath(resource, plan.keys).map((value) => ({ type: plan.type, value })));
  }
  try {
    return core.evalFhirPathTyped(param.expression!, [{ type: resource.resourceType, value: resource }]);
  } catch {
    return []; // a definition's expression that cannot apply to this resource indexes nothing
  }
}
