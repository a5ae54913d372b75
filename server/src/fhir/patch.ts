// PATCH bodies: JSON Patch (RFC 6902) and FHIRPath Patch (a Parameters resource), applied to a copy
// of the current version. A malformed patch is a 400; a patch that cannot be applied is a 422.
import type { Parameters, ParametersParameter, Resource } from '@medplum/fhirtypes';
import { core } from './definitions.js';
import { badRequest, fhirError } from './outcome.js';

const JSON_PATCH_OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);
const FHIRPATH_PATCH_TYPES = new Set(['add', 'insert', 'delete', 'replace', 'move']);

export function applyJsonPatch(current: Resource, body: unknown): Resource {
  if (!Array.isArray(body)) throw badRequest('A JSON Patch body must be an array of operations');
  body.forEach((op, i) => {
    if (!op || typeof op !== 'object' || !JSON_PATCH_OPS.has(op.op) || typeof op.path !== 'string') {
      throw badRequest(`JSON Patch operation ${i} needs "op" (add, remove, replace, move, copy or test) and a "path"`);
    }
    if ((op.op === 'move' || op.op === 'copy') && typeof op.from !== 'string') {
      throw badRequest(`JSON Patch operation ${i} (${op.op}) needs "from"`);
    }
    if ((op.op === 'add' || op.op === 'replace' || op.op === 'test') && !('value' in op)) {
      throw badRequest(`JSON Patch operation ${i} (${op.op}) needs "value"`);
    }
  });
  const patched = structuredClone(current);
  let errors: unknown[];
  try {
    errors = core.applyPatch(patched, body);
  } catch (err) {
    throw fhirError(422, 'processing', `The patch could not be applied: ${(err as Error).message}`);
  }
  const failed = errors.find((e) => e);
  if (failed) throw fhirError(422, 'processing', `The patch could not be applied: ${(failed as Error).message}`);
  return checkIdentity(current, patched);
}

export function applyFhirPathPatch(current: Resource, body: unknown): Resource {
  const parameters = body as Parameters;
  if (!parameters || parameters.resourceType !== 'Parameters') {
    throw badRequest('A FHIRPath Patch body must be a Parameters resource');
  }
  const operations = (parameters.parameter ?? []).filter((p) => p.name === 'operation');
  if (operations.length === 0) throw badRequest('The FHIRPath Patch has no "operation" parameter');
  const parsed = core.parseFhirPathPatchParameters({ resourceType: 'Parameters', parameter: operations });
  parsed.forEach((op, i) => {
    const parts = operations[i].part ?? [];
    if (!FHIRPATH_PATCH_TYPES.has(op.type)) throw badRequest(`FHIRPath Patch operation ${i} has no valid type (add, insert, delete, replace, move)`);
    if (!op.path) throw badRequest(`FHIRPath Patch operation ${i} (${op.type}) has no path`);
    if (op.type === 'add' || op.type === 'insert' || op.type === 'replace') {
      const valuePart = parts.find((p) => p.name === 'value');
      if (!('value' in op) || !op.value) {
        if (!valuePart?.part?.length) throw badRequest(`FHIRPath Patch operation ${i} (${op.type}) has no value`);
        (op as { value: unknown }).value = { type: 'BackboneElement', value: partsToObject(valuePart.part) };
      }
    }
    if (op.type === 'add' && !op.name) throw badRequest(`FHIRPath Patch operation ${i} (add) has no name`);
    if (op.type === 'insert' && typeof op.index !== 'number') throw badRequest(`FHIRPath Patch operation ${i} (insert) has no index`);
    if (op.type === 'move' && (typeof op.source !== 'number' || typeof op.destination !== 'number')) {
      throw badRequest(`FHIRPath Patch operation ${i} (move) needs source and destination`);
    }
  });
  const patched = structuredClone(current);
  try {
    core.fhirpathPatchTypedValue({ type: current.resourceType, value: patched }, parsed);
  } catch (err) {
    throw fhirError(422, 'processing', `The patch could not be applied: ${(err as Error).message}`);
  }
  return checkIdentity(current, patched);
}

/** A complex value given as parts: each part's name is an element, its value[x] or parts the value. */
function partsToObject(parts: ParametersParameter[]): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const part of parts) {
    const valueKey = Object.keys(part).find((k) => k.startsWith('value'));
    const value = valueKey ? (part as unknown as Record<string, unknown>)[valueKey] : part.part ? partsToObject(part.part) : undefined;
    if (value === undefined) continue;
    const existing = result[part.name];
    result[part.name] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return result;
}

function checkIdentity(current: Resource, patched: Resource): Resource {
  if (!patched || typeof patched !== 'object' || patched.resourceType !== current.resourceType || patched.id !== current.id) {
    throw fhirError(422, 'processing', 'A patch may not change the resource type or id');
  }
  return patched;
}
