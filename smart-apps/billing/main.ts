// Billing (EHR launch, patient in context): a Claim built from one of the patient's encounters —
// ICD-10-CM diagnoses from its Conditions (checked with the terminology service), CPT/HCPCS items from
// the procedures ValueSet with prices, the patient's Coverage, provider and priority —, checked with
// Claim/$validate, submitted with Claim/$submit (Meridian's demo payer answers with a ClaimResponse),
// and every claim of the practice by status with totals.
import { css, html, LitElement, nothing } from 'lit';
import type {
  Bundle, Claim, ClaimResponse, Condition, Coverage, Encounter, OperationOutcome, OperationOutcomeIssue, Parameters, Patient, Practitioner, Procedure, ValueSet,
} from '@medplum/fhirtypes';
import { conceptText, entries, FhirError, formatDate, humanName, messageOf } from '../shared/fhir.js';
import { fhirRequest, signOut, startSession, userName, type Session } from '../shared/smart.js';
import { baseStyles } from '../shared/ui.js';
import '../shared/ui.js';

const ICD10CM = 'http://hl7.org/fhir/sid/icd-10-cm';
const CPT = 'http://www.ama-assn.org/go/cpt';
const PROCEDURES_VS = 'https://meridian.dev/fhir/ValueSet/procedures';
const ICD10CM_VS = 'https://meridian.dev/fhir/ValueSet/icd-10-cm';
const ADJUDICATION = 'http://terminology.hl7.org/CodeSystem/adjudication';
const PRIORITIES = [
  { code: 'normal', label: 'Normal' },
  { code: 'stat', label: 'Immediate (stat)' },
  { code: 'deferred', label: 'Deferred' },
];

interface Diagnosis {
  conditionId: string;
  code?: string;
  display: string;
  selected: boolean;
  /** From CodeSystem/$lookup: billable, a category, or unknown. */
  check?: 'billable' | 'category' | 'unknown';
}

interface Item {
  key: number;
  code: string;
  quantity: number;
  price: string;
}

interface ProcedureCode {
  system: string;
  code: string;
  display: string;
}

/** How a claim stands, from its status and its payer's answer. */
type Standing = 'Draft' | 'Awaiting response' | 'Paid' | 'Partly paid' | 'Denied' | 'Cancelled';
const STANDINGS: Standing[] = ['Awaiting response', 'Paid', 'Partly paid', 'Denied', 'Draft', 'Cancelled'];
const STANDING_CLASS: Record<Standing, string> = { Draft: 'info', 'Awaiting response': 'warning', Paid: 'success', 'Partly paid': 'warning', Denied: 'critical', Cancelled: 'info' };

interface ClaimRow {
  claim: Claim;
  response?: ClaimResponse;
  standing: Standing;
  patientName: string;
  billed: number;
  paid: number;
}

const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
const money = (v?: number) => (v === undefined ? '—' : usd.format(v));
const today = () => new Date().toISOString().slice(0, 10);
const refId = (ref?: string) => ref?.split('/').pop();

export class BillingApp extends LitElement {
  static properties = {
    user: { state: true },
    patient: { state: true },
    encounters: { state: true },
    encounterId: { state: true },
    diagnoses: { state: true },
    coverages: { state: true },
    coverageId: { state: true },
    practitioners: { state: true },
    providerId: { state: true },
    priority: { state: true },
    procedures: { state: true },
    items: { state: true },
    issues: { state: true },
    checked: { state: true },
    response: { state: true },
    rows: { state: true },
    filter: { state: true },
    busy: { state: true },
    loading: { state: true },
    error: { state: true },
    submitError: { state: true },
    dxQuery: { state: true },
    dxFound: { state: true },
  };
  session?: Session;
  user = '';
  patient?: Patient;
  encounters: Encounter[] = [];
  encounterId = '';
  conditions = new Map<string, Condition>();
  /** The patient's Procedures: those of the chosen encounter with a CPT or HCPCS code become items. */
  performed: Procedure[] = [];
  diagnoses: Diagnosis[] = [];
  coverages: Coverage[] = [];
  coverageId = '';
  practitioners: Practitioner[] = [];
  providerId = '';
  priority = 'normal';
  procedures: ProcedureCode[] = [];
  /** Each code's price on the practice's most recent claim (its fee schedule, as billed). */
  fees = new Map<string, number>();
  items: Item[] = [];
  nextKey = 1;
  issues: OperationOutcomeIssue[] = [];
  checked = false;
  response?: ClaimResponse;
  rows: ClaimRow[] = [];
  /** encounter id -> standing of the claim that bills it */
  billedEncounters = new Map<string, Standing>();
  filter: Standing | '' = '';
  busy = '';
  loading = 'Signing in…';
  error = '';
  submitError = '';
  dxQuery = '';
  /** ICD-10-CM codes found by the search ($expand with a text filter); undefined before a search. */
  dxFound?: { code: string; display: string }[];

