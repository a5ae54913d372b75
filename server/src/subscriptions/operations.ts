// The Backport IG's operations on Subscription: $status (where a subscription stands), $events (the
// notifications it generated, so a client that missed some fetches them by number) and
// $get-ws-binding-token (a short-lived token a websocket sends with bind-with-token).
import { randomBytes } from 'node:crypto';
import type { Bundle, Parameters, Subscription } from '@medplum/fhirtypes';
import { operationParameters } from '../fhir/parameters.js';
import type { FhirContext } from '../fhir/context.js';
import { badRequest, fhirError, notFound } from '../fhir/outcome.js';
import { ID_PATTERN } from '../fhir/validate.js';
import { mayRead } from '../auth/index.js';
import { noteAccess, seen } from '../audit/index.js';
import { eventCount, notificationBundle, storedEvents, subscriptionStatus } from './notification.js';
import { sameOwner } from './owner.js';
import type { KnownSubscription } from './registry.js';
import type { PayloadContent } from './spec.js';

const TOKEN_SECONDS = 300;
const MAX_EVENTS = 1000;

async function known(ctx: FhirContext, id: string): Promise<KnownSubscription> {
  if (!ID_PATTERN.test(id)) throw notFound(`Subscription/${id} is not known`);
  const subscription = (await ctx.state.repo.read('Subscription', id)) as Subscription; // 404 / 410
  if (!mayRead(ctx, subscription)) throw fhirError(403, 'forbidden', `Subscription/${id} is outside what the access token reaches`);
  const sub = (await ctx.state.app.subscriptions.registry.current(ctx.state.app.db)).get(id);
  if (!sub) throw badRequest(`Subscription/${id} is not one Meridian delivers`);
  return sub;
}

/** Events and binding tokens carry what the owner may read: only the owner gets them. */
function requireOwner(ctx: FhirContext, sub: KnownSubscription): void {
  if (!sameOwner(ctx.state.principal, sub.owner)) throw fhirError(403, 'forbidden', `Subscription/${sub.spec.id} belongs to another client or user`);
}

/** GET|POST Subscription/[id]/$status, Subscription/$status?id=&status=: a searchset of SubscriptionStatus. */
export async function statusOperation(ctx: FhirContext): Promise<void> {
  const params = operationParameters(ctx, '$status');
  const ids = ctx.params.id ? [ctx.params.id] : params.getAll('id').flatMap((v) => v.split(','));
  const statuses = ctx.params.id ? [] : params.getAll('status').flatMap((v) => v.split(','));
  if (!ids.length) {
    const all = await ctx.state.app.subscriptions.registry.current(ctx.state.app.db);
    ids.push(...[...all.values()].filter((s) => sameOwner(ctx.state.principal, s.owner)).map((s) => s.spec.id));
  }
  const entry = [];
  for (const id of ids) {
    const sub = await known(ctx, id);
    if (statuses.length && !statuses.includes(sub.spec.status)) continue;
    const status = subscriptionStatus({ baseUrl: ctx.state.app.config.baseUrl, spec: sub.spec, status: sub.spec.status, type: 'query-status', eventsSinceStart: await eventCount(ctx.state.app.db, id), error: sub.spec.error });
    entry.push({ fullUrl: `urn:uuid:${status.id}`, resource: status, search: { mode: 'match' as const } });
  }
  const bundle: Bundle = { resourceType: 'Bundle', type: 'searchset', total: entry.length, entry };
  ctx.body = bundle;
}

/** GET|POST Subscription/[id]/$events?eventsSinceNumber=&eventsUntilNumber=&content=: a history Bundle. */
export async function eventsOperation(ctx: FhirContext): Promise<void> {
  const sub = await known(ctx, ctx.params.id);
  requireOwner(ctx, sub);
  const params = operationParameters(ctx, '$events');
  const number = (name: string) => {
    const raw = params.get(name);
    if (raw === null || raw === '') return undefined;
    if (!/^[0-9]{1,18}$/.test(raw)) throw badRequest(`${name} must be an event number (a non-negative integer), got "${raw}"`);
    return BigInt(raw);
  };
  const total = BigInt(await eventCount(ctx.state.app.db, sub.spec.id));
  const since = number('eventsSinceNumber') ?? 1n;
  const until = number('eventsUntilNumber') ?? total;
  if (until - since >= BigInt(MAX_EVENTS)) throw badRequest(`Ask for at most ${MAX_EVENTS} events at a time (eventsSinceNumber..eventsUntilNumber)`);
  const content = (params.get('content') ?? sub.spec.content) as PayloadContent;
  if (!['empty', 'id-only', 'full-resource'].includes(content)) throw badRequest(`content must be empty, id-only or full-resource, got "${content}"`);
  const found = since > until ? [] : ((await storedEvents(ctx.state.app.db, [{ subscription: sub.spec.id, after: String(since - 1n), until: String(until) }], content === 'full-resource')).get(sub.spec.id) ?? []);
  // the reader sees no more than it could read itself
  const events = found.map((e) => (e.resource && !mayRead(ctx, e.resource) ? { ...e, resource: undefined } : e));
  const shown = events.flatMap((e) => (e.resource ? [seen(e.resource, ctx.state.app.config.baseUrl)] : []));
  if (shown.length) noteAccess(ctx, { interaction: 'operation', action: 'E', seen: shown, types: [sub.spec.resourceType], operation: '$events' });
  ctx.body = notificationBundle({ baseUrl: ctx.state.app.config.baseUrl, spec: sub.spec, status: sub.spec.status, type: 'query-event', eventsSinceStart: String(total), events, content });
}

/** GET|POST Subscription/[id]/$get-ws-binding-token (or Subscription/$get-ws-binding-token?id=...). */
export async function bindingTokenOperation(ctx: FhirContext): Promise<void> {
  const params = operationParameters(ctx, '$get-ws-binding-token');
  const ids = ctx.params.id ? [ctx.params.id] : params.getAll('id').flatMap((v) => v.split(','));
  if (!ids.length) throw badRequest('Name the subscriptions (id) the token is for');
  for (const id of ids) {
    const sub = await known(ctx, id);
    requireOwner(ctx, sub);
    if (sub.spec.channel !== 'websocket') throw badRequest(`Subscription/${id} does not use the websocket channel`);
  }
  const token = randomBytes(24).toString('base64url');
  const expiration = new Date(Date.now() + TOKEN_SECONDS * 1000);
  await ctx.state.app.db.query('DELETE FROM subscription_ws_token WHERE expires_at < now()');
  await ctx.state.app.db.query('INSERT INTO subscription_ws_token (token, subscriptions, expires_at) VALUES ($1, $2, $3)', [token, ids, expiration]);
  const parameters: Parameters = {
    resourceType: 'Parameters',
    parameter: [
      { name: 'token', valueString: token },
      { name: 'expiration', valueDateTime: expiration.toISOString() },
      ...ids.map((id) => ({ name: 'subscription', valueString: `${ctx.state.app.config.baseUrl}/Subscription/${id}` })),
      { name: 'websocket-url', valueUrl: websocketUrl(ctx.state.app.config.baseUrl) },
    ],
  };
  ctx.body = parameters;
}

/** ws(s)://host/fhir/ws for a base URL http(s)://host/fhir. */
export function websocketUrl(baseUrl: string): string {
  return `${baseUrl.replace(/^http/, 'ws')}/ws`;
}
