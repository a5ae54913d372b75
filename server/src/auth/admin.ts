// The admin API: clients and accounts, for a signed-in admin (a token of a user with the admin
// role; AUTH_MODE=open leaves it open like everything else). JSON in and out, errors as
// OperationOutcomes. Secrets and password hashes are never shown; a client secret Meridian makes is
// shown once, in the answer that creates the client.
//   GET/POST /admin/clients, GET/DELETE /admin/clients/:id
//   GET/POST /admin/accounts, DELETE /admin/accounts/:id
import { randomBytes } from 'node:crypto';
import Router from '@koa/router';
import type Koa from 'koa';
import getRawBody from 'raw-body';
import type { ClientMetadata } from 'oidc-provider';
import type { Config } from '../config.js';
import type { AppContext, FhirContext } from '../fhir/context.js';
import { badRequest, fhirError, notFound } from '../fhir/outcome.js';
import { authenticate } from './bearer.js';
import { turnOffSubscriptionsOf } from '../subscriptions/index.js';

const CLIENT_ID = /^[A-Za-z0-9\-._~]{1,100}$/;

export function adminRoutes(config: Config, app: AppContext): Koa.Middleware {
  const router = new Router({ prefix: '/admin' });
  const { clients, accounts, provider } = app.auth;

  router.use(async (ctx, next) => {
    if (config.authMode === 'smart') {
      const principal = await authenticate(ctx, config, provider);
      (ctx as unknown as FhirContext).state.principal = principal;
      if (principal.kind !== 'token' || principal.role !== 'admin') {
        throw fhirError(403, 'forbidden', 'The admin API needs the token of a signed-in user with the admin role');
      }
    }
    await next();
  });

  router.get('/clients', async (ctx) => {
    ctx.body = [...app.auth.staticClients.map((c) => shown(c, 'config')), ...(await clients.list()).map((c) => shown(c, 'admin'))];
  });
  router.get('/clients/:id', async (ctx) => {
    const fixed = app.auth.staticClients.find((c) => c.client_id === ctx.params.id);
    const stored = fixed ? undefined : await clients.find(ctx.params.id);
    if (!fixed && !stored) throw notFound(`No client ${ctx.params.id}`);
    ctx.body = fixed ? shown(fixed, 'config') : shown(stored!, 'admin');
  });
  router.post('/clients', async (ctx) => {
    const body = await jsonBody(ctx);
    const id = body.client_id;
    if (typeof id !== 'string' || !CLIENT_ID.test(id)) throw badRequest('client_id must be 1-100 characters of A-Z a-z 0-9 - . _ ~', 'client_id');
    if (app.auth.staticClients.some((c) => c.client_id === id) || (await clients.find(id))) throw fhirError(409, 'duplicate', `A client ${id} exists`);
    const method = body.token_endpoint_auth_method ?? 'client_secret_basic';
    const made = (method === 'client_secret_basic' || method === 'client_secret_post') && body.client_secret === undefined;
    const client = { ...body, client_id: id, ...(made ? { client_secret: randomBytes(32).toString('base64url') } : {}) } as ClientMetadata;
    try {
      await provider.Client.validate(client);
    } catch (err) {
      const e = err as { error_description?: string; message?: string };
      throw badRequest(`The client is not valid: ${e.error_description ?? e.message}`);
    }
    await clients.register(client);
    ctx.status = 201;
    ctx.set('Location', `/admin/clients/${encodeURIComponent(id)}`);
    ctx.body = { ...shown(client, 'admin'), ...(made ? { client_secret: client.client_secret } : {}) };
  });
  router.delete('/clients/:id', async (ctx) => {
    if (app.auth.staticClients.some((c) => c.client_id === ctx.params.id)) {
      throw fhirError(409, 'conflict', `Client ${ctx.params.id} is defined in AUTH_CLIENTS_FILE; remove it there`);
    }
    if (!(await clients.remove(ctx.params.id))) throw notFound(`No client ${ctx.params.id}`);
    await turnOffSubscriptionsOf(app.db, app.repo, app.log, ctx.params.id);
    ctx.status = 204;
  });

  router.get('/accounts', async (ctx) => {
    ctx.body = await accounts.list();
  });
  router.post('/accounts', async (ctx) => {
    const b = await jsonBody(ctx);
    for (const field of ['username', 'password', 'role'] as const) {
      if (typeof b[field] !== 'string' || !b[field]) throw badRequest(`${field} is required (a string)`, field);
    }
    if (await accounts.findByUsername(b.username as string)) throw fhirError(409, 'duplicate', `An account ${b.username} exists`);
    try {
      const account = await accounts.create({
        username: b.username as string,
        password: b.password as string,
        role: b.role as never,
        displayName: typeof b.displayName === 'string' ? b.displayName : undefined,
        fhirUser: typeof b.fhirUser === 'string' ? b.fhirUser : undefined,
      });
      ctx.status = 201;
      ctx.set('Location', `/admin/accounts/${account.id}`);
      ctx.body = account;
    } catch (err) {
      throw badRequest((err as Error).message); // the rules accounts.ts states (role, length, fhirUser)
    }
  });
  router.delete('/accounts/:id', async (ctx) => {
    if (!(await accounts.remove(ctx.params.id))) throw notFound(`No account ${ctx.params.id}`);
    ctx.status = 204;
  });
  return router.routes() as Koa.Middleware;
}

/** A client as the admin API shows it: its metadata without the secret, and where it is defined. */
function shown(client: ClientMetadata, source: 'config' | 'admin') {
  const { client_secret: _secret, ...rest } = client;
  return { ...rest, source };
}

async function jsonBody(ctx: Koa.Context): Promise<Record<string, unknown>> {
  let body: unknown;
  try {
    body = JSON.parse(await getRawBody(ctx.req, { limit: '64kb', encoding: 'utf8' }));
  } catch {
    throw badRequest('The body must be a JSON object');
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('The body must be a JSON object');
  return body as Record<string, unknown>;
}
