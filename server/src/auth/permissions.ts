// What a caller may do: every FHIR route names the resource type and SMART actions it needs, and
// requireScope answers 403 when the token's scopes do not cover them.
// system/ and user/ scopes reach every resource of their types (user/ scopes were narrowed to the
// user's role at consent); patient/ scopes reach the compartment of the patient in context, which
// handlers apply through patientScope. Granular (?param=) scopes (SMART v2, e.g.
// patient/Observation.rs?category=...|laboratory) reach the resources their query matches, for
// reading by id and single-type searches only: their query becomes a search criterion
// (searchBounds) or a database check of the resource (requireReadable); every other use of them
// (writes, includes, history lists, multi-type searches, bulk export) is refused or left out, the safe side.
// AuditEvent is reached only by a scope that names it, never by a wildcard.
import type { Resource } from '@medplum/fhirtypes';
import type { FhirContext } from '../fhir/context.js';
import { fhirError } from '../fhir/outcome.js';
import { parseCriteria, type Criterion } from '../search/index.js';
import type { BeforeCommit } from '../repo/index.js';
import { compartmentCriterion, inPatientCompartment, isPatientData } from './compartment.js';
import { scopesFor, type Action, type ResourceScope } from './scopes.js';

const NAMES: Record<Action, string> = { c: 'create', r: 'read', u: 'update', d: 'delete', s: 'search' };
/** Types a wildcard scope does not cover. */
const NAMED_ONLY = new Set(['AuditEvent']);
/**
 * Types no patient/ scope reaches: Subscriptions belong to no patient and hold other clients'
 * endpoints and headers (secrets), so "what belongs to no patient may be read" must not open them.
 */
const NOT_FOR_PATIENT_SCOPES = new Set(['Subscription']);

/**
 * How far the caller's scopes reach for action on type: all of it, one patient's compartment, only
 * what granular scopes' queries match (filter; within the patient's compartment when they are
 * patient/ scopes), or nothing.
 */
export type Reach = 'all' | { patient: string; filter?: undefined } | { filter: Criterion; patient?: string } | 'none';

export function reach(ctx: FhirContext, type: string, action: Action): Reach {
  const principal = ctx.state.principal;
  if (principal.kind === 'open') return 'all';
  if (principal.kind !== 'token') return 'none';
  const scopes = scopesFor(principal.scopes, type, action).filter(
    (s) => (s.type === type || !NAMED_ONLY.has(type)) && (s.context !== 'patient' || !NOT_FOR_PATIENT_SCOPES.has(type)),
  );
  const unfiltered = scopes.filter((s) => !s.query);
  if (unfiltered.some((s) => s.context !== 'patient')) return 'all';
  if (principal.patient && unfiltered.length) {
    // reading what belongs to no patient (a Practitioner, a Medication) is not limited to one
    return type !== '*' && !isPatientData(type) && (action === 'r' || action === 's') ? 'all' : { patient: principal.patient };
  }
  return granularReach(ctx, type, action, scopes.filter((s) => s.query));
}

/** Granular scopes: reading and searching what one of their queries matches (a query that does not parse grants nothing). */
function granularReach(ctx: FhirContext, type: string, action: Action, scopes: ResourceScope[]): Reach {
  if (type === '*' || (action !== 'r' && action !== 's')) return 'none';
  const principal = ctx.state.principal as Extract<FhirContext['state']['principal'], { kind: 'token' }>;
  // patient/ granular scopes need the patient in context; when there is one, every granular reach stays within it
  const usable = scopes.filter((s) => s.context !== 'patient' || principal.patient);
  const alternatives: Criterion[] = [];
  for (const s of usable) {
    try {
      alternatives.push({ kind: 'and', criteria: parseCriteria(type, s.query!, ctx.state.app.config.baseUrl) });
    } catch {
      // e.g. a parameter this type does not have
    }
  }
  if (!alternatives.length) return 'none';
  const filter: Criterion = alternatives.length === 1 ? alternatives[0] : { kind: 'or', alternatives };
  return usable.some((s) => s.context === 'patient') ? { filter, patient: principal.patient } : { filter };
}

/** What can tell whether a stored resource matches a criterion: the repository, or an open transaction. */
export interface Matcher {
  matches(resourceType: string, id: string, criterion: Criterion): Promise<boolean>;
}

const isFiltered = (r: Reach): r is { filter: Criterion; patient?: string } => typeof r === 'object' && r.filter !== undefined;

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

/**
 * Whether the caller may take action on resources of type without a granular query (for choosing
 * what a response shows: includes, the types of $everything).
 */
