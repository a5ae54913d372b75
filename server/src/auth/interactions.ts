// The user-facing steps of an authorization (oidc-provider's "interactions"): login (password, then
// TOTP when the account has one), a patient picker for a standalone launch that asks for
// launch/patient, and consent. Consent creates the Grant: the app's scopes narrowed to the user's
// role, and the launch context kept for the grant.
import Router from '@koa/router';
import type Koa from 'koa';
import getRawBody from 'raw-body';
import type { Provider, InteractionResults } from 'oidc-provider';
import type { Patient } from '@medplum/fhirtypes';
import { parseSearch } from '../search/index.js';
import type { Repository } from '../repo/index.js';
import type { Account, Accounts } from './accounts.js';
import type { LaunchContext, LaunchContexts } from './launch.js';
import { consentPage, errorPage, loginPage, pickerPage, type PickerPatient } from './pages.js';
import { grantableScopes } from './roles.js';
import { isResourceScope } from './scopes.js';
import { OIDC_SCOPES } from './provider.js';
import { loginAuditEvent, type AuditLog } from '../audit/index.js';

export interface InteractionDeps {
  provider: Provider;
  accounts: Accounts;
  contexts: LaunchContexts;
  repo: Repository;
  /** Sign-ins, successful or not, are on the audit trail. */
  audit: AuditLog;
  fhirBase: string;
}

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

const LOGIN_FAILURES = {
  invalid: 'wrong username or password',
  locked: 'account locked after repeated failures',
  'totp-invalid': 'wrong one-time code',
  'totp-required': 'one-time code missing',
};

/** A reason to end the authorization with an OAuth error sent back to the app. */
class Refusal {
  constructor(readonly error: string, readonly description: string) {}
}

