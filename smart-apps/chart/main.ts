// The clinician chart (EHR launch, a patient in context): banner, problems, medications, allergies,
// encounters, vital-sign and lab trends (uPlot), recent results flagged by interpretation, and the
// patient-view CDS cards. Applying a card's suggestion performs its actions through the FHIR API;
// accepting and overriding send CDS feedback.
import { css, html, LitElement, nothing } from 'lit';
import type {
  AllergyIntolerance, Bundle, Condition, Encounter, MedicationRequest, Observation, Patient, Resource,
} from '@medplum/fhirtypes';
import { callHook, sendFeedback, type Card, type CdsSuggestion } from '../shared/cds.js';
import type { CardEvent } from '../shared/cds-cards.js';
import '../shared/cds-cards.js';
import { conceptText, entries, formatDate, humanName, messageOf } from '../shared/fhir.js';
import { smartLinkLauncher } from '../shared/launch.js';
import { fhirRequest, signOut, startSession, userName, type Session } from '../shared/smart.js';
import type { TrendPoint, TrendSeries } from '../shared/trend-chart.js';
import '../shared/trend-chart.js';
import { baseStyles } from '../shared/ui.js';
import '../shared/ui.js';

const LOINC = 'http://loinc.org';
const VITALS = {
  bp: '85354-9',
  systolic: '8480-6',
  diastolic: '8462-4',
  heartRate: '8867-4',
  weight: '29463-7',
  bmi: '39156-5',
};

/** Observation.interpretation codes (v3-ObservationInterpretation) as badges. */
const FLAGS: Record<string, { text: string; tone: 'critical' | 'warning' | 'info' | 'success' }> = {
  HH: { text: 'Critical high', tone: 'critical' },
  LL: { text: 'Critical low', tone: 'critical' },
  AA: { text: 'Critical abnormal', tone: 'critical' },
  H: { text: 'High', tone: 'warning' },
  L: { text: 'Low', tone: 'warning' },
  A: { text: 'Abnormal', tone: 'warning' },
  HU: { text: 'Significantly high', tone: 'critical' },
  LU: { text: 'Significantly low', tone: 'critical' },
  POS: { text: 'Positive', tone: 'warning' },
  N: { text: 'Normal', tone: 'success' },
  NEG: { text: 'Negative', tone: 'success' },
};

const codeOf = (o: Observation | { code?: Observation['code'] }, system = LOINC) => o.code?.coding?.find((c) => c.system === system)?.code;
const whenOf = (o: Observation) => o.effectiveDateTime ?? o.effectivePeriod?.start ?? o.issued ?? '';
const flagOf = (o: Observation) => o.interpretation?.flatMap((i) => i.coding ?? []).find((c) => c.code)?.code;
const statusOf = (c?: { coding?: { code?: string }[] }) => c?.coding?.[0]?.code ?? '';

function quantityText(o: Observation): string {
  if (o.valueQuantity?.value !== undefined) return `${o.valueQuantity.value} ${o.valueQuantity.unit ?? o.valueQuantity.code ?? ''}`.trim();
  if (o.component?.length) return o.component.map((c) => c.valueQuantity?.value).filter((v) => v !== undefined).join('/') + ` ${o.component[0].valueQuantity?.unit ?? ''}`;
  if (o.valueCodeableConcept) return conceptText(o.valueCodeableConcept);
  if (o.valueString) return o.valueString;
  return '';
}

export class ChartApp extends LitElement {
  static properties = {
    session: { state: true },
    user: { state: true },
    patient: { state: true },
    conditions: { state: true },
    medications: { state: true },
    allergies: { state: true },
    encounters: { state: true },
    vitals: { state: true },
    labs: { state: true },
    cards: { state: true },
    cdsLoading: { state: true },
    cdsError: { state: true },
    notice: { state: true },
    loading: { state: true },
    error: { state: true },
  };
  session?: Session;
  user = '';
  patient?: Patient;
  conditions: Condition[] = [];
  medications: MedicationRequest[] = [];
  allergies: AllergyIntolerance[] = [];
  encounters: Encounter[] = [];
  vitals: Observation[] = [];
  labs: Observation[] = [];
  cards: Card[] = [];
  serviceOf: Record<string, string> = {};
  cdsLoading = '';
  cdsError = '';
  notice = '';
  loading = 'Signing in…';
  error = '';

