// CDS Hooks 2.0 request and feedback validation (https://cds-hooks.hl7.org/2.0/): the shape of a
// hook request (hook, hookInstance, fhirServer, fhirAuthorization, context per hook, prefetch) and of
// a feedback request. Anything malformed is a CdsError 400 naming the field; nothing else reaches a
// service. Pure functions.
import type { Resource } from '@medplum/fhirtypes';
import { validationIssues } from '../fhir/validate.js';
import type { CdsCard, CdsRequest, CdsServiceResult, Hook } from './types.js';

/** An error answered as JSON `{ "error": code, "message": text }` with its HTTP status. */
export class CdsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const badRequest = (message: string) => new CdsError(400, 'invalid_request', message);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ID = /^[A-Za-z0-9\-.]{1,64}$/;
const REFERENCE = /^(Practitioner|PractitionerRole|Patient|RelatedPerson)\/[A-Za-z0-9\-.]{1,64}$/;

type FieldCheck = (value: unknown, name: string) => void;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const userId: FieldCheck = (v, name) => {
  if (typeof v !== 'string' || !REFERENCE.test(v)) throw badRequest(`${name} must be a reference like "Practitioner/123" (Practitioner, PractitionerRole, Patient or RelatedPerson)`);
};
const id: FieldCheck = (v, name) => {
  if (typeof v !== 'string' || !ID.test(v)) throw badRequest(`${name} must be a FHIR id (letters, digits, "-" and ".", at most 64)`);
};
const bundle: FieldCheck = (v, name) => {
  if (!isObject(v) || v.resourceType !== 'Bundle') throw badRequest(`${name} must be a FHIR Bundle`);
  if (v.entry !== undefined && (!Array.isArray(v.entry) || v.entry.some((e) => !isObject(e) || (e.resource !== undefined && !isResource(e.resource))))) {
    throw badRequest(`${name}.entry must be an array of entries with resources`);
  }
};
const stringArray: FieldCheck = (v, name) => {
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string' || s === '')) throw badRequest(`${name} must be an array of strings ("Type/id" of draft orders)`);
};

/** The context fields of each hook (https://cds-hooks.hl7.org/hooks/): check, and whether required. */
export const HOOK_CONTEXT: Record<Hook, Record<string, { check: FieldCheck; required: boolean }>> = {
  'patient-view': { userId: { check: userId, required: true }, patientId: { check: id, required: true }, encounterId: { check: id, required: false } },
  'order-select': {
    userId: { check: userId, required: true },
    patientId: { check: id, required: true },
    encounterId: { check: id, required: false },
    selections: { check: stringArray, required: true },
    draftOrders: { check: bundle, required: true },
  },
  'order-sign': { userId: { check: userId, required: true }, patientId: { check: id, required: true }, encounterId: { check: id, required: false }, draftOrders: { check: bundle, required: true } },
  'appointment-book': { userId: { check: userId, required: true }, patientId: { check: id, required: true }, encounterId: { check: id, required: false }, appointments: { check: bundle, required: true } },
  'encounter-start': { userId: { check: userId, required: true }, patientId: { check: id, required: true }, encounterId: { check: id, required: true } },
  'encounter-discharge': { userId: { check: userId, required: true }, patientId: { check: id, required: true }, encounterId: { check: id, required: true } },
};

/**
 * A resource the client sent (context Bundles, prefetch), checked against the R4 definitions for
 * what would break the code reading it: unknown elements, wrong types, bad primitive values. Missing
 * required elements, empty arrays, invariants and bindings are let through (draft orders are drafts;
 * clients send `entry: []`).
 */
function assertWellTyped(resource: Resource, name: string): void {
  let issues;
  try {
    issues = validationIssues(resource);
  } catch {
    throw badRequest(`${name} is not a FHIR resource Meridian can read`);
  }
  const broken = issues.filter(
    (i) => (i.severity === 'error' || i.severity === 'fatal') && (i.code === 'structure' || i.code === 'value') && !/Missing required|may not be empty/i.test(i.diagnostics ?? ''),
  );
  if (!broken.length) return;
  const seen = new Set<string>();
  const listed: string[] = [];
  for (const i of broken) {
    const where = (i.expression?.[0] ?? resource.resourceType).replace(/\.\d+$/, '');
    if (seen.has(where)) continue;
    seen.add(where);
    listed.push(`${where}: ${/Invalid additional property "\d+"/.test(i.diagnostics ?? '') ? 'not the element type FHIR defines' : i.diagnostics}`);
  }
  throw badRequest(`${name} is not valid FHIR: ${listed.slice(0, 3).join('; ')}${listed.length > 3 ? ` (and ${listed.length - 3} more)` : ''}`);
}

