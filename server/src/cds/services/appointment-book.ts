// appointment-book: checks each proposed Appointment of the hook's context against
//   - the practitioner's other appointments (double-booking),
//   - the patient's other appointments (overlap),
//   - the practitioner's Schedules and Slots (booking outside bookable time, or on a Slot that cannot take it),
// with the rules, thresholds, messages and override reasons of ../rules/scheduling.json.
// Times are compared as instants: [start, end) intervals in milliseconds, so touching appointments
// (one ends when the next starts) never conflict.
import { readFileSync } from 'node:fs';
import { appLink, withLinks } from './links.js';
import type { Appointment, Bundle, Coding, Patient, Practitioner, PractitionerRole, Reference, Resource, Schedule, Slot } from '@medplum/fhirtypes';
import { shippedTerminology } from '../../terminology/service.js';
import { CDS_RULE_SYSTEM } from '../records.js';
import type { CdsAction, CdsCard, CdsInput, CdsService, CdsServiceResult, CdsSuggestion, FhirReader, FiredRule } from '../types.js';

// ---- rules data ----------------------------------------------------------------------------------

type RuleId = 'scheduling/practitioner-double-booking' | 'scheduling/patient-overlap' | 'scheduling/no-schedule' | 'scheduling/slot-unavailable' | 'scheduling/outside-slots';

interface SchedulingRule {
  id: RuleId;
  title: string;
  description: string;
  indicator: CdsCard['indicator'];
  indicatorWhenBlocked?: CdsCard['indicator'];
  summary: string;
  overrideReasons: string[];
}

export interface SchedulingRules {
  id: string;
  version: string;
  title: string;
  sources: { title: string; url?: string }[];
  settings: {
    inactiveAppointmentStatuses: string[];
    declinedParticipantStatus: string;
    searchLookbackHours: number;
    defaultAppointmentMinutes: number;
    bookableSlotStatuses: string[];
    blockedSlotStatuses: string[];
    nextFreeSlotSearchDays: number;
    nextFreeSlotCandidates: number;
    maxConflictsListed: number;
  };
  overrideReasonSystem: string;
  overrideReasons: { code: string; display: string }[];
  rules: SchedulingRule[];
}

const OVERRIDE_REASON_SYSTEM = 'https://meridian.dev/fhir/CodeSystem/cds-override-reason';
const RULE_IDS: RuleId[] = ['scheduling/practitioner-double-booking', 'scheduling/patient-overlap', 'scheduling/no-schedule', 'scheduling/slot-unavailable', 'scheduling/outside-slots'];
const INDICATORS = new Set(['info', 'warning', 'critical']);

/** Reads ../rules/scheduling.json and checks it: a version and sources, every rule the service applies, known indicators and
 *  override reasons, and every status it names a code of the FHIR R4 code systems in the shipped terminology. */
export function loadSchedulingRules(text = readFileSync(new URL('../rules/scheduling.json', import.meta.url), 'utf8')): SchedulingRules {
  const rules = JSON.parse(text) as SchedulingRules;
  const problems: string[] = [];
  if (typeof rules.version !== 'string' || !rules.version) problems.push('no version');
  if (!Array.isArray(rules.sources) || !rules.sources.length) problems.push('no sources');
  if (rules.overrideReasonSystem !== OVERRIDE_REASON_SYSTEM) problems.push(`overrideReasonSystem must be ${OVERRIDE_REASON_SYSTEM}`);
  const known = new Set((rules.overrideReasons ?? []).map((r) => r.code));
  for (const id of RULE_IDS) if (!rules.rules?.some((r) => r.id === id)) problems.push(`no rule ${id}`);
  for (const rule of rules.rules ?? []) {
    if (!INDICATORS.has(rule.indicator) || (rule.indicatorWhenBlocked && !INDICATORS.has(rule.indicatorWhenBlocked))) problems.push(`${rule.id}: unknown indicator`);
    for (const code of rule.overrideReasons ?? []) if (!known.has(code)) problems.push(`${rule.id}: unknown override reason ${code}`);
  }
  const terminology = shippedTerminology();
  const codes = (system: string, list: string[], path: string) => {
    const cs = terminology.codeSystem(system);
    if (!cs) problems.push(`${path}: code system ${system} is not shipped`);
    else for (const code of list) if (!cs.get(code)) problems.push(`${path}: ${code} is not a code of ${system}`);
  };
  const s = rules.settings;
  codes('http://hl7.org/fhir/appointmentstatus', s.inactiveAppointmentStatuses, 'settings.inactiveAppointmentStatuses');
  codes('http://hl7.org/fhir/slotstatus', [...s.bookableSlotStatuses, ...s.blockedSlotStatuses], 'settings.*SlotStatuses');
  codes('http://hl7.org/fhir/participationstatus', [s.declinedParticipantStatus], 'settings.declinedParticipantStatus');
  for (const k of ['searchLookbackHours', 'defaultAppointmentMinutes', 'nextFreeSlotSearchDays', 'nextFreeSlotCandidates', 'maxConflictsListed'] as const) {
    if (!(Number.isFinite(s[k]) && s[k] > 0)) problems.push(`settings.${k} must be a positive number`);
  }
  if (problems.length) throw new Error(`CDS rules scheduling.json (version ${rules.version}):\n  ${problems.join('\n  ')}`);
  return rules;
}

