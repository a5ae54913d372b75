// The CDS Hooks 2.0 endpoints at the server root: GET /cds-services (discovery), POST
// /cds-services/{id} (invocation), POST /cds-services/{id}/feedback. JSON in and out; errors are
// JSON { "error", "message" } with their status (CDS Hooks defines no error body): 400 malformed,
// 401 client JWT refused, 404 unknown service, 412 the FHIR data the service needs cannot be had,
// 500 only when a service itself fails (logged, generic message). One ordered pipeline per request:
// authenticate -> read body -> validate -> prefetch -> run -> check -> record -> respond.
import { randomUUID } from 'node:crypto';
import type Koa from 'koa';
import getRawBody from 'raw-body';
import type { AppContext } from '../fhir/context.js';
import { fhirAccess, fillPrefetch, readerOver } from './prefetch.js';
import type { RequestHandler } from './inject.js';
import { CdsError, badRequest, checkResult, parseFeedback, parseHookRequest } from './protocol.js';
import { feedbackEvent, invocationEvent } from './records.js';
import { principalOf } from '../auth/bearer.js';
import { CdsAuthenticator, readCdsClients, type CdsCaller } from './security.js';
import type { CdsService, CdsServiceDescription } from './types.js';

export const CDS_PATH = '/cds-services';
const BODY_LIMIT = 8 * 1024 * 1024;

export interface CdsRouterOptions {
  app: AppContext;
  services: CdsService[];
  /** Meridian's own request handler (prefetch and FhirReader against its own base). */
  self: () => RequestHandler;
}

/** The discovery entry of a service: its description fields only. */
export function describe(s: CdsServiceDescription): CdsServiceDescription {
  return {
    id: s.id,
    hook: s.hook,
    title: s.title,
    description: s.description,
    ...(s.prefetch ? { prefetch: s.prefetch } : {}),
    ...(s.usageRequirements ? { usageRequirements: s.usageRequirements } : {}),
  };
}

