// Admin (standalone launch, admin role): users and roles, registered clients, and the audit log.
// Users and clients go through Meridian's admin API (/admin/..., admin tokens only: FHIR has no
// resource for sign-ins or OAuth clients); the audit log is a FHIR AuditEvent search.
import { css, html, LitElement, nothing } from 'lit';
import type { AuditEvent, Bundle, Patient } from '@medplum/fhirtypes';
import { entries, formatDate, messageOf } from '../shared/fhir.js';
import { fhirRequest, signOut, startSession, userName, type Session } from '../shared/smart.js';
import { baseStyles } from '../shared/ui.js';
import '../shared/ui.js';

const ROLES = ['doctor', 'nurse', 'receptionist', 'billing', 'admin', 'patient'];
const ACTIONS: Record<string, string> = { C: 'Create', R: 'Read', U: 'Update', D: 'Delete', E: 'Execute (search, operation)' };
const OUTCOMES: Record<string, string> = { '0': 'Success', '4': 'Refused', '8': 'Server failure', '12': 'Major failure' };
type Tab = 'users' | 'clients' | 'audit';

interface Account {
  id: string;
  username: string;
  displayName: string;
  role: string;
  fhirUser?: string;
  totp: boolean;
}

interface Client {
  client_id: string;
  client_name?: string;
  token_endpoint_auth_method?: string;
  grant_types?: string[];
  redirect_uris?: string[];
  meridian_launch_url?: string;
  source: 'config' | 'admin';
}

export class AdminApp extends LitElement {
  static properties = {
    session: { state: true },
    user: { state: true },
    tab: { state: true },
    accounts: { state: true },
    clients: { state: true },
    events: { state: true },
    next: { state: true },
    loading: { state: true },
    error: { state: true },
    notice: { state: true },
  };
  session?: Session;
  user = '';
  tab: Tab = 'users';
  accounts: Account[] = [];
  clients: Client[] = [];
  events: AuditEvent[] = [];
  next = '';
  loading = 'Signing in…';
  error = '';
  notice = '';

  static styles = [
    baseStyles,
    css`
      [role='tablist'] { display: flex; gap: 0.25rem; border-bottom: 2px solid var(--m-border); margin-bottom: 1rem; }
      [role='tab'] { border: none; border-bottom: 3px solid transparent; border-radius: 0; background: none; color: var(--m-text); font-weight: 600; }
      [role='tab'][aria-selected='true'] { border-bottom-color: var(--m-primary); color: var(--m-primary); }
      section + section { margin-top: 1rem; }
      form.row { margin-bottom: 0.5rem; }
      .table-wrap { overflow-x: auto; }
      td code { font-size: 0.85rem; word-break: break-all; }
    `,
  ];

  async connectedCallback() {
    super.connectedCallback();
    try {
      this.session = await startSession();
      this.user = await userName(this.session!);
      await this.loadTab();
    } catch (e) {
      this.error = messageOf(e);
      this.loading = '';
    }
  }

  render() {
    const tabs: [Tab, string][] = [['users', 'Users and roles'], ['clients', 'Clients'], ['audit', 'Audit log']];
    return html`<m-shell app-name="Admin" user=${this.user}>
      ${this.session ? html`<button slot="actions" @click=${signOut}>Sign out</button>` : nothing}
      <h1 class="visually-hidden">Administration</h1>
      <div role="tablist" aria-label="Administration" @keydown=${this.onTabKey}>
        ${tabs.map(([id, label]) => html`<button role="tab" id="tab-${id}" aria-controls="panel-${id}" aria-selected=${this.tab === id ? 'true' : 'false'} tabindex=${this.tab === id ? 0 : -1} @click=${() => this.select(id)}>${label}</button>`)}
      </div>
      <m-status .loading=${this.loading} .error=${this.error}></m-status>
      ${this.notice ? html`<p role="status" class="badge success">${this.notice}</p>` : nothing}
      <div role="tabpanel" id="panel-${this.tab}" aria-labelledby="tab-${this.tab}">
        ${this.tab === 'users' ? this.usersPanel() : this.tab === 'clients' ? this.clientsPanel() : this.auditPanel()}
      </div>
    </m-shell>`;
  }

