// SMART on FHIR resource scopes (App Launch 2, §Scopes and Launch Context): v1 `patient/Observation.read`
// and v2 `patient/Observation.rs`, `user/*.cruds`, with an optional `?param=value` query on v2 scopes.
// Parsed once per token; `scopesFor` answers "which scopes allow action on type".

export type ScopeContext = 'patient' | 'user' | 'system';
/** SMART v2 actions: create, read, update, delete, search. */
export type Action = 'c' | 'r' | 'u' | 'd' | 's';

export interface ResourceScope {
  context: ScopeContext;
  /** A resource type, or '*' for all. */
  type: string;
  actions: ReadonlySet<Action>;
  /** v2 granular scopes: the search parameters a resource must match (e.g. category=...|laboratory). */
  query?: URLSearchParams;
  /** The scope as written. */
  text: string;
}

const SCOPE = /^(patient|user|system)\/(\*|[A-Z][A-Za-z]+)\.([a-z*]+)(?:\?(.+))?$/;
const V1: Record<string, Action[]> = { read: ['r', 's'], write: ['c', 'u', 'd'], '*': ['c', 'r', 'u', 'd', 's'] };
const V2 = /^c?r?u?d?s?$/;

/** The scope as a resource scope, or undefined when it is not one (openid, launch/patient, ...) or is malformed. */
export function parseResourceScope(text: string): ResourceScope | undefined {
  const m = SCOPE.exec(text);
  if (!m) return undefined;
  const [, context, type, permissions, query] = m;
  let actions: Action[];
  if (V1[permissions]) {
    if (query !== undefined) return undefined; // queries are a v2 feature
    actions = V1[permissions];
  } else if (permissions !== '' && V2.test(permissions)) {
    actions = [...permissions] as Action[];
  } else return undefined;
  return { context: context as ScopeContext, type, actions: new Set(actions), query: query === undefined ? undefined : new URLSearchParams(query), text };
}

/** The resource scopes of a space-separated scope string; other scopes are ignored. */
export function resourceScopes(scope: string | undefined): ResourceScope[] {
  return (scope ?? '').split(/\s+/).filter(Boolean).flatMap((s) => parseResourceScope(s) ?? []);
}

/** True when a scope string is a syntactically valid SMART resource scope (for the authorization server). */
export const isResourceScope = (text: string): boolean => parseResourceScope(text) !== undefined;

/**
 * The scopes that allow action on resources of type (granular ones included: the caller must still
 * apply their queries to what it returns or writes).
 */
export function scopesFor(scopes: ResourceScope[], type: string, action: Action): ResourceScope[] {
  return scopes.filter((s) => (s.type === '*' || s.type === type) && s.actions.has(action));
}
