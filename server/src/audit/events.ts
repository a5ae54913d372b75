// AuditEvent resources in the shape of IHE Basic Audit Log Patterns (BALP 1.1): a RESTful
// interaction is type DCM "rest" with its FHIR restful-interaction as subtype; the client is the
// "Source Role ID" agent (with its network address), Meridian the "Destination Role ID" agent,
// the user (when there is one) a requestor agent; entities are the patient (role 1), the resources
// (role 4, Domain Resource) and, for a search, the query (role 24). A sign-in is DCM 110114
// "User Authentication" with subtype 110122 "Login". Pure functions: the caller stores them.
import type { AuditEvent, AuditEventAgent, AuditEventEntity, Coding } from '@medplum/fhirtypes';

const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
const EVENT_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-event-type';
const INTERACTION = 'http://hl7.org/fhir/restful-interaction';
const ENTITY_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-entity-type';
const ENTITY_ROLE = 'http://terminology.hl7.org/CodeSystem/object-role';
const PARTICIPATION = 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType';
const SOURCE_TYPE = 'http://terminology.hl7.org/CodeSystem/security-source-type';
/** Where Meridian's client ids and user names live, as identifier systems. */
export const CLIENT_SYSTEM = 'urn:meridian:client';
export const USERNAME_SYSTEM = 'urn:meridian:username';

/** FHIR restful-interaction codes Meridian records. */
export type Interaction =
  | 'read' | 'vread' | 'update' | 'patch' | 'delete' | 'create'
  | 'history-instance' | 'history-type' | 'history-system'
  | 'search-type' | 'search-system' | 'batch' | 'transaction' | 'operation';

/** AuditEvent.action: Create, Read, Update, Delete, Execute. */
export type Action = 'C' | 'R' | 'U' | 'D' | 'E';

/** AuditEvent.outcome: success, minor failure (the request was refused), serious failure (the server failed). */
export type Outcome = '0' | '4' | '8';

/** Who did it, as the request shows it. */
export interface Actor {
  /** The OAuth client (absent under AUTH_MODE=open and without a token). */
  clientId?: string;
  /** The signed-in user behind the client's token. */
  username?: string;
  /** The user's FHIR resource, relative (Practitioner/123). */
  fhirUser?: string;
  /** The caller's network address. */
  address?: string;
  /** What stands in for a caller without a token ("AUTH_MODE=open", "anonymous"). */
  label?: string;
}

/** This server, as the destination agent and the audit source. */
export interface Server {
  /** The FHIR base URL. */
  baseUrl: string;
}

export interface RestEvent {
  interaction: Interaction;
  action: Action;
  outcome: Outcome;
  outcomeDesc?: string;
  /** The patient whose data this was (one event per patient, as BALP asks). */
  patient?: string;
  /** The resources, as Type/id or Type/id/_history/n. */
  resources?: string[];
  /** A search's or operation's query, as sent (path and query string). */
  query?: string;
  /** The operation's name, for interaction "operation" ($export, $everything, ...). */
  operation?: string;
}


export function restAuditEvent(server: Server, actor: Actor, e: RestEvent, recorded = new Date()): AuditEvent {
  const subtype: Coding[] = [{ system: INTERACTION, code: e.interaction, display: e.interaction }];
  if (e.operation) subtype.push({ system: 'urn:meridian:operation', code: e.operation, display: e.operation });
  const entity: AuditEventEntity[] = [];
  if (e.patient) {
    entity.push({ what: { reference: `Patient/${e.patient}` }, type: coding(ENTITY_TYPE, '1', 'Person'), role: coding(ENTITY_ROLE, '1', 'Patient') });
  }
  for (const ref of e.resources ?? []) {
    if (e.patient && ref.split('/_history/')[0] === `Patient/${e.patient}`) continue; // already named as the patient
    entity.push({ what: { reference: ref }, type: coding(ENTITY_TYPE, '2', 'System Object'), role: coding(ENTITY_ROLE, '4', 'Domain Resource') });
  }
  if (e.query !== undefined) {
    entity.push({
      type: coding(ENTITY_TYPE, '2', 'System Object'),
      role: coding(ENTITY_ROLE, '24', 'Query'),
      description: e.query,
      query: Buffer.from(e.query).toString('base64'),
    });
  }
  return {
    resourceType: 'AuditEvent',
    type: coding(EVENT_TYPE, 'rest', 'Restful Operation'),
    subtype,
    action: e.action,
    recorded: recorded.toISOString(),
    outcome: e.outcome,
    ...(e.outcomeDesc ? { outcomeDesc: e.outcomeDesc } : {}),
    agent: agents(server, actor, e.action),
    source: source(server),
    entity,
  };
}

/** A sign-in attempt: success, or failure with the reason the user was given. */
export function loginAuditEvent(server: Server, actor: Actor, outcome: Outcome, outcomeDesc?: string, recorded = new Date()): AuditEvent {
  return {
    resourceType: 'AuditEvent',
    type: coding(DCM, '110114', 'User Authentication'),
    subtype: [coding(DCM, '110122', 'Login')],
    action: 'E',
    recorded: recorded.toISOString(),
    outcome,
    ...(outcomeDesc ? { outcomeDesc } : {}),
    agent: agents(server, actor, 'E'),
    source: source(server),
  };
}

function agents(server: Server, actor: Actor, action: Action): AuditEventAgent[] {
  const network = actor.address ? { network: { address: actor.address, type: '2' as const } } : {};
  const list: AuditEventAgent[] = [];
  if (actor.username || actor.fhirUser) {
    list.push({
      // the user receives what is read, and is the author of what is written
      type: { coding: [action === 'R' || action === 'E' ? coding(PARTICIPATION, 'IRCP', 'information recipient') : coding(PARTICIPATION, 'AUT', 'author')] },
      who: actor.fhirUser
        ? { reference: actor.fhirUser, ...(actor.username ? { display: actor.username } : {}) }
        : { identifier: { system: USERNAME_SYSTEM, value: actor.username }, display: actor.username },
      ...(actor.username ? { altId: actor.username } : {}),
      requestor: true,
    });
  }
  list.push({
    type: { coding: [coding(DCM, '110153', 'Source Role ID')] },
    who: actor.clientId
      ? { identifier: { system: CLIENT_SYSTEM, value: actor.clientId }, display: actor.clientId }
      : { display: actor.label ?? 'anonymous' },
    ...(actor.clientId ? { altId: actor.clientId } : {}),
    requestor: list.length === 0,
    ...network,
  });
  list.push({
    type: { coding: [coding(DCM, '110152', 'Destination Role ID')] },
    who: { display: 'Meridian FHIR server' },
    requestor: false,
    network: { address: server.baseUrl, type: '5' },
  });
  return list;
}

function source(server: Server): AuditEvent['source'] {
  return {
    site: server.baseUrl,
    observer: { display: 'Meridian FHIR server' },
    type: [coding(SOURCE_TYPE, '4', 'Application Server')],
  };
}

function coding(system: string, code: string, display: string): Coding {
  return { system, code, display };
}