  static styles = [
    baseStyles,
    css`
      *, *::before, *::after { box-sizing: border-box; }
      .row > .field { min-width: 0; }
      .field select { width: 100%; min-width: 0; }
      .layout { display: grid; grid-template-columns: minmax(0, 1.35fr) minmax(0, 1fr); gap: 1.25rem; align-items: start; }
      @media (max-width: 1000px) { .layout { grid-template-columns: 1fr; } }
      section.card + section.card { margin-top: 1rem; }
      fieldset { border: 1px solid var(--m-border); border-radius: var(--m-radius); margin: 0 0 1rem; padding: 0.6rem 0.9rem 0.9rem; }
      legend { font-weight: 700; padding: 0 0.3rem; }
      .checks li { display: flex; gap: 0.5rem; align-items: baseline; padding: 0.2rem 0; }
      .checks label { font-weight: 400; }
      .items td input { width: 100%; min-width: 4.5rem; }
      .items td select { width: 100%; }
      .num { text-align: right; font-variant-numeric: tabular-nums; }
      .total { font-size: 1.1rem; font-weight: 700; }
      .actions { display: flex; gap: 0.75rem; flex-wrap: wrap; margin-top: 0.75rem; }
      .issues li { margin: 0.25rem 0; }
      .ok { padding: 0.5rem 0.75rem; border-radius: var(--m-radius); }
      dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 1rem; margin: 0 0 0.75rem; }
      dt { font-weight: 600; }
      dd { margin: 0; }
      .wide { overflow-x: auto; }
      caption { text-align: left; font-weight: 700; padding-bottom: 0.3rem; }
    `,
  ];

  async connectedCallback() {
    super.connectedCallback();
    try {
      this.session = await startSession();
      const s = this.session!;
      if (!s.patientId) throw new Error('Open Billing from the launcher with a patient selected.');
      this.loading = 'Loading the patient\'s encounters…';
      const pid = s.patientId;
      const [user, patient, encounters, conditions, coverages, practitioners, procedures, performed] = await Promise.all([
        userName(s),
        fhirRequest<Patient>(s, `Patient/${pid}`),
        fhirRequest<Bundle>(s, `Encounter?patient=${pid}&_sort=-date&_count=50`),
        fhirRequest<Bundle>(s, `Condition?patient=${pid}&_count=200`),
        fhirRequest<Bundle>(s, `Coverage?beneficiary=Patient/${pid}`),
        fhirRequest<Bundle>(s, `Practitioner?_count=200`),
        fhirRequest<ValueSet>(s, `ValueSet/$expand?url=${encodeURIComponent(PROCEDURES_VS)}&count=500`),
        fhirRequest<Bundle>(s, `Procedure?patient=${pid}&_count=200`),
      ]);
      this.performed = entries<Procedure>(performed, 'Procedure');
      this.user = user;
      this.patient = patient;
      this.encounters = entries<Encounter>(encounters, 'Encounter');
      this.conditions = new Map(entries<Condition>(conditions, 'Condition').map((c) => [c.id!, c]));
      this.coverages = entries<Coverage>(coverages, 'Coverage');
      this.coverageId = this.coverages.find((c) => c.status === 'active')?.id ?? '';
      this.practitioners = entries<Practitioner>(practitioners, 'Practitioner');
      this.procedures = (procedures.expansion?.contains ?? []).map((c) => ({ system: c.system!, code: c.code!, display: c.display ?? c.code! }));
      await this.loadClaims();
      const unbilled = this.encounters.find((e) => !this.billedEncounters.has(e.id!));
      await this.selectEncounter(unbilled?.id ?? this.encounters[0]?.id ?? '');
    } catch (e) {
      this.error = messageOf(e);
    } finally {
      this.loading = '';
    }
  }

