// Process entry: config -> database -> app -> listen.
import { loadConfig, type Config } from './config.js';
import { createLogger, type Logger } from './logger.js';
import fs from 'node:fs';
import { createDemoAccess, demoAccessFile, isEmpty, loadDemoPopulation, type DemoAccess } from './demo.js';
import { startServer } from './server.js';

let config: Config;
let log: Logger;
try {
  config = loadConfig();
  log = createLogger(config.logLevel);
} catch (err) {
  createLogger('info').fatal(`Meridian could not start: ${(err as Error).message}`);
  process.exit(1);
}

try {
  const server = await startServer(config, log);
  if (config.authMode === 'open') log.warn('AUTH_MODE=open: the FHIR API answers every caller without an access token (development only; AUTH_MODE=smart enforces SMART scopes)');
  else log.info({ issuer: server.app.auth.issuer }, `SMART authorization enforced: access tokens from ${server.app.auth.issuer}`);
  log.info({ url: config.baseUrl, metadata: `${config.baseUrl}/metadata` }, `Meridian is serving FHIR R4 at ${config.baseUrl}`);
  log.info({ apps: `${new URL(config.baseUrl).origin}/` }, `the apps (launcher, chart, monitor, ...) are at ${new URL(config.baseUrl).origin}/`);
  if (!config.databaseUrl && config.seedDemo && (await isEmpty(server.app))) {
    const started = Date.now();
    loadDemoPopulation(server.app)
      .then(async (n) => {
        log.info({ patients: n, seconds: (Date.now() - started) / 1000 }, 'demo population loaded (SEED_DEMO=false turns this off)');
        showDemoAccess(await createDemoAccess(server.app));
      })
      .catch((err) => log.error({ error: (err as Error).message }, 'the demo population could not be loaded'));
  } else if (!config.databaseUrl && fs.existsSync(demoAccessFile(config))) {
    log.info(`demo sign-ins (user names, passwords, a backend client) are in ${demoAccessFile(config)}`);
  }
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    await server.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
} catch (err) {
  log.fatal(`Meridian could not start: ${(err as Error).message}`);
  process.exit(1);
}

/** The demo sign-ins, once, where a newcomer looks: the terminal that ran npm start. */
function showDemoAccess(access: DemoAccess): void {
  const lines = [
    `demo sign-ins (kept in ${demoAccessFile(config)}):`,
    ...access.accounts.map((a) => `  ${a.username.padEnd(10)} ${a.password}  (${a.role}${a.fhirUser ? `, ${a.fhirUser}` : ''})`),
    `  backend client ${access.client.client_id} / ${access.client.client_secret}, for example:`,
    `  curl -u ${access.client.client_id}:${access.client.client_secret} -d grant_type=client_credentials -d 'scope=system/*.rs' ${access.client.token_endpoint}`,
  ];
  // to the terminal, not into the JSON log: passwords do not belong in log files
  process.stderr.write(`${lines.join('\n')}\n`);
}
