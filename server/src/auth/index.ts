// Authorization, wired: the authorization server (provider.ts) built from the configuration, and
// how the FHIR API learns who is calling (bearer.ts) and what they may do (permissions.ts).
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';
import type { ClientMetadata, Provider } from 'oidc-provider';
import { authIssuer, type Config } from '../config.js';
import type { Queryable } from '../db/index.js';
import { Accounts } from './accounts.js';
import { LaunchContexts } from './launch.js';
import { createProvider } from './provider.js';
import { postgresAdapter } from './store.js';

export { mountProvider } from './provider.js';
export { bearerAuth } from './bearer.js';
export { interactionNeeds, may, mayRead, patientScope, requireInScope, requireScope, requireSearchScope, searchBounds } from './permissions.js';
export { smartConfiguration } from './discovery.js';
export { interactionRoutes } from './interactions.js';
export { launcherRoutes } from './launcher.js';

export interface Auth {
  provider: Provider;
  issuer: string;
  accounts: Accounts;
  contexts: LaunchContexts;
}

export async function createAuth(config: Config, db: Queryable): Promise<Auth> {
  const issuer = authIssuer(config);
  const adapter = postgresAdapter(db);
  const accounts = new Accounts(db);
  const contexts = new LaunchContexts(adapter);
  const provider = createProvider({
    issuer,
    fhirBase: config.baseUrl,
    clients: readClients(config.authClientsFile),
    adapter,
    // id_token signing key, made at start: access tokens are opaque and do not depend on it
    jwks: { keys: [{ ...(await exportJWK((await generateKeyPair('RS256', { extractable: true })).privateKey)), alg: 'RS256', use: 'sig' }] },
    cookieKeys: [randomBytes(32).toString('base64url')],
    accessTokenTtl: config.accessTokenTtl,
    dynamicRegistration: config.dynamicRegistration,
    allowPrivateJwksUri: config.allowPrivateJwksUri,
    accounts,
    contexts,
    styleUrl: `${new URL(config.baseUrl).origin}/smart-style.json`,
  });
  return { provider, issuer, accounts, contexts };
}

function readClients(file: string | undefined): ClientMetadata[] {
  if (!file) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`AUTH_CLIENTS_FILE ${file} could not be read as JSON: ${(e as Error).message}`);
  }
  const clients = Array.isArray(parsed) ? parsed : (parsed as { clients?: unknown }).clients;
  if (!Array.isArray(clients)) throw new Error(`AUTH_CLIENTS_FILE ${file} must hold an array of clients (or { "clients": [...] })`);
  return clients as ClientMetadata[];
}
