// Scheduling (EHR launch, a patient in context; for reception desks and clinicians): find a
// practitioner by specialty and location with their next free slots ("provider matching"), a day or
// week calendar per practitioner, book a Slot (an Appointment booked and the Slot made busy in one
// transaction Bundle, the Slot guarded by its version so that a slot taken meanwhile fails cleanly),
// move an appointment to another slot, cancel it (the slot freed), mark a missed one as no-show.
// Before any booking or move, the appointment-book CDS services see the proposal; their cards
// (double booking, overlaps, outside the schedule) are shown and must be acted on or overridden.
// Requests: patients ask for a slot from the portal (an Appointment "proposed" naming the Slot; a
// patient cannot write the Slot). The Requests section lists the practice's open requests; confirming
// one goes through the same review (appointment-book CDS) and the same transaction as a booking (the
// Appointment booked, the practitioner accepted, the Slot busy under If-Match); declining one cancels
// the Appointment with a reason and leaves the Slot alone.
import { css, html, LitElement, nothing } from 'lit';
import type { Appointment, Bundle, BundleEntry, CodeableConcept, Coding, Location, Patient, Practitioner, PractitionerRole, Schedule, Slot } from '@medplum/fhirtypes';
import { callHook, sendFeedback, type Card, type HookResult } from '../shared/cds.js';
import type { CardEvent } from '../shared/cds-cards.js';
import '../shared/cds-cards.js';
import { conceptText, entries, FhirError, formatDate, humanName, messageOf } from '../shared/fhir.js';
import { smartLinkLauncher } from '../shared/launch.js';
import { fhirRequest, signOut, startSession, userName, type Session } from '../shared/smart.js';
import { baseStyles } from '../shared/ui.js';
import '../shared/ui.js';
import { addDays, startOfDay, startOfWeek, type CalendarView } from './calendar.js';
import './calendar.js';

interface Who {
  practitioner: string; // Practitioner/id
  name: string;
  location?: string; // Location/id
  locationName?: string;
  specialty?: CodeableConcept;
}

/** A patient's request from the portal: a proposed Appointment naming a Slot. */
interface Request {
  appointment: Appointment;
  patientId: string;
  patientName: string;
  practitioner: string;
  practitionerName: string;
}

interface Match extends Who {
  schedules: Schedule[];
  next: Slot[];
}

interface Proposal {
  /** book: a new appointment; move: the appointment to another slot; request: confirm a patient's request */
  kind: 'book' | 'move' | 'request';
  who: Who;
  patient: { id: string; name: string };
  slot: Slot;
  /** the slot is taken: booking it anyway is a double booking */
  busy: boolean;
  /** move: the appointment moved; request: the requested Appointment as read (its version guards the write) */
  moving?: Appointment;
  appointment: Appointment;
  cards: Card[];
  serviceOf: Record<string, string>;
  checking: boolean;
  /** cards that need an answer were overridden (with a reason) */
  overridden: boolean;
  cdsNote: string;
}

const CANCEL_REASONS: Coding[] = [
  { system: 'http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason', code: 'pat', display: 'Patient' },
  { system: 'http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason', code: 'prov', display: 'Provider' },
  { system: 'http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason', code: 'oth', display: 'Other' },
];

const whenFormat = new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });
const shortFormat = new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
const when = (iso?: string) => (iso ? whenFormat.format(new Date(iso)) : '');
const codingKey = (c?: Coding) => (c ? `${c.system ?? ''}|${c.code ?? ''}` : '');
const refOf = (r?: { reference?: string }) => r?.reference ?? '';
const isoAt = (d: Date) => d.toISOString();
const participantOf = (a: Appointment, type: string) => a.participant?.find((p) => refOf(p.actor).startsWith(`${type}/`))?.actor;
/** Reads whose version guards a write: never from the browser's HTTP cache (a read answered with Last-Modified and no
 *  Cache-Control may be reused heuristically, and a stale version would be sent as If-Match). */
const FRESH: RequestInit = { cache: 'no-cache' };
const versionOf = (r: { meta?: { versionId?: string } }) => (r.meta?.versionId ? `W/"${r.meta.versionId}"` : undefined);

export class SchedulingApp extends LitElement {
  static properties = {
    user: { state: true },
    patient: { state: true },
    specialties: { state: true },
    locations: { state: true },
    specialty: { state: true },
    location: { state: true },
    found: { state: true },
    searched: { state: true },
    calendarOf: { state: true },
    calendarStart: { state: true },
    calendarView: { state: true },
    calendarSlots: { state: true },
    calendarAppointments: { state: true },
    appointments: { state: true },
    proposal: { state: true },
    moving: { state: true },
    cancelling: { state: true },
    requests: { state: true },
    requestsError: { state: true },
    declining: { state: true },
    notice: { state: true },
    loading: { state: true },
    error: { state: true },
    actionError: { state: true },
  };
  session?: Session;
  user = '';
  patient?: Patient;
  specialties: Coding[] = [];
  locations: Location[] = [];
  specialty = '';
  location = '';
  found: Match[] = [];
  searched = false;
  calendarOf?: Match;
  calendarStart = startOfWeek(new Date());
  calendarView: CalendarView = 'week';
  calendarSlots: Slot[] = [];
  calendarAppointments: Appointment[] = [];
  appointments: Appointment[] = [];
  proposal?: Proposal;
  moving?: Appointment;
  cancelling = '';
  requests?: Request[];
  requestsError = '';
  declining = '';
  notice = '';
  loading = 'Signing in…';
  error = '';
  actionError = '';
  private names = new Map<string, string>();