export function interactionRoutes(d: InteractionDeps): Koa.Middleware {
  const router = new Router({ prefix: '/interaction' });

  const details = (ctx: Koa.Context) => d.provider.interactionDetails(ctx.req, ctx.res);
  const finish = async (ctx: Koa.Context, result: InteractionResults, merge = false) => {
    await d.provider.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission: merge });
    ctx.respond = false;
  };
  const html = (ctx: Koa.Context, body: string, status = 200) => {
    ctx.status = status;
    ctx.type = 'text/html; charset=utf-8';
    ctx.set('Cache-Control', 'no-store');
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' http: https:; frame-ancestors 'none'");
    ctx.body = body;
  };
  const appName = async (details: Details) => {
    const client = await d.provider.Client.find(String(details.params.client_id));
    return client?.clientName ?? String(details.params.client_id);
  };

  // an expired or foreign interaction (no cookie) is a page that says so, not a stack trace
  router.use(async (ctx, next) => {
    try {
      await next();
    } catch (e) {
      const err = e as { name?: string; message?: string; status?: number };
      if (err.name === 'SessionNotFound') return html(ctx, errorPage('Sign-in expired', 'This sign-in has expired or was started in another browser. Go back to the app and start again.'), 400);
      throw e;
    }
  });

  router.get('/:uid', async (ctx) => {
    const interaction = await details(ctx);
    const uid = interaction.uid;
    const name = await appName(interaction);
    if (interaction.prompt.name === 'login') return html(ctx, loginPage({ action: `/interaction/${uid}/login`, appName: name }));
    const account = await d.accounts.find(String(interaction.session?.accountId));
    if (!account) return finish(ctx, { error: 'login_required', error_description: 'The account no longer exists' });
    let plan: ConsentPlan;
    try {
      plan = await consentPlan(d, interaction, account, stringParam(ctx.query.patient));
    } catch (e) {
      if (e instanceof Refusal) return finish(ctx, { error: e.error, error_description: e.description });
      throw e;
    }
    if (plan.needsPatient) {
      const query = stringParam(ctx.query.q) ?? '';
      return html(ctx, pickerPage({ searchAction: `/interaction/${uid}`, chooseAction: `/interaction/${uid}`, appName: name, query, patients: await findPatients(d, query) }));
    }
    html(
      ctx,
      consentPage({
        action: `/interaction/${uid}/confirm`,
        abortAction: `/interaction/${uid}/abort`,
        appName: name,
        user: account.displayName,
        patient: plan.patientName,
        patientId: plan.context.patient,
        scopes: [...plan.oidcScopes, ...plan.resourceScopes],
      }),
    );
  });

  router.post('/:uid/login', async (ctx) => {
    const interaction = await details(ctx);
    const form = await readForm(ctx);
    const username = form.get('username') ?? '';
    const result = await d.accounts.login(username, form.get('password') ?? '', form.get('code') || undefined);
    // a password that asks for the second factor is a step, not yet a sign-in or a failure
    if (result.ok || result.reason !== 'totp-required') {
      const actor = { username, fhirUser: result.account?.fhirUser, clientId: String(interaction.params.client_id), address: ctx.ip };
      d.audit.record([loginAuditEvent({ baseUrl: d.fhirBase }, actor, result.ok ? '0' : '4', result.ok ? undefined : LOGIN_FAILURES[result.reason])]);
    }
    if (result.ok) return finish(ctx, { login: { accountId: result.account.id } });
    const messages = {
      invalid: 'The username or password is not right.',
      locked: 'This account is locked after too many failed sign-ins. Try again in 15 minutes, or ask an administrator.',
      'totp-required': 'Enter the 6-digit code from your authenticator app, with your password.',
      'totp-invalid': 'The one-time code is not right (codes change every 30 seconds).',
    };
    const askCode = result.reason === 'totp-required' || result.reason === 'totp-invalid';
    html(ctx, loginPage({ action: `/interaction/${interaction.uid}/login`, appName: await appName(interaction), error: messages[result.reason], username, askCode }), 401);
  });

  router.post('/:uid/confirm', async (ctx) => {
    const interaction = await details(ctx);
    if (interaction.prompt.name !== 'consent') return finish(ctx, { error: 'invalid_request', error_description: 'Nothing to consent to' });
    const account = await d.accounts.find(String(interaction.session?.accountId));
    if (!account) return finish(ctx, { error: 'login_required', error_description: 'The account no longer exists' });
    const form = await readForm(ctx);
    let plan: ConsentPlan;
    try {
      plan = await consentPlan(d, interaction, account, form.get('patient') ?? undefined);
    } catch (e) {
      if (e instanceof Refusal) return finish(ctx, { error: e.error, error_description: e.description });
      throw e;
    }
    if (plan.needsPatient) return finish(ctx, { error: 'access_denied', error_description: 'No patient was chosen' });
    const grant = interaction.grantId
      ? (await d.provider.Grant.find(interaction.grantId))!
      : new d.provider.Grant({ accountId: account.id, clientId: String(interaction.params.client_id) });
    if (plan.oidcScopes.length) grant.addOIDCScope(plan.oidcScopes.join(' '));
    if (plan.oidcScopes.includes('fhirUser')) grant.addOIDCClaims(['fhirUser']);
    // oidc-provider keeps the scopes as asked; the role narrows them wherever the token is used
    // (bearer.ts) and reported (the token response): asked scopes the role allows none of are refused
    const asked = String(interaction.params.scope ?? '').split(' ').filter(isResourceScope);
    const kept = asked.filter((s) => grantableScopes(account.role, [s]).length);
    if (kept.length) grant.addResourceScope(d.fhirBase, kept.join(' '));
    const refused = asked.filter((s) => !kept.includes(s));
    if (refused.length) grant.rejectResourceScope(d.fhirBase, refused.join(' '));
    const grantId = await grant.save();
    await d.contexts.saveForGrant(grantId, { ...plan.context, role: account.role, username: account.username, fhirUser: account.fhirUser });
    await finish(ctx, { consent: { grantId } }, true);
  });

  router.post('/:uid/abort', async (ctx) => {
    await details(ctx);
    await finish(ctx, { error: 'access_denied', error_description: 'The user did not allow access' }, true);
  });

  return router.routes() as Koa.Middleware;
}