  static styles = [
    baseStyles,
    css`
      .columns { display: grid; gap: var(--m-space); grid-template-columns: repeat(3, minmax(0, 1fr)); margin-bottom: var(--m-space); }
      .trends { display: grid; gap: var(--m-space); grid-template-columns: repeat(2, minmax(0, 1fr)); }
      .two { display: grid; gap: var(--m-space); grid-template-columns: minmax(0, 2fr) minmax(0, 1fr); margin-top: var(--m-space); }
      @media (max-width: 1000px) { .columns { grid-template-columns: 1fr 1fr; } .two { grid-template-columns: 1fr; } }
      @media (max-width: 700px) { .columns, .trends { grid-template-columns: 1fr; } }
      section.card { min-width: 0; }
      section > h2 { display: flex; justify-content: space-between; align-items: baseline; gap: 0.5rem; }
      .count { font-size: 0.85rem; font-weight: 400; color: var(--m-muted); }
      ul.items li { padding: 0.4rem 0; border-bottom: 1px solid var(--m-border); }
      ul.items li:last-child { border-bottom: 0; }
      .item-title { font-weight: 600; }
      .meta { font-size: 0.875rem; color: var(--m-muted); }
      .cds { margin-bottom: var(--m-space); }
      .trend-block { margin-bottom: var(--m-space); }
      .notice { margin: 0 0 var(--m-space); padding: 0.5rem 0.75rem; border-radius: var(--m-radius); }
      td.value, td.when, td.flag { white-space: nowrap; }
      .table-wrap { overflow-x: auto; }
    `,
  ];

  async connectedCallback() {
    super.connectedCallback();
    try {
      this.session = await startSession();
      if (!this.session) return;
      if (!this.session.patientId) throw new Error('No patient is in context: open the chart from the launcher, for a patient.');
      this.loading = 'Loading the chart…';
      [this.user] = await Promise.all([userName(this.session), this.load()]);
      void this.loadCards();
    } catch (e) {
      this.error = messageOf(e);
    } finally {
      this.loading = '';
    }
  }

  private async load() {
    const s = this.session!;
    const pid = encodeURIComponent(s.patientId!);
    const search = async <T extends Resource>(type: T['resourceType'], query: string) =>
      entries<T>(await fhirRequest<Bundle>(s, `${type}?patient=${pid}&${query}`), type);
    const [patient, conditions, medications, allergies, encounters, vitals, labs] = await Promise.all([
      fhirRequest<Patient>(s, `Patient/${pid}`),
      search<Condition>('Condition', '_count=100'),
      search<MedicationRequest>('MedicationRequest', '_count=100&_sort=-authoredon'),
      search<AllergyIntolerance>('AllergyIntolerance', '_count=50'),
      search<Encounter>('Encounter', '_count=10&_sort=-date'),
      search<Observation>('Observation', 'category=vital-signs&_count=300&_sort=-date'),
      search<Observation>('Observation', 'category=laboratory&_count=300&_sort=-date'),
    ]);
    this.patient = patient;
    const rank = (status: string) => (status === 'active' ? 0 : status === 'recurrence' || status === 'relapse' ? 1 : 2);
    this.conditions = conditions.sort((a, b) => rank(statusOf(a.clinicalStatus)) - rank(statusOf(b.clinicalStatus)) || (b.onsetDateTime ?? '').localeCompare(a.onsetDateTime ?? ''));
    const medRank = (m: MedicationRequest) => (m.status === 'active' ? 0 : m.status === 'on-hold' || m.status === 'draft' ? 1 : 2);
    this.medications = medications.sort((a, b) => medRank(a) - medRank(b) || (b.authoredOn ?? '').localeCompare(a.authoredOn ?? ''));
    this.allergies = allergies;
    this.encounters = encounters;
    this.vitals = vitals;
    this.labs = labs;
  }

