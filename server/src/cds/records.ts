// The decision record (issue 9 point 5): every invocation and every feedback leaves an AuditEvent —
// which rules fired, why, for whom, at whose request — so a decision can be explained later. Shape:
// type "cds-hooks" (Meridian's code), subtype the hook and the service (or "feedback"), action E,
// agents the user (context.userId), the CDS client (its iss) and Meridian; entities the patient
// (role 1), the hook instance, one per fired rule (name = rule id, description = why, detail =
// rules-file version) and one per card (its uuid), or one per feedback entry. Pure functions.
import type { AuditEvent, AuditEventAgent, AuditEventEntity, Coding } from '@medplum/fhirtypes';
import type { CdsFeedback } from './protocol.js';
import type { CdsCard, CdsRequest, FiredRule } from './types.js';

export const CDS_EVENT_TYPE: Coding = { system: 'urn:meridian:audit-event-type', code: 'cds-hooks', display: 'CDS Hooks decision support' };
export const CDS_SERVICE_SYSTEM = 'urn:meridian:cds-service';
export const CDS_HOOK_SYSTEM = 'urn:meridian:cds-hook';
export const CDS_RULE_SYSTEM = 'urn:meridian:cds-rule';
export const CDS_CLIENT_SYSTEM = 'urn:meridian:cds-client';
export const CDS_CARD_SYSTEM = 'urn:meridian:cds-card';
const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
const ENTITY_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-entity-type';
const ENTITY_ROLE = 'http://terminology.hl7.org/CodeSystem/object-role';
const PARTICIPATION = 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType';

const coding = (system: string, code: string, display: string): Coding => ({ system, code, display });

interface Who {
  baseUrl: string;
  /** The CDS client's iss (absent under CDS_AUTH=open). */
  iss?: string;
  address?: string;
}

function agents(who: Who, userId: unknown): AuditEventAgent[] {
  const list: AuditEventAgent[] = [];
  if (typeof userId === 'string') list.push({ type: { coding: [coding(PARTICIPATION, 'IRCP', 'information recipient')] }, who: { reference: userId }, requestor: true });
  list.push({
    type: { coding: [coding(DCM, '110153', 'Source Role ID')] },
    who: who.iss ? { identifier: { system: CDS_CLIENT_SYSTEM, value: who.iss }, display: who.iss } : { display: 'CDS_AUTH=open' },
    requestor: typeof userId !== 'string',
    ...(who.address ? { network: { address: who.address, type: '2' as const } } : {}),
  });
  list.push({ type: { coding: [coding(DCM, '110152', 'Destination Role ID')] }, who: { display: who.baseUrl }, requestor: false });
  return list;
}

function base(who: Who, subtype: Coding[], outcome: '0' | '4' | '8', outcomeDesc?: string): AuditEvent {
  return {
    resourceType: 'AuditEvent',
    type: CDS_EVENT_TYPE,
    subtype,
    action: 'E',
    recorded: new Date().toISOString(),
    outcome,
    ...(outcomeDesc ? { outcomeDesc } : {}),
    agent: [],
    source: { observer: { display: who.baseUrl }, type: [coding('http://terminology.hl7.org/CodeSystem/security-source-type', '4', 'Application Server')] },
    entity: [],
  };
}

/** An invocation: the patient, the hook instance, each fired rule and each card. */
export function invocationEvent(who: Who, serviceId: string, request: CdsRequest, fired: FiredRule[], cards: CdsCard[], outcome: '0' | '8' = '0'): AuditEvent {
  const event = base(who, [coding(CDS_HOOK_SYSTEM, request.hook, request.hook), coding(CDS_SERVICE_SYSTEM, serviceId, serviceId)], outcome, outcome === '8' ? 'The CDS service failed' : undefined);
  event.agent = agents(who, request.context.userId);
  const entity: AuditEventEntity[] = [];
  const patient = request.context.patientId;
  if (typeof patient === 'string') entity.push({ what: { reference: `Patient/${patient}` }, type: coding(ENTITY_TYPE, '1', 'Person'), role: coding(ENTITY_ROLE, '1', 'Patient') });
  if (typeof request.context.encounterId === 'string') {
    entity.push({ what: { reference: `Encounter/${request.context.encounterId}` }, type: coding(ENTITY_TYPE, '2', 'System Object'), role: coding(ENTITY_ROLE, '4', 'Domain Resource') });
  }
  entity.push({
    what: { identifier: { system: 'urn:ietf:rfc:3986', value: `urn:uuid:${request.hookInstance}` } },
    type: coding(ENTITY_TYPE, '2', 'System Object'),
    name: 'hookInstance',
    description: `${request.hook} hook instance`,
  });
  for (const rule of fired) {
    entity.push({
      what: { identifier: { system: CDS_RULE_SYSTEM, value: rule.rule } },
      type: coding(ENTITY_TYPE, '4', 'Other'),
      role: coding(ENTITY_ROLE, '13', 'Security Resource'),
      name: rule.rule,
      description: rule.why,
      detail: [{ type: 'version', valueString: String(rule.version) }],
    });
  }
  for (const card of cards) {
    entity.push({
      what: { identifier: { system: CDS_CARD_SYSTEM, value: card.uuid } },
      type: coding(ENTITY_TYPE, '2', 'System Object'),
      name: 'card',
      description: card.summary,
      detail: [{ type: 'indicator', valueString: card.indicator }],
    });
  }
  event.entity = entity;
  return event;
}

/** Feedback: one entity per entry (card uuid, outcome, accepted suggestions, override reason). */
export function feedbackEvent(who: Who, serviceId: string, feedback: CdsFeedback[]): AuditEvent {
  const event = base(who, [coding(CDS_HOOK_SYSTEM, 'feedback', 'feedback'), coding(CDS_SERVICE_SYSTEM, serviceId, serviceId)], '0');
  event.agent = agents(who, undefined);
  event.entity = feedback.map((f) => {
    const detail = [
      { type: 'outcome', valueString: f.outcome },
      { type: 'outcomeTimestamp', valueString: f.outcomeTimestamp },
      ...(f.acceptedSuggestions ?? []).map((s) => ({ type: 'acceptedSuggestion', valueString: s.id })),
    ];
    const reason = f.overrideReason?.reason;
    if (reason?.code) detail.push({ type: 'overrideReason', valueString: `${reason.system ? `${reason.system}|` : ''}${reason.code}${reason.display ? ` (${reason.display})` : ''}` });
    if (f.overrideReason?.userComment) detail.push({ type: 'userComment', valueString: f.overrideReason.userComment });
    return {
      what: { identifier: { system: CDS_CARD_SYSTEM, value: f.card } },
      type: coding(ENTITY_TYPE, '2', 'System Object'),
      name: 'card',
      description: `${f.outcome}`,
      detail,
    };
  });
  return event;
}