interface ConsentPlan {
  oidcScopes: string[];
  resourceScopes: string[];
  context: LaunchContext;
  patientName?: string;
  /** A standalone launch asked for launch/patient and no patient is chosen yet. */
  needsPatient: boolean;
}

/**
 * What consent would grant: the app's scopes narrowed to the role, and the launch context. A patient
 * user's context is always their own record; an EHR launch brings its context; a standalone launch
 * asking launch/patient gets the picker's choice (checked to exist).
 */
async function consentPlan(d: InteractionDeps, interaction: Details, account: Account, chosenPatient: string | undefined): Promise<ConsentPlan> {
  const params = interaction.params as Record<string, unknown>;
  const asked = String(params.scope ?? '').split(' ').filter(Boolean);
  const oidcScopes = asked.filter((s) => OIDC_SCOPES.includes(s));
  const resourceScopes = grantableScopes(account.role, asked.filter(isResourceScope));
  let context: LaunchContext = {};
  if (typeof params.launch === 'string' && params.launch) {
    const launched = await d.contexts.launch(params.launch);
    if (!launched) throw new Refusal('invalid_request', 'The launch parameter is unknown or has expired: launch the app again from Meridian');
    context = { ...launched, needPatientBanner: false };
  } else if (asked.includes('launch')) {
    throw new Refusal('invalid_request', 'The launch scope needs the launch parameter of an EHR launch');
  }
  const wantsPatient = asked.includes('launch/patient') || asked.includes('launch');
  if (account.role === 'patient') {
    const own = account.fhirUser!.slice('Patient/'.length);
    if (context.patient && context.patient !== own) throw new Refusal('access_denied', 'A patient can only open their own record');
    if (wantsPatient || resourceScopes.some((s) => s.startsWith('patient/'))) context = { needPatientBanner: true, ...context, patient: own };
  } else if (!context.patient && asked.includes('launch/patient') && chosenPatient) {
    context = { patient: chosenPatient, needPatientBanner: true };
  }
  let patientName: string | undefined;
  if (context.patient) {
    const patient = await readPatient(d.repo, context.patient);
    if (!patient) throw new Refusal('invalid_request', `Patient ${context.patient} is not known`);
    patientName = nameOf(patient);
  }
  return { oidcScopes, resourceScopes, context, patientName, needsPatient: asked.includes('launch/patient') && !context.patient };
}

async function readPatient(repo: Repository, id: string): Promise<Patient | undefined> {
  if (!/^[A-Za-z0-9\-.]{1,64}$/.test(id)) return undefined;
  try {
    return (await repo.read('Patient', id)) as Patient;
  } catch {
    return undefined; // 404 and 410 alike: not a patient one can open
  }
}

async function findPatients(d: InteractionDeps, query: string): Promise<PickerPatient[]> {
  if (!query.trim()) return [];
  const search = parseSearch('Patient', new URLSearchParams({ name: query.trim(), _sort: 'family' }), { strict: false, baseUrl: d.fhirBase });
  const page = await d.repo.search(search, ['Patient'], 20, 'none');
  return page.matches.map((m) => {
    const p = JSON.parse(m.json) as Patient;
    return { id: m.id, name: nameOf(p), birthDate: p.birthDate, gender: p.gender };
  });
}

function nameOf(p: Patient): string {
  const n = p.name?.[0];
  return n?.text ?? ([...(n?.given ?? []), n?.family].filter(Boolean).join(' ') || `Patient ${p.id}`);
}

const stringParam = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

async function readForm(ctx: Koa.Context): Promise<URLSearchParams> {
  if (!ctx.is('application/x-www-form-urlencoded')) return new URLSearchParams();
  return new URLSearchParams(await getRawBody(ctx.req, { limit: '16kb', encoding: 'utf8' }));
}
