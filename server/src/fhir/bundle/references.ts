// Reference rewriting inside a transaction: fullUrls of the Bundle's own entries (urn:uuid:, urn:oid:,
// or absolute URLs) become the Type/id they were given, wherever they appear — Reference.reference,
// uri and canonical values, extensions, nested elements — and in narrative links; conditional
// references (Type?criteria) are resolved to the one resource they match.
import type { Resource } from '@medplum/fhirtypes';
import { badRequest } from '../outcome.js';

const CONDITIONAL = /^([A-Z][A-Za-z]+)\?(.+)$/;

/**
 * Rewrites a resource in place. resolveConditional returns "Type/id" for a conditional reference
 * (or throws when it matches no or several resources).
 */
export async function rewriteReferences(
  resource: Resource,
  ids: Map<string, string>,
  resolveConditional: (type: string, query: URLSearchParams) => Promise<string>,
): Promise<void> {
  const visit = async (node: unknown): Promise<unknown> => {
    if (typeof node === 'string') {
      const mapped = ids.get(node);
      if (mapped) return mapped;
      if (node.startsWith('urn:uuid:') || node.startsWith('urn:oid:')) return node; // checked below for references
      return node;
    }
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) node[i] = await visit(node[i]);
      return node;
    }
    if (node && typeof node === 'object') {
      const record = node as Record<string, unknown>;
      for (const [key, value] of Object.entries(record)) {
        if (key === 'reference' && typeof value === 'string') {
          record[key] = await rewriteReference(value);
        } else if (key === 'div' && typeof value === 'string') {
          record[key] = value.replace(/(urn:(?:uuid|oid):[A-Za-z0-9.\-]+)/g, (m) => ids.get(m) ?? m);
        } else {
          record[key] = await visit(value);
        }
      }
    }
    return node;
  };
  const rewriteReference = async (reference: string): Promise<string> => {
    const mapped = ids.get(reference);
    if (mapped) return mapped;
    if (reference.startsWith('urn:uuid:') || reference.startsWith('urn:oid:')) {
      throw badRequest(`Reference "${reference}" names no entry of this Bundle`);
    }
    const conditional = CONDITIONAL.exec(reference);
    if (conditional) return resolveConditional(conditional[1], new URLSearchParams(conditional[2]));
    return reference;
  };
  await visit(resource);
}