  // ---- users
  private usersPanel() {
    return html`<section class="card" aria-labelledby="new-user">
        <h2 id="new-user">Add a user</h2>
        <form class="row" @submit=${this.createAccount}>
          <div class="field"><label for="u-name">User name</label><input id="u-name" name="username" required autocomplete="off"></div>
          <div class="field"><label for="u-display">Display name</label><input id="u-display" name="displayName"></div>
          <div class="field"><label for="u-role">Role</label><select id="u-role" name="role" required>${ROLES.map((r) => html`<option>${r}</option>`)}</select></div>
          <div class="field"><label for="u-fhir">FHIR user</label><input id="u-fhir" name="fhirUser" placeholder="Practitioner/123"></div>
          <div class="field"><label for="u-pass">Password</label><input id="u-pass" name="password" type="password" required minlength="8" autocomplete="new-password"></div>
          <button class="primary" type="submit">Add user</button>
        </form>
      </section>
      <section class="card" aria-labelledby="users-title">
        <h2 id="users-title">Users</h2>
        <div class="table-wrap"><table>
          <thead><tr><th scope="col">User name</th><th scope="col">Name</th><th scope="col">Role</th><th scope="col">FHIR user</th><th scope="col">Second factor</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
          <tbody>${this.accounts.map(
            (a) => html`<tr><td>${a.username}</td><td>${a.displayName}</td><td><span class="badge info">${a.role}</span></td><td>${a.fhirUser ? html`<code>${a.fhirUser}</code>` : ''}</td>
              <td>${a.totp ? 'TOTP' : 'none'}</td><td><button class="danger" @click=${() => this.removeAccount(a)} aria-label="Remove ${a.username}">Remove</button></td></tr>`,
          )}</tbody>
        </table></div>
      </section>`;
  }

  private async createAccount(e: Event) {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const data = Object.fromEntries([...new FormData(form)].filter(([, v]) => v !== '')) as Record<string, string>;
    await this.act(`Adding ${data.username}…`, async () => {
      await this.admin('accounts', { method: 'POST', body: JSON.stringify(data) });
      form.reset();
      this.notice = `User ${data.username} added`;
      await this.loadTab();
    });
  }

  private async removeAccount(a: Account) {
    if (!confirm(`Remove the user ${a.username}? They can no longer sign in.`)) return;
    await this.act(`Removing ${a.username}…`, async () => {
      await this.admin(`accounts/${encodeURIComponent(a.id)}`, { method: 'DELETE' });
      this.notice = `User ${a.username} removed`;
      await this.loadTab();
    });
  }

  // ---- clients
  private clientsPanel() {
    return html`<section class="card" aria-labelledby="new-client">
        <h2 id="new-client">Register a SMART app</h2>
        <p class="muted">A public app (PKCE, no secret). With a launch URL, the launcher offers it with an EHR launch.</p>
        <form class="row" @submit=${this.createClient}>
          <div class="field"><label for="c-id">Client id</label><input id="c-id" name="client_id" required pattern="[A-Za-z0-9._\\-]{3,64}" autocomplete="off"></div>
          <div class="field"><label for="c-name">Name</label><input id="c-name" name="client_name" required></div>
          <div class="field"><label for="c-redirect">Redirect URI</label><input id="c-redirect" name="redirect_uri" type="url" required></div>
          <div class="field"><label for="c-launch">Launch URL</label><input id="c-launch" name="meridian_launch_url" type="url"></div>
          <button class="primary" type="submit">Register</button>
        </form>
      </section>
      <section class="card" aria-labelledby="clients-title">
        <h2 id="clients-title">Clients</h2>
        <div class="table-wrap"><table>
          <thead><tr><th scope="col">Client id</th><th scope="col">Name</th><th scope="col">Kind</th><th scope="col">Redirect URIs</th><th scope="col">Defined in</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
          <tbody>${this.clients.map(
            (c) => html`<tr><td><code>${c.client_id}</code></td><td>${c.client_name ?? ''}</td><td>${clientKind(c)}</td>
              <td>${(c.redirect_uris ?? []).map((u) => html`<code>${u}</code><br>`)}</td><td>${c.source === 'config' ? 'configuration' : 'admin'}</td>
              <td>${c.source === 'admin' ? html`<button class="danger" @click=${() => this.removeClient(c)} aria-label="Remove ${c.client_id}">Remove</button>` : nothing}</td></tr>`,
          )}</tbody>
        </table></div>
      </section>`;
  }