  /** Every claim (the billing role reads all of them), newest first, with its answer and patient. */
  private async loadClaims() {
    const s = this.session!;
    const bundle = await fhirRequest<Bundle>(s, 'Claim?_sort=-created&_count=200&_revinclude=ClaimResponse:request&_include=Claim:patient');
    const responses = new Map<string, ClaimResponse>();
    for (const r of entries<ClaimResponse>(bundle, 'ClaimResponse')) {
      const id = refId(r.request?.reference);
      if (id) responses.set(id, r);
    }
    const patients = new Map(entries<Patient>(bundle, 'Patient').map((p) => [p.id!, humanName(p.name)]));
    const claims = entries<Claim>(bundle, 'Claim');
    this.rows = claims.map((claim) => {
      const response = responses.get(claim.id!);
      const standing = standingOf(claim, response);
      return {
        claim,
        response,
        standing,
        patientName: patients.get(refId(claim.patient?.reference) ?? '') ?? claim.patient?.display ?? '',
        billed: claim.total?.value ?? 0,
        paid: standing === 'Paid' || standing === 'Partly paid' ? (response?.payment?.amount?.value ?? 0) : 0,
      };
    });
    // fee schedule: the newest price of each code (rows are newest first)
    this.fees = new Map();
    for (const { claim } of this.rows) {
      for (const item of claim.item ?? []) {
        const code = item.productOrService?.coding?.[0]?.code;
        if (code && item.unitPrice?.value !== undefined && !this.fees.has(code)) this.fees.set(code, item.unitPrice.value);
      }
    }
    // this patient's billed encounters (their own query: the list above is the newest 200 of all)
    const mine = entries<Claim>(await fhirRequest<Bundle>(s, `Claim?patient=${s.patientId}&_count=200&_revinclude=ClaimResponse:request`), 'Claim');
    const mineResponses = entries<ClaimResponse>(await fhirRequest<Bundle>(s, `ClaimResponse?patient=${s.patientId}&_count=200`), 'ClaimResponse');
    const byClaim = new Map(mineResponses.map((r) => [refId(r.request?.reference), r]));
    this.billedEncounters = new Map();
    for (const claim of mine) {
      if (claim.status === 'cancelled' || claim.status === 'entered-in-error') continue;
      for (const item of claim.item ?? []) for (const e of item.encounter ?? []) this.billedEncounters.set(refId(e.reference)!, standingOf(claim, byClaim.get(claim.id)));
    }
  }

  private async selectEncounter(id: string) {
    this.encounterId = id;
    this.issues = [];
    this.checked = false;
    this.response = undefined;
    this.submitError = '';
    const encounter = this.encounters.find((e) => e.id === id);
    if (!encounter) {
      this.diagnoses = [];
      this.items = [];
      return;
    }
    // diagnoses: the encounter's own (diagnosis, then reasons), then the patient's other problems
    const onEncounter = [...(encounter.diagnosis ?? []).map((d) => d.condition?.reference), ...(encounter.reasonReference ?? []).map((r) => r.reference)]
      .map((r) => refId(r))
      .filter((x, i, all): x is string => !!x && all.indexOf(x) === i);
    const others = [...this.conditions.values()]
      .filter((c) => !onEncounter.includes(c.id!) && c.clinicalStatus?.coding?.some((x) => x.code === 'active'))
      .map((c) => c.id!);
    this.diagnoses = [...onEncounter, ...others].flatMap((cid) => {
      const c = this.conditions.get(cid);
      if (!c) return [];
      const icd = c.code?.coding?.find((x) => x.system === ICD10CM);
      return [{ conditionId: cid, code: icd?.code, display: icd?.display ?? conceptText(c.code), selected: onEncounter.includes(cid) && !!icd }];
    });
    const practitioner = refId(encounter.participant?.find((p) => p.individual?.reference?.startsWith('Practitioner/'))?.individual?.reference);
    this.providerId = practitioner ?? this.practitioners[0]?.id ?? '';
    // items: the visit itself, then what was performed at it (Procedures coded in CPT or HCPCS)
    const done = this.performed
      .filter((p) => refId(p.encounter?.reference) === id && p.status !== 'not-done' && p.status !== 'entered-in-error')
      .flatMap((p) => p.code?.coding?.filter((c) => this.procedures.some((x) => x.system === c.system && x.code === c.code)).slice(0, 1) ?? [])
      .map((c) => c.code!);
    this.items = [encounter.class?.code === 'EMER' ? '99283' : '99213', ...done].map((code) => this.newItem(code));
    await this.checkCodes();
  }

  private newItem(code = ''): Item {
    const fee = this.fees.get(code);
    return { key: this.nextKey++, code, quantity: 1, price: fee === undefined ? '' : fee.toFixed(2) };
  }

