// Builds a running Meridian from a configuration: definitions, database, app, HTTP listener.
// main.ts uses it for the process; tests use it for a server of their own.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from './app.js';
import type { Config } from './config.js';
import { openDatabase, type Db } from './db/index.js';
import type { AppContext } from './fhir/context.js';
import { loadDefinitions } from './fhir/definitions.js';
import type { Logger } from './logger.js';
import { Repository } from './repo/index.js';
import { startExportRunner } from './bulk/runner.js';
import { createAuth } from './auth/index.js';
import { AuditLog } from './audit/index.js';
import { Subscriptions } from './subscriptions/index.js';
import { coreContent, createTerminology, curatedContent, storeInBackground, type BackgroundStore } from './terminology/index.js';
import { shippedProfiles } from './profiles/index.js';

export interface RunningServer {
  app: AppContext;
  http: http.Server;
  url: string;
  /** The shipped definitions being stored as resources (SHIPPED_CONTENT). */
  shipped: BackgroundStore;
  close(): Promise<void>;
}

/** Wires the dependencies around an open database. */
export async function createAppContext(config: Config, db: Db, log: Logger): Promise<AppContext> {
  loadDefinitions();
  const auth = await createAuth(config, db);
  const exports = startExportRunner(db, log, { baseUrl: config.baseUrl, fileBytes: config.exportFileBytes });
  const terminology = createTerminology(db);
  const repo = new Repository(db, config.baseUrl, [], terminology);
  const subscriptions = new Subscriptions(db, repo, config, log, auth.provider);
  return { config, db, log, repo, exports, auth, audit: new AuditLog(repo, log), subscriptions, terminology };
}

export async function startServer(config: Config, log: Logger, db?: Db): Promise<RunningServer> {
  loadDefinitions();
  const database = db ?? (await openDatabase(config, log));
  const app = await createAppContext(config, database, log);
  const server = http.createServer(createApp(app).callback());
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, resolve);
  });
  await app.subscriptions.start(server);
  const shipped = storeShippedContent(app);
  const { port } = server.address() as AddressInfo;
  return {
    app,
    http: server,
    url: `http://localhost:${port}`,
    shipped,
    async close() {
      await shipped.stop();
      server.closeAllConnections();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await app.subscriptions.stop(); // its websockets too: the server waits for every socket
      await closed;
      await app.exports.stop();
      await app.audit.flush();
      if (!db) await database.close();
    },
  };
}

/** Stores the shipped definitions as resources, Meridian's own first, as SHIPPED_CONTENT says. */
function storeShippedContent(app: AppContext): BackgroundStore {
  const { shippedContent } = app.config;
  const groups = [];
  if (shippedContent !== 'none') groups.push({ name: 'Meridian terminology and profiles', resources: () => [...curatedContent(), ...shippedProfiles()] });
  if (shippedContent === 'all') groups.push({ name: 'FHIR core CodeSystems, ValueSets and ConceptMaps', resources: () => coreContent().filter((r) => r.id) });
  return storeInBackground(app.repo, app.db, groups, app.log);
}