// ---- time -----------------------------------------------------------------------------------------

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

interface Interval {
  start: number;
  end: number;
}

const overlaps = (a: Interval, b: Interval): boolean => a.start < b.end && b.start < a.end;
const iso = (ms: number): string => new Date(ms).toISOString();

/** An appointment's [start, end): end, else start + minutesDuration, else start + the default length. */
function appointmentInterval(a: Appointment, defaultMinutes: number): Interval | undefined {
  const start = a.start ? Date.parse(a.start) : NaN;
  if (Number.isNaN(start)) return undefined;
  let end = a.end ? Date.parse(a.end) : NaN;
  if (Number.isNaN(end)) end = start + (a.minutesDuration ?? defaultMinutes) * MINUTE;
  return end > start ? { start, end } : { start, end: start + defaultMinutes * MINUTE };
}

function slotInterval(s: Slot): Interval | undefined {
  const start = Date.parse(s.start ?? '');
  const end = Date.parse(s.end ?? '');
  return Number.isNaN(start) || Number.isNaN(end) || end <= start ? undefined : { start, end };
}

const LOCAL = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d)(?::\d\d(?:\.\d+)?)?(Z|[+-]\d\d:\d\d)?$/;

/** "2026-10-14 09:30–10:00 (-04:00)", in the times' own offset as written. */
export function formatWhen(start: string | undefined, end: string | undefined): string {
  const s = LOCAL.exec(start ?? '');
  const e = LOCAL.exec(end ?? '');
  if (!s) return start ?? 'at an unknown time';
  const zone = s[3] === 'Z' ? ' UTC' : s[3] ? ` (${s[3]})` : '';
  if (!e) return `${s[1]} ${s[2]}${zone}`;
  if (e[1] === s[1] && e[3] === s[3]) return `${s[1]} ${s[2]}–${e[2]}${zone}`;
  const ezone = e[3] === 'Z' ? ' UTC' : e[3] ? ` (${e[3]})` : '';
  return `${s[1]} ${s[2]}${zone} – ${e[1]} ${e[2]}${ezone}`;
}

// ---- references -----------------------------------------------------------------------------------

/** The id a reference names for a type: "Practitioner/1", ".../fhir/Practitioner/1", "Practitioner/1/_history/2". */
function refId(ref: Reference | undefined, type: string): string | undefined {
  const m = new RegExp(`(?:^|/)${type}/([A-Za-z0-9\\-.]{1,64})(?:/_history/[^/]+)?$`).exec(ref?.reference ?? '');
  return m?.[1];
}

const participantIds = (a: Appointment, type: string, declined: string): string[] =>
  (a.participant ?? []).filter((p) => p.status !== declined).flatMap((p) => refId(p.actor, type) ?? []);

const q = (v: string): string => encodeURIComponent(v);

// ---- the service ----------------------------------------------------------------------------------

