// Criteria of conditional interactions (If-None-Exist, PUT/PATCH/DELETE /Type?...): the search
// parser in strict mode, since a conditional write that ignored a criterion would touch the wrong
// resources. Result parameters (_count, _sort, ...) do not narrow a match and are not allowed.
import { badRequest } from '../fhir/outcome.js';
import type { Criterion } from './ast.js';
import { parseSearch } from './parse.js';

export function parseCriteria(resourceType: string, query: URLSearchParams, baseUrl: string): Criterion[] {
  const request = parseSearch(resourceType, query, { strict: true, baseUrl });
  if (request.include.length || request.revinclude.length || request.sort.length || request.summary || request.elements) {
    throw badRequest('Conditional criteria may only select resources (no _include, _sort, _summary or _elements)');
  }
  if (request.criteria.length === 0) throw badRequest('Search criteria are required');
  return request.criteria;
}

/** A canonical text of the criteria, the same for the same query however its parameters are ordered. */
export function criteriaKey(resourceType: string, criteria: Criterion[]): string {
  // the codings of a terminology modifier (resolved or not) are left out: the request's values name them
  return `${resourceType}?${criteria.map((c) => JSON.stringify(c, (key, value) => (key === 'codes' ? undefined : value))).sort().join('&')}`;
}