  static styles = [
    baseStyles,
    css`
      .layout { display: grid; grid-template-columns: minmax(0, 1.6fr) minmax(20rem, 1fr); gap: 1rem; align-items: start; }
      @media (max-width: 1000px) { .layout { grid-template-columns: 1fr; } }
      section.card { margin-bottom: 1rem; }
      .matches li { display: grid; grid-template-columns: minmax(12rem, 1fr) 2fr; gap: 0.5rem 1rem; padding: 0.6rem 0; border-bottom: 1px solid var(--m-border); }
      @media (max-width: 700px) { .matches li { grid-template-columns: 1fr; } }
      .slots { display: flex; flex-wrap: wrap; gap: 0.4rem; align-items: center; }
      .slots button { font-size: 0.88rem; }
      .cal-head { display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: center; justify-content: space-between; margin-bottom: 0.6rem; }
      .proposal { border: 2px solid var(--m-primary); }
      .proposal dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; margin: 0 0 0.75rem; }
      .proposal dt { font-weight: 600; color: var(--m-muted); }
      .proposal dd { margin: 0; }
      .appts li { padding: 0.55rem 0; border-bottom: 1px solid var(--m-border); }
      .appts .line { display: flex; justify-content: space-between; gap: 0.5rem; flex-wrap: wrap; align-items: baseline; }
      .appts .actions { display: flex; flex-wrap: wrap; gap: 0.4rem; margin-top: 0.35rem; align-items: flex-end; }
      .notice { padding: 0.6rem 0.9rem; border-radius: var(--m-radius); margin: 0.5rem 0; }
      h3.sub { margin-top: 0.75rem; font-size: 0.95rem; color: var(--m-muted); }
      .small { font-size: 0.88rem; margin: 0 0 0.5rem; }
      .req-head h2 { margin: 0; }
      form.decline { margin-top: 0.4rem; }
      form.decline .field { flex: 1 1 14rem; }
    `,
  ];

  async connectedCallback() {
    super.connectedCallback();
    try {
      this.session = await startSession();
      if (!this.session) return;
      if (!this.session.patientId) throw new Error('Open Scheduling for a patient (from the launcher or your EHR): no patient is in context.');
      this.loading = 'Loading…';
      const [user, patient, roles] = await Promise.all([
        userName(this.session),
        fhirRequest<Patient>(this.session, `Patient/${this.session.patientId}`),
        fhirRequest<Bundle>(this.session, 'PractitionerRole?active=true&_count=200&_include=PractitionerRole:location'),
        this.loadAppointments(),
        this.loadRequests(),
      ]);
      this.user = user;
      this.patient = patient;
      const specialties = new Map<string, Coding>();
      for (const r of entries<PractitionerRole>(roles, 'PractitionerRole')) for (const s of r.specialty ?? []) for (const c of s.coding ?? []) if (c.code) specialties.set(codingKey(c), c);
      this.specialties = [...specialties.values()].sort((a, b) => (a.display ?? '').localeCompare(b.display ?? ''));
      this.locations = entries<Location>(roles, 'Location').sort((a, b) => (a.name ?? '').localeCompare(b.name ?? ''));
    } catch (e) {
      this.error = messageOf(e);
    } finally {
      this.loading = '';
    }
  }

  // ---- data -----------------------------------------------------------------------------------

  private async loadAppointments() {
    const bundle = await fhirRequest<Bundle>(this.session!, `Appointment?patient=Patient/${this.session!.patientId}&_sort=-date&_count=100`);
    this.appointments = entries<Appointment>(bundle, 'Appointment');
  }

  /** The practice's open requests (not only the patient in context), soonest first, with the patients' names. */
  private async loadRequests() {
    try {
      const bundle = await fhirRequest<Bundle>(this.session!, 'Appointment?status=proposed&_sort=date&_count=100&_include=Appointment:patient');
      const patients = new Map(entries<Patient>(bundle, 'Patient').map((p) => [`Patient/${p.id}`, humanName(p.name)]));
      this.requests = entries<Appointment>(bundle, 'Appointment').map((a) => {
        const patient = participantOf(a, 'Patient');
        const practitioner = participantOf(a, 'Practitioner');
        return {
          appointment: a,
          patientId: refOf(patient).split('/').pop() ?? '',
          patientName: patients.get(refOf(patient)) ?? patient?.display ?? 'Unknown patient',
          practitioner: refOf(practitioner),
          practitionerName: practitioner?.display ?? refOf(practitioner),
        };
      });
      this.requestsError = '';
    } catch (e) {
      this.requestsError = `Requests could not be loaded: ${messageOf(e)}`;
    }
  }

  private async practitionerName(ref: string): Promise<string> {
    if (!this.names.has(ref)) {
      const p = await fhirRequest<Practitioner>(this.session!, ref).catch(() => undefined);
      this.names.set(ref, p ? humanName(p.name) : ref);
    }
    return this.names.get(ref)!;
  }