  private async createClient(e: Event) {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const f = Object.fromEntries(new FormData(form)) as Record<string, string>;
    const client = {
      client_id: f.client_id,
      client_name: f.client_name,
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [f.redirect_uri],
      ...(f.meridian_launch_url ? { meridian_launch_url: f.meridian_launch_url } : {}),
    };
    await this.act(`Registering ${f.client_id}…`, async () => {
      await this.admin('clients', { method: 'POST', body: JSON.stringify(client) });
      form.reset();
      this.notice = `Client ${f.client_id} registered`;
      await this.loadTab();
    });
  }

  private async removeClient(c: Client) {
    if (!confirm(`Remove the client ${c.client_id}? Its tokens stop working at once.`)) return;
    await this.act(`Removing ${c.client_id}…`, async () => {
      await this.admin(`clients/${encodeURIComponent(c.client_id)}`, { method: 'DELETE' });
      this.notice = `Client ${c.client_id} removed`;
      await this.loadTab();
    });
  }

  // ---- audit log
  private auditPanel() {
    return html`<section class="card" aria-labelledby="audit-search">
        <h2 id="audit-search">Search the audit log</h2>
        <form class="row" role="search" @submit=${this.searchAudit}>
          <div class="field"><label for="a-patient">Patient (name or id)</label><input id="a-patient" name="patient" autocomplete="off"></div>
          <div class="field"><label for="a-user">User name</label><input id="a-user" name="user" autocomplete="off"></div>
          <div class="field"><label for="a-action">Action</label><select id="a-action" name="action"><option value="">Any</option>${Object.entries(ACTIONS).map(([k, v]) => html`<option value=${k}>${v}</option>`)}</select></div>
          <div class="field"><label for="a-from">From</label><input id="a-from" name="from" type="date"></div>
          <div class="field"><label for="a-to">To</label><input id="a-to" name="to" type="date"></div>
          <button class="primary" type="submit">Search</button>
        </form>
      </section>
      <section class="card" aria-labelledby="audit-results">
        <h2 id="audit-results">Events</h2>
        <m-status .empty=${this.events.length || this.loading ? '' : 'No event matches.'}></m-status>
        ${this.events.length
          ? html`<div class="table-wrap"><table>
              <thead><tr><th scope="col">When</th><th scope="col">What</th><th scope="col">Action</th><th scope="col">Who</th><th scope="col">Patient</th><th scope="col">Outcome</th></tr></thead>
              <tbody>${this.events.map((e) => auditRow(e))}</tbody></table></div>`
          : nothing}
        ${this.next ? html`<button @click=${() => this.page(this.next)}>Older events</button>` : nothing}
      </section>`;
  }

  private async searchAudit(e: Event) {
    e.preventDefault();
    const f = Object.fromEntries(new FormData(e.target as HTMLFormElement)) as Record<string, string>;
    await this.act('Searching the audit log…', async () => {
      const q = new URLSearchParams({ _sort: '-date', _count: '25' });
      if (f.patient.trim()) q.set('patient', await this.patientRefs(f.patient.trim()));
      if (f.user.trim()) q.set('altid', f.user.trim());
      if (f.action) q.set('action', f.action);
      if (f.from) q.append('date', `ge${f.from}`);
      if (f.to) q.append('date', `le${f.to}T23:59:59`);
      await this.page(`AuditEvent?${q}`);
    });
  }