  /** Each ICD-10-CM code looked up in the terminology service: billable, a category, or unknown. */
  private async checkCodes() {
    const s = this.session!;
    const codes = [...new Set(this.diagnoses.map((d) => d.code).filter(Boolean) as string[])];
    const results = await Promise.all(
      codes.map(async (code): Promise<[string, Diagnosis['check']]> => {
        try {
          const p = await fhirRequest<Parameters>(s, `CodeSystem/$lookup?system=${encodeURIComponent(ICD10CM)}&code=${encodeURIComponent(code)}`);
          const category = p.parameter?.some((x) => x.name === 'property' && x.part?.some((y) => y.name === 'code' && y.valueCode === 'notSelectable') && x.part?.some((y) => y.name === 'value' && y.valueBoolean === true));
          return [code, category ? 'category' : 'billable'];
        } catch (e) {
          if (e instanceof FhirError && e.status === 404) return [code, 'unknown'];
          throw e;
        }
      }),
    );
    const checks = new Map(results);
    this.diagnoses = this.diagnoses.map((d) => ({ ...d, check: d.code ? checks.get(d.code) : undefined }));
  }

  /** ICD-10-CM codes whose code or words start with what was typed (ValueSet/$expand, filter). */
  private async searchDiagnoses(e: Event) {
    e.preventDefault();
    const q = this.dxQuery.trim();
    if (!q) return;
    try {
      const vs = await fhirRequest<ValueSet>(this.session!, `ValueSet/$expand?url=${encodeURIComponent(ICD10CM_VS)}&filter=${encodeURIComponent(q)}&count=8`);
      this.dxFound = (vs.expansion?.contains ?? []).map((c) => ({ code: c.code!, display: c.display ?? '' }));
    } catch (err) {
      this.submitError = messageOf(err);
    }
  }

  private async addDiagnosis(code: string, display: string) {
    if (!this.diagnoses.some((d) => d.code === code)) {
      this.diagnoses = [...this.diagnoses, { conditionId: '', code, display, selected: true }];
      await this.checkCodes();
    }
    this.dxFound = undefined;
    this.dxQuery = '';
  }

  private get encounter() {
    return this.encounters.find((e) => e.id === this.encounterId);
  }

  private itemNet(i: Item) {
    const price = Number(i.price);
    return i.price.trim() && Number.isFinite(price) ? Math.round(price * i.quantity * 100) / 100 : undefined;
  }

  private get total() {
    return this.items.reduce((sum, i) => sum + (this.itemNet(i) ?? 0), 0);
  }

  /** The Claim as the form stands. */
  private buildClaim(): Claim {
    const s = this.session!;
    const encounter = this.encounter;
    const diagnoses = this.diagnoses.filter((d) => d.selected && d.code);
    const provider = { reference: `Practitioner/${this.providerId}` };
    const served = encounter?.period?.start?.slice(0, 10) ?? today();
    const procedure = (code: string) => this.procedures.find((p) => p.code === code);
    return {
      resourceType: 'Claim',
      status: 'active',
      type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/claim-type', code: 'professional', display: 'Professional' }] },
      use: 'claim',
      patient: { reference: `Patient/${s.patientId}` },
      ...(encounter?.period ? { billablePeriod: encounter.period } : {}),
      created: today(),
      provider,
      priority: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/processpriority', code: this.priority }] },
      careTeam: [{ sequence: 1, provider }],
      ...(diagnoses.length
        ? { diagnosis: diagnoses.map((d, n) => ({ sequence: n + 1, diagnosisCodeableConcept: { coding: [{ system: ICD10CM, code: d.code, display: d.display }] } })) }
        : {}),
      insurance: this.coverageId ? [{ sequence: 1, focal: true, coverage: { reference: `Coverage/${this.coverageId}` } }] : [],
      item: this.items.map((i, n) => {
        const p = procedure(i.code);
        const net = this.itemNet(i);
        return {
          sequence: n + 1,
          careTeamSequence: [1],
          ...(diagnoses.length ? { diagnosisSequence: diagnoses.slice(0, 4).map((_, d) => d + 1) } : {}),
          productOrService: p ? { coding: [{ system: p.system, code: p.code, display: p.display }] } : { text: 'No code chosen' },
          servicedDate: served,
          quantity: { value: i.quantity },
          ...(net !== undefined ? { unitPrice: { value: Number(i.price), currency: 'USD' as const }, net: { value: net, currency: 'USD' as const } } : {}),
          ...(encounter ? { encounter: [{ reference: `Encounter/${encounter.id}` }] } : {}),
        };
      }),
      total: { value: Math.round(this.total * 100) / 100, currency: 'USD' },
    };
  }