  /** Provider matching: roles of the specialty (and location), each practitioner's next free slots, soonest first. */
  private async search(e?: Event, keepError = false) {
    e?.preventDefault();
    const session = this.session!;
    this.loading = 'Finding practitioners and free slots…';
    if (!keepError) this.actionError = '';
    try {
      const q = new URLSearchParams({ active: 'true', _count: '100', _include: 'PractitionerRole:practitioner' });
      if (this.specialty) q.set('specialty', this.specialty);
      if (this.location) q.set('location', this.location);
      const bundle = await fhirRequest<Bundle>(session, `PractitionerRole?${q}`);
      const practitioners = new Map(entries<Practitioner>(bundle, 'Practitioner').map((p) => [`Practitioner/${p.id}`, p]));
      const roles = entries<PractitionerRole>(bundle, 'PractitionerRole');
      const seen = new Set<string>();
      const now = isoAt(new Date());
      const matches = await Promise.all(
        roles.flatMap((r) => {
          const ref = refOf(r.practitioner);
          if (!ref || seen.has(ref)) return [];
          seen.add(ref);
          return [
            (async (): Promise<Match> => {
              const p = practitioners.get(ref);
              const name = p ? humanName(p.name) : (r.practitioner?.display ?? (await this.practitionerName(ref)));
              this.names.set(ref, name);
              const schedules = entries<Schedule>(await fhirRequest<Bundle>(session, `Schedule?actor=${ref}&active=true&_count=20`), 'Schedule');
              const next = schedules.length
                ? entries<Slot>(await fhirRequest<Bundle>(session, `Slot?schedule=${schedules.map((s) => `Schedule/${s.id}`).join(',')}&status=free&start=ge${encodeURIComponent(now)}&_sort=start&_count=4`), 'Slot')
                : [];
              const loc = r.location?.[0];
              return { practitioner: ref, name, location: refOf(loc) || undefined, locationName: loc?.display, specialty: r.specialty?.[0], schedules, next };
            })(),
          ];
        }),
      );
      this.found = matches.sort((a, b) => (a.next[0]?.start ?? '9999').localeCompare(b.next[0]?.start ?? '9999'));
      this.searched = true;
    } catch (err) {
      this.actionError = messageOf(err);
    } finally {
      this.loading = '';
    }
  }

  private async openCalendar(m: Match, around?: string) {
    this.calendarOf = m;
    const day = around ? new Date(around) : new Date();
    this.calendarStart = this.calendarView === 'week' ? startOfWeek(day) : startOfDay(day);
    await this.loadCalendar();
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLElement>('#calendar-title')?.focus();
  }

  private async loadCalendar() {
    const m = this.calendarOf;
    if (!m) return;
    const from = this.calendarStart;
    const to = addDays(from, this.calendarView === 'week' ? 7 : 1);
    try {
      const range = `start=ge${encodeURIComponent(isoAt(from))}&start=lt${encodeURIComponent(isoAt(to))}`;
      const [slots, appointments] = await Promise.all([
        m.schedules.length
          ? fhirRequest<Bundle>(this.session!, `Slot?schedule=${m.schedules.map((s) => `Schedule/${s.id}`).join(',')}&${range}&_sort=start&_count=300`)
          : Promise.resolve(undefined),
        fhirRequest<Bundle>(this.session!, `Appointment?practitioner=${m.practitioner}&date=ge${encodeURIComponent(isoAt(from))}&date=lt${encodeURIComponent(isoAt(to))}&_count=300`),
      ]);
      this.calendarSlots = entries<Slot>(slots, 'Slot');
      this.calendarAppointments = entries<Appointment>(appointments, 'Appointment');
    } catch (e) {
      this.actionError = messageOf(e);
    }
  }

  private async shiftCalendar(days: number) {
    this.calendarStart = addDays(this.calendarStart, days);
    await this.loadCalendar();
  }

  private async setView(view: CalendarView) {
    this.calendarView = view;
    this.calendarStart = view === 'week' ? startOfWeek(this.calendarStart) : this.calendarStart;
    await this.loadCalendar();
  }

  // ---- proposing: the appointment, then appointment-book CDS -------------------------------------

  private async propose(who: Who, slot: Slot, busy: boolean) {
    const patient = this.patient!;
    const moving = this.moving;
    const appointment: Appointment = {
      ...(moving ?? {}),
      resourceType: 'Appointment',
      status: moving ? moving.status : 'proposed',
      serviceCategory: moving?.serviceCategory ?? slot.serviceCategory,
      specialty: moving?.specialty ?? slot.specialty ?? (who.specialty ? [who.specialty] : undefined),
      appointmentType: moving?.appointmentType ?? slot.appointmentType,
      description: moving?.description ?? `${who.specialty ? conceptText(who.specialty) : 'Clinic'} appointment`,
      start: slot.start,
      end: slot.end,
      minutesDuration: Math.round((Date.parse(slot.end) - Date.parse(slot.start)) / 60000),
      slot: [{ reference: `Slot/${slot.id}` }],
      created: moving?.created ?? new Date().toISOString(),
      participant: [
        { actor: { reference: `Patient/${patient.id}`, display: humanName(patient.name) }, required: 'required', status: 'accepted' },
        { actor: { reference: who.practitioner, display: who.name }, required: 'required', status: 'accepted' },
        ...(who.location ? [{ actor: { reference: who.location, display: who.locationName }, required: 'required' as const, status: 'accepted' as const }] : []),
      ],
    };
    const inContext = { id: patient.id!, name: humanName(patient.name) };
    await this.review({ kind: moving ? 'move' : 'book', who, patient: inContext, slot, busy, moving, appointment, cards: [], serviceOf: {}, checking: true, overridden: false, cdsNote: '' });
  }

  private async review(p: Proposal) {
    this.proposal = p;
    this.actionError = '';
    this.notice = '';
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLElement>('#proposal-title')?.focus();
    await this.checkProposal();
  }

