// Prescribing (EHR launch, a doctor, a patient in context): compose a MedicationRequest — the drug from
// the terminology service (RxNorm clinical drugs, ValueSet/$expand with a text filter), dose, route,
// timing, duration, note — with CDS Hooks as it is composed (order-select) and before it is signed
// (order-sign). A suggestion is applied to the draft (replace the drug, remove the draft) or the card
// overridden with a reason; both send CDS feedback. A critical card blocks signing until it is
// applied or overridden. Signing POSTs the MedicationRequest (status active, intent order). The
// patient's current medications and allergies are shown beside.
import { css, html, LitElement, nothing } from 'lit';
import type { AllergyIntolerance, Bundle, Coding, MedicationRequest, Patient, ValueSet } from '@medplum/fhirtypes';
import { callHook, sendFeedback, type Card } from '../shared/cds.js';
import type { CardEvent } from '../shared/cds-cards.js';
import '../shared/cds-cards.js';
import { conceptText, entries, formatDate, humanName, messageOf } from '../shared/fhir.js';
import { smartLinkLauncher } from '../shared/launch.js';
import { fhirRequest, signOut, startSession, userName, type Session } from '../shared/smart.js';
import { baseStyles } from '../shared/ui.js';
import '../shared/ui.js';

const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const SNOMED = 'http://snomed.info/sct';
const UCUM = 'http://unitsofmeasure.org';
export const MEDICATIONS_VALUESET = 'https://meridian.dev/fhir/ValueSet/medications';

const UNITS: { code: string; label: string }[] = [
  { code: '{tablet}', label: 'tablet' },
  { code: '{capsule}', label: 'capsule' },
  { code: 'mg', label: 'mg' },
  { code: 'mL', label: 'mL' },
  { code: '{puff}', label: 'puff' },
];
const ROUTES: Coding[] = [
  { system: SNOMED, code: '26643006', display: 'Oral route' },
  { system: SNOMED, code: '447694001', display: 'Respiratory tract route' },
  { system: SNOMED, code: '34206005', display: 'Subcutaneous route' },
  { system: SNOMED, code: '78421000', display: 'Intramuscular route' },
  { system: SNOMED, code: '47625008', display: 'Intravenous route' },
  { system: SNOMED, code: '6064005', display: 'Topical route' },
];
const PERIOD_UNITS = [
  { code: 'd', label: 'day' },
  { code: 'h', label: 'hour' },
  { code: 'wk', label: 'week' },
];
const DURATION_UNITS = [
  { code: 'd', label: 'days' },
  { code: 'wk', label: 'weeks' },
  { code: 'mo', label: 'months' },
];

interface Draft {
  drug?: Coding;
  dose: string;
  unit: string;
  route: string;
  frequency: string;
  period: string;
  periodUnit: string;
  duration: string;
  durationUnit: string;
  note: string;
}

const emptyDraft = (): Draft => ({ dose: '', unit: '{tablet}', route: ROUTES[0].code!, frequency: '1', period: '1', periodUnit: 'd', duration: '', durationUnit: 'd', note: '' });

/** A card's identity across calls (each call gives new uuids): its rule and its summary. */
const keyOf = (c: Card) => `${c.source.topic?.code ?? ''}|${c.summary}`;

let drafts = 0;

export class PrescribingApp extends LitElement {
  static properties = {
    session: { state: true },
    user: { state: true },
    patient: { state: true },
    medications: { state: true },
    allergies: { state: true },
    query: { state: true },
    options: { state: true },
    searching: { state: true },
    draft: { state: true },
    cards: { state: true },
    resolved: { state: true },
    checking: { state: true },
    signing: { state: true },
    formError: { state: true },
    cdsError: { state: true },
    signed: { state: true },
    notice: { state: true },
    loading: { state: true },
    error: { state: true },
  };
  session?: Session;
  user = '';
  patient?: Patient;
  medications: MedicationRequest[] = [];
  allergies: AllergyIntolerance[] = [];
  query = '';
  options: Coding[] = [];
  searching = '';
  draft: Draft = emptyDraft();
  draftId = `draft-${++drafts}`;
  cards: Card[] = [];
  serviceOf: Record<string, string> = {};
  /** Cards applied or overridden for this draft: key -> what was done. */
  resolved: Record<string, string> = {};
  /** Every card shown for this draft (so that signing stops once for a card the prescriber has not seen). */
  seen = new Set<string>();
  checking = '';
  signing = false;
  formError = '';
  cdsError = '';
  signed: MedicationRequest[] = [];
  notice = '';
  loading = 'Signing in…';
  error = '';
  private checkTimer?: number;