  /** What the form itself can tell before the server is asked. */
  private localIssues(): OperationOutcomeIssue[] {
    const issues: OperationOutcomeIssue[] = [];
    const add = (text: string, where: string) => issues.push({ severity: 'error', code: 'required', diagnostics: text, expression: [where] });
    if (!this.encounter) add('Choose the encounter to bill.', 'Encounter');
    if (!this.coverageId) add('The patient has no coverage on file: a claim needs one.', 'Coverage');
    if (!this.diagnoses.some((d) => d.selected && d.code)) add('Choose at least one diagnosis.', 'Diagnoses');
    for (const d of this.diagnoses) if (d.selected && d.check === 'category') add(`${d.code} is a category, not a billable code: choose a more specific one.`, 'Diagnoses');
    if (!this.items.length) add('Add at least one item.', 'Items');
    this.items.forEach((i, n) => {
      if (!i.code) add(`Item ${n + 1}: choose a procedure code.`, 'Items');
      if (this.itemNet(i) === undefined || !(Number(i.price) > 0)) add(`Item ${n + 1}: enter a price.`, 'Items');
    });
    return issues;
  }

  private async validate() {
    const s = this.session!;
    this.busy = 'Checking the claim…';
    this.submitError = '';
    try {
      const local = this.localIssues();
      const outcome = await fhirRequest<OperationOutcome>(s, 'Claim/$validate', { method: 'POST', json: this.buildClaim() });
      const server = (outcome.issue ?? []).filter((i) => i.severity !== 'information');
      this.issues = [...local, ...server];
      this.checked = true;
    } catch (e) {
      this.submitError = messageOf(e);
    } finally {
      this.busy = '';
    }
  }

  private async submit() {
    const s = this.session!;
    this.busy = 'Submitting the claim to the payer…';
    this.submitError = '';
    this.response = undefined;
    try {
      this.response = await fhirRequest<ClaimResponse>(s, 'Claim/$submit', { method: 'POST', json: this.buildClaim() });
      this.issues = [];
      this.checked = false;
      await this.loadClaims();
    } catch (e) {
      this.submitError = messageOf(e);
      const body = e instanceof FhirError ? (e.body as OperationOutcome | undefined) : undefined;
      if (body?.resourceType === 'OperationOutcome') {
        this.issues = body.issue ?? [];
        this.checked = true;
      }
    } finally {
      this.busy = '';
    }
  }

  render() {
    return html`<m-shell app-name="Billing" user=${this.user}>
      <button slot="actions" @click=${signOut}>Sign out</button>
      <m-patient-banner .patient=${this.patient}></m-patient-banner>
      <m-status .loading=${this.loading} .error=${this.error}></m-status>
      ${this.session && !this.loading && !this.error
        ? html`<div class="layout">
            <div>${this.claimForm()} ${this.response ? this.responseCard(this.response) : nothing}</div>
            ${this.claimsList()}
          </div>`
        : nothing}
    </m-shell>`;
  }

