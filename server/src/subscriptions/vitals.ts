// Alerts for out-of-range vital signs. The thresholds are data (vital-sign-rules.json: per LOINC code,
// optionally per patient); a new Observation (or a component of one, e.g. the systolic of a blood
// pressure panel) outside them gets a DetectedIssue (implicating it) and a Communication to the
// patient's care team (its CareTeams' members, else the general practitioner). They are written in
// the dispatch transaction that consumes the Observation's outbox row, so each reading raises its
// alert exactly once, and they reach subscribers through the same subscriptions as everything else.
import fs from 'node:fs';
import type { Communication, DetectedIssue, Observation, Quantity, Reference, Resource } from '@medplum/fhirtypes';
import type { Queryable } from '../db/index.js';
import { newResourceId, TransactionOps } from '../repo/index.js';
import type { EventConsumer, OutboxEvent } from './dispatcher.js';

export interface VitalRule {
  code: string;
  display: string;
  unit: string;
  low?: number;
  high?: number;
  /** "Patient/<id>": this patient's own limits for the code. */
  patient?: string;
}

export interface RuleSet {
  version: string;
  source: string;
  /** General rules (without a patient) apply from this age on; patients of unknown age included. */
  adultsFromAge: number;
  /** Only readings taken this recently raise alerts. */
  recentHours: number;
  rules: VitalRule[];
}

export const RULES: RuleSet = JSON.parse(fs.readFileSync(new URL('./vital-sign-rules.json', import.meta.url), 'utf8'));
const LOINC = 'http://loinc.org';

/** The rule for a code and patient: the patient's own, else the general one. */
export function ruleFor(rules: VitalRule[], code: string, patient: string | undefined): VitalRule | undefined {
  return rules.find((r) => r.code === code && r.patient && r.patient === patient) ?? rules.find((r) => r.code === code && !r.patient);
}

/**
 * The rules that apply to a reading: none when it was taken longer ago than recentHours; the
 * patient's own rules, and the general ones unless the patient is younger than adultsFromAge.
 */
export function applicableRules(set: RuleSet, o: Observation, birthDate: string | undefined, now = Date.now()): VitalRule[] {
  const taken = Date.parse(o.effectiveDateTime ?? o.effectiveInstant ?? o.effectivePeriod?.end ?? o.effectivePeriod?.start ?? o.issued ?? '');
  if (!Number.isNaN(taken) && now - taken > set.recentHours * 3600_000) return [];
  const at = Number.isNaN(taken) ? now : taken;
  const born = birthDate ? Date.parse(birthDate) : NaN;
  const child = !Number.isNaN(born) && (at - born) / (365.25 * 24 * 3600_000) < set.adultsFromAge;
  return child ? set.rules.filter((r) => r.patient) : set.rules;
}

/** What is out of range in an Observation: its value and its components' values, by LOINC code. */
export function outOfRange(rules: VitalRule[], o: Observation): { rule: VitalRule; value: Quantity; text: string }[] {
  const patient = o.subject?.reference?.replace(/^.*\/(Patient\/[^/]+)$/, '$1');
  const measured: [string | undefined, Quantity | undefined][] = [
    [o.code?.coding?.find((c) => c.system === LOINC)?.code, o.valueQuantity],
    ...(o.component ?? []).map((c): [string | undefined, Quantity | undefined] => [c.code?.coding?.find((x) => x.system === LOINC)?.code, c.valueQuantity]),
  ];
  const found = [];
  for (const [code, value] of measured) {
    if (!code || typeof value?.value !== 'number') continue;
    const rule = ruleFor(rules, code, patient);
    if (!rule) continue;
    const v = value.value;
    const unit = value.unit ?? value.code ?? rule.unit;
    if (rule.low !== undefined && v < rule.low) found.push({ rule, value, text: `${rule.display} ${v} ${unit} is below ${rule.low} ${rule.unit}` });
    else if (rule.high !== undefined && v > rule.high) found.push({ rule, value, text: `${rule.display} ${v} ${unit} is above ${rule.high} ${rule.unit}` });
  }
  return found;
}