export function cdsRoutes({ app, services, self }: CdsRouterOptions): Koa.Middleware {
  const { config, log } = app;
  const mode = config.cdsAuth ?? (config.authMode === 'open' ? 'open' : 'jwt');
  const auth = new CdsAuthenticator(readCdsClients(config.cdsClientsFile), app.db, config.allowPrivateJwksUri);
  const origin = new URL(config.baseUrl).origin;
  if (mode === 'open') log.warn('CDS_AUTH=open: the CDS Hooks services accept requests from anyone, unsigned. For development only.');

  const authenticate = async (ctx: Koa.Context, endpoints: string[]): Promise<CdsCaller> => {
    if (mode === 'open') {
      ctx.set('X-CDS-Auth', 'open (development only: requests are not authenticated)');
      return { open: true };
    }
    const authorization = ctx.get('Authorization');
    // Meridian's own apps are browser apps with no key to sign with: they send the access token
    // Meridian issued them (a signed-in user's); anything JWT-shaped is a CDS client's JWT.
    if (/^Bearer\s+[^.\s]+$/i.test(authorization)) return meridianApp(authorization);
    return auth.verify(authorization, endpoints);
  };

  const meridianApp = async (authorization: string): Promise<CdsCaller> => {
    let principal;
    try {
      principal = await principalOf(authorization, config, app.auth.provider);
    } catch {
      throw new CdsError(401, 'unauthorized', 'The access token is unknown, expired, revoked or not for this server', { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
    }
    if (principal.kind !== 'token' || !principal.accountId) throw new CdsError(401, 'unauthorized', "A Meridian access token calls CDS services only for a signed-in user's app");
    return { iss: `${app.auth.issuer}#${principal.clientId}`, open: false };
  };

  const readBody = async (ctx: Koa.Context): Promise<unknown> => {
    const type = ctx.get('Content-Type').split(';')[0].trim().toLowerCase();
    if (type && type !== 'application/json' && type !== 'application/fhir+json') throw new CdsError(415, 'unsupported_media_type', `Content-Type must be application/json, not ${type}`);
    let text: string;
    try {
      text = await getRawBody(ctx.req, { limit: BODY_LIMIT, encoding: 'utf8' });
    } catch (err) {
      const e = err as { type?: string };
      if (e.type === 'entity.too.large') throw new CdsError(413, 'payload_too_large', `The request body is over ${BODY_LIMIT} bytes`);
      throw badRequest('The request body could not be read');
    }
    try {
      return JSON.parse(text);
    } catch (err) {
      throw badRequest(`The request body is not valid JSON: ${(err as Error).message}`);
    }
  };

  const find = (id: string): CdsService => {
    const service = services.find((s) => s.id === id);
    if (!service) throw new CdsError(404, 'not_found', `No CDS service "${id}" (GET ${origin}${CDS_PATH} lists them)`);
    return service;
  };

  const invoke = async (ctx: Koa.Context, service: CdsService) => {
    const endpoint = `${origin}${CDS_PATH}/${service.id}`;
    const caller = await authenticate(ctx, [endpoint]);
    const body = await readBody(ctx);
    const request = parseHookRequest(body, service.hook, Object.keys(service.prefetch ?? {}));
    const get = fhirAccess(request, { baseUrl: config.baseUrl, self, allowPrivate: config.cdsAllowPrivateFhirServer ?? false });
    const prefetch = await fillPrefetch(service.prefetch ?? {}, request, get);
    const fhir = readerOver(get, request.fhirServer);
    const who = { baseUrl: config.baseUrl, iss: caller.iss, address: ctx.ip };
    let result;
    try {
      result = await service.run({ request, prefetch, fhir, now: new Date(), appsUrl: `${origin}/apps/` });
      checkResult(result, service.id);
    } catch (err) {
      if (err instanceof CdsError) throw err; // the FHIR data it needed could not be had (412)
      const e = err as Error;
      // messages can quote patient data: log where, not what
      log.error({ service: service.id, error: e.name, where: e.stack?.split('\n').slice(0, 6).map((l) => l.trim()) }, 'CDS service failed');
      app.audit.record([invocationEvent(who, service.id, request, [], [], '8')]);
      throw new CdsError(500, 'service_error', `The CDS service ${service.id} failed; the failure is logged`);
    }
    for (const card of result.cards) {
      card.uuid ??= randomUUID();
      for (const s of card.suggestions ?? []) s.uuid ??= randomUUID();
      // CDS Hooks 2.0: with suggestions, selectionBehavior must be given; the cautious one when a service left it out
      if (card.suggestions?.length) card.selectionBehavior ??= 'at-most-one';
    }
    app.audit.record([invocationEvent(who, service.id, request, result.fired, result.cards)]);
    ctx.status = 200;
    ctx.body = { cards: result.cards, ...(result.systemActions?.length ? { systemActions: result.systemActions } : {}) };
  };

  const feedback = async (ctx: Koa.Context, service: CdsService) => {
    const endpoint = `${origin}${CDS_PATH}/${service.id}`;
    const caller = await authenticate(ctx, [`${endpoint}/feedback`, endpoint]);
    const entries = parseFeedback(await readBody(ctx));
    app.audit.record([feedbackEvent({ baseUrl: config.baseUrl, iss: caller.iss, address: ctx.ip }, service.id, entries)]);
    ctx.status = 200;
    ctx.body = {};
  };

  return async (ctx, next) => {
    if (ctx.path !== CDS_PATH && !ctx.path.startsWith(`${CDS_PATH}/`)) return next();
    try {
      const rest = ctx.path.slice(CDS_PATH.length).replace(/\/+$/, '');
      let parts: string[];
      try {
        parts = rest.split('/').filter(Boolean).map(decodeURIComponent);
      } catch {
        throw new CdsError(404, 'not_found', 'No such CDS endpoint (the path is not valid percent-encoding)');
      }
      if (ctx.method === 'OPTIONS') {
        ctx.status = 204;
        return;
      }
      if (parts.length === 0) {
        if (ctx.method !== 'GET') throw new CdsError(405, 'method_not_allowed', `${ctx.method} ${CDS_PATH}: discovery is GET`);
        ctx.status = 200;
        ctx.body = { services: services.map(describe) };
      } else if (parts.length === 1) {
        if (ctx.method !== 'POST') throw new CdsError(405, 'method_not_allowed', `${ctx.method} ${ctx.path}: a CDS service is invoked with POST`);
        await invoke(ctx, find(parts[0]));
      } else if (parts.length === 2 && parts[1] === 'feedback') {
        if (ctx.method !== 'POST') throw new CdsError(405, 'method_not_allowed', `${ctx.method} ${ctx.path}: feedback is POSTed`);
        await feedback(ctx, find(parts[0]));
      } else {
        throw new CdsError(404, 'not_found', `No such CDS endpoint: ${ctx.path}`);
      }
    } catch (err) {
      let e: CdsError;
      if (err instanceof CdsError) e = err;
      else {
        const x = err as Error;
        log.error({ error: x.name, where: x.stack?.split('\n').slice(0, 6).map((l) => l.trim()), path: ctx.path }, 'CDS request failed');
        e = new CdsError(500, 'server_error', 'Internal server error');
      }
      ctx.status = e.status;
      for (const [k, v] of Object.entries(e.headers)) ctx.set(k, v);
      ctx.body = { error: e.code, message: e.message };
    }
    ctx.body = JSON.stringify(ctx.body);
    ctx.type = 'application/json; charset=utf-8';
  };
}
