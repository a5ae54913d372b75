// Authorization, wired: the authorization server (provider.ts) built from the configuration, and
// how the FHIR API learns who is calling (bearer.ts) and what they may do (permissions.ts).
import fs from 'node:fs';
import type { Adapter, ClientMetadata, Provider } from 'oidc-provider';
import { appClients } from '../apps/clients.js';
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
export { adminRoutes } from './admin.js';

export interface Auth {
  provider: Provider;
  issuer: string;
  accounts: Accounts;
  contexts: LaunchContexts;
  /** Clients registered at run time (kept in the database; AUTH_CLIENTS_FILE's are fixed at start). */
  clients: RegisteredClients;
  /** The clients of AUTH_CLIENTS_FILE. */
  staticClients: ClientMetadata[];
}

/** Clients stored where oidc-provider looks up the ones it was not started with (its Client model). */
export class RegisteredClients {
  private readonly store: Adapter;
  constructor(
    adapter: new (model: string) => Adapter,
    private readonly db: Queryable,
  ) {
    this.store = new adapter('Client');
  }

  /** Every client registered at run time (by the admin API, the demo start or RFC 7591 registration). */
  async list(): Promise<ClientMetadata[]> {
    const { rows } = await this.db.query<{ payload: ClientMetadata }>(`SELECT payload FROM oidc_model WHERE model = 'Client' ORDER BY id`);
    return rows.map((r) => r.payload);
  }

  /** Removes a client and everything issued to it (tokens, codes, grants): it is locked out at once. */
  async remove(clientId: string): Promise<boolean> {
    if (!(await this.find(clientId))) return false;
    await this.db.query(`DELETE FROM oidc_model WHERE (model = 'Client' AND id = $1) OR payload->>'clientId' = $1`, [clientId]);
    return true;
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
  const staticClients = [...appClients(config), ...readClients(config.authClientsFile)];
  const provider = createProvider({
    issuer,
    fhirBase: config.baseUrl,
    clients: staticClients,
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
  return { provider, issuer, accounts, contexts, clients: new RegisteredClients(adapter, db), staticClients };
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