  static styles = [
    baseStyles,
    css`
      .layout { display: grid; gap: var(--m-space); grid-template-columns: minmax(0, 2fr) minmax(16rem, 1fr); }
      @media (max-width: 900px) { .layout { grid-template-columns: 1fr; } }
      form.compose { display: grid; gap: 0.9rem; }
      fieldset { border: 1px solid var(--m-border); border-radius: var(--m-radius); padding: 0.6rem 0.9rem 0.9rem; margin: 0; min-width: 0; }
      legend { font-weight: 700; padding: 0 0.3rem; }
      .options { margin-top: 0.5rem; max-height: 14rem; overflow-y: auto; }
      .options li { display: flex; justify-content: space-between; gap: 0.5rem; align-items: center; padding: 0.3rem 0; border-bottom: 1px solid var(--m-border); }
      .chosen { display: flex; gap: 0.75rem; align-items: center; flex-wrap: wrap; padding: 0.5rem 0.75rem; background: var(--m-info-bg); border-radius: var(--m-radius); }
      .chosen strong { font-size: 1.05rem; }
      input.num { width: 6rem; }
      textarea { width: 100%; min-height: 4rem; box-sizing: border-box; }
      .cds { margin-top: var(--m-space); }
      .sign-row { display: flex; gap: 0.75rem; align-items: center; flex-wrap: wrap; }
      .sig { font-family: ui-monospace, monospace; background: var(--m-bg); padding: 0.4rem 0.6rem; border-radius: var(--m-radius); }
      aside section { margin-bottom: var(--m-space); }
      ul.items li { padding: 0.35rem 0; border-bottom: 1px solid var(--m-border); }
      ul.items li:last-child { border-bottom: 0; }
      .meta { font-size: 0.875rem; color: var(--m-muted); }
      .cds h2 { margin-top: 0.5rem; }
      .resolved { font-size: 0.9rem; }
      .notice { padding: 0.5rem 0.75rem; border-radius: var(--m-radius); margin: 0 0 0.75rem; }
    `,
  ];

  async connectedCallback() {
    super.connectedCallback();
    try {
      this.session = await startSession();
      if (!this.session) return;
      if (!this.session.patientId) throw new Error('No patient is in context: open prescribing from the launcher, for a patient.');
      this.loading = 'Loading the patient…';
      [this.user] = await Promise.all([userName(this.session), this.load()]);
    } catch (e) {
      this.error = messageOf(e);
    } finally {
      this.loading = '';
    }
  }

  private async load() {
    const s = this.session!;
    const pid = encodeURIComponent(s.patientId!);
    const [patient, meds, allergies] = await Promise.all([
      fhirRequest<Patient>(s, `Patient/${pid}`),
      fhirRequest<Bundle>(s, `MedicationRequest?patient=${pid}&status=active&_count=100&_sort=-authoredon`),
      fhirRequest<Bundle>(s, `AllergyIntolerance?patient=${pid}&_count=50`),
    ]);
    this.patient = patient;
    this.medications = entries<MedicationRequest>(meds, 'MedicationRequest');
    this.allergies = entries<AllergyIntolerance>(allergies, 'AllergyIntolerance');
  }

