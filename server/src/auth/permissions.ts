// What a caller may do: every FHIR route names the resource type and SMART actions it needs, and
// requireScope answers 403 when the token's scopes do not cover them.
// Honoured for now: system/ scopes without a query (SMART Backend Services). patient/ and user/
// scopes, and granular (?param=) scopes, need compartment and query enforcement first, so they
// grant nothing yet: refusing is the safe side.
import type { FhirContext } from '../fhir/context.js';
import { fhirError } from '../fhir/outcome.js';
import type { Criterion } from '../search/index.js';
import { scopesFor, type Action, type ResourceScope } from './scopes.js';

const NAMES: Record<Action, string> = { c: 'create', r: 'read', u: 'update', d: 'delete', s: 'search' };

/** Whether the scopes grant action on type ('*': on every type, so only a wildcard scope does). */
function granting(scopes: ResourceScope[], type: string, action: Action): boolean {
  return scopesFor(scopes, type, action).some((s) => s.context === 'system' && !s.query);
}

/**
 * What a REST interaction on one type needs, by method: on an id it reads or writes that resource;
 * on the type with criteria (conditional update, patch, delete; search) it searches first, and a
 * conditional update may create. A create with If-None-Exist also searches.
 */
export function interactionNeeds(method: string, conditional: boolean, ifNoneExist: boolean): Action[] {
  switch (method) {
    case 'POST':
      return ifNoneExist ? ['c', 's'] : ['c'];
    case 'PUT':
      return conditional ? ['s', 'c', 'u'] : ['u'];
    case 'PATCH':
      return conditional ? ['s', 'u'] : ['u'];
    case 'DELETE':
      return conditional ? ['s', 'd'] : ['d'];
    default: // GET, HEAD
      return conditional ? ['s'] : ['r'];
  }
}

/** Whether the caller may take action on resources of type (for filtering what a response shows). */
export function may(ctx: FhirContext, type: string, action: Action): boolean {
  const principal = ctx.state.principal;
  return principal.kind === 'open' || (principal.kind === 'token' && granting(principal.scopes, type, action));
}

/**
 * A search reads its own types, and learns about the types its chains and _has look into: each
 * needs the search action. (_include/_revinclude results are filtered instead: see may.)
 */
export function requireSearchScope(ctx: FhirContext, types: string[], criteria: Criterion[]): void {
  const looked = new Set(types);
  const walk = (c: Criterion): void => {
    if (c.kind === 'chain') {
      c.targetTypes.forEach((t) => looked.add(t));
      walk(c.inner);
    } else if (c.kind === 'has') {
      looked.add(c.sourceType);
      walk(c.inner);
    } else if (c.kind === 'or') c.alternatives.forEach(walk);
    else if (c.kind === 'and') c.criteria.forEach(walk);
  };
  criteria.forEach(walk);
  for (const type of looked) requireScope(ctx, type, ['s']);
}

export function requireScope(ctx: FhirContext, type: string, actions: Action[]): void {
  const principal = ctx.state.principal;
  if (principal.kind === 'open') return;
  if (principal.kind !== 'token') throw fhirError(401, 'login', 'This server needs an access token');
  const missing = actions.filter((a) => !granting(principal.scopes, type, a));
  if (!missing.length) return;
  const what = type === '*' ? 'every resource type' : type;
  throw fhirError(403, 'forbidden', `The access token does not allow ${missing.map((a) => NAMES[a]).join(', ')} on ${what} (needs system/${type}.${missing.join('')})`).withHeaders({
    'WWW-Authenticate': `Bearer realm="${ctx.state.app.config.baseUrl}", error="insufficient_scope"`,
  });
}
