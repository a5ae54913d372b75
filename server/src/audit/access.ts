// The audit trail of the FHIR API. Handlers note what a request read (noteAccess); this middleware
// turns the notes into AuditEvents once the request succeeded, and records refusals (401, 403) and
// server failures. Writes are not noted: the request's repository audits them inside their own
// transaction (writeAudit), so a change and its AuditEvent commit together or not at all.
import type Koa from 'koa';
import type { AuditEvent, Resource } from '@medplum/fhirtypes';
import { compartmentPatients, isPatientData } from '../auth/compartment.js';
import { fhirMountPath } from '../config.js';
import type { FhirContext } from '../fhir/context.js';
import { toFhirError } from '../fhir/errors.js';
import type { BeforeCommit, Written } from '../repo/index.js';
import { restAuditEvent, type Action, type Actor, type Interaction, type Server } from './events.js';

/** One resource a request returned, with the patients whose record holds it. */
export interface Seen {
  /** Type/id, or Type/id/_history/n. */
  ref: string;
  type: string;
  patients: string[];
}

/** What one request (or one Bundle entry) read. */
export interface Access {
  interaction: Interaction;
  action: Action;
  seen: Seen[];
  /** The types searched or read (a search that found nothing still touched patient data). */
  types: string[];
  /** The request as sent, for searches and operations. */
  query?: string;
  operation?: string;
  /** The patient whose record was asked for by its id (compartment search, $everything). */
  patient?: string;
}

export function seen(resource: Resource, baseUrl: string): Seen {
  const version = resource.meta?.versionId;
  return {
    ref: `${resource.resourceType}/${resource.id}${version ? `/_history/${version}` : ''}`,
    type: resource.resourceType,
    patients: isPatientData(resource.resourceType) ? compartmentPatients(resource, baseUrl) : [],
  };
}

/** Seen from stored JSON text: a Patient needs no parsing, other patient data does. */
export function seenJson(type: string, id: string, json: string, baseUrl: string): Seen {
  if (type === 'Patient') return { ref: `Patient/${id}`, type, patients: [id] };
  if (!isPatientData(type)) return { ref: `${type}/${id}`, type, patients: [] };
  return seen(JSON.parse(json) as Resource, baseUrl);
}

export function noteAccess(ctx: FhirContext, access: Access): void {
  (ctx.state.accessed ??= []).push(access);
}

/** The request as the audit trail shows it: path under the FHIR base and query string. */
export function requestQuery(ctx: FhirContext): string {
  return ctx.originalUrl.slice(fhirMountPath(ctx.state.app.config).length) || '/';
}

/** Sets the request's audited repository; records its reads after it succeeds, its refusals after it fails. */
export function auditAccess(): Koa.Middleware {
  return async (koaCtx, next) => {
    const ctx = koaCtx as unknown as FhirContext;
    const { app } = ctx.state;
    ctx.state.repo = ctx.state.repo.withHook(writeAudit(ctx));
    try {
      await next();
    } catch (err) {
      const status = toFhirError(err).status;
      if ((status === 401 || status === 403 || status >= 500) && ctx.path.startsWith(fhirMountPath(app.config))) {
        const text = status >= 500 ? 'Internal server error' : toFhirError(err).outcome.issue?.[0]?.diagnostics;
        app.audit.record([
          restAuditEvent(server(ctx), actor(ctx), {
            interaction: guessInteraction(ctx),
            action: guessAction(ctx.method),
            outcome: status >= 500 ? '8' : '4',
            outcomeDesc: `${status} ${text ?? ''}`.trim(),
            query: requestQuery(ctx),
          }),
        ]);
      }
      throw err;
    }
    const notes = ctx.state.accessed ?? [];
    if (notes.length) app.audit.record(notes.flatMap((a) => accessEvents(ctx, a)));
  };
}