  render() {
    return html`<m-shell app-name="Prescribing" user=${this.user}>
      ${this.session ? html`<button slot="actions" @click=${signOut}>Sign out</button>` : nothing}
      <m-status .loading=${this.loading} .error=${this.error}></m-status>
      ${this.patient
        ? html`<h1 class="visually-hidden">Prescribing for ${humanName(this.patient.name)}</h1>
            <m-patient-banner .patient=${this.patient}></m-patient-banner>
            <div class="layout">
              <div>${this.composer()}${this.decisionSupport()}</div>
              <aside aria-label="The patient's medications and allergies">${this.sidebar()}</aside>
            </div>`
        : nothing}
    </m-shell>`;
  }

  private composer() {
    const d = this.draft;
    return html`<section class="card" aria-labelledby="compose-title">
      <h2 id="compose-title">New medication order</h2>
      ${this.notice ? html`<p class="notice success" role="status">${this.notice}</p>` : nothing}
      <form class="compose" @submit=${this.onSign} novalidate>
        <fieldset>
          <legend>Drug</legend>
          ${d.drug
            ? html`<div class="chosen"><strong>${d.drug.display}</strong><span class="meta">RxNorm ${d.drug.code}</span>
                <button type="button" @click=${this.clearDrug}>Change drug</button></div>`
            : html`<div class="row" role="search">
                  <div class="field" style="flex:1"><label for="drug-q">Search RxNorm clinical drugs</label>
                    <input id="drug-q" type="search" autocomplete="off" placeholder="e.g. amoxicillin" .value=${this.query}
                      @input=${(e: Event) => (this.query = (e.target as HTMLInputElement).value)}
                      @keydown=${(e: KeyboardEvent) => { if (e.key === 'Enter') { e.preventDefault(); void this.searchDrugs(); } }}></div>
                  <button type="button" @click=${() => this.searchDrugs()}>Find drug</button>
                </div>
                <m-status .loading=${this.searching}></m-status>
                ${this.options.length
                  ? html`<ul class="plain options" aria-label="Drugs found">${this.options.map((o) => html`<li><span>${o.display}</span>
                      <button type="button" @click=${() => this.chooseDrug(o)} aria-label="Choose ${o.display}">Choose</button></li>`)}</ul>`
                  : nothing}`}
        </fieldset>
        <fieldset>
          <legend>Dose and route</legend>
          <div class="row">
            <div class="field"><label for="dose">Dose</label><input id="dose" class="num" type="number" min="0" step="any" inputmode="decimal" .value=${d.dose} @input=${this.set('dose')}></div>
            <div class="field"><label for="unit">Unit</label><select id="unit" @change=${this.set('unit')}>${UNITS.map((u) => html`<option value=${u.code} ?selected=${u.code === d.unit}>${u.label}</option>`)}</select></div>
            <div class="field"><label for="route">Route</label><select id="route" @change=${this.set('route')}>${ROUTES.map((r) => html`<option value=${r.code!} ?selected=${r.code === d.route}>${r.display}</option>`)}</select></div>
          </div>
        </fieldset>
        <fieldset>
          <legend>Timing</legend>
          <div class="row">
            <div class="field"><label for="frequency">Times</label><input id="frequency" class="num" type="number" min="1" step="1" .value=${d.frequency} @input=${this.set('frequency')}></div>
            <div class="field"><label for="period">Every</label><input id="period" class="num" type="number" min="1" step="any" .value=${d.period} @input=${this.set('period')}></div>
            <div class="field"><label for="period-unit">Period</label><select id="period-unit" @change=${this.set('periodUnit')}>${PERIOD_UNITS.map((u) => html`<option value=${u.code} ?selected=${u.code === d.periodUnit}>${u.label}</option>`)}</select></div>
            <div class="field"><label for="duration">Duration</label><input id="duration" class="num" type="number" min="1" step="1" .value=${d.duration} @input=${this.set('duration')} placeholder="ongoing"></div>
            <div class="field"><label for="duration-unit">Duration unit</label><select id="duration-unit" @change=${this.set('durationUnit')}>${DURATION_UNITS.map((u) => html`<option value=${u.code} ?selected=${u.code === d.durationUnit}>${u.label}</option>`)}</select></div>
          </div>
        </fieldset>
        <div class="field"><label for="note">Note to the pharmacist</label><textarea id="note" .value=${d.note} @input=${this.set('note')}></textarea></div>
        ${d.drug ? html`<p class="sig" aria-label="The order as it reads">${sigOf(d)}</p>` : nothing}
        <m-status .error=${this.formError}></m-status>
        <div class="sign-row">
          <button type="submit" class="primary" ?disabled=${this.signing}>${this.signing ? 'Signing…' : 'Sign order'}</button>
          <button type="button" @click=${this.reset}>Discard</button>
          ${this.blocking().length ? html`<span class="badge critical">Signing is blocked by ${this.blocking().length} critical warning${this.blocking().length > 1 ? 's' : ''}</span>` : nothing}
        </div>
      </form>
    </section>`;
  }

