// Index values extracted from a resource on write, in the same transaction as the resource row.
import type { Resource } from '@medplum/fhirtypes';
import { core } from '../fhir/definitions.js';
import { indexedTokenParams } from './registry.js';

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
  const input = [{ type: resource.resourceType, value: resource }];
  for (const param of indexedTokenParams(resource.resourceType)) {
    let values;
    try {
      values = core.evalFhirPathTyped(param.expression!, input);
    } catch {
      continue; // a definition's expression that cannot apply to this resource indexes nothing
    }
    for (const { type, value } of values) {
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