  private async loadCards() {
    const s = this.session!;
    this.cdsLoading = 'Checking decision support…';
    this.cdsError = '';
    try {
      const results = await callHook(s, 'patient-view', { patientId: s.patientId, userId: s.fhirUser });
      this.serviceOf = Object.fromEntries(results.flatMap((r) => r.cards.map((c) => [c.uuid ?? '', r.serviceId])));
      this.cards = results.flatMap((r) => r.cards);
    } catch (e) {
      this.cdsError = `Decision support is unavailable: ${messageOf(e)}`;
    } finally {
      this.cdsLoading = '';
    }
  }

  render() {
    return html`<m-shell app-name="Chart" user=${this.user}>
      ${this.session ? html`<button slot="actions" @click=${signOut}>Sign out</button>` : nothing}
      <m-status .loading=${this.loading} .error=${this.error}></m-status>
      ${this.patient ? this.chart() : nothing}
    </m-shell>`;
  }

  private chart() {
    const active = this.medications.filter((m) => m.status === 'active');
    return html`<h1 class="visually-hidden">Chart of ${humanName(this.patient?.name)}</h1>
      <m-patient-banner .patient=${this.patient}></m-patient-banner>
      ${this.notice ? html`<p class="notice success" role="status">${this.notice}</p>` : nothing}
      <section class="cds" aria-labelledby="cds-title">
        <h2 id="cds-title" class="visually-hidden">Decision support</h2>
        <m-status .loading=${this.cdsLoading} .error=${this.cdsError}></m-status>
        <m-cds-cards .cards=${this.cards} .serviceOf=${this.serviceOf} .launchLink=${this.session ? smartLinkLauncher(this.session, this.session.patientId!) : undefined}
          @cds-accept=${this.onAccept} @cds-override=${this.onOverride}></m-cds-cards>
      </section>
      <div class="columns">
        <section class="card" aria-labelledby="problems-title">
          <h2 id="problems-title">Problems <span class="count">${this.conditions.length}</span></h2>
          ${this.list(this.conditions, (c) => html`<span class="item-title">${conceptText(c.code)}</span>
            <div class="meta">${statusOf(c.clinicalStatus) || 'status unknown'}${c.onsetDateTime ? html` · since ${formatDate(c.onsetDateTime)}` : nothing}</div>`, 'No problems recorded.', 'Problems')}
        </section>
        <section class="card" aria-labelledby="meds-title">
          <h2 id="meds-title">Medications <span class="count">${active.length} active of ${this.medications.length}</span></h2>
          ${this.list(this.medications, (m) => html`<span class="item-title">${conceptText(m.medicationCodeableConcept) || m.medicationReference?.display || 'Medication'}</span>
            <div class="meta">${m.status}${m.dosageInstruction?.[0]?.text ? html` · ${m.dosageInstruction[0].text}` : nothing}${m.authoredOn ? html` · ${formatDate(m.authoredOn)}` : nothing}</div>`, 'No medications recorded.', 'Medications')}
        </section>
        <section class="card" aria-labelledby="allergies-title">
          <h2 id="allergies-title">Allergies <span class="count">${this.allergies.length}</span></h2>
          ${this.list(this.allergies, (a) => html`<span class="item-title">${conceptText(a.code)}</span>
            ${a.criticality === 'high' ? html` <span class="badge critical">high criticality</span>` : nothing}
            <div class="meta">${statusOf(a.clinicalStatus) || 'status unknown'}${a.reaction?.[0]?.manifestation?.length ? html` · ${a.reaction[0].manifestation.map(conceptText).join(', ')}` : nothing}</div>`, 'No known allergies recorded.', 'Allergies')}
        </section>
      </div>
      <section class="card trend-block" aria-labelledby="trends-title">
        <h2 id="trends-title">Trends</h2>
        ${this.trends()}
      </section>
      <div class="two">
        <section class="card" aria-labelledby="results-title">
          <h2 id="results-title">Recent results</h2>
          ${this.results()}
        </section>
        <section class="card" aria-labelledby="encounters-title">
          <h2 id="encounters-title">Encounters</h2>
          ${this.list(this.encounters, (e) => html`<span class="item-title">${conceptText(e.type?.[0]) || e.class?.display || e.class?.code || 'Encounter'}</span>
            <div class="meta">${formatDate(e.period?.start)} · ${e.status}${e.reasonCode?.length ? html` · ${e.reasonCode.map(conceptText).join(', ')}` : nothing}</div>`, 'No encounters recorded.', 'Encounters')}
        </section>
      </div>`;
  }

