// The patient portal (standalone launch, signed in as the patient): their own record — details,
// results in plain words, medications, problems — and their appointments: request one in a free slot
// of a clinician, cancel one. Everything goes through the FHIR API with patient/ scopes, so the server
// keeps it to this patient's record.
//
// Booking: a patient may write only their own compartment, and a Slot is not in it. So the portal
// creates an Appointment with status "proposed" that names the Slot, the patient (accepted) and the
// clinician (needs-action): a request, as FHIR's appointment workflow has it. Staff confirm requests in
// the Scheduling app (its Requests section): the Appointment booked and the Slot made busy in one
// transaction, or the request declined (cancelled, with a reason). Until then the time
// is shown to the patient as requested.
import { css, html, LitElement, nothing } from 'lit';
import type { AllergyIntolerance, Appointment, Bundle, Condition, MedicationRequest, Observation, Patient, Practitioner, PractitionerRole, Slot } from '@medplum/fhirtypes';
import { ageOf, conceptText, entries, formatDate, humanName, messageOf } from '../shared/fhir.js';
import { fhirRequest, signOut, startSession, type Session } from '../shared/smart.js';
import { baseStyles } from '../shared/ui.js';
import '../shared/ui.js';
import { interpretationWords, plainLabName } from './labels.js';

interface Clinician {
  practitioner: string;
  name: string;
  specialty: string;
}