  private claimForm() {
    const billed = this.billedEncounters;
    const diagnosisCount = this.diagnoses.filter((d) => d.selected).length;
    return html`<section class="card" aria-labelledby="new-claim">
      <h1 id="new-claim" style="font-size:1.3rem">New claim</h1>
      <div class="row" style="margin-bottom:1rem">
        <div class="field" style="flex:2 1 18rem">
          <label for="encounter">Encounter</label>
          <select id="encounter" .value=${this.encounterId} @change=${(e: Event) => this.selectEncounter((e.target as HTMLSelectElement).value)}>
            ${this.encounters.map(
              (e) => html`<option value=${e.id!} ?selected=${e.id === this.encounterId}>
                ${formatDate(e.period?.start)} · ${conceptText(e.type?.[0]) || e.class?.display || e.class?.code}${billed.has(e.id!) ? ` · billed (${billed.get(e.id!)})` : ' · not billed'}
              </option>`,
            )}
          </select>
        </div>
        <div class="field" style="flex:1 1 12rem">
          <label for="priority">Priority</label>
          <select id="priority" .value=${this.priority} @change=${(e: Event) => (this.priority = (e.target as HTMLSelectElement).value)}>
            ${PRIORITIES.map((p) => html`<option value=${p.code} ?selected=${p.code === this.priority}>${p.label}</option>`)}
          </select>
        </div>
      </div>
      ${this.encounters.length === 0 ? html`<p class="muted">This patient has no encounters to bill.</p>` : nothing}
      <div class="row" style="margin-bottom:1rem">
        <div class="field" style="flex:1 1 14rem">
          <label for="provider">Provider</label>
          <select id="provider" .value=${this.providerId} @change=${(e: Event) => (this.providerId = (e.target as HTMLSelectElement).value)}>
            ${this.practitioners.map((p) => html`<option value=${p.id!} ?selected=${p.id === this.providerId}>${humanName(p.name)}</option>`)}
          </select>
        </div>
        <div class="field" style="flex:1 1 14rem">
          <label for="coverage">Coverage</label>
          <select id="coverage" .value=${this.coverageId} @change=${(e: Event) => (this.coverageId = (e.target as HTMLSelectElement).value)}>
            <option value="" ?selected=${!this.coverageId}>No coverage</option>
            ${this.coverages.map(
              (c) => html`<option value=${c.id!} ?selected=${c.id === this.coverageId}>
                ${c.payor?.[0]?.display ?? 'Payer'} · ${c.class?.find((x) => x.type?.coding?.[0]?.code === 'plan')?.name ?? conceptText(c.type)} · ${c.status}
              </option>`,
            )}
          </select>
        </div>
      </div>
      ${this.coverages.length === 0 ? html`<p class="badge warning">No coverage on file for this patient.</p>` : nothing}

      <fieldset>
        <legend>Diagnoses (ICD-10-CM) · ${diagnosisCount} chosen</legend>
        ${this.diagnoses.length === 0 ? html`<p class="muted">No problems recorded for this patient.</p>` : nothing}
        <ul class="plain checks">
          ${this.diagnoses.map(
            (d, n) => html`<li>
              <input type="checkbox" id="dx-${n}" .checked=${d.selected} ?disabled=${!d.code}
                @change=${(e: Event) => (this.diagnoses = this.diagnoses.map((x, i) => (i === n ? { ...x, selected: (e.target as HTMLInputElement).checked } : x)))}>
              <label for="dx-${n}"><strong>${d.code ?? 'no ICD-10-CM code'}</strong> ${d.display}</label>
              ${d.check === 'billable' ? html`<span class="badge success">billable</span>` : nothing}
              ${d.check === 'category' ? html`<span class="badge warning">category, not billable</span>` : nothing}
              ${d.check === 'unknown' ? html`<span class="badge critical">unknown code</span>` : nothing}
            </li>`,
          )}
        </ul>
        <form class="row" role="search" aria-label="Find an ICD-10-CM code" style="margin-top:0.5rem" @submit=${this.searchDiagnoses}>
          <div class="field" style="flex:1 1 14rem"><label for="dx-query">Add a diagnosis</label>
            <input id="dx-query" type="search" placeholder="Code or words, e.g. E11 or asthma" autocomplete="off" .value=${this.dxQuery} @input=${(e: Event) => (this.dxQuery = (e.target as HTMLInputElement).value)}></div>
          <button type="submit">Find code</button>
        </form>
        ${this.dxFound
          ? this.dxFound.length
            ? html`<ul class="plain checks" aria-label="ICD-10-CM codes found">${this.dxFound.map(
                (c) => html`<li><button type="button" @click=${() => this.addDiagnosis(c.code, c.display)} aria-label="Add ${c.code} ${c.display}">Add</button> <strong>${c.code}</strong> ${c.display}</li>`,
              )}</ul>`
            : html`<p class="muted">No ICD-10-CM code matches.</p>`
          : nothing}
      </fieldset>

      <fieldset class="wide">
        <legend>Items</legend>
        <table class="items">
          <thead><tr><th scope="col">Procedure (CPT / HCPCS)</th><th scope="col" style="width:5.5rem">Qty</th><th scope="col" style="width:8rem">Unit price (USD)</th><th scope="col" class="num">Amount</th><th scope="col"><span class="visually-hidden">Remove</span></th></tr></thead>
          <tbody>
            ${this.items.map((i, n) => this.itemRow(i, n))}
          </tbody>
          <tfoot><tr><td colspan="3" class="total">Total</td><td class="num total" data-testid="claim-total">${money(this.total)}</td><td></td></tr></tfoot>
        </table>
        <button type="button" style="margin-top:0.5rem" @click=${() => (this.items = [...this.items, this.newItem()])}>Add item</button>
      </fieldset>

      <div class="actions">
        <button type="button" @click=${this.validate} ?disabled=${!!this.busy}>Check claim</button>
        <button type="button" class="primary" @click=${this.submit} ?disabled=${!!this.busy || !this.encounter}>Submit claim</button>
      </div>
      <m-status .loading=${this.busy} .error=${this.submitError}></m-status>
      ${this.checked ? this.issueList() : nothing}
    </section>`;
  }