  /** Confirming a request: the same review as a booking, for the request's patient, at its slot (or another one a card offers). */
  private async reviewRequest(r: Request, slotRef?: string) {
    this.declining = '';
    this.loading = 'Reading the request…';
    try {
      // the request and its slot as they are now: their versions guard the confirmation
      const request = await fhirRequest<Appointment>(this.session!, `Appointment/${r.appointment.id}`, FRESH);
      if (request.status !== 'proposed') throw new Error(`This request is no longer open (it is ${request.status}).`);
      const ref = slotRef ?? refOf(request.slot?.[0]);
      if (!ref) throw new Error('This request names no slot: decline it, or book the patient from the calendar.');
      const slot = await fhirRequest<Slot>(this.session!, ref, FRESH);
      const location = participantOf(request, 'Location');
      const who: Who = {
        practitioner: r.practitioner,
        name: r.practitioner ? await this.practitionerName(r.practitioner) : r.practitionerName,
        location: refOf(location) || undefined,
        locationName: location?.display,
        specialty: request.specialty?.[0] ?? slot.specialty?.[0],
      };
      const appointment: Appointment = { ...request, start: slot.start, end: slot.end, slot: [{ reference: `Slot/${slot.id}` }] };
      this.loading = '';
      await this.review({ kind: 'request', who, patient: { id: r.patientId, name: r.patientName }, slot, busy: slot.status !== 'free', moving: request, appointment, cards: [], serviceOf: {}, checking: true, overridden: false, cdsNote: '' });
    } catch (e) {
      this.actionError = `Not confirmed: ${messageOf(e)}`;
      await this.loadRequests();
    } finally {
      this.loading = '';
    }
  }

  private async checkProposal() {
    const p = this.proposal;
    if (!p) return;
    const session = this.session!;
    if (!session.fhirUser) {
      this.proposal = { ...p, checking: false, cdsNote: 'Decision support was not asked: your sign-in is not linked to a practitioner record (CDS Hooks needs a userId).' };
      return;
    }
    try {
      const results: HookResult[] = await callHook(session, 'appointment-book', {
        patientId: p.patient.id,
        userId: session.fhirUser,
        appointments: { resourceType: 'Bundle', type: 'collection', entry: [{ resource: p.appointment }] },
      });
      const serviceOf: Record<string, string> = {};
      for (const r of results) for (const c of r.cards) if (c.uuid) serviceOf[c.uuid] = r.serviceId;
      if (this.proposal === p) this.proposal = { ...p, checking: false, cards: results.flatMap((r) => r.cards), serviceOf };
    } catch (e) {
      if (this.proposal === p) this.proposal = { ...p, checking: false, cdsNote: `Decision support could not be reached (${messageOf(e)}); check the calendar before confirming.` };
    }
  }

  /** A card's suggestion: "book the next free slot instead" moves the proposal to that slot. */
  private async onAccept(e: CustomEvent<CardEvent>) {
    const p = this.proposal;
    const action = e.detail.suggestion?.actions?.[0];
    if (!p) return;
    if (e.detail.card.uuid && e.detail.serviceId) {
      void sendFeedback(this.session!, e.detail.serviceId, [{ card: e.detail.card.uuid, outcome: 'accepted', acceptedSuggestions: [{ id: e.detail.suggestion?.uuid ?? '' }], outcomeTimestamp: new Date().toISOString() }]).catch(() => undefined);
    }
    if (action?.type === 'delete') {
      // for a request, removing the proposed appointment is declining it (with a reason)
      if (p.kind === 'request') this.declining = p.moving!.id!;
      this.proposal = undefined;
      return;
    }
    const moved = action?.resource as Appointment | undefined;
    const slotId = moved?.slot?.[0]?.reference?.split('/')[1];
    if (!slotId) return;
    if (p.kind === 'request') {
      const r = this.requests?.find((x) => x.appointment.id === p.moving!.id);
      if (r) await this.reviewRequest(r, `Slot/${slotId}`);
      return;
    }
    try {
      const slot = await fhirRequest<Slot>(this.session!, `Slot/${slotId}`, FRESH);
      await this.propose(p.who, slot, slot.status !== 'free');
    } catch (err) {
      this.actionError = messageOf(err);
    }
  }

  private onOverride(e: CustomEvent<CardEvent>) {
    const p = this.proposal;
    if (!p) return;
    if (e.detail.card.uuid && e.detail.serviceId) {
      void sendFeedback(this.session!, e.detail.serviceId, [
        { card: e.detail.card.uuid, outcome: 'overridden', overrideReason: e.detail.reason?.code ? { reason: { ...e.detail.reason, code: e.detail.reason.code }, userComment: e.detail.comment } : undefined, outcomeTimestamp: new Date().toISOString() },
      ]).catch(() => undefined);
    }
    this.proposal = { ...p, overridden: true };
  }

  /** Warnings and critical cards must be acted on (a suggestion) or overridden before confirming. */
  private blocking(p: Proposal) {
    return !p.overridden && p.cards.some((c) => c.indicator === 'critical' || c.indicator === 'warning');
  }

  /** A request is never confirmed into a slot that is already taken (that would be a double booking the patient did not ask for). */
  private takenRequest(p: Proposal) {
    return p.kind === 'request' && p.busy;
  }

  // ---- writing: one transaction each -------------------------------------------------------------

  private async transaction(entry: BundleEntry[]): Promise<Bundle> {
    return fhirRequest<Bundle>(this.session!, '', { method: 'POST', json: { resourceType: 'Bundle', type: 'transaction', entry } });
  }

