// The shared look and the pieces every app is made of: the shell (landmarks, who is signed in),
// the patient banner, loading and error states, and CDS cards. One design language: theme.css.
import { css, html, LitElement, nothing } from 'lit';
import type { Patient } from '@medplum/fhirtypes';
import { ageOf, formatDate, humanName } from './fhir.js';

/** Controls, tables, cards and badges, for every component's shadow root. */
export const baseStyles = css`
  :host { display: block; color: var(--m-text); font-family: var(--m-font); }
  h1, h2, h3 { line-height: 1.25; margin: 0 0 0.5rem; }
  h2 { font-size: 1.15rem; }
  h3 { font-size: 1rem; }
  a { color: var(--m-primary); }
  button, input, select, textarea { font: inherit; color: inherit; }
  button {
    border: 1px solid var(--m-primary); background: var(--m-surface); color: var(--m-primary);
    border-radius: var(--m-radius); padding: 0.4rem 0.9rem; cursor: pointer; min-height: 2.25rem;
  }
  button.primary { background: var(--m-primary); color: var(--m-primary-text); }
  button.danger { border-color: var(--m-critical); color: var(--m-critical); }
  button:disabled { opacity: 0.6; cursor: not-allowed; }
  button:focus-visible, input:focus-visible, select:focus-visible, textarea:focus-visible, a:focus-visible, [tabindex]:focus-visible {
    outline: 3px solid var(--m-focus); outline-offset: 2px;
  }
  input, select, textarea {
    border: 1px solid #6b7a90; border-radius: var(--m-radius); padding: 0.4rem 0.6rem; background: var(--m-surface); min-height: 2.25rem;
  }
  label { font-weight: 600; }
  .field { display: flex; flex-direction: column; gap: 0.25rem; }
  .row { display: flex; flex-wrap: wrap; gap: 0.75rem; align-items: flex-end; }
  .card { background: var(--m-surface); border: 1px solid var(--m-border); border-radius: var(--m-radius); padding: var(--m-space); }
  .grid { display: grid; gap: var(--m-space); grid-template-columns: repeat(auto-fit, minmax(18rem, 1fr)); }
  .muted { color: var(--m-muted); }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: 0.4rem 0.5rem; border-bottom: 1px solid var(--m-border); vertical-align: top; }
  th { font-size: 0.85rem; text-transform: uppercase; letter-spacing: 0.03em; color: var(--m-muted); }
  .badge { display: inline-block; border-radius: 999px; padding: 0 0.55rem; font-size: 0.85rem; font-weight: 600; border: 1px solid currentColor; }
  .critical { color: var(--m-critical); background: var(--m-critical-bg); }
  .warning { color: var(--m-warning); background: var(--m-warning-bg); }
  .info { color: var(--m-info); background: var(--m-info-bg); }
  .success { color: var(--m-success); background: var(--m-success-bg); }
  .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
  ul.plain { list-style: none; margin: 0; padding: 0; }
`;

/**
 * The page: a banner (app name, who is signed in, sign out), then the app in <main>. Put it in
 * light DOM (createRenderRoot) so that landmarks are where assistive technology expects them.
 */
export class Shell extends LitElement {
  static properties = { appName: { attribute: 'app-name' }, user: {}, context: {} };
  appName = 'Meridian';
  user = '';
  /** A line under the title, e.g. the patient or the ward. */
  context = '';
  static styles = [
    baseStyles,
    css`
      header { display: flex; align-items: center; justify-content: space-between; gap: 1rem; flex-wrap: wrap;
        background: var(--m-text); color: #fff; padding: 0.6rem 1.25rem; }
      header a.home { color: #fff; font-weight: 700; text-decoration: none; font-size: 1.1rem; }
      header .who { display: flex; gap: 0.75rem; align-items: center; }
      header button { border-color: #fff; color: #fff; background: transparent; }
      .skip { position: absolute; left: -999px; } .skip:focus { left: 1rem; top: 0.5rem; background: #fff; color: var(--m-primary); z-index: 10; }
      main { padding: 1.25rem; max-width: 90rem; margin: 0 auto; }
    `,
  ];
  render() {
    // a button, not a link: <main> is in this shadow root, where #main cannot be a link's target
    return html`<header>
        <button class="skip" @click=${this.skip}>Skip to content</button>
        <div><a class="home" href="/apps/launcher/">Meridian</a> <span aria-hidden="true">·</span> <span>${this.appName}</span>
          ${this.context ? html`<div class="context">${this.context}</div>` : nothing}</div>
        <div class="who">${this.user ? html`<span>${this.user}</span>` : nothing}<slot name="actions"></slot></div>
      </header>
      <main id="main" tabindex="-1"><slot></slot></main>`;
  }
  private skip() {
    (this.renderRoot.querySelector('main') as HTMLElement).focus();
  }
}
customElements.define('m-shell', Shell);

/** Loading, error and empty states that read well (role=status / role=alert). */
export class Status extends LitElement {
  static properties = { loading: {}, error: {}, empty: {} };
  loading = '';
  error = '';
  empty = '';
  static styles = [baseStyles, css`.box { padding: 0.75rem 1rem; border-radius: var(--m-radius); margin: 0.5rem 0; }`];
  render() {
    if (this.error) return html`<div class="box critical" role="alert">${this.error}</div>`;
    if (this.loading) return html`<div class="box muted" role="status" aria-live="polite">${this.loading}</div>`;
    if (this.empty) return html`<div class="box muted">${this.empty}</div>`;
    return nothing;
  }
}
customElements.define('m-status', Status);

/** The patient banner (SMART's need_patient_banner): name, sex, birth date and age, MRN. */
export class PatientBanner extends LitElement {
  static properties = { patient: { attribute: false } };
  patient?: Patient;
  static styles = [
    baseStyles,
    css`section { display: flex; flex-wrap: wrap; gap: 0.4rem 1.5rem; align-items: baseline; background: var(--m-surface);
      border: 1px solid var(--m-border); border-left: 6px solid var(--m-primary); border-radius: var(--m-radius); padding: 0.6rem 1rem; margin-bottom: 1rem; }
      .name { font-size: 1.25rem; font-weight: 700; }`,
  ];
  render() {
    const p = this.patient;
    if (!p) return nothing;
    const mrn = p.identifier?.find((i) => i.type?.coding?.some((c) => c.code === 'MR'))?.value ?? p.identifier?.[0]?.value;
    const age = ageOf(p.birthDate);
    return html`<section aria-label="Patient">
      <span class="name">${humanName(p.name)}</span>
      <span>${p.gender ?? 'gender unknown'}</span>
      <span>Born ${formatDate(p.birthDate)}${age !== undefined ? ` (${age} y)` : ''}</span>
      ${mrn ? html`<span>MRN ${mrn}</span>` : nothing}
      ${p.deceasedBoolean || p.deceasedDateTime ? html`<span class="badge critical">Deceased</span>` : nothing}
    </section>`;
  }
}
customElements.define('m-patient-banner', PatientBanner);
