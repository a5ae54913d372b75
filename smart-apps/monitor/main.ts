// The vitals monitor (standalone launch by a nurse or doctor): a ward of patients, each with the
// latest value and a uPlot sparkline per vital sign, updated live through a websocket subscription.
// Out-of-range readings (the server's alert thresholds, or the Observation's interpretation) are
// highlighted and listed as alerts; the connection's state is always shown, a dropped connection is
// re-established with backoff and the events missed meanwhile are fetched with $events.
import { css, html, LitElement, nothing } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import type { Bundle, Observation, Patient } from '@medplum/fhirtypes';
import { ageOf, entries, humanName, messageOf } from '../shared/fhir.js';
import { fhirRequest, signOut, startSession, userName, type Session } from '../shared/smart.js';
import { baseStyles } from '../shared/ui.js';
import '../shared/ui.js';
import './sparkline.js';
import { VitalsFeed, type FeedState } from './live.js';
import { formatValue, readingsOf, VITALS, type Reading, type VitalDef, type VitalKey } from './vitals.js';

/** How many patients the ward shows, and how many readings a sparkline keeps. */
const WARD_SIZE = 12;
const TREND_POINTS = 20;
const FRESH_MS = 4000;

interface Alert {
  reading: Reading;
  patient: string;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'short', timeStyle: 'short' });
const when = (ms: number) => (Date.now() - ms < 20 * 3600_000 ? timeFormat.format(ms) : dateTimeFormat.format(ms));

export class MonitorApp extends LitElement {
  static properties = {
    user: { state: true },
    patients: { state: true },
    readings: { state: true },
    alerts: { state: true },
    feedState: { state: true },
    lastEvent: { state: true },
    loading: { state: true },
    error: { state: true },
  };
  session?: Session;
  user = '';
  patients: Patient[] = [];
  /** patient id -> vital -> readings, oldest first */
  readings = new Map<string, Map<VitalKey, Reading[]>>();
  alerts: Alert[] = [];
  feedState: FeedState = { kind: 'connecting' };
  lastEvent = 0;
  loading = 'Signing in…';
  error = '';
  private feed?: VitalsFeed;
  private seen = new Set<string>();
  private clock?: ReturnType<typeof setInterval>;

  static styles = [
    baseStyles,
    css`
      .toolbar { display: flex; flex-wrap: wrap; gap: 0.75rem 1.5rem; align-items: center; justify-content: space-between; margin-bottom: 1rem; }
      .conn { display: inline-flex; gap: 0.5rem; align-items: center; font-weight: 600; padding: 0.3rem 0.8rem; border-radius: 999px; border: 1px solid currentColor; }
      .dot { width: 0.7rem; height: 0.7rem; border-radius: 50%; background: currentColor; }
      .layout { display: grid; grid-template-columns: minmax(0, 1fr) 18rem; gap: 1rem; align-items: start; }
      @media (max-width: 1000px) { .layout { grid-template-columns: 1fr; } }
      .ward { display: grid; gap: 1rem; grid-template-columns: repeat(auto-fill, minmax(22rem, 1fr)); }
      article.patient { padding: 0.75rem; border-left: 6px solid var(--m-success); }
      article.patient.alerting { border-left-color: var(--m-critical); }
      article.patient h2 { font-size: 1.05rem; margin: 0; }
      .who { display: flex; justify-content: space-between; gap: 0.5rem; align-items: baseline; flex-wrap: wrap; margin-bottom: 0.3rem; }
      table { font-size: 0.92rem; }
      td, th { padding: 0.25rem 0.35rem; vertical-align: middle; }
      td.value { font-variant-numeric: tabular-nums; font-weight: 700; white-space: nowrap; }
      tr.out td.value { color: var(--m-critical); }
      tr.out { background: var(--m-critical-bg); }
      tr.fresh td.value { outline: 2px solid var(--m-focus); outline-offset: -2px; }
      .time { color: var(--m-muted); font-size: 0.8rem; font-weight: 400; white-space: normal; }
      table { table-layout: fixed; }
      th[scope='row'] { font-size: 0.85rem; letter-spacing: 0; text-transform: none; color: var(--m-text); }
      .alerts li { border-left: 4px solid var(--m-critical); padding: 0.35rem 0.6rem; margin-bottom: 0.5rem; background: var(--m-critical-bg); border-radius: var(--m-radius); }
      .alerts li strong { color: var(--m-critical); }
      .unit { font-weight: 400; color: var(--m-muted); font-size: 0.8rem; }
    `,
  ];

