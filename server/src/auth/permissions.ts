// What a caller may do: every FHIR route names the resource type and SMART actions it needs, and
// requireScope answers 403 when the token's scopes do not cover them.
// system/ and user/ scopes reach every resource of their types (user/ scopes were narrowed to the
// user's role at consent); patient/ scopes reach the compartment of the patient in context, which
// handlers apply through patientScope. Granular (?param=) scopes grant nothing yet: refusing is
// the safe side. AuditEvent is reached only by a scope that names it, never by a wildcard.
import type { Resource } from '@medplum/fhirtypes';
import type { FhirContext } from '../fhir/context.js';
import { fhirError } from '../fhir/outcome.js';
import type { Criterion } from '../search/index.js';
import { compartmentCriterion, inPatientCompartment, isPatientData } from './compartment.js';
import { scopesFor, type Action } from './scopes.js';

const NAMES: Record<Action, string> = { c: 'create', r: 'read', u: 'update', d: 'delete', s: 'search' };
/** Types a wildcard scope does not cover. */
const NAMED_ONLY = new Set(['AuditEvent']);

/** How far the caller's scopes reach for action on type: all of it, one patient's compartment, or nothing. */
export type Reach = 'all' | { patient: string } | 'none';

export function reach(ctx: FhirContext, type: string, action: Action): Reach {
  const principal = ctx.state.principal;
  if (principal.kind === 'open') return 'all';
  if (principal.kind !== 'token') return 'none';
  const scopes = scopesFor(principal.scopes, type, action).filter((s) => !s.query && (s.type === type || !NAMED_ONLY.has(type)));
  if (scopes.some((s) => s.context !== 'patient')) return 'all';
  if (principal.patient && scopes.length) {
    // reading what belongs to no patient (a Practitioner, a Medication) is not limited to one
    return type !== '*' && !isPatientData(type) && (action === 'r' || action === 's') ? 'all' : { patient: principal.patient };
  }
  return 'none';
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

/** Whether the caller may take action on resources of type at all (for filtering what a response shows). */
export function may(ctx: FhirContext, type: string, action: Action): boolean {
  return reach(ctx, type, action) !== 'none';
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

/**
 * 403 unless the scopes cover every action on type. `whole`: a patient's compartment is not enough
 * (bulk export, system history, conditional writes: operations that cannot be kept to one patient).
 */
export function requireScope(ctx: FhirContext, type: string, actions: Action[], whole = false): void {
  const principal = ctx.state.principal;
  if (principal.kind === 'open') return;
  if (principal.kind !== 'token') throw fhirError(401, 'login', 'This server needs an access token');
  const missing = actions.filter((a) => {
    const r = reach(ctx, type, a);
    return r === 'none' || (whole && r !== 'all');
  });
  if (!missing.length) return;
  const what = type === '*' ? 'every resource type' : type;
  const needs = whole ? `system/ or user/ ${type}.${missing.join('')}` : `${type}.${missing.join('')}`;
  throw forbidden(ctx, `The access token does not allow ${missing.map((a) => NAMES[a]).join(', ')} on ${what} (needs ${needs})`);
}

/** The patient whose compartment bounds action on type for this caller, or undefined when nothing does. */
export function patientScope(ctx: FhirContext, type: string, action: Action): string | undefined {
  const r = reach(ctx, type, action);
  return typeof r === 'object' ? r.patient : undefined;
}

/** The criteria that keep a search of these types within the caller's patient (empty when unbounded). */
export function searchBounds(ctx: FhirContext, types: string[]): Criterion[] {
  const bounds: Criterion[] = [];
  for (const type of types) {
    const patient = patientScope(ctx, type, 's');
    if (patient === undefined) continue;
    const criterion = compartmentCriterion(type, patient);
    if (criterion) bounds.push(criterion);
  }
  return bounds;
}

/** 403 unless the resource is one the caller's patient/ scopes reach for action (no-op when unbounded). */
export function requireInScope(ctx: FhirContext, resource: Resource, action: Action): void {
  const patient = patientScope(ctx, resource.resourceType, action);
  if (patient === undefined) return;
  if (!inPatientCompartment(resource, patient, ctx.state.app.config.baseUrl)) {
    throw forbidden(ctx, `${resource.resourceType}/${resource.id ?? '(new)'} is not in the record of the patient in context (Patient/${patient})`);
  }
}

/** Whether the caller may read this resource (includes, history entries). */
export function mayRead(ctx: FhirContext, resource: Resource): boolean {
  const r = reach(ctx, resource.resourceType, 'r');
  if (r === 'none') return false;
  return r === 'all' || inPatientCompartment(resource, r.patient, ctx.state.app.config.baseUrl);
}

function forbidden(ctx: FhirContext, text: string) {
  return fhirError(403, 'forbidden', text).withHeaders({ 'WWW-Authenticate': `Bearer realm="${ctx.state.app.config.baseUrl}", error="insufficient_scope"` });
}