/** BALP: one AuditEvent per patient whose data was read; one without a patient when none was. */
function accessEvents(ctx: FhirContext, a: Access): AuditEvent[] {
  if (!a.types.some((t) => isPatientData(t) || t === 'AuditEvent' || t === '*') && !a.seen.some((s) => s.patients.length)) return [];
  const byPatient = new Map<string | undefined, string[]>();
  if (a.patient) byPatient.set(a.patient, []);
  for (const s of a.seen) {
    const owners = s.patients.length ? s.patients : [undefined];
    for (const p of owners) {
      if (!byPatient.has(p)) byPatient.set(p, []);
      byPatient.get(p)!.push(s.ref);
    }
  }
  if (!byPatient.size) byPatient.set(undefined, []);
  const who = actor(ctx);
  const where = server(ctx);
  // a search names its query; the resources it returned are told by the patient entity (as BALP's Query)
  const isQuery = a.query !== undefined;
  return [...byPatient].map(([patient, refs]) =>
    restAuditEvent(where, who, {
      interaction: a.interaction,
      action: a.action,
      outcome: '0',
      patient,
      resources: isQuery && patient ? [] : refs,
      query: a.query,
      operation: a.operation,
    }),
  );
}

/** Writes: one AuditEvent per kind of change and patient, in the write's transaction. */
function writeAudit(ctx: FhirContext): BeforeCommit {
  return async (ops, written) => {
    const groups = new Map<string, { w: Written; patient?: string; refs: string[] }>();
    for (const w of written) {
      const patients = w.resource && isPatientData(w.resourceType) ? compartmentPatients(w.resource, ctx.state.app.config.baseUrl) : [];
      for (const patient of patients.length ? patients : [undefined]) {
        const key = `${w.method} ${patient ?? ''}`;
        if (!groups.has(key)) groups.set(key, { w, patient, refs: [] });
        groups.get(key)!.refs.push(`${w.resourceType}/${w.id}/_history/${w.versionId}`);
      }
    }
    const who = actor(ctx);
    const where = server(ctx);
    const events = [...groups.values()].map(({ w, patient, refs }) =>
      restAuditEvent(where, who, { ...WRITES[w.method], outcome: '0', patient, resources: refs }),
    );
    await ops.append(events);
  };
}

const WRITES: Record<Written['method'], { interaction: Interaction; action: Action }> = {
  POST: { interaction: 'create', action: 'C' },
  PUT: { interaction: 'update', action: 'U' },
  PATCH: { interaction: 'patch', action: 'U' },
  DELETE: { interaction: 'delete', action: 'D' },
};

export function actor(ctx: FhirContext): Actor {
  const p = ctx.state.principal;
  const address = ctx.ip || undefined;
  if (p.kind === 'token') return { clientId: p.clientId, username: p.username, fhirUser: p.fhirUser, address };
  return { address, label: p.kind === 'open' ? 'anyone (AUTH_MODE=open)' : 'anonymous (no valid access token)' };
}

function server(ctx: FhirContext): Server {
  return { baseUrl: ctx.state.app.config.baseUrl };
}

/** For a refused request the router may not have matched yet: the interaction its method and path ask for. */
function guessInteraction(ctx: FhirContext): Interaction {
  const parts = ctx.path.slice(fhirMountPath(ctx.state.app.config).length).split('/').filter(Boolean);
  if (parts.some((p) => p.startsWith('$'))) return 'operation';
  if (parts.includes('_history')) return parts.length === 1 ? 'history-system' : parts.length === 2 ? 'history-type' : parts.length === 3 ? 'history-instance' : 'vread';
  switch (ctx.method) {
    case 'POST':
      return parts.length === 0 ? 'transaction' : parts[1] === '_search' ? 'search-type' : 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return 'delete';
    default:
      return parts.length >= 2 && parts.length !== 3 ? 'read' : 'search-type';
  }
}

function guessAction(method: string): Action {
  return ({ POST: 'C', PUT: 'U', PATCH: 'U', DELETE: 'D' } as Record<string, Action>)[method] ?? 'R';
}
