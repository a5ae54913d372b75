// Parses search criteria (the query of a conditional interaction) against the registry into an AST,
// and turns the AST into SQL with bound parameters only. This first cut knows `_id` and token
// parameters (identifiers, codes, statuses); anything else is refused with a clear 400, never
// ignored, because a conditional write that ignored a criterion would match the wrong resources.
import { badRequest } from '../fhir/outcome.js';
import { searchParam } from './registry.js';

export type Criterion =
  | { kind: 'id'; ids: string[] }
  | { kind: 'token'; param: string; values: { system?: string | null; code?: string }[] };

/** Parameters that shape results rather than select them; they do not narrow a match. */
const RESULT_PARAMETERS = new Set(['_format', '_pretty', '_count', '_cursor']);

/**
 * Criteria of a search or a conditional interaction. A conditional interaction must have some
 * (requireSome), or it would apply to every resource of the type.
 */
export function parseCriteria(resourceType: string, query: URLSearchParams, requireSome = true): Criterion[] {
  const criteria: Criterion[] = [];
  for (const [name, value] of query) {
    if (RESULT_PARAMETERS.has(name)) continue;
    const [code, modifier] = name.split(':', 2);
    if (modifier !== undefined) {
      throw badRequest(`Search modifier ":${modifier}" on "${code}" is not supported yet`);
    }
    const values = splitOr(value);
    if (values.length === 0 || values.some((v) => v === '')) {
      throw badRequest(`Search parameter "${code}" has an empty value`);
    }
    if (code === '_id') {
      criteria.push({ kind: 'id', ids: values });
      continue;
    }
    const param = searchParam(resourceType, code);
    if (!param) {
      throw badRequest(`Unknown search parameter "${code}" for resource type ${resourceType}`);
    }
    if (param.type !== 'token' || !param.expression) {
      throw badRequest(`Search parameter "${code}" (type ${param.type}) is not supported yet; token parameters and _id are`);
    }
    criteria.push({ kind: 'token', param: code, values: values.map(parseToken) });
  }
  if (criteria.length === 0 && requireSome) {
    throw badRequest('Search criteria are required');
  }
  return criteria;
}

/** Splits on unescaped commas and unescapes \, \| \$ \\. */
export function splitOr(value: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (ch === '\\' && i + 1 < value.length) {
      current += ch + value[++i];
    } else if (ch === ',') {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts;
}

const unescape = (s: string) => s.replace(/\\([,|$\\])/g, '$1');

function parseToken(value: string): { system?: string | null; code?: string } {
  const bar = findUnescaped(value, '|');
  if (bar < 0) return { code: unescape(value) };
  const system = unescape(value.slice(0, bar));
  const code = unescape(value.slice(bar + 1));
  if (system === '') return { system: null, code }; // |code: no system
  if (code === '') return { system }; // system|: any code of the system
  return { system, code };
}

function findUnescaped(value: string, ch: string): number {
  for (let i = 0; i < value.length; i++) {
    if (value[i] === '\\') i++;
    else if (value[i] === ch) return i;
  }
  return -1;
}

/** SQL conditions over `resources r` for the criteria; params receives the bound values. */
export function criteriaSql(criteria: Criterion[], params: unknown[]): string {
  const bind = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  return criteria
    .map((c) => {
      if (c.kind === 'id') return `r.id = ANY(${bind(c.ids)}::text[])`;
      const alternatives = c.values.map((v) => {
        const parts: string[] = [];
        if (v.code !== undefined) parts.push(`t.code = ${bind(v.code)}`);
        if (v.system === null) parts.push('t.system IS NULL');
        else if (v.system !== undefined) parts.push(`t.system = ${bind(v.system)}`);
        return `(${parts.join(' AND ')})`;
      });
      return (
        `EXISTS (SELECT 1 FROM search_token t WHERE t.resource_type = r.resource_type ` +
        `AND t.resource_id = r.id AND t.param = ${bind(c.param)} AND (${alternatives.join(' OR ')}))`
      );
    })
    .join(' AND ') || 'true';
}

/** A canonical text of the criteria, the same for the same query however its parameters are ordered. */
export function criteriaKey(resourceType: string, criteria: Criterion[]): string {
  return `${resourceType}?${criteria.map((c) => JSON.stringify(c)).sort().join('&')}`;
}