  private conflictMessage(e: unknown, what: string, request = false): string {
    if (e instanceof FhirError && (e.status === 409 || e.status === 412)) {
      return request
        ? `${what}: the slot was taken, or the request changed, by someone else since you opened it. Nothing was saved; decline the request or offer the patient another time.`
        : `${what}: the slot was taken or changed by someone else since you opened it. Nothing was saved; pick another slot.`;
    }
    return `${what}: ${messageOf(e)}`;
  }

  private async confirm() {
    const p = this.proposal;
    if (!p || p.checking || this.blocking(p) || this.takenRequest(p)) return;
    this.loading = p.kind === 'book' ? 'Booking…' : p.kind === 'request' ? 'Confirming the request…' : 'Moving the appointment…';
    this.actionError = '';
    try {
      // the Slot is written with If-Match: if another desk booked it meanwhile the whole Bundle fails
      const slotEntry = (slot: Slot, status: Slot['status']): BundleEntry => ({
        fullUrl: `${this.session!.fhirBase}/Slot/${slot.id}`,
        resource: { ...slot, status },
        request: { method: 'PUT', url: `Slot/${slot.id}`, ifMatch: versionOf(slot) },
      });
      const entry: BundleEntry[] = [];
      if (p.kind === 'book') {
        entry.push({ fullUrl: `urn:uuid:${crypto.randomUUID()}`, resource: { ...p.appointment, status: 'booked' }, request: { method: 'POST', url: 'Appointment' } });
      } else if (p.kind === 'request') {
        // the request as read (If-Match: a patient who cancelled meanwhile is not booked), the practitioner accepting
        const req = p.moving!;
        const participant = (p.appointment.participant ?? []).map((x) => (refOf(x.actor).startsWith('Practitioner/') && x.status === 'needs-action' ? { ...x, status: 'accepted' as const } : x));
        entry.push({ fullUrl: `${this.session!.fhirBase}/Appointment/${req.id}`, resource: { ...p.appointment, status: 'booked', participant }, request: { method: 'PUT', url: `Appointment/${req.id}`, ifMatch: versionOf(req) } });
      } else {
        const old = p.moving!;
        entry.push({ fullUrl: `${this.session!.fhirBase}/Appointment/${old.id}`, resource: { ...p.appointment, status: 'booked' }, request: { method: 'PUT', url: `Appointment/${old.id}`, ifMatch: versionOf(old) } });
        for (const ref of old.slot ?? []) {
          if (ref.reference === `Slot/${p.slot.id}`) continue;
          const oldSlot = await fhirRequest<Slot>(this.session!, ref.reference!, FRESH).catch(() => undefined);
          if (oldSlot && oldSlot.status === 'busy' && !(await this.othersHold(oldSlot, old.id!))) entry.push(slotEntry(oldSlot, 'free'));
        }
      }
      if (!p.busy) entry.push(slotEntry(p.slot, 'busy'));
      await this.transaction(entry);
      this.notice =
        p.kind === 'request'
          ? `Confirmed the request of ${p.patient.name}: ${when(p.slot.start)} with ${p.who.name}.`
          : `${p.kind === 'book' ? 'Booked' : 'Moved to'} ${when(p.slot.start)} with ${p.who.name}.`;
      this.proposal = undefined;
      this.moving = undefined;
      await Promise.all([this.loadAppointments(), this.loadRequests(), this.loadCalendar(), this.searched ? this.search() : undefined]);
    } catch (e) {
      this.actionError = this.conflictMessage(e, p.kind === 'book' ? 'Not booked' : p.kind === 'request' ? 'Not confirmed' : 'Not moved', p.kind === 'request');
      this.proposal = undefined;
      await Promise.all([this.loadRequests(), this.loadCalendar(), this.searched ? this.search(undefined, true) : undefined]);
    } finally {
      this.loading = '';
    }
  }

  /** Whether an active appointment other than `except` holds the slot (a double booking): then it stays busy. */
  private async othersHold(slot: Slot, except: string): Promise<boolean> {
    const b = await fhirRequest<Bundle>(this.session!, `Appointment?slot=Slot/${slot.id}&_count=10`).catch(() => undefined);
    return entries<Appointment>(b, 'Appointment').some((a) => a.id !== except && !['cancelled', 'noshow', 'entered-in-error'].includes(a.status));
  }

  private async cancel(a: Appointment, e: Event) {
    e.preventDefault();
    const reasonCode = String(new FormData(e.target as HTMLFormElement).get('reason') ?? 'pat');
    const reason = CANCEL_REASONS.find((r) => r.code === reasonCode)!;
    this.loading = 'Cancelling…';
    this.actionError = '';
    try {
      const entry: BundleEntry[] = [
        { fullUrl: `${this.session!.fhirBase}/Appointment/${a.id}`, resource: { ...a, status: 'cancelled', cancelationReason: { coding: [reason], text: reason.display } }, request: { method: 'PUT', url: `Appointment/${a.id}`, ifMatch: versionOf(a) } },
      ];
      for (const ref of a.slot ?? []) {
        const slot = await fhirRequest<Slot>(this.session!, ref.reference!, FRESH).catch(() => undefined);
        if (slot?.status === 'busy' && !(await this.othersHold(slot, a.id!))) {
          entry.push({ fullUrl: `${this.session!.fhirBase}/Slot/${slot.id}`, resource: { ...slot, status: 'free' }, request: { method: 'PUT', url: `Slot/${slot.id}`, ifMatch: versionOf(slot) } });
        }
      }
      await this.transaction(entry);
      this.notice = `Cancelled the appointment of ${when(a.start)}; its slot is free again.`;
      this.cancelling = '';
      await Promise.all([this.loadAppointments(), this.loadCalendar()]);
    } catch (err) {
      this.actionError = this.conflictMessage(err, 'Not cancelled');
    } finally {
      this.loading = '';
    }
  }