  private itemRow(i: Item, n: number) {
    const update = (patch: Partial<Item>) => (this.items = this.items.map((x) => (x.key === i.key ? { ...x, ...patch } : x)));
    const net = this.itemNet(i);
    return html`<tr>
      <td>
        <label class="visually-hidden" for="code-${i.key}">Procedure of item ${n + 1}</label>
        <select id="code-${i.key}" .value=${i.code} @change=${(e: Event) => {
          const code = (e.target as HTMLSelectElement).value;
          const fee = this.fees.get(code);
          update({ code, price: fee !== undefined ? fee.toFixed(2) : i.price });
        }}>
          <option value="" ?selected=${!i.code}>Choose a procedure…</option>
          ${this.procedures.map((p) => html`<option value=${p.code} ?selected=${p.code === i.code}>${p.code} ${p.display}</option>`)}
        </select>
      </td>
      <td><label class="visually-hidden" for="qty-${i.key}">Quantity of item ${n + 1}</label>
        <input id="qty-${i.key}" type="number" min="1" step="1" .value=${String(i.quantity)} @input=${(e: Event) => update({ quantity: Math.max(1, Number((e.target as HTMLInputElement).value) || 1) })}></td>
      <td><label class="visually-hidden" for="price-${i.key}">Unit price of item ${n + 1}</label>
        <input id="price-${i.key}" inputmode="decimal" .value=${i.price} placeholder="0.00" @input=${(e: Event) => update({ price: (e.target as HTMLInputElement).value })}></td>
      <td class="num">${money(net)}</td>
      <td><button type="button" class="danger" aria-label="Remove item ${n + 1}" @click=${() => (this.items = this.items.filter((x) => x.key !== i.key))}>✕</button></td>
    </tr>`;
  }

  private issueList() {
    if (!this.issues.length) return html`<p class="ok success" role="status">No problems found: the claim is ready to submit.</p>`;
    const where = (i: OperationOutcomeIssue) => friendlyPath(i.expression?.[0]);
    return html`<div role="alert">
      <h2 style="margin-top:0.75rem">Problems to fix</h2>
      <ul class="issues">
        ${this.issues.map(
          (i) => html`<li><span class="badge ${i.severity === 'warning' ? 'warning' : 'critical'}">${i.severity}</span>
            ${where(i) ? html`<strong>${where(i)}:</strong>` : nothing} ${i.details?.text ?? i.diagnostics ?? i.code}</li>`,
        )}
      </ul>
    </div>`;
  }

  private responseCard(r: ClaimResponse) {
    const total = (code: string) => r.total?.find((t) => t.category?.coding?.some((c) => c.code === code))?.amount?.value;
    const adj = (item: NonNullable<ClaimResponse['item']>[number], code: string) => item.adjudication?.find((a) => a.category?.coding?.some((c) => c.system === ADJUDICATION && c.code === code))?.amount?.value;
    return html`<section class="card" aria-labelledby="payer-answer" style="margin-top:1rem">
      <h2 id="payer-answer">Payer's answer</h2>
      <dl>
        <dt>Outcome</dt><dd><span class="badge ${r.outcome === 'complete' ? 'success' : r.outcome === 'error' ? 'critical' : 'warning'}">${outcomeWords(r.outcome)}</span></dd>
        <dt>Disposition</dt><dd>${r.disposition ?? '—'}</dd>
        <dt>Billed</dt><dd>${money(total('submitted'))}</dd>
        <dt>Payer pays</dt><dd data-testid="paid-amount">${money(r.payment?.amount?.value ?? total('benefit'))}${r.payment?.date ? ` on ${formatDate(r.payment.date)}` : ''}</dd>
      </dl>
      <table>
        <caption>Adjudication by item</caption>
        <thead><tr><th scope="col">Item</th><th scope="col" class="num">Billed</th><th scope="col" class="num">Allowed</th><th scope="col" class="num">Paid</th></tr></thead>
        <tbody>${(r.item ?? []).map((i) => html`<tr><td>${i.itemSequence}</td><td class="num">${money(adj(i, 'submitted'))}</td><td class="num">${money(adj(i, 'eligible'))}</td><td class="num">${money(adj(i, 'benefit'))}</td></tr>`)}</tbody>
      </table>
    </section>`;
  }

