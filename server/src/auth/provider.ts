// The authorization server: panva's oidc-provider (9.x, pinned: it targets Node 22 and warns on
// Node 20, where it runs), mounted under /auth. Access tokens are opaque (so they can be introspected
// and revoked) and their audience is the FHIR base URL. See README.md for what is enabled.
import type Koa from 'koa';
import { Provider, errors, type ClientMetadata, type Configuration } from 'oidc-provider';
import getRawBody from 'raw-body';
import type { Accounts } from './accounts.js';
import type { LaunchContext, LaunchContexts } from './launch.js';
import { grantableScopes, isRole } from './roles.js';
import { isResourceScope, parseResourceScope } from './scopes.js';

export interface ProviderOptions {
  /** e.g. http://localhost:8080/auth: the mount path is part of it. */
  issuer: string;
  /** The FHIR base URL: the only resource (audience) tokens are issued for. */
  fhirBase: string;
  clients: ClientMetadata[];
  /** Where tokens, grants and sessions are kept. */
  adapter: Configuration['adapter'];
  /** Private signing keys (JWKS) for id_tokens. */
  jwks: { keys: object[] };
  cookieKeys: string[];
  /** Seconds an access token lives. */
  accessTokenTtl: number;
  /** RFC 7591 dynamic client registration at /auth/reg. */
  dynamicRegistration: boolean;
  /** Fetch jwks_uri on private addresses too (oidc-provider refuses them, against SSRF). */
  allowPrivateJwksUri: boolean;
  accounts: Accounts;
  contexts: LaunchContexts;
  /** Where the app learns Meridian's look (SMART's smart_style_url). */
  styleUrl: string;
}

/** Scopes that are not resource scopes and that Meridian knows. */
export const OIDC_SCOPES = ['openid', 'fhirUser', 'offline_access', 'online_access', 'launch', 'launch/patient', 'launch/encounter'];
/** SMART Backend Services: a client assertion may expire at most five minutes ahead. */
const MAX_ASSERTION_SECONDS = 300;