  /** Declining a request: the Appointment cancelled with the reason, the practitioner declining; the Slot is not touched. */
  private async decline(r: Request, e: Event) {
    e.preventDefault();
    const text = String(new FormData(e.target as HTMLFormElement).get('reason') ?? '').trim();
    if (!text) return;
    const a = r.appointment;
    this.loading = 'Declining…';
    this.actionError = '';
    this.notice = '';
    try {
      const participant = (a.participant ?? []).map((x) => (refOf(x.actor).startsWith('Practitioner/') ? { ...x, status: 'declined' as const } : x));
      const cancelled: Appointment = { ...a, status: 'cancelled', participant, cancelationReason: { coding: [CANCEL_REASONS.find((c) => c.code === 'prov')!], text } };
      await fhirRequest(this.session!, `Appointment/${a.id}`, { method: 'PUT', json: cancelled, headers: versionOf(a) ? { 'If-Match': versionOf(a)! } : {} });
      this.notice = `Declined the request of ${r.patientName} for ${when(a.start)}.`;
      this.declining = '';
      if (this.proposal?.moving?.id === a.id) this.proposal = undefined;
      await Promise.all([this.loadRequests(), this.loadAppointments(), this.loadCalendar()]);
    } catch (err) {
      this.actionError =
        err instanceof FhirError && (err.status === 409 || err.status === 412)
          ? 'Not declined: the request was changed by someone else since you opened it (perhaps the patient cancelled it). Nothing was saved.'
          : `Not declined: ${messageOf(err)}`;
      await this.loadRequests();
    } finally {
      this.loading = '';
    }
  }

  private async noShow(a: Appointment) {
    this.loading = 'Saving…';
    this.actionError = '';
    try {
      await fhirRequest(this.session!, `Appointment/${a.id}`, { method: 'PUT', json: { ...a, status: 'noshow' }, headers: versionOf(a) ? { 'If-Match': versionOf(a)! } : {} });
      this.notice = `Marked the appointment of ${when(a.start)} as a no-show.`;
      await Promise.all([this.loadAppointments(), this.loadCalendar()]);
    } catch (err) {
      this.actionError = `Not saved: ${messageOf(err)}`;
    } finally {
      this.loading = '';
    }
  }

  private async startMove(a: Appointment) {
    this.moving = a;
    this.proposal = undefined;
    this.notice = '';
    const ref = refOf(participantOf(a, 'Practitioner'));
    if (!ref) return;
    const name = await this.practitionerName(ref);
    const schedules = entries<Schedule>(await fhirRequest<Bundle>(this.session!, `Schedule?actor=${ref}&active=true&_count=20`), 'Schedule');
    const loc = participantOf(a, 'Location');
    await this.openCalendar({ practitioner: ref, name, location: refOf(loc) || undefined, locationName: loc?.display, specialty: a.specialty?.[0], schedules, next: [] }, a.start);
  }

  // ---- rendering -----------------------------------------------------------------------------------

  render() {
    return html`<m-shell app-name="Scheduling" user=${this.user}>
      ${this.session ? html`<button slot="actions" @click=${signOut}>Sign out</button>` : nothing}
      <h1 class="visually-hidden">Scheduling</h1>
      <m-patient-banner .patient=${this.patient}></m-patient-banner>
      <m-status .loading=${this.loading} .error=${this.error}></m-status>
      ${this.actionError ? html`<div class="notice critical" role="alert">${this.actionError}</div>` : nothing}
      ${this.notice ? html`<div class="notice success" role="status">${this.notice}</div>` : nothing}
      ${this.patient ? this.workspace() : nothing}
    </m-shell>`;
  }

  private workspace() {
    return html`<div class="layout">
      <div>
        ${this.proposal ? this.proposalPanel(this.proposal) : nothing}
        ${this.finder()}
        ${this.calendarOf ? this.calendar(this.calendarOf) : nothing}
      </div>
      <div>
        ${this.requestList()}
        ${this.appointmentList()}
      </div>
    </div>`;
  }