interface Result {
  label: string;
  detail: string;
  value: string;
  meaning?: { words: string; tone: string };
  range: string;
  date?: string;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { weekday: 'short', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' });
const when = (iso?: string) => (iso ? timeFormat.format(new Date(iso)) : '');
const refId = (ref?: string) => ref?.split('/').pop();

const APPOINTMENT_WORDS: Record<string, { words: string; tone: string }> = {
  proposed: { words: 'Requested', tone: 'info' },
  pending: { words: 'Awaiting confirmation', tone: 'info' },
  booked: { words: 'Confirmed', tone: 'success' },
  arrived: { words: 'Checked in', tone: 'success' },
  fulfilled: { words: 'Attended', tone: 'success' },
  cancelled: { words: 'Cancelled', tone: 'critical' },
  noshow: { words: 'Missed', tone: 'warning' },
  waitlist: { words: 'On the waiting list', tone: 'info' },
};

export class PortalApp extends LitElement {
  static properties = {
    patient: { state: true },
    appointments: { state: true },
    results: { state: true },
    medications: { state: true },
    problems: { state: true },
    allergies: { state: true },
    clinicians: { state: true },
    clinician: { state: true },
    slots: { state: true },
    slotId: { state: true },
    loading: { state: true },
    error: { state: true },
    busy: { state: true },
    notice: { state: true },
    actionError: { state: true },
  };
  session?: Session;
  patient?: Patient;
  appointments: Appointment[] = [];
  results: Result[] = [];
  medications: MedicationRequest[] = [];
  problems: Condition[] = [];
  allergies: AllergyIntolerance[] = [];
  clinicians: Clinician[] = [];
  clinician = '';
  slots: Slot[] = [];
  slotId = '';
  loading = 'Signing in…';
  error = '';
  busy = '';
  notice = '';
  actionError = '';

  static styles = [
    baseStyles,
    css`
      *, *::before, *::after { box-sizing: border-box; }
      .hello { margin: 0 0 1rem; font-size: 1.5rem; }
      .grid { grid-template-columns: repeat(auto-fit, minmax(20rem, 1fr)); align-items: start; }
      .span { grid-column: 1 / -1; }
      dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 1rem; margin: 0; }
      dt { font-weight: 600; }
      dd { margin: 0; overflow-wrap: anywhere; }
      .appointments li { display: flex; justify-content: space-between; align-items: center; gap: 0.75rem; flex-wrap: wrap; padding: 0.6rem 0; border-bottom: 1px solid var(--m-border); }
      .slots { display: grid; grid-template-columns: repeat(auto-fill, minmax(11rem, 1fr)); gap: 0.5rem; margin: 0.75rem 0; border: 0; padding: 0; }
      .slots label { display: flex; gap: 0.4rem; align-items: center; border: 1px solid var(--m-border); border-radius: var(--m-radius); padding: 0.45rem 0.6rem; font-weight: 400; cursor: pointer; }
      .slots label:has(input:checked) { border-color: var(--m-primary); background: var(--m-info-bg); }
      .wide { overflow-x: auto; }
      .small { font-size: 0.85rem; }
      h3 { margin-top: 1rem; }
      tbody th { text-transform: none; letter-spacing: 0; font-size: 1rem; color: var(--m-text); }
    `,
  ];

  async connectedCallback() {
    super.connectedCallback();
    try {
      this.session = await startSession();
      const s = this.session!;
      if (!s.patientId) throw new Error('This portal is for patients: sign in with a patient account.');
      this.loading = 'Loading your record…';
      const pid = s.patientId;
      const [patient, observations, medications, problems, roles, , allergies] = await Promise.all([
        fhirRequest<Patient>(s, `Patient/${pid}`),
        fhirRequest<Bundle>(s, `Observation?patient=${pid}&category=laboratory&_sort=-date&_count=200`),
        fhirRequest<Bundle>(s, `MedicationRequest?patient=${pid}&status=active&_count=50`),
        fhirRequest<Bundle>(s, `Condition?patient=${pid}&clinical-status=active&_count=50`),
        // (Schedules are in the Patient compartment by their actor, so a patient token reaches only
        // its own; practitioners' roles and Slots are not patient data and are readable)
        fhirRequest<Bundle>(s, 'PractitionerRole?active=true&_include=PractitionerRole:practitioner&_count=200'),
        this.loadAppointments(),
        fhirRequest<Bundle>(s, `AllergyIntolerance?patient=${pid}&clinical-status=active&_count=50`),
      ]);
      this.allergies = entries<AllergyIntolerance>(allergies, 'AllergyIntolerance');
      this.patient = patient;
      this.results = latestResults(entries<Observation>(observations, 'Observation'));
      this.medications = entries<MedicationRequest>(medications, 'MedicationRequest');
      this.problems = entries<Condition>(problems, 'Condition');
      this.clinicians = cliniciansOf(entries<PractitionerRole>(roles, 'PractitionerRole'), entries<Practitioner>(roles, 'Practitioner'));
    } catch (e) {
      this.error = messageOf(e);
    } finally {
      this.loading = '';
    }
  }

  private async loadAppointments() {
    const s = this.session!;
    const now = new Date().toISOString();
    const bundle = await fhirRequest<Bundle>(s, `Appointment?patient=${s.patientId}&date=ge${encodeURIComponent(now.slice(0, 10))}&_sort=date&_count=50`);
    this.appointments = entries<Appointment>(bundle, 'Appointment').filter((a) => (a.end ?? a.start ?? now) >= now || a.status === 'proposed');
  }

  private async chooseClinician(id: string) {
    this.clinician = id;
    this.slotId = '';
    this.slots = [];
    this.notice = '';
    this.actionError = '';
    const c = this.clinicians.find((x) => x.practitioner === id);
    if (!c) return;
    this.busy = 'Finding free times…';
    try {
      const s = this.session!;
      const now = new Date().toISOString();
      const q = new URLSearchParams({ 'schedule.actor': `Practitioner/${c.practitioner}`, status: 'free', start: `ge${now}`, _sort: 'start', _count: '24' });
      const taken = new Set(this.appointments.filter((a) => a.status !== 'cancelled').flatMap((a) => (a.slot ?? []).map((x) => refId(x.reference))));
      this.slots = entries<Slot>(await fhirRequest<Bundle>(s, `Slot?${q}`), 'Slot').filter((x) => !taken.has(x.id)).slice(0, 12);
    } catch (e) {
      this.actionError = messageOf(e);
    } finally {
      this.busy = '';
    }
  }

  private async book() {
    const s = this.session!;
    const slot = this.slots.find((x) => x.id === this.slotId);
    const c = this.clinicians.find((x) => x.practitioner === this.clinician);
    if (!slot || !c || !this.patient) return;
    this.busy = 'Sending your request…';
    this.actionError = '';
    try {
      const appointment: Appointment = {
        resourceType: 'Appointment',
        status: 'proposed',
        ...(slot.serviceCategory ? { serviceCategory: slot.serviceCategory } : {}),
        ...(slot.specialty ? { specialty: slot.specialty } : {}),
        ...(slot.appointmentType ? { appointmentType: slot.appointmentType } : {}),
        description: `Requested online by the patient with ${c.name}`,
        start: slot.start,
        end: slot.end,
        slot: [{ reference: `Slot/${slot.id}` }],
        created: new Date().toISOString().slice(0, 10),
        participant: [
          { actor: { reference: `Patient/${s.patientId}`, display: humanName(this.patient.name) }, required: 'required', status: 'accepted' },
          { actor: { reference: `Practitioner/${c.practitioner}`, display: c.name }, required: 'required', status: 'needs-action' },
        ],
      };
      await fhirRequest(s, 'Appointment', { method: 'POST', json: appointment });
      this.notice = `Requested: ${when(slot.start)} with ${c.name}. The clinic will confirm it.`;
      this.slots = this.slots.filter((x) => x.id !== slot.id);
      this.slotId = '';
      await this.loadAppointments();
    } catch (e) {
      this.actionError = messageOf(e);
    } finally {
      this.busy = '';
    }
  }

  private async cancel(a: Appointment) {
    const s = this.session!;
    if (!confirm(`Cancel your appointment on ${when(a.start)}?`)) return;
    this.busy = 'Cancelling…';
    this.actionError = '';
    try {
      const current = await fhirRequest<Appointment>(s, `Appointment/${a.id}`);
      const cancelled: Appointment = { ...current, status: 'cancelled', cancelationReason: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason', code: 'pat', display: 'Patient' }], text: 'Cancelled by the patient online' } };
      await fhirRequest(s, `Appointment/${a.id}`, { method: 'PUT', json: cancelled, headers: current.meta?.versionId ? { 'If-Match': `W/"${current.meta.versionId}"` } : {} });
      this.notice = `Cancelled: ${when(a.start)}.`;
      await this.loadAppointments();
    } catch (e) {
      this.actionError = messageOf(e);
    } finally {
      this.busy = '';
    }
  }

  render() {
    const name = this.patient ? humanName(this.patient.name) : '';
    return html`<m-shell app-name="Patient portal" user=${name}>
      <button slot="actions" @click=${signOut}>Sign out</button>
      <m-status .loading=${this.loading} .error=${this.error}></m-status>
      ${this.patient && !this.loading ? this.home(this.patient) : nothing}
    </m-shell>`;
  }

  private home(p: Patient) {
    const given = p.name?.[0]?.given?.[0] ?? humanName(p.name);
    return html`<h1 class="hello">Hello, ${given}</h1>
      <div class="grid">
        ${this.appointmentsCard()} ${this.resultsCard()} ${this.detailsCard(p)} ${this.medicationsCard()}
      </div>`;
  }

  private detailsCard(p: Patient) {
    const address = p.address?.[0];
    const phone = p.telecom?.find((t) => t.system === 'phone')?.value;
    const email = p.telecom?.find((t) => t.system === 'email')?.value;
    return html`<section class="card" aria-labelledby="details-title">
      <h2 id="details-title">Your details</h2>
      <dl>
        <dt>Name</dt><dd>${humanName(p.name)}</dd>
        <dt>Born</dt><dd>${formatDate(p.birthDate)} (${ageOf(p.birthDate) ?? '?'} years)</dd>
        ${address ? html`<dt>Address</dt><dd>${[...(address.line ?? []), address.city, address.state, address.postalCode].filter(Boolean).join(', ')}</dd>` : nothing}
        ${phone ? html`<dt>Phone</dt><dd>${phone}</dd>` : nothing}
        ${email ? html`<dt>Email</dt><dd>${email}</dd>` : nothing}
        ${p.generalPractitioner?.[0]?.display ? html`<dt>Your doctor</dt><dd>${p.generalPractitioner[0].display}</dd>` : nothing}
      </dl>
      <h3>Health problems</h3>
      ${this.problems.length
        ? html`<ul>${this.problems.map((c) => html`<li>${conceptText(c.code)}</li>`)}</ul>`
        : html`<p class="muted">No ongoing health problems are recorded.</p>`}
      <h3>Allergies</h3>
      ${this.allergies.length
        ? html`<ul>${this.allergies.map((a) => html`<li>${conceptText(a.code)}${a.reaction?.[0]?.manifestation?.[0] ? html` <span class="muted">(${conceptText(a.reaction[0].manifestation[0])})</span>` : nothing}</li>`)}</ul>`
        : html`<p class="muted">No allergies are recorded.</p>`}
    </section>`;
  }

  private appointmentsCard() {
    return html`<section class="card span" aria-labelledby="appointments-title">
      <h2 id="appointments-title">Your appointments</h2>
      ${this.notice ? html`<p class="badge success" role="status">${this.notice}</p>` : nothing}
      <m-status .loading=${this.busy} .error=${this.actionError}></m-status>
      ${this.appointments.length
        ? html`<ul class="plain appointments" aria-label="Upcoming appointments">
            ${this.appointments.map((a) => {
              const w = APPOINTMENT_WORDS[a.status] ?? { words: a.status, tone: 'info' };
              const who = a.participant?.find((x) => x.actor?.reference?.startsWith('Practitioner/'))?.actor?.display ?? '';
              const open = !['cancelled', 'fulfilled', 'noshow', 'entered-in-error'].includes(a.status);
              return html`<li>
                <span><strong>${when(a.start)}</strong>${who ? html` with ${who}` : nothing}<br>
                  <span class="muted">${a.description ?? conceptText(a.appointmentType)}</span></span>
                <span class="row" style="align-items:center">
                  <span class="badge ${w.tone}">${w.words}</span>
                  ${open ? html`<button class="danger" @click=${() => this.cancel(a)} aria-label="Cancel the appointment on ${when(a.start)}">Cancel</button>` : nothing}
                </span>
              </li>`;
            })}
          </ul>`
        : html`<p class="muted">You have no upcoming appointments.</p>`}
      <h3>Request an appointment</h3>
      <div class="field" style="max-width:28rem">
        <label for="clinician">Clinician</label>
        <select id="clinician" .value=${this.clinician} @change=${(e: Event) => this.chooseClinician((e.target as HTMLSelectElement).value)}>
          <option value="" ?selected=${!this.clinician}>Choose a clinician…</option>
          ${this.clinicians.map((c) => html`<option value=${c.practitioner} ?selected=${c.practitioner === this.clinician}>${c.name}${c.specialty ? ` · ${c.specialty}` : ''}</option>`)}
        </select>
      </div>
      ${this.clinician && !this.busy && !this.slots.length ? html`<p class="muted">No free times in the coming weeks for this clinician.</p>` : nothing}
      ${this.slots.length
        ? html`<fieldset class="slots" aria-label="Free times">
              ${this.slots.map(
                (x) => html`<label><input type="radio" name="slot" value=${x.id!} .checked=${x.id === this.slotId} @change=${() => (this.slotId = x.id!)}>${when(x.start)}</label>`,
              )}
            </fieldset>
            <button class="primary" ?disabled=${!this.slotId || !!this.busy} @click=${this.book}>Request this time</button>
            <p class="muted small">The clinic confirms requests, usually within a working day.</p>`
        : nothing}
    </section>`;
  }

  private resultsCard() {
    return html`<section class="card span" aria-labelledby="results-title">
      <h2 id="results-title">Your test results</h2>
      ${this.results.length
        ? html`<div class="wide" tabindex="0" role="region" aria-label="Test results, scrollable"><table aria-label="Latest test results">
            <thead><tr><th scope="col">Test</th><th scope="col">Result</th><th scope="col">Usual range</th><th scope="col">What it means</th><th scope="col">Date</th></tr></thead>
            <tbody>
              ${this.results.map(
                (r) => html`<tr>
                  <th scope="row"><span title=${r.detail}>${r.label}</span></th>
                  <td>${r.value}</td>
                  <td class="muted">${r.range || '—'}</td>
                  <td>${r.meaning ? html`<span class="badge ${r.meaning.tone}">${r.meaning.words}</span>` : html`<span class="muted">—</span>`}</td>
                  <td class="muted small">${formatDate(r.date)}</td>
                </tr>`,
              )}
            </tbody>
          </table></div>
          <p class="muted small">Your latest result of each test. Ask your care team what your results mean for you.</p>`
        : html`<p class="muted">No test results yet.</p>`}
    </section>`;
  }

  private medicationsCard() {
    return html`<section class="card" aria-labelledby="medications-title">
      <h2 id="medications-title">Your medications</h2>
      ${this.medications.length
        ? html`<ul class="plain">
            ${this.medications.map(
              (m) => html`<li style="padding:0.4rem 0;border-bottom:1px solid var(--m-border)">
                <strong>${conceptText(m.medicationCodeableConcept) || m.medicationReference?.display || 'Medication'}</strong><br>
                <span class="muted">${m.dosageInstruction?.[0]?.text ?? ''}</span>
              </li>`,
            )}
          </ul>`
        : html`<p class="muted">No current medications.</p>`}
    </section>`;
  }
}
customElements.define('m-portal-app', PortalApp);

/** The newest result of each test, named for the patient. */
function latestResults(observations: Observation[]): Result[] {
  const seen = new Set<string>();
  const results: Result[] = [];
  for (const o of observations) {
    const loinc = o.code?.coding?.find((c) => c.system === 'http://loinc.org')?.code;
    const key = loinc ?? conceptText(o.code);
    if (seen.has(key)) continue;
    seen.add(key);
    const q = o.valueQuantity;
    const rr = o.referenceRange?.[0];
    const unit = q?.unit ?? q?.code ?? '';
    const range = rr?.text ?? (rr?.low || rr?.high ? [rr?.low?.value !== undefined ? `${rr.low.value}` : 'under', rr?.high?.value !== undefined ? `${rr.high.value}` : 'or more'].join(rr?.low && rr?.high ? '–' : ' ') + ` ${rr?.high?.unit ?? rr?.low?.unit ?? unit}` : '');
    const interpretation = o.interpretation?.[0]?.coding?.[0]?.code;
    results.push({
      label: plainLabName(loinc) ?? conceptText(o.code),
      detail: conceptText(o.code),
      value: q?.value !== undefined ? `${q.value} ${unit}`.trim() : (o.valueString ?? conceptText(o.valueCodeableConcept)),
      meaning: interpretationWords(interpretation, q?.value, { low: rr?.low?.value, high: rr?.high?.value }),
      range: range.trim(),
      date: o.effectiveDateTime ?? o.issued,
    });
  }
  return results.sort((a, b) => a.label.localeCompare(b.label));
}

/** Clinicians by their roles (one entry per practitioner, their first role's specialty). */
function cliniciansOf(roles: PractitionerRole[], practitioners: Practitioner[]): Clinician[] {
  const names = new Map(practitioners.map((p) => [p.id!, humanName(p.name)]));
  const byPractitioner = new Map<string, Clinician>();
  for (const r of roles) {
    const id = refId(r.practitioner?.reference);
    if (!id || byPractitioner.has(id)) continue;
    byPractitioner.set(id, { practitioner: id, name: names.get(id) ?? r.practitioner?.display ?? `Practitioner ${id}`, specialty: conceptText(r.specialty?.[0]) });
  }
  return [...byPractitioner.values()].sort((a, b) => a.name.localeCompare(b.name));
}
