// Every setting, typed, read from the environment in one place.
import path from 'node:path';

export interface Config {
  /** TCP port the HTTP server listens on. */
  port: number;
  /** Postgres connection string; when unset the embedded PGlite database is used. */
  databaseUrl?: string;
  /** Folder of the embedded PGlite database (only used when databaseUrl is unset). */
  dataDir: string;
  /** Public URL of the FHIR endpoint, e.g. http://localhost:8080/fhir. Its path is where the API is mounted. */
  baseUrl: string;
  /** Largest request body accepted, in bytes. */
  bodyLimit: number;
  /** Connections in the Postgres pool. */
  dbPoolSize: number;
  /** Largest `_count` a history or search page may have. */
  maxPageSize: number;
  /** pino log level. */
  logLevel: string;
  /** Bulk export: most jobs running or waiting at once (429 beyond), and bytes per ndjson file. */
  exportMaxJobs: number;
  exportFileBytes: number;
  /** Load the demo population on the first start of an empty embedded database (SEED_DEMO=false: don't). */
  seedDemo: boolean;
  /** 'smart': every FHIR request needs an access token; 'open': none does (development only). */
  authMode: 'smart' | 'open';
  /** A JSON file with the OAuth clients (oidc-provider client metadata), read at start. */
  authClientsFile?: string;
  /** Seconds an access token lives. */
  accessTokenTtl: number;
  /** RFC 7591 dynamic client registration at /auth/reg (open to anyone who can reach it). */
  dynamicRegistration: boolean;
  /** Let clients' jwks_uri be on this machine or a private network (refused by default: SSRF). */
  allowPrivateJwksUri: boolean;
  /** Let rest-hook subscriptions POST to this machine or a private network (refused by default: SSRF). */
  subscriptionAllowPrivateEndpoints: boolean;
  /** Rest-hook retries: the first waits this long, each next one twice as long; after the last, status error. */
  subscriptionRetryMs: number;
  subscriptionMaxAttempts: number;
  /** How often dispatchers look for work nobody notified them of (the LISTEN/NOTIFY safety net). */
  subscriptionPollMs: number;
  /** Days a delivered notification is kept for $events. */
  subscriptionRetentionDays: number;
  /**
   * Shipped definitions stored as resources at start (in the background): 'all' (Meridian's terminology
   * and profiles, and the FHIR core CodeSystems, ValueSets and ConceptMaps), 'meridian' (without the
   * core), 'none'. The terminology operations and validation use all of them from memory either way.
   */
  shippedContent: 'all' | 'meridian' | 'none';
  /**
   * CDS Hooks clients: 'jwt' (signed JWTs from registered clients), 'open' (anyone, development only).
   * Unset (tests' configs): as AUTH_MODE, 'jwt' under smart and 'open' under open.
   */
  cdsAuth?: 'jwt' | 'open';
  /** A JSON file with the CDS clients ({ iss, jwks? | jwks_uri?, jku? }), read at start. */
  cdsClientsFile?: string;
  /** Let a CDS request's fhirServer be on this machine or a private network (refused by default: SSRF). */
  cdsAllowPrivateFhirServer?: boolean;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = intSetting(env, 'PORT', 8080);
  const baseUrl = (env.BASE_URL || `http://localhost:${port}/fhir`).replace(/\/+$/, '');
  try {
    new URL(baseUrl);
  } catch {
    throw new Error(`BASE_URL must be an absolute URL, got "${baseUrl}"`);
  }
  return {
    port,
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: path.resolve(env.DATA_DIR || 'data'),
    baseUrl,
    bodyLimit: intSetting(env, 'BODY_LIMIT_BYTES', 32 * 1024 * 1024),
    dbPoolSize: intSetting(env, 'DB_POOL_SIZE', 16),
    maxPageSize: intSetting(env, 'MAX_PAGE_SIZE', 1000),
    logLevel: env.LOG_LEVEL || 'info',
    exportMaxJobs: intSetting(env, 'EXPORT_MAX_JOBS', 4),
    exportFileBytes: intSetting(env, 'EXPORT_FILE_BYTES', 16 * 1024 * 1024),
    seedDemo: booleanSetting(env, 'SEED_DEMO', true),
    authMode: authModeSetting(env.AUTH_MODE),
    authClientsFile: env.AUTH_CLIENTS_FILE || undefined,
    accessTokenTtl: intSetting(env, 'ACCESS_TOKEN_TTL', 300),
    dynamicRegistration: booleanSetting(env, 'AUTH_DYNAMIC_REGISTRATION', false),
    allowPrivateJwksUri: booleanSetting(env, 'AUTH_ALLOW_PRIVATE_JWKS_URI', false),
    subscriptionAllowPrivateEndpoints: booleanSetting(env, 'SUBSCRIPTION_ALLOW_PRIVATE_ENDPOINTS', false),
    subscriptionRetryMs: intSetting(env, 'SUBSCRIPTION_RETRY_MS', 1000),
    subscriptionMaxAttempts: intSetting(env, 'SUBSCRIPTION_MAX_ATTEMPTS', 5),
    subscriptionPollMs: intSetting(env, 'SUBSCRIPTION_POLL_MS', 1000),
    shippedContent: shippedContentSetting(env.SHIPPED_CONTENT),
    subscriptionRetentionDays: intSetting(env, 'SUBSCRIPTION_RETENTION_DAYS', 7),
    cdsAuth: cdsAuthSetting(env.CDS_AUTH, authModeSetting(env.AUTH_MODE)),
    cdsClientsFile: env.CDS_CLIENTS_FILE || undefined,
    cdsAllowPrivateFhirServer: booleanSetting(env, 'CDS_ALLOW_PRIVATE_FHIR_SERVER', false),
  };
}

function intSetting(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`${name} must be a positive integer, got "${raw}"`);
  }
  return value;
}

function booleanSetting(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new Error(`${name} must be true or false, got "${raw}"`);
}

// SMART by default; `open` is for development only, and the server warns while it is set.
function authModeSetting(raw: string | undefined): 'smart' | 'open' {
  if (raw === undefined || raw === '') return 'smart';
  if (raw === 'smart' || raw === 'open') return raw;
  throw new Error(`AUTH_MODE must be smart or open, got "${raw}"`);
}

// CDS Hooks clients sign their requests unless CDS_AUTH=open; the default follows AUTH_MODE.
function cdsAuthSetting(raw: string | undefined, authMode: 'smart' | 'open'): 'jwt' | 'open' {
  if (raw === undefined || raw === '') return authMode === 'open' ? 'open' : 'jwt';
  if (raw === 'jwt' || raw === 'open') return raw;
  throw new Error(`CDS_AUTH must be jwt or open, got "${raw}"`);
}

/** The path the FHIR API is mounted at, from BASE_URL ("" for the root). */
export function fhirMountPath(config: Config): string {
  return new URL(config.baseUrl).pathname.replace(/\/+$/, '');
}

/** Where the authorization server is mounted: /auth at the origin of BASE_URL. */
export function authIssuer(config: Config): string {
  return `${new URL(config.baseUrl).origin}/auth`;
}

function shippedContentSetting(raw: string | undefined): Config['shippedContent'] {
  if (raw === undefined || raw === '') return 'all';
  if (raw === 'all' || raw === 'meridian' || raw === 'none') return raw;
  throw new Error(`SHIPPED_CONTENT must be all, meridian or none, got "${raw}"`);
}