export function may(ctx: FhirContext, type: string, action: Action): boolean {
  const r = reach(ctx, type, action);
  return r !== 'none' && !isFiltered(r);
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
  for (const type of looked) {
    requireScope(ctx, type, ['s']);
    // a granular scope is applied to the searched type's own results, not inside a chain or _has
    if (!types.includes(type) && isFiltered(reach(ctx, type, 's'))) {
      throw forbidden(ctx, `A granular scope on ${type} does not allow chaining or _has into it`);
    }
  }
  // several types at once (compartment *, $everything) are searched without per-type queries
  if (types.length > 1) {
    const filtered = types.filter((t) => isFiltered(reach(ctx, t, 's')));
    if (filtered.length) throw forbidden(ctx, `Granular scopes on ${filtered.join(', ')} apply to searches of that type alone`);
  }
}

/**
 * 403 unless the scopes cover every action on type. `whole`: a patient's compartment or a granular
 * query is not enough (system-level export, system history, Bundle searches that look into other
 * types: operations not kept to one patient).
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
    const r = reach(ctx, type, 's');
    if (isFiltered(r)) bounds.push(r.filter);
    const patient = typeof r === 'object' ? r.patient : undefined;
    if (patient === undefined) continue;
    const criterion = compartmentCriterion(type, patient);
    if (criterion) bounds.push(criterion);
  }
  return bounds;
}

/** 403 unless the resource is one the caller's patient/ scopes reach for action (no-op when unbounded). */
export function requireInScope(ctx: FhirContext, resource: Resource, action: Action): void {
  if (isFiltered(reach(ctx, resource.resourceType, action))) {
    throw forbidden(ctx, `A granular scope on ${resource.resourceType} allows reading by id and searching only`);
  }
  const patient = patientScope(ctx, resource.resourceType, action);
  if (patient === undefined) return;
  if (!inPatientCompartment(resource, patient, ctx.state.app.config.baseUrl)) {
    throw forbidden(ctx, `${resource.resourceType}/${resource.id ?? '(new)'} is not in the record of the patient in context (Patient/${patient})`);
  }
}

/**
 * A read by id: within the patient's compartment, and, through granular scopes, matching one of
 * their queries (checked in the database, on the current version's index rows; inside a Bundle's
 * transaction, db is that transaction).
 */
export async function requireReadable(ctx: FhirContext, resource: Resource, db: Matcher = ctx.state.repo): Promise<void> {
  const r = reach(ctx, resource.resourceType, 'r');
  if (!isFiltered(r)) return requireInScope(ctx, resource, 'r');
  const { baseUrl } = ctx.state.app.config;
  const inRecord = r.patient === undefined || inPatientCompartment(resource, r.patient, baseUrl);
  if (!inRecord || !(await db.matches(resource.resourceType, resource.id!, r.filter))) {
    throw forbidden(ctx, `${resource.resourceType}/${resource.id} is outside what the token's granular scopes reach`);
  }
}

/**
 * For a token bound to a patient: before a write commits, every version it wrote, and every version
 * it replaced or deleted, must be in that patient's record. One check for every write path (single
 * interactions, transaction and batch entries): throwing rolls the write back.
 */
export function writeGuard(ctx: FhirContext): BeforeCommit {
  return async (_ops, written) => {
    for (const w of written) {
      const action: Action = w.method === 'DELETE' ? 'd' : w.previous ? 'u' : 'c';
      if (w.previous) requireInScope(ctx, w.previous, action);
      if (w.method !== 'DELETE' && w.resource) requireInScope(ctx, w.resource, action);
    }
  };
}

/**
 * For a device's token (a backend client bound to a Device): every version it writes must be a new
 * Observation whose device is that Device. Readings cannot be changed, deleted or attributed to
 * another device by it.
 */
export function deviceGuard(ctx: FhirContext, device: string): BeforeCommit {
  return async (_ops, written) => {
    for (const w of written) {
      if (w.resourceType !== 'Observation' || w.method === 'DELETE' || w.previous) {
        throw forbidden(ctx, `A device (${device}) may only create Observations`);
      }
      const reference = (w.resource as { device?: { reference?: string } } | undefined)?.device?.reference;
      if (reference !== device && reference !== `${ctx.state.app.config.baseUrl}/${device}`) {
        throw forbidden(ctx, `Observation.device must be ${device}, the device this client is (got ${reference ?? 'none'})`);
      }
    }
  };
}

/** Whether the caller may read this resource (includes, history entries; never through a granular scope). */
export function mayRead(ctx: FhirContext, resource: Resource): boolean {
  const r = reach(ctx, resource.resourceType, 'r');
  if (r === 'none' || isFiltered(r)) return false;
  return r === 'all' || inPatientCompartment(resource, r.patient, ctx.state.app.config.baseUrl);
}

function forbidden(ctx: FhirContext, text: string) {
  return fhirError(403, 'forbidden', text).withHeaders({ 'WWW-Authenticate': `Bearer realm="${ctx.state.app.config.baseUrl}", error="insufficient_scope"` });
}