interface Proposal {
  index: number;
  appointment: Appointment;
  interval: Interval;
  practitioners: string[];
  patients: string[];
}

interface Conflict {
  appointment: Appointment;
  /** A proposal of the same request, not a stored appointment. */
  proposed: boolean;
}

export function appointmentBookService(rules: SchedulingRules = loadSchedulingRules()): CdsService {
  const settings = rules.settings;
  const ruleById = new Map(rules.rules.map((r) => [r.id, r]));
  const rule = (id: RuleId): SchedulingRule => {
    const r = ruleById.get(id);
    if (!r) throw new Error(`scheduling.json lacks rule ${id}`);
    return r;
  };
  const reasonDisplay = new Map(rules.overrideReasons.map((r) => [r.code, r.display]));
  const inactive = new Set(settings.inactiveAppointmentStatuses);
  const lookback = settings.searchLookbackHours * HOUR;
  const declined = settings.declinedParticipantStatus;

  return {
    id: 'appointment-book',
    hook: 'appointment-book',
    title: 'Scheduling conflicts',
    description:
      'Checks proposed appointments for practitioner double-booking, overlapping appointments of the patient, and booking outside the ' +
      "practitioner's Schedule and Slots (Meridian scheduling rules " + rules.version + ').',
    prefetch: { patient: 'Patient/{{context.patientId}}' },
    usageRequirements:
      'Send the proposed Appointments (with start, end and their Practitioner participants) in context.appointments. The service reads ' +
      "the practitioners' and the patient's other Appointments, Schedules and Slots from fhirServer.",

    async run(input: CdsInput): Promise<CdsServiceResult> {
      const fhir = input.fhir;
      const now = input.now.getTime();
      const cards: CdsCard[] = [];
      const fired: FiredRule[] = [];
      const nextSlots = new Map<string, Promise<{ start: string; end: string; slots: Slot[] } | undefined>>();
      const names = new Map<string, Promise<string>>();
      const practitionerName = (id: string, ref?: Reference): Promise<string> => {
        let name = names.get(id);
        if (!name) {
          name = ref?.display ? Promise.resolve(ref.display) : fhir.read<Practitioner>('Practitioner', id).then((p) => (p ? humanName(p) : undefined) ?? `Practitioner/${id}`, () => `Practitioner/${id}`);
          names.set(id, name);
        }
        return name;
      };
      const schedulesOf = memo((id: string) =>
        fhir.search<Schedule>(`Schedule?actor=${q(`Practitioner/${id}`)}&_count=100`, 100).then((list) => list.filter((s) => s.active !== false)),
      );

      const prefetched = input.prefetch.patient;
      /** The prefetched Patient's name when it is the patient in question. */
      const patientName = (id: string): string => (prefetched?.resourceType === 'Patient' && prefetched.id === id && humanName(prefetched)) || 'The patient';
      const patientId = typeof input.request.context.patientId === 'string' ? input.request.context.patientId : undefined;
      const proposals = proposalsOf(input.request.context.appointments, settings.defaultAppointmentMinutes, declined, inactive, patientId);
      // a PractitionerRole participant stands for its practitioner
      for (const p of proposals) {
        for (const roleId of participantIds(p.appointment, 'PractitionerRole', declined)) {
          const role = await fhir.read<PractitionerRole>('PractitionerRole', roleId);
          const id = refId(role?.practitioner, 'Practitioner');
          if (id && !p.practitioners.includes(id)) p.practitioners.push(id);
        }
      }

      const describe = async (a: Appointment, proposed: boolean): Promise<string> => {
        const who = await Promise.all(
          (a.participant ?? []).flatMap((p) => {
            const id = refId(p.actor, 'Practitioner');
            return id ? [practitionerName(id, p.actor)] : [];
          }),
        );
        const what = a.appointmentType?.text ?? a.appointmentType?.coding?.[0]?.display ?? a.description;
        return (
          `**${formatWhen(a.start, a.end ?? endOf(a, settings.defaultAppointmentMinutes))}**` +
          (who.length ? ` with ${who.join(', ')}` : '') +
          `, status *${a.status}*` +
          (what ? ` — ${escapeMd(what)}` : '') +
          (proposed ? ` (another proposed appointment of this request${a.id ? `, Appointment/${a.id}` : ''})` : ` (Appointment/${a.id})`)
        );
      };
      const conflictList = async (conflicts: Conflict[]): Promise<string> => {
        const shown = conflicts.slice(0, settings.maxConflictsListed);
        const lines = await Promise.all(shown.map(async (c) => `- ${await describe(c.appointment, c.proposed)}`));
        if (conflicts.length > shown.length) lines.push(`- and ${conflicts.length - shown.length} more`);
        return lines.join('\n');
      };
      const whyList = (conflicts: Conflict[]): string =>
        conflicts
          .map((c) => `${c.appointment.id ? `Appointment/${c.appointment.id}` : 'another proposal'} (${c.appointment.status}, ${c.appointment.start}–${c.appointment.end ?? '?'})`)
          .join(', ');

      for (const p of proposals) {
        const a = p.appointment;
        const when = formatWhen(a.start, a.end ?? endOf(a, settings.defaultAppointmentMinutes));
        const proposalName = a.id ? `Appointment/${a.id}` : `proposed appointment #${p.index + 1}`;
        const suggestions = (practitioner: string | undefined, name: string): Promise<CdsSuggestion[]> =>
          alternatives(p, practitioner, name, proposals, input.now);

        // (2) the patient's own overlapping appointments
        const patientConflictIds = new Set<string>();
        for (const patient of p.patients) {
          const stored = await fhir.search<Appointment>(
            `Appointment?patient=${q(`Patient/${patient}`)}&date=ge${q(iso(p.interval.start - lookback))}&date=lt${q(iso(p.interval.end))}&_count=100`,
            500,
          );
          const conflicts: Conflict[] = [
            ...stored.filter((o) => isConflict(o, p, 'Patient', patient)).map((o) => ({ appointment: o, proposed: false })),
            ...proposals.filter((o) => o.index !== p.index && o.patients.includes(patient) && overlaps(o.interval, p.interval)).map((o) => ({ appointment: o.appointment, proposed: true })),
          ];
          if (!conflicts.length) continue;
          for (const c of conflicts) if (c.appointment.id) patientConflictIds.add(c.appointment.id);
          const r = rule('scheduling/patient-overlap');
          const firstPractitioner = p.practitioners[0];
          const pname = firstPractitioner ? await practitionerName(firstPractitioner, participantRef(a, firstPractitioner)) : '';
          cards.push(
            card(r, fill(r.summary, { patient: patientName(patient), when }), `${escapeMd(patientName(patient))} already has ${conflicts.length === 1 ? 'an appointment' : `${conflicts.length} appointments`} overlapping the proposed ${when}:\n\n${await conflictList(conflicts)}`,
              await suggestions(firstPractitioner, pname)),
          );
          fired.push({ rule: r.id, version: rules.version, why: `${proposalName} (${a.start}–${a.end ?? '?'}) for Patient/${patient} overlaps ${whyList(conflicts)}` });
        }

        // (1) practitioner double-booking (an appointment of the same patient is the patient rule's)
        let doubleBooked = false;
        for (const practitioner of p.practitioners) {
          const stored = await fhir.search<Appointment>(
            `Appointment?practitioner=${q(`Practitioner/${practitioner}`)}&date=ge${q(iso(p.interval.start - lookback))}&date=lt${q(iso(p.interval.end))}&_count=100`,
            500,
          );
          const conflicts: Conflict[] = [
            ...stored.filter((o) => isConflict(o, p, 'Practitioner', practitioner) && !patientConflictIds.has(o.id ?? '')).map((o) => ({ appointment: o, proposed: false })),
            ...proposals
              .filter((o) => o.index !== p.index && o.practitioners.includes(practitioner) && overlaps(o.interval, p.interval) && !o.patients.some((x) => p.patients.includes(x)))
              .map((o) => ({ appointment: o.appointment, proposed: true })),
          ];
          if (!conflicts.length) continue;
          doubleBooked = true;
          const name = await practitionerName(practitioner, participantRef(a, practitioner));
          const r = rule('scheduling/practitioner-double-booking');
          cards.push(
            card(r, fill(r.summary, { practitioner: name, when }), `${escapeMd(name)} already has ${conflicts.length === 1 ? 'an appointment' : `${conflicts.length} appointments`} overlapping the proposed ${when}:\n\n${await conflictList(conflicts)}`,
              await suggestions(practitioner, name)),
          );
          fired.push({ rule: r.id, version: rules.version, why: `${proposalName} (${a.start}–${a.end ?? '?'}) for Practitioner/${practitioner} overlaps ${whyList(conflicts)}` });
        }

        // (3) outside the practitioner's Schedule and Slots
        const slotIds = (a.slot ?? []).flatMap((s) => refId(s, 'Slot') ?? []);
        const allSchedules = new Map<string, Schedule>();
        for (const practitioner of p.practitioners) for (const s of await schedulesOf(practitioner)) if (s.id) allSchedules.set(s.id, s);
        for (const practitioner of p.practitioners) {
          const name = await practitionerName(practitioner, participantRef(a, practitioner));
          const schedules = await schedulesOf(practitioner);
          const covering = schedules.filter((s) => horizonCovers(s, p.interval));
          if (!covering.length) {
            const r = rule('scheduling/no-schedule');
            const horizons = schedules.map((s) => `- Schedule/${s.id}: ${formatWhen(s.planningHorizon?.start, s.planningHorizon?.end)}`).join('\n');
            cards.push(
              card(r, fill(r.summary, { practitioner: name, when }),
                schedules.length
                  ? `None of the schedules of ${escapeMd(name)} covers the proposed ${when}. Their planning horizons:\n\n${horizons}`
                  : `${escapeMd(name)} has no active schedule in this system: the proposed ${when} cannot be checked against clinic hours.`,
                await suggestions(practitioner, name)),
            );
            fired.push({ rule: r.id, version: rules.version, why: schedules.length
              ? `${proposalName} (${a.start}–${a.end ?? '?'}): no planningHorizon of ${schedules.map((s) => `Schedule/${s.id}`).join(', ')} (Practitioner/${practitioner}) covers it`
              : `${proposalName} (${a.start}–${a.end ?? '?'}): Practitioner/${practitioner} has no active Schedule` });
            continue;
          }
          if (slotIds.length) continue; // the referenced Slots are checked once below
          const slots = (await Promise.all(covering.map((s) =>
            fhir.search<Slot>(`Slot?schedule=${q(`Schedule/${s.id}`)}&start=ge${q(iso(p.interval.start - lookback))}&start=lt${q(iso(p.interval.end))}&_count=100`, 1000),
          ))).flat();
          const blocked = slots.filter((s) => settings.blockedSlotStatuses.includes(s.status) && overlapsSlot(s, p.interval));
          const bookable = slots.filter((s) => settings.bookableSlotStatuses.includes(s.status)).flatMap((s) => slotInterval(s) ?? []);
          if (!blocked.length && covers(bookable, p.interval)) continue;
          const r = rule('scheduling/outside-slots');
          const problem = blocked.length ? 'in blocked time of' : 'outside the bookable slots of';
          const detail = blocked.length
            ? `The proposed ${when} falls on time ${escapeMd(name)} has blocked:\n\n${blocked.map((s) => `- Slot/${s.id} ${formatWhen(s.start, s.end)}, status *${s.status}*${s.comment ? ` — ${escapeMd(s.comment)}` : ''}`).join('\n')}`
            : `The proposed ${when} is not covered by the bookable slots of ${escapeMd(name)}'s schedule${covering.length > 1 ? 's' : ''} (${covering.map((s) => `Schedule/${s.id}${s.comment ? `: ${escapeMd(s.comment)}` : ''}`).join('; ')}).`;
          cards.push({
            ...card(r, fill(r.summary, { practitioner: name, when, problem }), detail, await suggestions(practitioner, name)),
            indicator: blocked.length ? (r.indicatorWhenBlocked ?? r.indicator) : r.indicator,
          });
          fired.push({ rule: r.id, version: rules.version, why: blocked.length
            ? `${proposalName} (${a.start}–${a.end ?? '?'}) overlaps blocked ${blocked.map((s) => `Slot/${s.id} (${s.status}, ${s.start}–${s.end})`).join(', ')} of Practitioner/${practitioner}`
            : `${proposalName} (${a.start}–${a.end ?? '?'}) is not covered by the bookable Slots of ${covering.map((s) => `Schedule/${s.id}`).join(', ')} (Practitioner/${practitioner}); ${bookable.length} bookable slot(s) near it` });
        }

        // the referenced Slots: exist, free, in a schedule of one of the practitioners, containing the time
        if (slotIds.length && p.practitioners.length && allSchedules.size) {
          const problems: string[] = [];
          const why: string[] = [];
          const slots: Slot[] = [];
          for (const id of slotIds) {
            const slot = await fhir.read<Slot>('Slot', id);
            if (!slot) {
              problems.push(`Slot/${id} does not exist`);
              why.push(`Slot/${id} not found`);
              continue;
            }
            slots.push(slot);
            const scheduleId = refId(slot.schedule, 'Schedule');
            if (!scheduleId || !allSchedules.has(scheduleId)) {
              problems.push(`Slot/${id} belongs to ${scheduleId ? `Schedule/${scheduleId}` : 'no schedule'}, not to a schedule of the appointment's practitioner`);
              why.push(`Slot/${id} is in ${scheduleId ? `Schedule/${scheduleId}` : 'no Schedule'}, not in ${[...allSchedules.keys()].map((k) => `Schedule/${k}`).join(', ')}`);
            }
            // a busy Slot whose holder the double-booking card already names is not said twice
            if (slot.status !== 'free' && !(slot.status === 'busy' && doubleBooked)) {
              problems.push(`Slot/${id} (${formatWhen(slot.start, slot.end)}) is *${slot.status}*, not free`);
              why.push(`Slot/${id} status ${slot.status}`);
            }
          }
          const inSlots = slots.flatMap((s) => slotInterval(s) ?? []);
          if (slots.length && !covers(inSlots, p.interval)) {
            problems.push(`the proposed ${when} is not within the chosen slot${slots.length > 1 ? 's' : ''} (${slots.map((s) => formatWhen(s.start, s.end)).join(', ')})`);
            why.push(`${a.start}–${a.end ?? '?'} not within ${slots.map((s) => `Slot/${s.id} ${s.start}–${s.end}`).join(', ')}`);
          }
          if (problems.length) {
            const r = rule('scheduling/slot-unavailable');
            const practitioner = p.practitioners[0];
            const name = await practitionerName(practitioner, participantRef(a, practitioner));
            const problem = why.some((w) => w.includes('status')) ? 'not free' : why.some((w) => w.includes('not found')) ? 'missing' : why.some((w) => w.includes('not within')) ? 'at another time' : "not in the practitioner's schedule";
            cards.push(card(r, fill(r.summary, { practitioner: name, when, problem }), `The proposed appointment cannot take its slot:\n\n${problems.map((x) => `- ${x}`).join('\n')}`, await suggestions(practitioner, name)));
            fired.push({ rule: r.id, version: rules.version, why: `${proposalName}: ${why.join('; ')}` });
          }
        }
      }
      for (const c of cards) withLinks(c, appLink(input, 'scheduling'));
      return { cards, fired };

      // -- helpers that need the request -------------------------------------------------------------

      function isConflict(o: Appointment, p: Proposal, type: 'Patient' | 'Practitioner', id: string): boolean {
        if (o.id && o.id === p.appointment.id) return false;
        if (inactive.has(o.status)) return false;
        const holds = (o.participant ?? []).some((x) => refId(x.actor, type) === id && x.status !== declined);
        if (!holds) return false;
        const iv = appointmentInterval(o, settings.defaultAppointmentMinutes);
        return !!iv && overlaps(iv, p.interval);
      }

      function card(r: SchedulingRule, summary: string, detail: string, suggestions: CdsSuggestion[]): CdsCard {
        const c: CdsCard = {
          summary: clip(summary, 140),
          detail: `${detail}\n\n*${r.title}* — Meridian scheduling rules ${rules.version}, rule \`${r.id}\`.`,
          indicator: r.indicator,
          // the topic is the rule, in the system the decision records (AuditEvents) name fired rules with
          source: { label: 'Meridian scheduling rules', topic: { system: CDS_RULE_SYSTEM, code: r.id, display: r.title } },
          overrideReasons: r.overrideReasons.map((code): Coding => ({ system: rules.overrideReasonSystem, code, display: reasonDisplay.get(code) })),
        };
        if (suggestions.length) {
          c.suggestions = suggestions;
          c.selectionBehavior = 'at-most-one';
        }
        return c;
      }

      /** "Book the next free slot instead" (when one is found) and "Remove this proposal" (when it has an id). */
      async function alternatives(p: Proposal, practitioner: string | undefined, name: string, all: Proposal[], at: Date): Promise<CdsSuggestion[]> {
        const out: CdsSuggestion[] = [];
        if (practitioner) {
          const key = `${p.index}|${practitioner}`;
          let found = nextSlots.get(key);
          if (!found) nextSlots.set(key, (found = nextFreeSlot(p, practitioner, all, at)));
          const next = await found;
          if (next) {
            const moved: Appointment = { ...p.appointment, start: next.start, end: next.end, slot: next.slots.map((s) => ({ reference: `Slot/${s.id}` })) };
            const action: CdsAction = { type: 'update', description: `Move the proposed appointment to ${formatWhen(next.start, next.end)} with ${name}`, resource: moved };
            out.push({ label: clip(`Book the next free slot instead: ${formatWhen(next.start, next.end)} with ${name}`, 140), isRecommended: true, actions: [action] });
          }
        }
        if (p.appointment.id) {
          out.push({ label: 'Remove this proposed appointment', actions: [{ type: 'delete', description: 'Remove the proposed appointment', resourceId: [`Appointment/${p.appointment.id}`] }] });
        }
        return out;
      }

      /** The first free Slot (run of free Slots) of the practitioner at or after the proposed start (or now) that fits the
       *  proposal's length and overlaps no active appointment of the practitioner or the patient, nor another proposal. */
      async function nextFreeSlot(p: Proposal, practitioner: string, all: Proposal[], at: Date): Promise<{ start: string; end: string; slots: Slot[] } | undefined> {
        const length = p.interval.end - p.interval.start;
        const from = Math.max(p.interval.start, at.getTime());
        const until = from + settings.nextFreeSlotSearchDays * DAY;
        const schedules = await schedulesOf(practitioner);
        const free = (await Promise.all(schedules.map((s) =>
          fhir.search<Slot>(`Slot?schedule=${q(`Schedule/${s.id}`)}&status=free&start=ge${q(iso(from))}&start=lt${q(iso(until))}&_sort=start&_count=100`, settings.nextFreeSlotCandidates),
        ))).flat()
          .flatMap((s) => { const iv = slotInterval(s); return iv && s.status === 'free' ? [{ slot: s, iv }] : []; })
          .sort((x, y) => x.iv.start - y.iv.start);
        let checked = 0;
        for (let i = 0; i < free.length && checked < 20; i++) {
          const first = free[i];
          if (first.iv.start < from) continue;
          const want: Interval = { start: first.iv.start, end: first.iv.start + length };
          // a run of back-to-back free slots long enough for the appointment
          const run = [first];
          let reach = first.iv.end;
          for (let j = i + 1; reach < want.end && j < free.length && free[j].iv.start <= reach; j++) {
            if (free[j].iv.end > reach) {
              run.push(free[j]);
              reach = free[j].iv.end;
            }
          }
          if (reach < want.end) continue;
          if (all.some((o) => o.index !== p.index && overlaps(o.interval, want) && (o.practitioners.includes(practitioner) || o.patients.some((x) => p.patients.includes(x))))) continue;
          checked++;
          const window = `date=ge${q(iso(want.start - lookback))}&date=lt${q(iso(want.end))}&_count=100`;
          const mine = await fhir.search<Appointment>(`Appointment?practitioner=${q(`Practitioner/${practitioner}`)}&${window}`, 500);
          const probe: Proposal = { ...p, interval: want };
          if (mine.some((o) => isConflict(o, probe, 'Practitioner', practitioner))) continue;
          let patientBusy = false;
          for (const patient of p.patients) {
            const theirs = await fhir.search<Appointment>(`Appointment?patient=${q(`Patient/${patient}`)}&${window}`, 500);
            if (theirs.some((o) => isConflict(o, probe, 'Patient', patient))) patientBusy = true;
          }
          if (patientBusy) continue;
          const last = run[run.length - 1];
          const end = last.iv.end === want.end ? last.slot.end! : iso(want.end);
          return { start: first.slot.start!, end, slots: run.filter((r) => r.iv.start < want.end).map((r) => r.slot) };
        }
        return undefined;
      }
    },
  };
}