  async connectedCallback() {
    super.connectedCallback();
    this.clock = setInterval(() => this.requestUpdate(), 1000); // "fresh" marks and relative states
    try {
      this.session = await startSession();
      if (!this.session) return;
      this.user = await userName(this.session);
      this.loading = 'Loading the ward…';
      const patients = entries<Patient>(await fhirRequest<Bundle>(this.session, `Patient?_count=${WARD_SIZE}&_sort=family,given`), 'Patient');
      this.patients = patients;
      if (!patients.length) return;
      this.feed = new VitalsFeed(this.session, patients.map((p) => p.id!), {
        onObservations: (obs) => this.add(obs, true),
        onState: (s) => (this.feedState = s),
        onEventNumber: (n) => (this.lastEvent = n),
      });
      // subscribe first, then read the history: a reading written in between comes as an event
      await this.feed.subscribe();
      this.loading = 'Loading vital signs…';
      const history = await Promise.all(
        patients.map((p) => fhirRequest<Bundle>(this.session!, `Observation?patient=Patient/${p.id}&category=vital-signs&_sort=-date&_count=60`)),
      );
      this.add(history.flatMap((b) => entries<Observation>(b, 'Observation')), false);
      this.feed.start();
    } catch (e) {
      this.error = messageOf(e);
    } finally {
      this.loading = '';
    }
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    clearInterval(this.clock);
    void this.feed?.stop();
  }

  /** Readings into the ward (each Observation once, whichever way it came). */
  private add(observations: Observation[], live: boolean): void {
    const next = new Map(this.readings);
    const alerts: Alert[] = [];
    for (const obs of observations) {
      const key = `${obs.id}/${obs.meta?.versionId ?? ''}`;
      if (!obs.id || this.seen.has(key)) continue;
      this.seen.add(key);
      for (const r of readingsOf(obs, (id) => ageOf(this.patients.find((p) => p.id === id)?.birthDate))) {
        const perPatient = new Map(next.get(r.patientId) ?? []);
        const list = [...(perPatient.get(r.key) ?? []).filter((x) => x.observationId !== r.observationId), r].sort((a, b) => a.at - b.at).slice(-TREND_POINTS);
        perPatient.set(r.key, list);
        next.set(r.patientId, perPatient);
        if (live && r.range) {
          const p = this.patients.find((x) => x.id === r.patientId);
          if (p) alerts.push({ reading: r, patient: humanName(p.name) });
        }
      }
    }
    this.readings = next;
    if (alerts.length) this.alerts = [...alerts.reverse(), ...this.alerts].slice(0, 30);
    if (live) for (const o of observations) this.received.set(o.id ?? '', Date.now());
  }

  /** When each live Observation arrived (to mark it fresh for a few seconds). */
  private received = new Map<string, number>();

  render() {
    return html`<m-shell app-name="Vitals monitor" user=${this.user} context=${this.patients.length ? `Ward: ${this.patients.length} patients` : ''}>
      ${this.session ? html`<button slot="actions" @click=${this.signOut}>Sign out</button>` : nothing}
      <m-status .loading=${this.loading} .error=${this.error} .empty=${!this.loading && !this.error && this.session && !this.patients.length ? 'There are no patients to monitor.' : ''}></m-status>
      ${this.patients.length ? this.ward() : nothing}
    </m-shell>`;
  }

  private connection() {
    const s = this.feedState;
    const [cls, text] =
      s.kind === 'live'
        ? ['success', 'Live']
        : s.kind === 'connecting'
          ? ['info', 'Connecting…']
          : s.kind === 'reconnecting'
            ? ['warning', `Connection lost (${s.reason}); reconnecting in ${Math.max(1, Math.round(s.inMs / 1000))} s, attempt ${s.attempt}`]
            : ['info', 'Stopped'];
    return html`<div class="row" style="align-items:center">
      <span class="conn ${cls}" role="status" aria-live="polite" data-connection=${s.kind}><span class="dot" aria-hidden="true"></span>${text}</span>
      ${s.kind === 'reconnecting' ? html`<button @click=${() => this.feed?.retryNow()}>Reconnect now</button>` : nothing}
    </div>`;
  }