function isResource(v: unknown): v is Resource {
  return isObject(v) && typeof v.resourceType === 'string' && /^[A-Z][A-Za-z]{1,63}$/.test(v.resourceType);
}

function absoluteHttpUrl(v: unknown): v is string {
  if (typeof v !== 'string') return false;
  try {
    const u = new URL(v);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/**
 * A hook request for a service of the given hook, checked field by field. `prefetchKeys` are the
 * service's prefetch template keys: when fhirServer is given and one of them is not supplied, the
 * request must carry fhirAuthorization (the service will have to fetch with it).
 */
export function parseHookRequest(body: unknown, hook: Hook, prefetchKeys: string[]): CdsRequest {
  if (!isObject(body)) throw badRequest('The request body must be a JSON object (a CDS Hooks request)');
  if (body.hook !== hook) {
    throw badRequest(typeof body.hook === 'string' ? `hook "${body.hook}" is not this service's hook ("${hook}")` : `hook is required: "${hook}" for this service`);
  }
  if (typeof body.hookInstance !== 'string' || !UUID.test(body.hookInstance)) throw badRequest('hookInstance must be a UUID');
  if (body.fhirServer !== undefined && !absoluteHttpUrl(body.fhirServer)) throw badRequest('fhirServer must be an absolute http(s) URL');
  if (body.fhirAuthorization !== undefined) {
    const a = body.fhirAuthorization;
    if (!isObject(a)) throw badRequest('fhirAuthorization must be an object');
    if (body.fhirServer === undefined) throw badRequest('fhirAuthorization is given without fhirServer');
    if (typeof a.access_token !== 'string' || a.access_token === '') throw badRequest('fhirAuthorization.access_token must be a non-empty string');
    if (typeof a.token_type !== 'string' || a.token_type.toLowerCase() !== 'bearer') throw badRequest('fhirAuthorization.token_type must be "Bearer"');
    if (typeof a.expires_in !== 'number' || !Number.isFinite(a.expires_in) || a.expires_in < 0) throw badRequest('fhirAuthorization.expires_in must be a number of seconds');
    if (typeof a.scope !== 'string' || a.scope.trim() === '') throw badRequest('fhirAuthorization.scope must be a non-empty string of scopes');
    if (typeof a.subject !== 'string' || a.subject === '') throw badRequest('fhirAuthorization.subject must be a non-empty string');
    if (a.patient !== undefined) id(a.patient, 'fhirAuthorization.patient');
  }
  if (!isObject(body.context)) throw badRequest('context must be an object');
  const fields = HOOK_CONTEXT[hook];
  for (const [name, { check, required }] of Object.entries(fields)) {
    const value = body.context[name];
    if (value === undefined || value === null) {
      if (required) throw badRequest(`context.${name} is required for the ${hook} hook`);
      continue;
    }
    check(value, `context.${name}`);
    if (check === bundle) assertWellTyped(value as Resource, `context.${name}`);
  }
  if (body.prefetch !== undefined) {
    if (!isObject(body.prefetch)) throw badRequest('prefetch must be an object of prefetch keys to FHIR resources (or null)');
    for (const [key, value] of Object.entries(body.prefetch)) {
      if (value !== null && !isResource(value)) throw badRequest(`prefetch.${key} must be a FHIR resource or null`);
      if (value !== null) assertWellTyped(value as Resource, `prefetch.${key}`);
    }
  }
  const supplied = isObject(body.prefetch) ? body.prefetch : {};
  const missing = prefetchKeys.filter((k) => !Object.hasOwn(supplied, k));
  if (missing.length && body.fhirServer !== undefined && body.fhirAuthorization === undefined) {
    throw badRequest(`fhirAuthorization is required: prefetch ${missing.join(', ')} is missing and must be fetched from fhirServer`);
  }
  return body as unknown as CdsRequest;
}

/** One feedback entry (CDS Hooks 2.0 "Feedback"). */
export interface CdsFeedback {
  card: string;
  outcome: 'accepted' | 'overridden';
  acceptedSuggestions?: { id: string }[];
  overrideReason?: { reason?: { system?: string; code?: string; display?: string }; userComment?: string };
  outcomeTimestamp: string;
}

const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

export function parseFeedback(body: unknown): CdsFeedback[] {
  if (!isObject(body) || !Array.isArray(body.feedback) || body.feedback.length === 0) {
    throw badRequest('The body must be { "feedback": [ { card, outcome, outcomeTimestamp, ... } ] } with at least one entry');
  }
  return body.feedback.map((f, i) => {
    const at = `feedback[${i}]`;
    if (!isObject(f)) throw badRequest(`${at} must be an object`);
    if (typeof f.card !== 'string' || f.card === '') throw badRequest(`${at}.card must be the uuid of the card`);
    if (f.outcome !== 'accepted' && f.outcome !== 'overridden') throw badRequest(`${at}.outcome must be "accepted" or "overridden"`);
    if (typeof f.outcomeTimestamp !== 'string' || !INSTANT.test(f.outcomeTimestamp) || Number.isNaN(Date.parse(f.outcomeTimestamp))) {
      throw badRequest(`${at}.outcomeTimestamp must be an ISO 8601 date-time with a time zone`);
    }
    if (f.acceptedSuggestions !== undefined) {
      if (f.outcome !== 'accepted') throw badRequest(`${at}.acceptedSuggestions is only for outcome "accepted"`);
      if (!Array.isArray(f.acceptedSuggestions) || f.acceptedSuggestions.some((s) => !isObject(s) || typeof s.id !== 'string' || s.id === '')) {
        throw badRequest(`${at}.acceptedSuggestions must be an array of { "id": suggestion uuid }`);
      }
    }
    if (f.overrideReason !== undefined) {
      if (f.outcome !== 'overridden') throw badRequest(`${at}.overrideReason is only for outcome "overridden"`);
      const r = f.overrideReason;
      if (!isObject(r)) throw badRequest(`${at}.overrideReason must be an object { reason?: Coding, userComment?: string }`);
      if (r.reason !== undefined && (!isObject(r.reason) || typeof r.reason.code !== 'string' || (r.reason.system !== undefined && typeof r.reason.system !== 'string'))) {
        throw badRequest(`${at}.overrideReason.reason must be a Coding with a code`);
      }
      if (r.userComment !== undefined && typeof r.userComment !== 'string') throw badRequest(`${at}.overrideReason.userComment must be a string`);
    }
    return f as unknown as CdsFeedback;
  });
}

const INDICATORS = new Set(['info', 'warning', 'critical']);

/** A service's result, checked before it is sent: a broken card is a server bug (thrown), not sent. */
export function checkResult(result: CdsServiceResult, serviceId: string): void {
  if (!result || !Array.isArray(result.cards) || !Array.isArray(result.fired)) throw new Error(`CDS service ${serviceId} returned no cards/fired arrays`);
  result.cards.forEach((card: CdsCard, i) => {
    if (typeof card.summary !== 'string' || card.summary === '' || card.summary.length > 140) throw new Error(`CDS service ${serviceId}: card ${i} summary is empty or over 140 characters`);
    if (!INDICATORS.has(card.indicator)) throw new Error(`CDS service ${serviceId}: card ${i} indicator "${card.indicator}" is not info, warning or critical`);
    if (!card.source || typeof card.source.label !== 'string') throw new Error(`CDS service ${serviceId}: card ${i} has no source.label`);
    for (const s of card.suggestions ?? []) {
      if (typeof s.label !== 'string' || !s.label) throw new Error(`CDS service ${serviceId}: card ${i} has a suggestion without a label`);
      for (const a of s.actions ?? []) {
        if (!['create', 'update', 'delete'].includes(a.type)) throw new Error(`CDS service ${serviceId}: card ${i} has an action of type "${a.type}"`);
      }
    }
    if (card.selectionBehavior !== undefined && card.selectionBehavior !== 'at-most-one' && card.selectionBehavior !== 'any') {
      throw new Error(`CDS service ${serviceId}: card ${i} selectionBehavior "${card.selectionBehavior}"`);
    }
    for (const l of card.links ?? []) {
      if (typeof l.label !== 'string' || typeof l.url !== 'string' || (l.type !== 'absolute' && l.type !== 'smart')) throw new Error(`CDS service ${serviceId}: card ${i} has a link without label, url or type absolute|smart`);
    }
    for (const r of card.overrideReasons ?? []) {
      if (!r || typeof r.code !== 'string') throw new Error(`CDS service ${serviceId}: card ${i} has an override reason without a code`);
    }
  });
}