export function vitalSignAlerts(baseUrl: string, set: RuleSet = RULES): EventConsumer {
  return async (tx: Queryable, events: OutboxEvent[]) => {
    const created = events.filter((e) => e.resource_type === 'Observation' && e.version_id === 1 && e.method !== 'DELETE');
    if (!created.length) return;
    const { rows } = await tx.query<{ content: Observation }>(
      `SELECT h.content FROM resource_history h JOIN unnest($1::text[]) AS k(id) ON h.resource_type = 'Observation' AND h.id = k.id AND h.version_id = 1`,
      [created.map((e) => e.resource_id)],
    );
    const patientIds = rows.flatMap(({ content: o }) => (o?.subject?.reference?.includes('Patient/') ? [o.subject.reference.replace(/^.*Patient\//, '')] : []));
    const { rows: births } = await tx.query<{ id: string; birth_date: string | null }>(
      `SELECT id, content->>'birthDate' AS birth_date FROM resources WHERE resource_type = 'Patient' AND id = ANY($1::text[])`,
      [patientIds],
    );
    const birthDates = new Map(births.map((b) => [b.id, b.birth_date ?? undefined]));
    const alerts: { resource: Resource; id: string }[] = [];
    for (const { content: o } of rows) {
      if (!o || o.status === 'entered-in-error' || !o.subject?.reference?.includes('Patient/')) continue;
      const rules = applicableRules(set, o, birthDates.get(o.subject.reference.replace(/^.*Patient\//, '')));
      const problems = rules.length ? outOfRange(rules, o) : [];
      if (!problems.length) continue;
      const text = problems.map((p) => p.text).join('; ');
      const issueId = newResourceId();
      const observation: Reference = { reference: `Observation/${o.id}` };
      const patient = { reference: o.subject.reference };
      const issue: DetectedIssue = {
        resourceType: 'DetectedIssue',
        status: 'final',
        code: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'ALRTVAL', display: 'Alert value' }], text: 'Vital sign out of range' },
        severity: 'high',
        patient,
        identifiedDateTime: new Date().toISOString(),
        ...(o.device?.reference?.startsWith('Device/') ? { author: { reference: o.device.reference } } : {}),
        implicated: [observation],
        detail: text,
        reference: `rules ${set.version}`,
      };
      const recipients = await careTeam(tx, o.subject.reference!);
      const message: Communication = {
        resourceType: 'Communication',
        status: 'completed',
        category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/communication-category', code: 'alert' }] }],
        priority: 'urgent',
        subject: patient,
        about: [{ reference: `DetectedIssue/${issueId}` }, observation],
        sent: new Date().toISOString(),
        ...(recipients.length ? { recipient: recipients as Communication['recipient'] } : {}),
        payload: [{ contentString: text }],
      };
      alerts.push({ resource: issue, id: issueId }, { resource: message, id: newResourceId() });
    }
    if (alerts.length) await new TransactionOps(tx, baseUrl).createMany(alerts);
  };
}

/** The members of the patient's active CareTeams, else the patient's general practitioners. */
async function careTeam(tx: Queryable, patientRef: string): Promise<Reference[]> {
  const id = patientRef.replace(/^.*Patient\//, '');
  const { rows } = await tx.query<{ content: Resource }>(
    `SELECT r.content FROM resources r WHERE NOT r.deleted AND (
       (r.resource_type = 'Patient' AND r.id = $1) OR
       (r.resource_type = 'CareTeam' AND r.id IN (SELECT s.resource_id FROM search_reference s WHERE s.resource_type = 'CareTeam' AND s.param = 'patient' AND s.target_id = $1)
        AND coalesce(r.content->>'status', 'active') = 'active'))`,
    [id],
  );
  const members = rows.flatMap(({ content }) => (content.resourceType === 'CareTeam' ? (content.participant ?? []).flatMap((p) => (p.member?.reference ? [{ reference: p.member.reference }] : [])) : []));
  if (members.length) return dedupe(members);
  const patient = rows.find((r) => r.content.resourceType === 'Patient')?.content as { generalPractitioner?: Reference[] } | undefined;
  return dedupe((patient?.generalPractitioner ?? []).map((g) => ({ reference: g.reference })));
}

const dedupe = (refs: Reference[]) => [...new Map(refs.map((r) => [r.reference, r])).values()];
