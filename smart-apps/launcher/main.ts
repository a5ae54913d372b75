// The launcher (what / opens): sign in, find a patient, open an app for them with an EHR launch.
// Before sign-in it shows the demo accounts when the server runs the embedded demo.
import { css, html, LitElement, nothing } from 'lit';
import type { Bundle, Patient } from '@medplum/fhirtypes';
import { ageOf, entries, formatDate, humanName, messageOf } from '../shared/fhir.js';
import { launchApp, launchableApps, type LaunchableApp } from '../shared/launch.js';
import { fhirRequest, signIn, signOut, startSession, userName, type Session } from '../shared/smart.js';
import { baseStyles } from '../shared/ui.js';
import '../shared/ui.js';

interface DemoAccount {
  username: string;
  password: string;
  role: string;
}

export class LauncherApp extends LitElement {
  static properties = {
    session: { state: true },
    user: { state: true },
    demo: { state: true },
    patients: { state: true },
    apps: { state: true },
    selected: { state: true },
    query: { state: true },
    loading: { state: true },
    error: { state: true },
  };
  session?: Session;
  user = '';
  demo: DemoAccount[] = [];
  patients: Patient[] = [];
  apps: LaunchableApp[] = [];
  selected?: Patient;
  query = '';
  loading = 'Signing in…';
  error = '';

  static styles = [
    baseStyles,
    css`
      .welcome { max-width: 44rem; margin: 2rem auto; }
      .layout { display: grid; grid-template-columns: minmax(16rem, 1fr) minmax(18rem, 1.3fr); gap: 1.25rem; }
      @media (max-width: 760px) { .layout { grid-template-columns: 1fr; } }
      .patients li { display: flex; justify-content: space-between; align-items: center; gap: 0.5rem; padding: 0.45rem 0; border-bottom: 1px solid var(--m-border); }
      .patients li[aria-current='true'] { background: var(--m-info-bg); }
      .apps { display: grid; gap: 0.75rem; grid-template-columns: repeat(auto-fill, minmax(14rem, 1fr)); }
      .app h3 { margin-bottom: 0.25rem; }
      .app p { margin: 0 0 0.6rem; }
      code { background: var(--m-bg); padding: 0 0.3rem; border-radius: 0.2rem; }
    `,
  ];

  // the shell puts landmarks in place; the app renders inside it
  async connectedCallback() {
    super.connectedCallback();
    try {
      this.session = await startSession({ interactive: true });
      if (!this.session) {
        this.loading = '';
        this.demo = await demoAccounts();
        return;
      }
      [this.apps, this.user] = await Promise.all([launchableApps(this.session), userName(this.session), this.search()]);
    } catch (e) {
      this.error = messageOf(e);
    } finally {
      this.loading = '';
    }
  }

  render() {
    return html`<m-shell app-name="Launcher" user=${this.user}>
      ${this.session ? html`<button slot="actions" @click=${signOut}>Sign out</button>` : nothing}
      <m-status .loading=${this.loading} .error=${this.error}></m-status>
      ${this.session ? this.workspace() : this.loading ? nothing : this.welcome()}
    </m-shell>`;
  }

  private welcome() {
    return html`<section class="welcome card" aria-labelledby="welcome-title">
      <h1 id="welcome-title">Welcome to Meridian</h1>
      <p>Sign in to find a patient and open the chart, prescribing, scheduling or billing apps for them.</p>
      <button class="primary" @click=${() => signIn()}>Sign in</button>
      ${this.demo.length
        ? html`<h2 style="margin-top:1.5rem">Demo accounts</h2>
            <p class="muted">This server runs the embedded demo. Each role sees what its scopes allow.</p>
            <table><caption class="visually-hidden">Demo accounts</caption>
              <thead><tr><th scope="col">Role</th><th scope="col">User name</th><th scope="col">Password</th></tr></thead>
              <tbody>${this.demo.map((a) => html`<tr><td>${a.role}</td><td><code>${a.username}</code></td><td><code>${a.password}</code></td></tr>`)}</tbody>
            </table>`
        : nothing}
    </section>`;
  }

  private workspace() {
    return html`<h1 class="visually-hidden">Open an app for a patient</h1>
      <div class="layout">
      <section class="card" aria-labelledby="patients-title">
        <h2 id="patients-title">Patients</h2>
        <form class="row" role="search" @submit=${this.onSearch}>
          <div class="field" style="flex:1"><label for="q">Name</label><input id="q" name="q" type="search" .value=${this.query} autocomplete="off"></div>
          <button type="submit">Search</button>
        </form>
        <ul class="plain patients" aria-label="Patients found">
          ${this.patients.map(
            (p) => html`<li aria-current=${this.selected?.id === p.id ? 'true' : 'false'}>
              <span><strong>${humanName(p.name)}</strong><br><span class="muted">${p.gender ?? ''} · born ${formatDate(p.birthDate)} (${ageOf(p.birthDate) ?? '?'} y)</span></span>
              <button @click=${() => (this.selected = p)} aria-pressed=${this.selected?.id === p.id ? 'true' : 'false'} aria-label="Select ${humanName(p.name)}">Select</button>
            </li>`,
          )}
        </ul>
        ${this.patients.length === 0 && !this.loading ? html`<p class="muted">No patient matches.</p>` : nothing}
      </section>
      <section class="card" aria-labelledby="apps-title">
        <h2 id="apps-title">Apps</h2>
        <p>${this.selected ? html`For <strong>${humanName(this.selected.name)}</strong>:` : html`<span class="muted">Select a patient to open a patient app.</span>`}</p>
        <div class="apps">
          ${this.apps.map(
            (a) => html`<article class="card app" aria-label=${a.name}>
              <h3>${a.name}</h3><p class="muted">${a.description}</p>
              ${a.launch === 'ehr'
                ? html`<button class="primary" ?disabled=${!this.selected} @click=${() => this.open(a)}>Open ${a.name}</button>`
                : html`<a href=${a.launchUrl}>Open ${a.name}</a>`}
            </article>`,
          )}
        </div>
      </section>
    </div>`;
  }

  private async onSearch(e: Event) {
    e.preventDefault();
    this.query = String(new FormData(e.target as HTMLFormElement).get('q') ?? '').trim();
    await this.search();
  }

  private async search() {
    if (!this.session) return;
    this.loading = 'Finding patients…';
    try {
      const q = new URLSearchParams({ _count: '20', _sort: 'family' });
      if (this.query) q.set('name', this.query);
      this.patients = entries<Patient>(await fhirRequest<Bundle>(this.session, `Patient?${q}`), 'Patient');
      this.error = '';
    } catch (e) {
      this.error = messageOf(e);
    } finally {
      this.loading = '';
    }
  }

  private async open(app: LaunchableApp) {
    if (!this.session || !this.selected?.id) return;
    this.loading = `Opening ${app.name}…`;
    try {
      await launchApp(this.session, app.launchUrl, this.selected.id);
    } catch (e) {
      this.error = messageOf(e);
      this.loading = '';
    }
  }
}
customElements.define('m-launcher-app', LauncherApp);

async function demoAccounts(): Promise<DemoAccount[]> {
  const res = await fetch('/apps/demo-accounts.json').catch(() => undefined);
  return res?.ok ? ((await res.json()) as { accounts: DemoAccount[] }).accounts : [];
}