// ---- small helpers --------------------------------------------------------------------------------

function proposalsOf(appointments: unknown, defaultMinutes: number, declined: string, inactive: Set<string>, patientId: string | undefined): Proposal[] {
  const resources: Resource[] = Array.isArray(appointments)
    ? (appointments as Resource[])
    : ((appointments as Bundle | undefined)?.entry ?? []).flatMap((e) => (e.resource ? [e.resource] : []));
  const out: Proposal[] = [];
  resources.forEach((r, index) => {
    if (r?.resourceType !== 'Appointment') return;
    const appointment = r as Appointment;
    if (inactive.has(appointment.status)) return;
    const interval = appointmentInterval(appointment, defaultMinutes);
    if (!interval) return;
    const patients = new Set(participantIds(appointment, 'Patient', declined));
    if (patientId) patients.add(patientId);
    out.push({ index, appointment, interval, practitioners: [...new Set(participantIds(appointment, 'Practitioner', declined))], patients: [...patients] });
  });
  return out;
}

function endOf(a: Appointment, defaultMinutes: number): string | undefined {
  const iv = appointmentInterval(a, defaultMinutes);
  return iv ? iso(iv.end) : undefined;
}

function participantRef(a: Appointment, practitioner: string): Reference | undefined {
  return a.participant?.find((p) => refId(p.actor, 'Practitioner') === practitioner)?.actor;
}

