// Authorization, wired: the authorization server (provider.ts) built from the configuration, and
// how the FHIR API learns who is calling (bearer.ts) and what they may do (permissions.ts).
import fs from 'node:fs';
import type { Adapter, ClientMetadata, Provider } from 'oidc-provider';
import { authIssuer, type Config } from '../config.js';
import type { Queryable } from '../db/index.js';
import { Accounts } from './accounts.js';
import { LaunchContexts } from './launch.js';
import { serverKeys } from './keys.js';
import { createProvider } from './provider.js';
import { postgresAdapter } from './store.js';

export { mountProvider } from './provider.js';
export { bearerAuth } from './bearer.js';
export { interactionNeeds, may, mayRead, patientScope, reach, requireInScope, requireReadable, requireScope, requireSearchScope, searchBounds } from './permissions.js';
export { smartConfiguration } from './discovery.js';
export { interactionRoutes } from './interactions.js';
export { launcherRoutes } from './launcher.js';

export interface Auth {
  provider: Provider;
  issuer: string;
  accounts: Accounts;
  contexts: LaunchContexts;
  /** Clients registered at run time (kept in the database; AUTH_CLIENTS_FILE's are fixed at start). */
  clients: RegisteredClients;
}

/** Clients stored where oidc-provider looks up the ones it was not started with (its Client model). */
export class RegisteredClients {
  private readonly store: Adapter;
  constructor(adapter: new (model: string) => Adapter) {
    this.store = new adapter('Client');
  }

  async register(client: ClientMetadata): Promise<void> {
    await this.store.upsert(client.client_id, { ...client });
  }

  async find(clientId: string): Promise<ClientMetadata | undefined> {
    return (await this.store.find(clientId)) as ClientMetadata | undefined;
  }
}

export async function createAuth(config: Config, db: Queryable): Promise<Auth> {
  const issuer = authIssuer(config);
  const adapter = postgresAdapter(db);
  const accounts = new Accounts(db);
  const contexts = new LaunchContexts(adapter);
  const keys = await serverKeys(db);
  const provider = createProvider({
    issuer,
    fhirBase: config.baseUrl,
    clients: readClients(config.authClientsFile),
    adapter,
    // id_token signing and cookie keys, kept in the database (access tokens are opaque and need none)
    jwks: { keys: keys.signing },
    cookieKeys: keys.cookies,
    accessTokenTtl: config.accessTokenTtl,
    dynamicRegistration: config.dynamicRegistration,
    allowPrivateJwksUri: config.allowPrivateJwksUri,
    accounts,
    contexts,
    styleUrl: `${new URL(config.baseUrl).origin}/smart-style.json`,
  });
  return { provider, issuer, accounts, contexts, clients: new RegisteredClients(adapter) };
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