  private claimsList() {
    const shown = this.filter ? this.rows.filter((r) => r.standing === this.filter) : this.rows;
    const summary = STANDINGS.map((st) => {
      const rows = this.rows.filter((r) => r.standing === st);
      return { st, count: rows.length, billed: rows.reduce((s, r) => s + r.billed, 0), paid: rows.reduce((s, r) => s + r.paid, 0) };
    }).filter((x) => x.count > 0);
    return html`<section class="card" aria-labelledby="claims-title">
      <h2 id="claims-title">Claims</h2>
      <p class="muted">All patients' claims, newest ${this.rows.length} shown.</p>
      <div class="wide" tabindex="0" role="region" aria-label="Totals, scrollable">
        <table aria-label="Totals by status">
          <caption>Totals by status</caption>
          <thead><tr><th scope="col">Status</th><th scope="col" class="num">Claims</th><th scope="col" class="num">Billed</th><th scope="col" class="num">Paid</th></tr></thead>
          <tbody>
            ${summary.map((x) => html`<tr data-status=${x.st}><th scope="row"><span class="badge ${STANDING_CLASS[x.st]}">${x.st}</span></th><td class="num">${x.count}</td><td class="num">${money(x.billed)}</td><td class="num">${money(x.paid)}</td></tr>`)}
          </tbody>
          <tfoot><tr><th scope="row">All</th><td class="num">${this.rows.length}</td><td class="num">${money(this.rows.reduce((s, r) => s + r.billed, 0))}</td><td class="num">${money(this.rows.reduce((s, r) => s + r.paid, 0))}</td></tr></tfoot>
        </table>
      </div>
      <div class="field" style="margin:1rem 0 0.5rem; max-width:16rem">
        <label for="status-filter">Show</label>
        <select id="status-filter" .value=${this.filter} @change=${(e: Event) => (this.filter = (e.target as HTMLSelectElement).value as Standing | '')}>
          <option value="">All statuses</option>
          ${STANDINGS.map((st) => html`<option value=${st} ?selected=${st === this.filter}>${st}</option>`)}
        </select>
      </div>
      <div class="wide" tabindex="0" role="region" aria-label="Claims, scrollable">
        <table aria-label="Claims list">
          <thead><tr><th scope="col">Created</th><th scope="col">Patient</th><th scope="col">Status</th><th scope="col" class="num">Billed</th><th scope="col" class="num">Paid</th></tr></thead>
          <tbody>
            ${shown.slice(0, 100).map(
              (r) => html`<tr>
                <td>${formatDate(r.claim.created)}</td>
                <td>${r.patientName}</td>
                <td><span class="badge ${STANDING_CLASS[r.standing]}">${r.standing}</span></td>
                <td class="num">${money(r.billed)}</td>
                <td class="num">${r.response ? money(r.paid) : '—'}</td>
              </tr>`,
            )}
          </tbody>
        </table>
      </div>
      ${shown.length === 0 ? html`<p class="muted">No claims with this status.</p>` : nothing}
      ${shown.length > 100 ? html`<p class="muted">The first 100 of ${shown.length} are listed.</p>` : nothing}
    </section>`;
  }
}
customElements.define('m-billing-app', BillingApp);

export function standingOf(claim: Claim, response?: ClaimResponse): Standing {
  if (claim.status === 'cancelled' || claim.status === 'entered-in-error') return 'Cancelled';
  if (claim.status === 'draft') return 'Draft';
  if (!response || response.outcome === 'queued') return 'Awaiting response';
  if (response.outcome === 'error') return 'Denied';
  if (response.outcome === 'partial') return 'Partly paid';
  return 'Paid';
}

const outcomeWords = (o?: string) => ({ complete: 'Processed: paid', error: 'Denied', partial: 'Partly processed', queued: 'Queued' })[o ?? ''] ?? o ?? 'Unknown';

/** A FHIRPath of the claim as words a biller reads. */
function friendlyPath(path?: string): string {
  if (!path) return '';
  if (!path.startsWith('Claim')) return path;
  const m = /^Claim\.(\w+)(?:\[(\d+)\])?(?:\.(\w+))?/.exec(path);
  if (!m) return path;
  const [, field, index, sub] = m;
  const names: Record<string, string> = { insurance: 'Coverage', item: 'Item', diagnosis: 'Diagnosis', patient: 'Patient', provider: 'Provider', total: 'Total', priority: 'Priority', insurer: 'Payer', use: 'Claim type' };
  const subNames: Record<string, string> = { unitPrice: 'price', productOrService: 'procedure code', net: 'amount', quantity: 'quantity', coverage: '', encounter: 'encounter', servicedDate: 'service date', diagnosisSequence: 'diagnoses' };
  return [names[field] ?? field, index !== undefined ? Number(index) + 1 : '', sub ? (subNames[sub] ?? sub) : ''].filter((x) => x !== '').join(' ');
}
