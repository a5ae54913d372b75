// encounter-discharge: a patient with a chronic condition leaving a hospital (or emergency) encounter
// with no follow-up appointment within 14 days: a warning card that proposes one. Rules, codes and
// sources: ../rules/discharge.json (checked at load against the shipped terminology).
import fs from 'node:fs';
import { appLink } from './links.js';
import type { Appointment, Condition, Encounter, Patient } from '@medplum/fhirtypes';
import type { CdsInput, CdsService, CdsServiceResult, FiredRule } from '../types.js';
import {
  type CodeRef, type RulesFileBase, addDays, cardSource, checkRulesCodes, conditionName, conditionsMatching, day, overrideReasons, parseDate,
  practitionerOf, resourcesOf, summary,
} from './care-rules.js';

export interface DischargeRules extends RulesFileBase {
  rules: {
    followUp: {
      id: string;
      title: string;
      source: string;
      days: number;
      encounterClasses: { system: string; codes: string[] };
      chronicConditions: CodeRef[];
      appointmentType: CodeRef;
      countedStatuses: Appointment['status'][];
      simplified: string;
    };
  };
}

export function loadDischargeRules(text: string): DischargeRules {
  const rules = JSON.parse(text) as DischargeRules;
  checkRulesCodes('discharge.json', rules);
  return rules;
}

export const DISCHARGE_RULES: DischargeRules = loadDischargeRules(fs.readFileSync(new URL('../rules/discharge.json', import.meta.url), 'utf8'));

const PREFETCH = {
  patient: 'Patient/{{context.patientId}}',
  encounter: 'Encounter/{{context.encounterId}}',
  conditions: 'Condition?patient={{context.patientId}}&clinical-status=active',
  appointments: 'Appointment?patient={{context.patientId}}&status=proposed,pending,booked,arrived,checked-in,fulfilled',
};

export function encounterDischargeService(rules: DischargeRules = DISCHARGE_RULES): CdsService {
  return {
    id: 'meridian-discharge-follow-up',
    hook: 'encounter-discharge',
    title: 'Follow-up after discharge',
    description:
      'At discharge from a hospital, observation or emergency encounter, a patient with a chronic condition (diabetes, hypertension, CKD, COPD, asthma, atrial fibrillation) and no appointment within 14 days gets a card proposing a follow-up visit (CMS transitional care management).',
    prefetch: PREFETCH,
    usageRequirements: 'Reads the Encounter, the patient\'s active Conditions and Appointments (prefetch or the FHIR server).',
    run: (input) => runEncounterDischarge(input, rules),
  };
}

export async function runEncounterDischarge(input: CdsInput, rules: DischargeRules = DISCHARGE_RULES): Promise<CdsServiceResult> {
  const { prefetch, now, request } = input;
  const r = rules.rules.followUp;
  const fired: FiredRule[] = [];
  const patient = resourcesOf<Patient>(prefetch.patient, 'Patient')[0];
  const patientId = String(request.context.patientId ?? patient?.id ?? '');
  const encounterId = String(request.context.encounterId ?? '');
  const encounter = resourcesOf<Encounter>(prefetch.encounter, 'Encounter')[0] ?? (encounterId ? await input.fhir.read<Encounter>('Encounter', encounterId) : undefined);
  if (!encounter) return { cards: [], fired };
  const klass = encounter.class;
  if (klass?.system !== r.encounterClasses.system || !klass.code || !r.encounterClasses.codes.includes(klass.code)) return { cards: [], fired };

  const conditions = resourcesOf<Condition>(prefetch.conditions, 'Condition');
  const unique = conditionsMatching(conditions, r.chronicConditions);
  if (!unique.length) return { cards: [], fired };

  const discharge = parseDate(encounter.period?.end) ?? now;
  const from = new Date(Date.UTC(discharge.getUTCFullYear(), discharge.getUTCMonth(), discharge.getUTCDate()));
  const until = addDays(from, r.days + 1); // through the end of day 14
  const appointments = resourcesOf<Appointment>(prefetch.appointments, 'Appointment').filter((a) => r.countedStatuses.includes(a.status));
  const within = appointments.filter((a) => {
    const start = parseDate(a.start) ?? parseDate(a.requestedPeriod?.[0]?.start);
    return start !== undefined && start >= from && start < until;
  });
  if (within.length) return { cards: [], fired };

  const names = unique.map(conditionName);
  const later = appointments
    .map((a) => ({ a, start: parseDate(a.start) }))
    .filter((x) => x.start && x.start >= until)
    .sort((x, y) => x.start!.getTime() - y.start!.getTime())[0];
  const why = `${klass.code} encounter Encounter/${encounter.id ?? encounterId} discharged ${day(discharge)}; chronic: ${names.join('; ')}; no appointment ${day(from)}..${day(addDays(from, r.days))}${later ? `; next appointment ${day(later.start)}` : '; no later appointment'}`;
  fired.push({ rule: r.id, version: rules.version, why });

  const practitioner = practitionerOf(request.context.userId);
  const proposed: Appointment = {
    resourceType: 'Appointment',
    status: 'proposed',
    appointmentType: { coding: [{ system: r.appointmentType.system, code: r.appointmentType.code, display: r.appointmentType.display }] },
    description: `Follow-up within ${r.days} days of discharge on ${day(discharge)}`,
    reasonReference: unique.filter((c) => c.condition.id).map((c) => ({ reference: `Condition/${c.condition.id}` })),
    requestedPeriod: [{ start: day(from), end: day(addDays(from, r.days)) }],
    created: now.toISOString().slice(0, 10),
    participant: [
      { actor: { reference: `Patient/${patient?.id ?? patientId}` }, required: 'required', status: 'needs-action' },
      ...(practitioner ? [{ actor: { reference: practitioner }, required: 'required' as const, status: 'needs-action' as const }] : []),
    ],
  };
  return {
    cards: [{
      summary: summary(`No follow-up booked within ${r.days} days of discharge (${unique.length === 1 ? names[0].split(' (')[0] : `${unique.length} chronic conditions`})`),
      detail: [
        `**Encounter:** ${klass.display ?? klass.code} ${encounter.period?.start ? `from ${day(parseDate(encounter.period.start))} ` : ''}to ${day(discharge)}${encounter.period?.end ? '' : ' (discharge now)'}.`,
        `**Chronic conditions:** ${names.join('; ')}.`,
        `**Appointments:** none from ${day(from)} to ${day(addDays(from, r.days))}${later ? `; the next is on ${day(later.start)}` : ''}.`,
        `CMS transitional care management expects a face-to-face visit within 7 or 14 days of discharge; patients seen after discharge are readmitted less often.`,
        `_Simplified:_ ${r.simplified}`,
      ].join('\n\n'),
      indicator: 'warning',
      source: cardSource(rules, r.source, r),
      suggestions: [{ label: `Propose a follow-up visit within ${r.days} days`, isRecommended: true, actions: [{ type: 'create', description: 'Propose a follow-up Appointment', resource: proposed }] }],
      selectionBehavior: 'at-most-one',
      overrideReasons: overrideReasons(rules, ['already-done-elsewhere', 'patient-declined', 'not-applicable']),
      links: appLink(input, 'scheduling', 'Book the follow-up in scheduling'),
    }],
    fired,
  };
}

export const ENCOUNTER_DISCHARGE_SERVICE: CdsService = encounterDischargeService();