  private requestList() {
    const list = this.requests ?? [];
    const now = Date.now();
    return html`<section class="card" aria-labelledby="requests-title">
      <div class="cal-head req-head">
        <h2 id="requests-title">Requests${this.requests ? html` <span class="badge ${list.length ? 'warning' : 'info'}">${list.length}</span>` : nothing}</h2>
        <button @click=${() => this.loadRequests()}>Refresh<span class="visually-hidden"> the requests</span></button>
      </div>
      <p class="muted small">Appointments patients asked for in the portal, waiting for the practice to confirm.</p>
      ${this.requestsError ? html`<p class="notice critical">${this.requestsError}</p>` : nothing}
      ${!this.requests
        ? html`<m-status loading="Loading requests…"></m-status>`
        : list.length
          ? html`<ul class="plain appts" aria-label="Appointment requests">
              ${list.map((r) => {
                const a = r.appointment;
                const passed = Date.parse(a.start ?? '') < now;
                const reviewing = this.proposal?.kind === 'request' && this.proposal.moving?.id === a.id;
                return html`<li data-request=${a.id!}>
                  <div class="line"><strong>${r.patientName}</strong>${passed ? html`<span class="badge critical">time passed</span>` : reviewing ? html`<span class="badge info">reviewing</span>` : nothing}</div>
                  <div>${when(a.start)}</div>
                  <div class="muted">with ${r.practitionerName}${a.created || a.meta?.lastUpdated ? ` · requested ${formatDate(a.created ?? a.meta?.lastUpdated)}` : ''}</div>
                  ${this.declining === a.id
                    ? html`<form class="row decline" @submit=${(e: Event) => this.decline(r, e)}>
                        <div class="field"><label for="decline-${a.id}">Reason for declining</label>
                          <input id="decline-${a.id}" name="reason" required value="The requested time is not available; please choose another."></div>
                        <button type="submit" class="danger">Decline request</button>
                        <button type="button" @click=${() => (this.declining = '')}>Keep</button>
                      </form>`
                    : html`<div class="actions">
                        ${passed ? nothing : html`<button class="primary" @click=${() => this.reviewRequest(r)}><span>Confirm</span><span class="visually-hidden"> the request of ${r.patientName} for ${when(a.start)}</span></button>`}
                        <button class="danger" @click=${() => (this.declining = a.id!)}><span>Decline</span><span class="visually-hidden"> the request of ${r.patientName} for ${when(a.start)}</span></button>
                      </div>`}
                </li>`;
              })}
            </ul>`
          : html`<p class="muted">No open requests.</p>`}
    </section>`;
  }

  private finder() {
    return html`<section class="card" aria-labelledby="find-title">
      <h2 id="find-title">Find a practitioner</h2>
      <form class="row" role="search" @submit=${this.search}>
        <div class="field"><label for="specialty">Specialty</label>
          <select id="specialty" @change=${(e: Event) => (this.specialty = (e.target as HTMLSelectElement).value)}>
            <option value="">Any specialty</option>
            ${this.specialties.map((c) => html`<option value=${codingKey(c)} ?selected=${this.specialty === codingKey(c)}>${c.display ?? c.code}</option>`)}
          </select></div>
        <div class="field"><label for="location">Location</label>
          <select id="location" @change=${(e: Event) => (this.location = (e.target as HTMLSelectElement).value)}>
            <option value="">Any location</option>
            ${this.locations.map((l) => html`<option value="Location/${l.id}" ?selected=${this.location === `Location/${l.id}`}>${l.name}</option>`)}
          </select></div>
        <button type="submit" class="primary">Find free slots</button>
      </form>
      ${this.searched
        ? this.found.length
          ? html`<ul class="plain matches" aria-label="Practitioners found">
              ${this.found.map(
                (m) => html`<li data-practitioner=${m.practitioner}>
                  <div><strong>${m.name}</strong><br><span class="muted">${conceptText(m.specialty)}${m.locationName ? ` · ${m.locationName}` : ''}</span><br>
                    ${m.schedules.length ? html`<button @click=${() => this.openCalendar(m, m.next[0]?.start)} ><span>Calendar</span><span class="visually-hidden"> of ${m.name}</span></button>` : nothing}</div>
                  <div class="slots">
                    ${m.next.length
                      ? m.next.map((s) => html`<button class=${s === m.next[0] ? 'primary' : ''} data-slot=${s.id!} @click=${() => this.propose(m, s, false)}><span class="visually-hidden">Book </span>${shortFormat.format(new Date(s.start))}<span class="visually-hidden"> with ${m.name}</span></button>`)
                      : html`<span class="muted">${m.schedules.length ? 'No free slot in the schedule' : 'No bookable schedule (hospital rota)'}</span>`}
                  </div>
                </li>`,
              )}
            </ul>`
          : html`<p class="muted">No practitioner matches.</p>`
        : nothing}
    </section>`;
  }

  private calendar(m: Match) {
    const step = this.calendarView === 'week' ? 7 : 1;
    const last = addDays(this.calendarStart, step - 1);
    const range = this.calendarView === 'week' ? `${this.calendarStart.toLocaleDateString()} – ${last.toLocaleDateString()}` : this.calendarStart.toLocaleDateString();
    return html`<section class="card" aria-labelledby="calendar-title">
      <div class="cal-head">
        <h2 id="calendar-title" tabindex="-1">${m.name}: ${range}</h2>
        <div class="row" style="align-items:center">
          <button @click=${() => this.shiftCalendar(-step)}><span aria-hidden="true">‹ </span>Previous ${this.calendarView}</button>
          <button @click=${() => this.shiftCalendar(step)}>Next ${this.calendarView}<span aria-hidden="true"> ›</span></button>
          <button aria-pressed=${this.calendarView === 'day'} @click=${() => this.setView('day')}>Day</button>
          <button aria-pressed=${this.calendarView === 'week'} @click=${() => this.setView('week')}>Week</button>
          <button @click=${() => { this.calendarOf = undefined; this.moving = undefined; }}>Close</button>
        </div>
      </div>
      ${this.moving ? html`<p class="notice info">Moving the appointment of <strong>${when(this.moving.start)}</strong>: choose a free slot.</p>` : nothing}
      <m-schedule-calendar .slots=${this.calendarSlots} .appointments=${this.calendarAppointments} .start=${this.calendarStart} view=${this.calendarView}
        practitioner=${m.name} highlight=${this.moving?.id ?? ''}
        @slot-pick=${(e: CustomEvent<{ slot: Slot; busy: boolean }>) => this.propose(m, e.detail.slot, e.detail.busy)}></m-schedule-calendar>
    </section>`;
  }