  /** A patient id as is; a name becomes the ids of the patients it finds. */
  private async patientRefs(text: string): Promise<string> {
    if (/^[A-Za-z0-9\-.]{8,64}$/.test(text) && /\d/.test(text)) return `Patient/${text}`;
    const found = entries<Patient>(await fhirRequest<Bundle>(this.session!, `Patient?name=${encodeURIComponent(text)}&_count=20&_elements=id`), 'Patient');
    if (!found.length) throw new Error(`No patient is called "${text}"`);
    return found.map((p) => `Patient/${p.id}`).join(',');
  }

  private async page(url: string) {
    const bundle = await fhirRequest<Bundle>(this.session!, url);
    this.events = entries<AuditEvent>(bundle, 'AuditEvent');
    this.next = bundle.link?.find((l) => l.relation === 'next')?.url ?? '';
  }

  // ---- plumbing
  private select(tab: Tab) {
    this.tab = tab;
    this.notice = '';
    void this.loadTab();
    void this.updateComplete.then(() => (this.renderRoot.querySelector(`#tab-${tab}`) as HTMLElement | null)?.focus());
  }

  private onTabKey(e: KeyboardEvent) {
    const order: Tab[] = ['users', 'clients', 'audit'];
    const i = order.indexOf(this.tab);
    if (e.key === 'ArrowRight') this.select(order[(i + 1) % order.length]);
    if (e.key === 'ArrowLeft') this.select(order[(i + order.length - 1) % order.length]);
  }

  private async loadTab() {
    await this.act('Loading…', async () => {
      if (this.tab === 'users') this.accounts = (await this.admin('accounts')) as Account[];
      if (this.tab === 'clients') this.clients = (await this.admin('clients')) as Client[];
      if (this.tab === 'audit' && !this.events.length) await this.page('AuditEvent?_sort=-date&_count=25');
    });
  }

  private async act(what: string, task: () => Promise<void>) {
    this.loading = what;
    this.error = '';
    try {
      await task();
    } catch (e) {
      this.error = messageOf(e);
      this.notice = '';
    } finally {
      this.loading = '';
    }
  }

  private admin(path: string, init: RequestInit = {}) {
    const origin = new URL(this.session!.fhirBase).origin;
    return fhirRequest(this.session!, `${origin}/admin/${path}`, { ...init, headers: { 'Content-Type': 'application/json' } });
  }
}
customElements.define('m-admin-app', AdminApp);

function clientKind(c: Client): string {
  if (c.grant_types?.includes('client_credentials')) return 'backend service';
  if (c.token_endpoint_auth_method === 'none') return c.meridian_launch_url ? 'public SMART app (launchable)' : 'public SMART app';
  return 'confidential app';
}

function auditRow(e: AuditEvent) {
  const user = e.agent?.find((a) => a.requestor) ?? e.agent?.find((a) => a.altId);
  const patient = e.entity?.find((x) => x.role?.code === '1')?.what?.reference;
  const subtype = e.subtype?.map((s) => s.display ?? s.code).join(', ');
  const outcome = e.outcome ?? '0';
  return html`<tr><td>${formatDate(e.recorded)}</td><td>${e.type?.display ?? e.type?.code}${subtype ? ` · ${subtype}` : ''}</td>
    <td>${ACTIONS[e.action ?? ''] ?? e.action ?? ''}</td><td>${user?.altId ?? user?.who?.reference ?? user?.who?.display ?? ''}</td>
    <td>${patient ? html`<code>${patient}</code>` : ''}</td><td><span class="badge ${outcome === '0' ? 'success' : 'critical'}">${OUTCOMES[outcome] ?? outcome}</span></td></tr>`;
}