export function createProvider(o: ProviderOptions): Provider {
  const config: Configuration = {
    adapter: o.adapter,
    clients: o.clients,
    jwks: o.jwks as Configuration['jwks'],
    cookies: { keys: o.cookieKeys },
    scopes: OIDC_SCOPES,
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(_ctx, sub) {
      const account = await o.accounts.find(sub);
      if (!account) return undefined;
      return { accountId: sub, claims: async () => ({ sub, ...(account.fhirUser ? { fhirUser: `${o.fhirBase}/${account.fhirUser}` } : {}) }) };
    },
    // SMART's fhirUser claim goes into the id_token itself (not only the userinfo endpoint)
    claims: { openid: ['sub'], fhirUser: ['fhirUser'] },
    conformIdTokenClaims: false,
    extraParams: {
      // SMART App Launch: aud names the FHIR server the app wants a token for; it must be this one
      aud(_ctx, value) {
        if (!value) throw new errors.InvalidRequest(`aud is required: the FHIR base URL (${o.fhirBase})`);
        if (value.replace(/\/+$/, '') !== o.fhirBase) throw new errors.InvalidRequest(`aud ${value} is not this FHIR server (${o.fhirBase})`);
      },
      launch: null,
    },
    // the launch context of the grant, in the access token (bearer.ts reads it) and in introspection
    async extraTokenClaims(ctx, token) {
      // a device's backend client: its tokens carry the Device it is (bearer.ts: it writes as that device only)
      const device = (ctx.oidc.client as { meridian_device?: string } | undefined)?.meridian_device;
      if (device) return { device };
      const grantId = (token as { grantId?: string }).grantId;
      const context = grantId ? await o.contexts.forGrant(grantId) : undefined;
      return context ? contextClaims(context) : undefined;
    },
    // meridian_device: "Device/<id>" binds a backend-services client to the device it is
    extraClientMetadata: {
      properties: ['meridian_device', 'meridian_launch_url'],
      validator(_ctx, key, value) {
        if (key === 'meridian_launch_url' && value !== undefined && (typeof value !== 'string' || !/^https?:\/\/[^\s]+$/.test(value))) {
          throw new errors.InvalidClientMetadata('meridian_launch_url must be the http(s) URL the launcher opens the app at');
        }
        if (key === 'meridian_device' && value !== undefined && (typeof value !== 'string' || !/^Device\/[A-Za-z0-9\-.]{1,64}$/.test(value))) {
          throw new errors.InvalidClientMetadata('meridian_device must be a reference "Device/<id>"');
        }
      },
    },
    // offline_access: a refresh token that outlives the session; online_access: one that ends with it
    async issueRefreshToken(_ctx, client, code) {
      return client.grantTypeAllowed('refresh_token') && (code.scopes.has('offline_access') || code.scopes.has('online_access'));
    },
    pkce: { required: () => true }, // S256 only in oidc-provider 9
    clientAuthMethods: ['none', 'private_key_jwt', 'client_secret_basic', 'client_secret_post'],
    // SMART Backend Services names RS384 and ES384; oidc-provider does not enable them by default.
    enabledJWA: { clientAuthSigningAlgValues: ['RS384', 'ES384', 'RS256', 'ES256'] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true, allowedPolicy: async (_ctx, client) => client.clientAuthMethod !== 'none' },
      // a client revokes only what was issued to it
      revocation: { enabled: true, allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId },
      registration: { enabled: o.dynamicRegistration },
      resourceIndicators: {
        enabled: true,
        // SMART apps name the FHIR server with `aud`, not `resource`: every token is for it.
        defaultResource: async () => o.fhirBase,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (ctx, indicator) => {
          if (indicator !== o.fhirBase) throw new errors.InvalidTarget(`tokens are issued only for ${o.fhirBase}`);
          // oidc-provider grants the requested scopes found in this list: SMART scopes are open-ended
          // (granular queries), so the list is the request's well-formed resource scopes.
          const requested = [ctx.oidc.params?.scope, ctx.oidc.entities.Grant?.resources?.[indicator]].flatMap((v) => String(v ?? '').split(' '));
          if (ctx.oidc.params?.grant_type === 'client_credentials') refuseOtherThanSystemScopes(String(ctx.oidc.params.scope ?? ''));
          return { scope: [...new Set(requested.filter(isResourceScope))].join(' '), audience: o.fhirBase, accessTokenFormat: 'opaque', accessTokenTTL: o.accessTokenTtl };
        },
      },
    },
    async assertJwtClientAuthClaimsAndHeader(_ctx, claims, header, client) {
      const now = Math.floor(Date.now() / 1000);
      if (typeof claims.exp !== 'number' || claims.exp - now > MAX_ASSERTION_SECONDS) {
        throw new errors.InvalidClientAuth('client_assertion exp must be at most 5 minutes in the future');
      }
      // oidc-provider takes keys only from the registered jwks/jwks_uri; a jku elsewhere is refused.
      if (header.jku !== undefined && header.jku !== client.jwksUri) {
        throw new errors.InvalidClientAuth('client_assertion jku is not the registered jwks_uri');
      }
    },
    ttl: {
      ClientCredentials: o.accessTokenTtl,
      AccessToken: o.accessTokenTtl,
      AuthorizationCode: 60,
      IdToken: 3600,
      // a sign-in is kept for a working day; an interaction (login, picker, consent) for an hour
      Interaction: 3600,
      Session: 12 * 3600,
      // grants and refresh tokens for 14 days, as long as the launch context kept for them (launch.ts)
      Grant: 14 * 24 * 3600,
      RefreshToken: 14 * 24 * 3600,
    },
    clientBasedCORS: browserAppOrigin,
    // without its dispatcher, oidc-provider's fetch no longer refuses private and loopback addresses
    ...(o.allowPrivateJwksUri ? { fetch: (input: string | URL | Request, init?: RequestInit) => fetch(input, { ...init, dispatcher: undefined } as RequestInit) } : {}),
  };
  const provider = new Provider(o.issuer, config);
  provider.use(smartTokenResponse(provider, o.contexts, o.styleUrl));
  return provider;
}

/**
 * CORS of the token, revocation and userinfo endpoints (oidc-provider answers preflights to anyone,
 * then asks this once it knows the client): a browser app, i.e. a public client, may call them from
 * the origins of its registered redirect_uris; confidential clients, which keep a secret or key off
 * the browser, from none (userinfo, called with an access token, from their redirect origins too).
 */
function browserAppOrigin(ctx: Parameters<NonNullable<Configuration['clientBasedCORS']>>[0], origin: string, client: Parameters<NonNullable<Configuration['clientBasedCORS']>>[2]): boolean {
  if (!origin || origin === 'null') return false;
  if (client.clientAuthMethod !== 'none' && ctx.oidc.route !== 'userinfo') return false;
  return (client.redirectUris ?? []).some((uri) => URL.canParse(uri) && new URL(uri).origin === origin);
}

const contextClaims = (c: LaunchContext) => ({
  ...(c.patient ? { patient: c.patient } : {}),
  ...(c.encounter ? { encounter: c.encounter } : {}),
  ...(c.role ? { role: c.role } : {}),
  // RFC 7662 names `username` for introspection; both identify the user in the audit trail
  ...(c.username ? { username: c.username } : {}),
  ...(c.fhirUser ? { fhirUser: c.fhirUser } : {}),
});

/** The resource scopes a token really has: as granted, narrowed to the consenting user's role. */
export function effectiveScope(scope: string | undefined, role: unknown): string {
  const scopes = String(scope ?? '').split(' ').filter(Boolean);
  return typeof role === 'string' && isRole(role) ? grantableScopes(role, scopes).join(' ') : scopes.join(' ');
}

/**
 * SMART's token response: the launch context (patient, encounter, need_patient_banner,
 * smart_style_url) beside the token, and the granted OpenID scopes in `scope` (oidc-provider lists
 * only the resource scopes of an access token for a resource server).
 */