  private proposalPanel(p: Proposal) {
    const blocking = this.blocking(p);
    return html`<section class="card proposal" aria-labelledby="proposal-title">
      <h2 id="proposal-title" tabindex="-1">${p.kind === 'book' ? 'Confirm the booking' : p.kind === 'request' ? 'Confirm the request' : 'Confirm the move'}</h2>
      <dl>
        <dt>Patient</dt><dd>${p.patient.name}</dd>
        <dt>With</dt><dd>${p.who.name}${p.who.specialty ? ` (${conceptText(p.who.specialty)})` : ''}</dd>
        ${p.who.locationName ? html`<dt>Where</dt><dd>${p.who.locationName}</dd>` : nothing}
        <dt>When</dt><dd>${when(p.slot.start)}</dd>
        ${p.kind === 'move' ? html`<dt>Instead of</dt><dd>${when(p.moving!.start)}</dd>` : nothing}
        ${p.kind === 'request' && p.moving!.start !== p.slot.start ? html`<dt>Requested</dt><dd>${when(p.moving!.start)}</dd>` : nothing}
        ${p.kind === 'request' && p.moving!.created ? html`<dt>Asked on</dt><dd>${formatDate(p.moving!.created)}</dd>` : nothing}
        ${p.busy ? html`<dt>Slot</dt><dd><span class="badge warning">${p.kind === 'request' ? 'Already taken' : 'Already booked: double booking'}</span></dd>` : nothing}
      </dl>
      ${p.checking ? html`<m-status loading="Checking with decision support…"></m-status>` : nothing}
      ${p.cdsNote ? html`<p class="notice info">${p.cdsNote}</p>` : nothing}
      ${p.cards.length
        ? html`<h3>Decision support</h3>
            <m-cds-cards .cards=${p.cards} .serviceOf=${p.serviceOf} .launchLink=${smartLinkLauncher(this.session!, p.patient.id)} @cds-accept=${this.onAccept} @cds-override=${this.onOverride}></m-cds-cards>`
        : !p.checking && !p.cdsNote ? html`<p class="muted">Decision support found no conflict.</p>` : nothing}
      ${this.takenRequest(p)
        ? html`<p class="notice warning">This slot has been taken since the patient asked for it: offer another time (a card's suggestion) or decline the request.</p>`
        : blocking ? html`<p class="notice warning">Act on the card (a suggestion) or override it with a reason to confirm.</p>` : nothing}
      <div class="row">
        <button class="primary" ?disabled=${p.checking || blocking || this.takenRequest(p)} @click=${this.confirm}>${p.kind === 'book' ? 'Confirm booking' : p.kind === 'request' ? 'Confirm request' : 'Confirm move'}</button>
        <button @click=${() => (this.proposal = undefined)}>Back</button>
      </div>
    </section>`;
  }

  private appointmentList() {
    const now = Date.now();
    const upcoming = this.appointments.filter((a) => Date.parse(a.end ?? a.start ?? '') >= now).reverse();
    const past = this.appointments.filter((a) => Date.parse(a.end ?? a.start ?? '') < now);
    return html`<section class="card" aria-labelledby="appts-title">
      <h2 id="appts-title">Appointments of ${humanName(this.patient!.name)}</h2>
      <h3 class="sub">Upcoming</h3>
      ${upcoming.length ? html`<ul class="plain appts" aria-label="Upcoming appointments">${upcoming.map((a) => this.appointmentItem(a, false))}</ul>` : html`<p class="muted">None.</p>`}
      <h3 class="sub">Past</h3>
      ${past.length ? html`<ul class="plain appts" aria-label="Past appointments">${past.slice(0, 12).map((a) => this.appointmentItem(a, true))}</ul>` : html`<p class="muted">None.</p>`}
    </section>`;
  }

  private appointmentItem(a: Appointment, past: boolean) {
    const who = participantOf(a, 'Practitioner')?.display ?? '';
    const statusClass = a.status === 'booked' ? 'info' : a.status === 'cancelled' || a.status === 'noshow' ? 'critical' : a.status === 'fulfilled' ? 'success' : 'warning';
    const label = a.status === 'noshow' ? 'no-show' : a.status === 'proposed' ? 'requested' : a.status;
    return html`<li data-appointment=${a.id!}>
      <div class="line"><strong>${when(a.start)}</strong><span class="badge ${statusClass}">${label}</span></div>
      <div class="muted">${who}${a.description ? ` · ${a.description}` : ''}</div>
      ${a.status === 'booked'
        ? html`<div class="actions">
            ${past
              ? html`<button @click=${() => this.noShow(a)} ><span>Mark no-show</span><span class="visually-hidden"> (${when(a.start)})</span></button>`
              : this.cancelling === a.id
                ? html`<form class="row" @submit=${(e: Event) => this.cancel(a, e)}>
                    <div class="field"><label for="reason-${a.id}">Reason</label>
                      <select id="reason-${a.id}" name="reason">${CANCEL_REASONS.map((r) => html`<option value=${r.code!}>${r.display}</option>`)}</select></div>
                    <button type="submit" class="danger">Confirm cancellation</button>
                    <button type="button" @click=${() => (this.cancelling = '')}>Keep</button>
                  </form>`
                : html`<button @click=${() => this.startMove(a)} ><span>Reschedule</span><span class="visually-hidden"> the appointment of ${when(a.start)}</span></button>
                    <button class="danger" @click=${() => (this.cancelling = a.id!)} ><span>Cancel</span><span class="visually-hidden"> the appointment of ${when(a.start)}</span></button>`}
          </div>`
        : nothing}
    </li>`;
  }
}
customElements.define('m-scheduling-app', SchedulingApp);