  private decisionSupport() {
    const shown = this.cards.filter((c) => !this.resolved[keyOf(c)]);
    const done = Object.values(this.resolved);
    return html`<section class="cds" aria-labelledby="cds-title">
      <h2 id="cds-title">Decision support</h2>
      <m-status .loading=${this.checking} .error=${this.cdsError}></m-status>
      ${!this.checking && this.draft.drug && !shown.length && !this.cdsError ? html`<p class="muted">No warnings for this order.</p>` : nothing}
      ${!this.draft.drug ? html`<p class="muted">Choose a drug: the order is checked against the patient's medications, allergies, age, weight and kidney function.</p>` : nothing}
      <m-cds-cards .cards=${shown} .serviceOf=${this.serviceOf} .launchLink=${this.session ? smartLinkLauncher(this.session, this.session.patientId!) : undefined}
        @cds-accept=${this.onAccept} @cds-override=${this.onOverride}></m-cds-cards>
      ${done.length ? html`<ul class="plain resolved" aria-label="Resolved warnings">${done.map((t) => html`<li><span class="badge success">${t}</span></li>`)}</ul>` : nothing}
    </section>`;
  }

  private sidebar() {
    return html`<section class="card" aria-labelledby="current-title">
        <h2 id="current-title">Current medications</h2>
        ${this.medications.length
          ? html`<ul class="plain items" aria-label="Current medications">${this.medications.map((m) => html`<li>${conceptText(m.medicationCodeableConcept) || 'Medication'}
              <div class="meta">${m.dosageInstruction?.[0]?.text ?? ''}${m.authoredOn ? ` · since ${formatDate(m.authoredOn)}` : ''}</div></li>`)}</ul>`
          : html`<p class="muted">No active medications.</p>`}
      </section>
      <section class="card" aria-labelledby="allergies-title">
        <h2 id="allergies-title">Allergies</h2>
        ${this.allergies.length
          ? html`<ul class="plain items" aria-label="Allergies">${this.allergies.map((a) => html`<li>${conceptText(a.code)}
              ${a.criticality === 'high' ? html`<span class="badge critical">high</span>` : nothing}
              <div class="meta">${a.clinicalStatus?.coding?.[0]?.code ?? ''}${a.reaction?.[0]?.manifestation?.length ? ` · ${a.reaction[0].manifestation.map(conceptText).join(', ')}` : ''}</div></li>`)}</ul>`
          : html`<p class="muted">No known allergies recorded.</p>`}
      </section>
      ${this.signed.length
        ? html`<section class="card" aria-labelledby="signed-title"><h2 id="signed-title">Signed now</h2>
            <ul class="plain items" aria-label="Orders signed">${this.signed.map((m) => html`<li>${conceptText(m.medicationCodeableConcept)}<div class="meta">MedicationRequest/${m.id} · ${m.status}</div></li>`)}</ul></section>`
        : nothing}`;
  }

  private set = (field: keyof Omit<Draft, 'drug'>) => (e: Event) => {
    this.draft = { ...this.draft, [field]: (e.target as HTMLInputElement).value };
    this.formError = '';
    this.scheduleCheck();
  };

  private async searchDrugs() {
    const text = this.query.trim();
    if (!this.session || text.length < 2) {
      this.formError = 'Type at least two letters of the drug name.';
      return;
    }
    this.formError = '';
    this.searching = 'Searching the terminology…';
    try {
      const q = new URLSearchParams({ url: MEDICATIONS_VALUESET, filter: text, count: '20' });
      const vs = await fhirRequest<ValueSet>(this.session, `ValueSet/$expand?${q}`);
      this.options = (vs.expansion?.contains ?? []).map((c) => ({ system: c.system, code: c.code, display: c.display }));
      if (!this.options.length) this.formError = `No clinical drug matches "${text}".`;
    } catch (e) {
      this.formError = `The drug search failed: ${messageOf(e)}`;
    } finally {
      this.searching = '';
    }
  }

  private chooseDrug(drug: Coding) {
    this.draft = { ...this.draft, drug, unit: /capsule/i.test(drug.display ?? '') ? '{capsule}' : /inhaler|actuat/i.test(drug.display ?? '') ? '{puff}' : this.draft.unit, route: /inhaler|actuat/i.test(drug.display ?? '') ? ROUTES[1].code! : this.draft.route };
    this.options = [];
    this.notice = '';
    this.newDraft();
    void this.check('order-select');
    // keyboard users go on with the dose (the search field is gone)
    void this.updateComplete.then(() => (this.renderRoot.querySelector('#dose') as HTMLInputElement | null)?.focus());
  }

  private clearDrug = () => {
    this.draft = { ...this.draft, drug: undefined };
    this.cards = [];
    this.newDraft();
  };

  private reset = () => {
    this.draft = emptyDraft();
    this.query = '';
    this.options = [];
    this.cards = [];
    this.formError = '';
    this.cdsError = '';
    this.newDraft();
  };

  /** Another drug is another draft: earlier decisions do not carry over. */
  private newDraft() {
    this.draftId = `draft-${++drafts}`;
    this.resolved = {};
    this.seen = new Set();
  }

  private scheduleCheck() {
    if (!this.draft.drug) return;
    window.clearTimeout(this.checkTimer);
    this.checkTimer = window.setTimeout(() => void this.check('order-select'), 700);
  }

  /** The unresolved critical cards: they block signing. */
  private blocking(): Card[] {
    return this.cards.filter((c) => c.indicator === 'critical' && !this.resolved[keyOf(c)]);
  }

  private resource(status: 'draft' | 'active'): MedicationRequest {
    const s = this.session!;
    const d = this.draft;
    const unit = UNITS.find((u) => u.code === d.unit)!;
    const route = ROUTES.find((r) => r.code === d.route)!;
    const dose = Number(d.dose);
    const repeat: NonNullable<NonNullable<MedicationRequest['dosageInstruction']>[number]['timing']>['repeat'] = {
      frequency: Number(d.frequency) || 1,
      period: Number(d.period) || 1,
      periodUnit: d.periodUnit as 'd',
      ...(Number(d.duration) > 0 ? { boundsDuration: { value: Number(d.duration), unit: DURATION_UNITS.find((u) => u.code === d.durationUnit)!.label, system: UCUM, code: d.durationUnit } } : {}),
    };
    return {
      resourceType: 'MedicationRequest',
      ...(status === 'draft' ? { id: this.draftId } : {}),
      status,
      intent: 'order',
      subject: { reference: `Patient/${s.patientId}` },
      ...(s.fhirUser ? { requester: { reference: s.fhirUser } } : {}),
      authoredOn: new Date().toISOString(),
      medicationCodeableConcept: { coding: [{ system: RXNORM, code: d.drug?.code, display: d.drug?.display }], text: d.drug?.display },
      dosageInstruction: [{
        sequence: 1,
        text: sigOf(d),
        route: { coding: [route], text: route.display },
        timing: { repeat },
        ...(d.dose && dose > 0 ? { doseAndRate: [{ doseQuantity: { value: dose, unit: unit.label, system: UCUM, code: unit.code } }] } : {}),
      }],
      ...(d.note.trim() ? { note: [{ text: d.note.trim() }] } : {}),
    };
  }

  /** order-select (as the order is composed) or order-sign (before signing): the cards for this draft. */
  private async check(hook: 'order-select' | 'order-sign'): Promise<boolean> {
    const s = this.session!;
    if (!this.draft.drug) return false;
    const draft = this.resource('draft');
    const context: Record<string, unknown> = {
      patientId: s.patientId,
      userId: s.fhirUser,
      draftOrders: { resourceType: 'Bundle', type: 'collection', entry: [{ resource: draft }] },
      ...(hook === 'order-select' ? { selections: [`MedicationRequest/${draft.id}`] } : {}),
    };
    this.checking = hook === 'order-sign' ? 'Checking the order before signing…' : 'Checking the order…';
    this.cdsError = '';
    try {
      const results = await callHook(s, hook, context);
      this.serviceOf = Object.fromEntries(results.flatMap((r) => r.cards.map((c) => [c.uuid ?? '', r.serviceId])));
      // both services check the same draft: one card per rule and summary
      const unique = new Map<string, Card>();
      for (const c of results.flatMap((r) => r.cards)) if (!unique.has(keyOf(c))) unique.set(keyOf(c), c);
      this.cards = [...unique.values()];
      return true;
    } catch (e) {
      this.cdsError = `Decision support could not check the order: ${withFieldNames(messageOf(e))}`;
      return false;
    } finally {
      this.checking = '';
    }
  }

  private async onSign(e: Event) {
    e.preventDefault();
    const s = this.session;
    if (!s || this.signing) return;
    const problem = validate(this.draft);
    if (problem) {
      this.formError = problem;
      return;
    }
    this.formError = '';
    this.signing = true;
    try {
      window.clearTimeout(this.checkTimer);
      const before = new Set([...this.seen, ...this.cards.map(keyOf)]);
      const checked = await this.check('order-sign');
      if (!checked) {
        this.formError = 'The order was not signed: decision support could not check it. Try again.';
        return;
      }
      const blocking = this.blocking();
      if (blocking.length) {
        this.formError = `Signing is blocked: apply a suggestion or override "${blocking[0].summary}" first.`;
        return;
      }
      const unseen = this.cards.filter((c) => !this.resolved[keyOf(c)] && !before.has(keyOf(c)));
      for (const c of this.cards) this.seen.add(keyOf(c));
      if (unseen.length) {
        this.formError = 'New decision support came up when signing: review it, then sign again.';
        return;
      }
      const created = await fhirRequest<MedicationRequest>(s, 'MedicationRequest', { method: 'POST', json: this.resource('active') });
      this.signed = [created, ...this.signed];
      this.reset();
      this.notice = `Signed: ${conceptText(created.medicationCodeableConcept)} (MedicationRequest/${created.id}).`;
      await this.load();
    } catch (err) {
      this.formError = `The order was not signed. ${withFieldNames(messageOf(err))}`;
    } finally {
      this.signing = false;
    }
  }

  /** Applies a suggestion to the draft: an update or create replaces the drug (and dose), a delete removes the draft. */
  private onAccept = async (e: Event) => {
    const { card, suggestion, serviceId } = (e as CustomEvent<CardEvent>).detail;
    if (!this.session || !suggestion) return;
    let removed = false;
    for (const action of suggestion.actions ?? []) {
      if ((action.type === 'update' || action.type === 'create') && action.resource?.resourceType === 'MedicationRequest') {
        const mr = action.resource as MedicationRequest;
        const coding = mr.medicationCodeableConcept?.coding?.find((c) => c.system === RXNORM);
        const dose = mr.dosageInstruction?.[0]?.doseAndRate?.[0]?.doseQuantity;
        if (coding) this.draft = { ...this.draft, drug: coding, ...(dose?.value !== undefined && action.type === 'update' ? { dose: String(dose.value) } : {}) };
      } else if (action.type === 'delete') {
        removed = true;
      }
    }
    this.resolved = { ...this.resolved, [keyOf(card)]: `Applied: ${suggestion.label}` };
    try {
      if (serviceId && card.uuid) await sendFeedback(this.session, serviceId, [{ card: card.uuid, outcome: 'accepted', acceptedSuggestions: suggestion.uuid ? [{ id: suggestion.uuid }] : [] }]);
    } catch (err) {
      this.cdsError = `The decision was applied but could not be recorded: ${messageOf(err)}`;
    }
    if (removed) {
      this.reset();
      this.formError = 'The draft order was removed.';
      return;
    }
    // the draft changed: check it again (the old decisions were about the old drug)
    const kept = this.resolved;
    this.draftId = `draft-${++drafts}`;
    await this.check('order-select');
    this.resolved = kept;
  };

  private onOverride = async (e: Event) => {
    const { card, reason, comment, serviceId } = (e as CustomEvent<CardEvent>).detail;
    if (!this.session) return;
    this.resolved = { ...this.resolved, [keyOf(card)]: `Overridden: ${card.summary}${reason?.display ? ` (${reason.display})` : ''}` };
    try {
      if (serviceId && card.uuid) {
        await sendFeedback(this.session, serviceId, [{
          card: card.uuid,
          outcome: 'overridden',
          overrideReason: { ...(reason?.code ? { reason: { system: reason.system, code: reason.code, display: reason.display } } : {}), ...(comment ? { userComment: comment } : {}) },
        }]);
      }
    } catch (err) {
      this.cdsError = `The override could not be recorded: ${messageOf(err)}`;
    }
  };
}
customElements.define('m-prescribing-app', PrescribingApp);

/** A server's message naming an element of the order (a FHIRPath) gets the form field's label added. */
const FIELDS: [RegExp, string][] = [
  [/doseQuantity/, 'Dose'],
  [/timing\.repeat\.frequency/, 'Times'],
  [/timing\.repeat\.periodUnit/, 'Period'],
  [/timing\.repeat\.period\b/, 'Every'],
  [/boundsDuration/, 'Duration'],
  [/\.route/, 'Route'],
  [/medicationCodeableConcept/, 'Drug'],
  [/\.note/, 'Note to the pharmacist'],
];
export function withFieldNames(message: string): string {
  const named = FIELDS.filter(([re]) => re.test(message)).map(([, label]) => `"${label}"`);
  return named.length ? `${message} (the field${named.length > 1 ? 's' : ''} ${named.join(', ')})` : message;
}

/** What is missing before an order can be signed, as a sentence, or '' when it is complete. */
export function validate(d: Draft): string {
  if (!d.drug) return 'Choose a drug before signing.';
  if (!d.dose.trim() || !(Number(d.dose) > 0)) return 'Enter a dose (a number above zero) before signing.';
  if (!(Number(d.frequency) >= 1) || !(Number(d.period) > 0)) return 'Enter how often: times (1 or more) every period.';
  if (d.duration.trim() && !(Number(d.duration) > 0)) return 'The duration must be a number above zero, or empty for an ongoing order.';
  return '';
}

/** The order as a prescriber reads it: "2 tablet oral, 3 times every 1 day, for 7 days". */
export function sigOf(d: Draft): string {
  const unit = UNITS.find((u) => u.code === d.unit)?.label ?? d.unit;
  const route = ROUTES.find((r) => r.code === d.route)?.display?.replace(/ route$/, '').toLowerCase() ?? '';
  const period = PERIOD_UNITS.find((u) => u.code === d.periodUnit)?.label ?? d.periodUnit;
  const times = d.frequency === '1' ? 'once' : d.frequency === '2' ? 'twice' : `${d.frequency || '?'} times`;
  const how = d.period === '1' ? `${times} a ${period}` : `${times} every ${d.period} ${period}s`;
  const duration = Number(d.duration) > 0 ? `, for ${d.duration} ${DURATION_UNITS.find((u) => u.code === d.durationUnit)?.label ?? d.durationUnit}` : '';
  return `${d.dose || '?'} ${unit} ${route}, ${how}${duration}`.replace(/\s+/g, ' ');
}