  private ward() {
    return html`<div class="toolbar">
        <h1 style="margin:0;font-size:1.35rem">Ward vital signs</h1>
        ${this.connection()}
        <span class="muted">The first ${WARD_SIZE} patients by family name · Events received: ${this.lastEvent}</span>
      </div>
      <div class="layout">
        <section aria-label="Patients" class="ward">${repeat(this.patients, (p) => p.id!, (p) => this.patientCard(p))}</section>
        <section class="card" aria-labelledby="alerts-title">
          <h2 id="alerts-title">Alerts</h2>
          <div role="log" aria-label="Out-of-range readings">
          ${this.alerts.length
            ? html`<ul class="plain alerts">
                ${this.alerts.map((a) => {
                  const def = VITALS.find((v) => v.key === a.reading.key)!;
                  return html`<li><strong>${this.rangeWord(a.reading)}</strong> ${def.label} ${formatValue(def, a.reading.value)} ${def.unit}<br>${a.patient} · ${when(a.reading.at)}</li>`;
                })}
              </ul>`
            : html`<p class="muted">No out-of-range reading since the monitor opened.</p>`}
          </div>
        </section>
      </div>`;
  }

  private rangeWord(r: Reading) {
    return r.range === 'low' ? 'Low' : r.range === 'high' ? 'High' : 'Abnormal';
  }

  private patientCard(p: Patient) {
    const vitals = this.readings.get(p.id!) ?? new Map<VitalKey, Reading[]>();
    const alerting = [...vitals.values()].some((list) => list.at(-1)?.range);
    const name = humanName(p.name);
    const mrn = p.identifier?.find((i) => i.type?.coding?.some((c) => c.code === 'MR'))?.value;
    return html`<article class="card patient ${alerting ? 'alerting' : ''}" aria-labelledby="p-${p.id}" data-patient=${p.id!}>
      <div class="who">
        <h2 id="p-${p.id}">${name}</h2>
        <span class="muted">${p.gender ?? ''} · ${ageOf(p.birthDate) ?? '?'} y${mrn ? ` · MRN ${mrn}` : ''}</span>
      </div>
      ${alerting ? html`<p class="badge critical" style="margin:0 0 0.3rem">Out of range</p>` : nothing}
      <table>
        <caption class="visually-hidden">Vital signs of ${name}</caption>
        <colgroup><col><col style="width:36%"><col style="width:118px"></colgroup>
        <thead><tr><th scope="col">Vital</th><th scope="col">Latest</th><th scope="col">Trend</th></tr></thead>
        <tbody>${VITALS.map((def) => this.vitalRow(name, def, vitals.get(def.key) ?? []))}</tbody>
      </table>
    </article>`;
  }

  private vitalRow(name: string, def: VitalDef, list: Reading[]) {
    const last = list.at(-1);
    if (!last) return html`<tr data-vital=${def.key}><th scope="row">${def.label}</th><td class="value muted" colspan="2">No reading</td></tr>`;
    const fresh = Date.now() - (this.received.get(last.observationId) ?? 0) < FRESH_MS;
    const values = list.map((r) => r.value);
    const label = `${def.label} trend for ${name}: ${list.length} readings from ${formatValue(def, Math.min(...values))} to ${formatValue(def, Math.max(...values))} ${def.unit}`;
    return html`<tr data-vital=${def.key} class="${last.range ? 'out' : ''} ${fresh ? 'fresh' : ''}" data-range=${last.range ?? 'normal'}>
      <th scope="row">${def.label}</th>
      <td class="value"><span data-value>${formatValue(def, last.value)}</span> <span class="unit">${def.unit}</span>
        ${last.range ? html`<span class="badge critical">${this.rangeWord(last)}</span>` : nothing}
        <div class="time">${when(last.at)}</div></td>
      <td><m-sparkline .times=${list.map((r) => r.at / 1000)} .values=${values} .flagged=${list.map((r) => Boolean(r.range))} label=${label}></m-sparkline></td>
    </tr>`;
  }

  private async signOut() {
    await this.feed?.stop();
    signOut();
  }
}
customElements.define('m-monitor-app', MonitorApp);