  private list<T>(items: T[], item: (x: T) => unknown, empty: string, label: string) {
    if (!items.length) return html`<p class="muted">${empty}</p>`;
    return html`<ul class="plain items" aria-label=${label}>${items.map((x) => html`<li>${item(x)}</li>`)}</ul>`;
  }

  /** Blood pressure (panel components or separate Observations), heart rate, weight, and the most measured labs. */
  private trends() {
    const asc = (list: Observation[]) => [...list].sort((a, b) => whenOf(a).localeCompare(whenOf(b)));
    const vitals = asc(this.vitals);
    const point = (o: Observation, value?: number): TrendPoint[] => (value === undefined ? [] : [{ when: whenOf(o), value, flag: flagOf(o) }]);
    const component = (o: Observation, code: string) => o.component?.find((c) => codeOf(c) === code)?.valueQuantity?.value;
    const systolic = vitals.flatMap((o) => point(o, codeOf(o) === VITALS.bp ? component(o, VITALS.systolic) : codeOf(o) === VITALS.systolic ? o.valueQuantity?.value : undefined));
    const diastolic = vitals.flatMap((o) => point(o, codeOf(o) === VITALS.bp ? component(o, VITALS.diastolic) : codeOf(o) === VITALS.diastolic ? o.valueQuantity?.value : undefined));
    const simple = (code: string) => vitals.filter((o) => codeOf(o) === code).flatMap((o) => point(o, o.valueQuantity?.value));
    const charts: { heading: string; unit: string; series: TrendSeries[]; low?: number; high?: number }[] = [];
    if (systolic.length) charts.push({ heading: 'Blood pressure', unit: 'mmHg', series: [{ label: 'Systolic', points: systolic }, { label: 'Diastolic', points: diastolic }], high: 130 });
    const hr = simple(VITALS.heartRate);
    if (hr.length) charts.push({ heading: 'Heart rate', unit: '/min', series: [{ label: 'Heart rate', points: hr }] });
    const weight = simple(VITALS.weight);
    if (weight.length) charts.push({ heading: 'Body weight', unit: 'kg', series: [{ label: 'Weight', points: weight }] });
    // labs: the three tests with the most numeric results
    const byCode = new Map<string, Observation[]>();
    for (const o of asc(this.labs)) {
      const code = codeOf(o);
      if (!code || o.valueQuantity?.value === undefined) continue;
      byCode.set(code, [...(byCode.get(code) ?? []), o]);
    }
    const top = [...byCode.values()].filter((l) => l.length >= 2).sort((a, b) => b.length - a.length).slice(0, 3);
    for (const list of top) {
      const last = list.at(-1)!;
      const range = last.referenceRange?.[0];
      charts.push({
        heading: conceptText(last.code),
        unit: last.valueQuantity?.unit ?? '',
        series: [{ label: 'Result', points: list.flatMap((o) => point(o, o.valueQuantity?.value)) }],
        low: range?.low?.value,
        high: range?.high?.value,
      });
    }
    if (!charts.length) return html`<p class="muted">No vital signs or results to chart yet.</p>`;
    return html`<div class="trends">${charts.map((c) => html`<m-trend-chart heading=${c.heading} unit=${c.unit} .series=${c.series} .low=${c.low} .high=${c.high}></m-trend-chart>`)}</div>`;
  }