function smartTokenResponse(provider: Provider, contexts: LaunchContexts, styleUrl: string): Parameters<Provider['use']>[0] {
  return async (ctx, next) => {
    await next();
    const body = ctx.body as Record<string, unknown> | undefined;
    if (ctx.oidc?.route === 'introspection' && body?.active) {
      ctx.body = { ...body, scope: effectiveScope(body.scope as string, body.role) };
      return;
    }
    if (ctx.oidc?.route !== 'token') return;
    ctx.set('Pragma', 'no-cache');
    if (ctx.status !== 200 || typeof body?.access_token !== 'string') return;
    const token = await provider.AccessToken.find(body.access_token);
    if (!token?.grantId) return; // client_credentials tokens carry no launch
    const grant = await provider.Grant.find(token.grantId);
    const context = (await contexts.forGrant(token.grantId)) ?? {};
    const scope = [grant?.getOIDCScope(), effectiveScope(body.scope as string, context.role)].filter(Boolean).join(' ');
    const { role: _role, username: _username, fhirUser: _fhirUser, ...claims } = contextClaims(context);
    ctx.body = {
      ...body,
      scope,
      ...claims,
      ...(context.patient ? { need_patient_banner: context.needPatientBanner ?? true } : {}),
      smart_style_url: styleUrl,
    };
  };
}

/**
 * Backend Services ask for system/ scopes: anything else (a patient/ or user/ scope, a typo) is an
 * invalid_scope error rather than a token that silently grants less.
 */
function refuseOtherThanSystemScopes(scope: string): void {
  const wrong = scope.split(' ').filter((s) => s && parseResourceScope(s)?.context !== 'system');
  if (wrong.length) throw new errors.InvalidScope(`client_credentials grants system/ resource scopes only, not ${wrong.join(' ')}`, wrong.join(' '));
}

/** Koa middleware that hands requests under mountPath to the provider (it answers them itself). */
export function mountProvider(provider: Provider, mountPath: string): Koa.Middleware {
  const handle = provider.callback();
  return async (ctx, next) => {
    if (ctx.path !== mountPath && !ctx.path.startsWith(`${mountPath}/`)) return next();
    const { url, method } = ctx.req;
    let target = ctx.originalUrl.slice(mountPath.length) || '/';
    if (ctx.path === `${mountPath}/auth`) {
      // SMART's authorize-post: the form is read here and handled as the same request in GET form
      if (ctx.method === 'POST' && ctx.is('application/x-www-form-urlencoded')) {
        target = `/auth?${await getRawBody(ctx.req, { limit: '56kb', encoding: 'utf8' })}`;
        ctx.req.method = 'GET';
      }
      target = withConsentForOfflineAccess(target);
    } else if (ctx.path === `${mountPath}/token` && ctx.method === 'POST' && ctx.is('application/x-www-form-urlencoded') && !ctx.get('Authorization')) {
      await addPublicClientId(ctx, provider);
    }
    ctx.req.url = target;
    (ctx.req as { baseUrl?: string }).baseUrl = mountPath; // how the provider builds its own URLs
    ctx.respond = false;
    try {
      await handle(ctx.req, ctx.res);
    } finally {
      ctx.req.url = url; // the request log shows /auth/...
      ctx.req.method = method;
    }
  };
}

/**
 * OpenID Connect drops offline_access unless consent is prompted; SMART apps ask for it without a
 * prompt (consent is always asked here anyway), so the prompt is added.
 */
function withConsentForOfflineAccess(target: string): string {
  const [path, query = ''] = target.split(/\?(.*)/s);
  const params = new URLSearchParams(query);
  if (!params.get('scope')?.split(' ').includes('offline_access') || params.has('prompt')) return target;
  params.set('prompt', 'consent');
  return `${path}?${params}`;
}

/**
 * A public client's refresh request may come without client_id (fhirclient sends none); oidc-provider
 * needs it to know the client. It is taken from the refresh token, for clients that authenticate
 * with nothing else (token_endpoint_auth_method none), and the form is handed on with it.
 */
async function addPublicClientId(ctx: Koa.Context, provider: Provider): Promise<void> {
  const text = await getRawBody(ctx.req, { limit: '56kb', encoding: 'utf8' });
  const form = new URLSearchParams(text);
  if (form.get('grant_type') === 'refresh_token' && !form.has('client_id') && !form.has('client_assertion')) {
    const token = await provider.RefreshToken.find(form.get('refresh_token') ?? '').catch(() => undefined);
    const client = token?.clientId ? await provider.Client.find(token.clientId) : undefined;
    if (client?.clientAuthMethod === 'none') form.set('client_id', client.clientId);
  }
  replayBody(ctx.req, Buffer.from(form.toString()));
}

/** Lets oidc-provider read a request body that was already read here (it reads req.iterator()). */
function replayBody(req: Koa.Context['req'], body: Buffer): void {
  req.headers['content-length'] = String(body.length);
  Object.defineProperty(req, 'readable', { value: true, configurable: true });
  req.iterator = (async function* () {
    yield body;
  }) as unknown as typeof req.iterator;
}
