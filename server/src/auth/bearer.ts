// Who is calling the FHIR API: the bearer access token of every request (RFC 6750), looked up in
// the authorization server in-process. No token or a bad one is a 401 with WWW-Authenticate;
// metadata and the SMART discovery document stay public.
import type Koa from 'koa';
import type { Provider } from 'oidc-provider';
import type { Config } from '../config.js';
import type { FhirContext, Principal } from '../fhir/context.js';
import { fhirError } from '../fhir/outcome.js';
import { deviceGuard, writeGuard } from './permissions.js';
import { effectiveScope } from './provider.js';
import { resourceScopes } from './scopes.js';

const PUBLIC = ['/metadata', '/.well-known/smart-configuration'];

export function bearerAuth(config: Config, provider: Provider, prefix: string): Koa.Middleware {
  return async (ctx, next) => {
    const state = (ctx as unknown as FhirContext).state;
    const path = ctx.path.slice(prefix.length);
    if (config.authMode === 'open') {
      state.principal = { kind: 'open' };
      return next();
    }
    if (!ctx.path.startsWith(prefix) || PUBLIC.includes(path)) return next();
    state.principal = await authenticate(ctx, config, provider);
    // a patient-bound token writes only into that patient's record, whatever the path
    if (state.principal.kind === 'token' && state.principal.patient) state.repo = state.repo.withHook(writeGuard(ctx as unknown as FhirContext));
    // a device writes its own Observations and nothing else
    if (state.principal.kind === 'token' && state.principal.device) state.repo = state.repo.withHook(deviceGuard(ctx as unknown as FhirContext, state.principal.device));
    return next();
  };
}

/** The caller the request's bearer token stands for, or a 401 FhirError. */
export function authenticate(ctx: Koa.Context, config: Config, provider: Provider): Promise<Principal> {
  return principalOf(ctx.get('Authorization'), config, provider);
}

/** The caller an Authorization header's bearer token stands for (HTTP requests, websocket upgrades), or a 401. */
export async function principalOf(header: string, config: Config, provider: Provider): Promise<Principal> {
  const realm = `Bearer realm="${config.baseUrl}"`;
  const unauthorized = (text: string, error?: string) =>
    fhirError(401, 'login', text).withHeaders({ 'WWW-Authenticate': error ? `${realm}, error="${error}", error_description="${text}"` : realm });
  if (!header) throw unauthorized('This server needs an access token (Authorization: Bearer ...)');
  const match = /^Bearer\s+([A-Za-z0-9\-._~+/]+=*)$/i.exec(header);
  if (!match) throw unauthorized('The Authorization header is not a Bearer token', 'invalid_request');
  const token = (await provider.AccessToken.find(match[1])) ?? (await provider.ClientCredentials.find(match[1]));
  if (!token || token.isExpired) throw unauthorized('The access token is unknown, expired or revoked', 'invalid_token');
  const audience = [token.aud].flat();
  if (!audience.includes(config.baseUrl)) throw unauthorized('The access token is not for this server', 'invalid_token');
  const extra = (token.extra ?? {}) as { patient?: unknown; role?: unknown; username?: unknown; fhirUser?: unknown; device?: unknown };
  return {
    kind: 'token',
    clientId: token.clientId!,
    accountId: 'accountId' in token ? token.accountId : undefined,
    scopes: resourceScopes(effectiveScope(token.scope, extra.role)),
    patient: typeof extra.patient === 'string' ? extra.patient : undefined,
    role: typeof extra.role === 'string' ? extra.role : undefined,
    username: typeof extra.username === 'string' ? extra.username : undefined,
    fhirUser: typeof extra.fhirUser === 'string' ? extra.fhirUser : undefined,
    device: typeof extra.device === 'string' ? extra.device : undefined,
  };
}