function horizonCovers(s: Schedule, iv: Interval): boolean {
  const start = s.planningHorizon?.start ? Date.parse(s.planningHorizon.start) : -Infinity;
  const end = s.planningHorizon?.end ? Date.parse(s.planningHorizon.end) : Infinity;
  return (Number.isNaN(start) || start <= iv.start) && (Number.isNaN(end) || iv.end <= end);
}

function overlapsSlot(s: Slot, iv: Interval): boolean {
  const si = slotInterval(s);
  return !!si && overlaps(si, iv);
}

/** Whether the union of the intervals covers [start, end) without a gap. */
function covers(intervals: Interval[], iv: Interval): boolean {
  let reach = iv.start;
  for (const x of [...intervals].sort((a, b) => a.start - b.start)) {
    if (x.start > reach) break;
    if (x.end > reach) reach = x.end;
    if (reach >= iv.end) return true;
  }
  return reach >= iv.end;
}

function humanName(p: Practitioner | Patient): string | undefined {
  const n = p.name?.[0];
  if (!n) return undefined;
  if (n.text) return n.text;
  const parts = [...(n.prefix ?? []), ...(n.given ?? []), n.family ?? ''].filter(Boolean);
  return parts.length ? parts.join(' ') : undefined;
}

function memo<T>(f: (key: string) => Promise<T>): (key: string) => Promise<T> {
  const cache = new Map<string, Promise<T>>();
  return (key) => {
    let v = cache.get(key);
    if (!v) {
      v = f(key);
      cache.set(key, v);
    }
    return v;
  };
}

const fill = (template: string, values: Record<string, string>): string => template.replace(/\{(\w+)\}/g, (m, k: string) => values[k] ?? m);
const clip = (s: string, max: number): string => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);
const escapeMd = (s: string): string => s.replace(/([\\`*_[\]<>])/g, '\\$1');

export const appointmentBook: CdsService = appointmentBookService();