  private results() {
    const recent = [...this.labs].sort((a, b) => whenOf(b).localeCompare(whenOf(a))).slice(0, 15);
    if (!recent.length) return html`<p class="muted">No results recorded.</p>`;
    const abnormal = recent.filter((o) => { const f = flagOf(o); return f && f !== 'N' && f !== 'NEG'; }).length;
    return html`<p class="meta">${abnormal ? `${abnormal} of the last ${recent.length} results are flagged.` : `The last ${recent.length} results are within range.`}</p>
      <div class="table-wrap"><table>
        <caption class="visually-hidden">Recent laboratory results with their interpretation</caption>
        <thead><tr><th scope="col">Test</th><th scope="col">Result</th><th scope="col">Flag</th><th scope="col">Reference</th><th scope="col">Date</th></tr></thead>
        <tbody>${recent.map((o) => {
          const flag = flagOf(o);
          const f = flag ? FLAGS[flag] ?? { text: flag, tone: 'info' as const } : undefined;
          const rr = o.referenceRange?.[0];
          return html`<tr data-flag=${flag ?? ''}>
            <td>${conceptText(o.code)}</td>
            <td class="value">${quantityText(o)}</td>
            <td class="flag">${f ? html`<span class="badge ${f.tone}" title=${f.text}>${flag === 'N' ? 'Normal' : `${flag} · ${f.text}`}</span>` : html`<span class="muted">—</span>`}</td>
            <td>${rr && (rr.low || rr.high) ? `${rr.low?.value ?? ''}–${rr.high?.value ?? ''}` : rr?.text ?? ''}</td>
            <td class="when">${formatDate(whenOf(o).slice(0, 10))}</td>
          </tr>`;
        })}</tbody>
      </table></div>`;
  }

  /** A suggestion's actions through the FHIR API (create, update, delete), then feedback "accepted". */
  private onAccept = async (e: Event) => {
    const { card, suggestion, serviceId } = (e as CustomEvent<CardEvent>).detail;
    if (!this.session || !suggestion) return;
    try {
      const done = await applyActions(this.session, suggestion);
      if (serviceId && card.uuid) await sendFeedback(this.session, serviceId, [{ card: card.uuid, outcome: 'accepted', acceptedSuggestions: suggestion.uuid ? [{ id: suggestion.uuid }] : [] }]);
      this.notice = `${suggestion.label}: done${done.length ? ` (${done.join(', ')})` : ''}.`;
      await this.load();
    } catch (err) {
      this.cdsError = `"${suggestion.label}" could not be applied: ${messageOf(err)}`;
    }
  };

  private onOverride = async (e: Event) => {
    const { card, reason, comment, serviceId } = (e as CustomEvent<CardEvent>).detail;
    if (!this.session || !serviceId || !card.uuid) return;
    try {
      await sendFeedback(this.session, serviceId, [{ card: card.uuid, outcome: 'overridden', overrideReason: { ...(reason?.code ? { reason: { system: reason.system, code: reason.code, display: reason.display } } : {}), ...(comment ? { userComment: comment } : {}) } }]);
      this.notice = `Overridden: ${card.summary}`;
    } catch (err) {
      this.cdsError = `The override could not be recorded: ${messageOf(err)}`;
    }
  };
}
customElements.define('m-chart-app', ChartApp);

/** Performs a suggestion's actions: create (POST), update (PUT), delete (DELETE each resourceId). Returns what was written. */
export async function applyActions(session: Session, suggestion: CdsSuggestion): Promise<string[]> {
  const done: string[] = [];
  for (const action of suggestion.actions ?? []) {
    if (action.type === 'create' && action.resource) {
      const { id: _id, ...body } = action.resource as Resource & { id?: string };
      const created = await fhirRequest<Resource>(session, action.resource.resourceType, { method: 'POST', json: body });
      done.push(`${created.resourceType}/${created.id} created`);
    } else if (action.type === 'update' && action.resource?.id) {
      await fhirRequest(session, `${action.resource.resourceType}/${action.resource.id}`, { method: 'PUT', json: action.resource });
      done.push(`${action.resource.resourceType}/${action.resource.id} updated`);
    } else if (action.type === 'delete') {
      for (const ref of action.resourceId ?? []) {
        await fhirRequest(session, ref, { method: 'DELETE' });
        done.push(`${ref} deleted`);
      }
    }
  }
  return done;
}
