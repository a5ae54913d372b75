// The demo population: on the first start of an empty embedded database, a small practice and 25
// patients are loaded (through the same transaction processing as POST /fhir), and demo sign-ins
// are made for them, so that a newcomer sees data at once. SEED_DEMO=false turns it off.
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Bundle } from '@medplum/fhirtypes';
import type { Role } from './auth/roles.js';
import type { Config } from './config.js';
import { generatePatientBundles, generatePractice, type SeedOptions } from '../../seed/generate.js';
import { parseEntries } from './fhir/bundle/entries.js';
import { processTransaction } from './fhir/bundle/process.js';
import type { AppContext } from './fhir/context.js';

export const DEMO_PATIENTS = 25;

export async function isEmpty(app: AppContext): Promise<boolean> {
  const { rows } = await app.db.query<{ any: boolean }>('SELECT EXISTS (SELECT 1 FROM resources) AS any');
  return !rows[0].any;
}

export async function loadDemoPopulation(app: AppContext, patients = DEMO_PATIENTS): Promise<number> {
  // appointments and encounters relative to today, so the demo looks current
  const options: SeedOptions = { patients, seed: 'meridian-demo', asOf: new Date().toISOString().slice(0, 10) };
  // the server itself loads it: nothing to authorize
  const load = (bundle: Bundle) =>
    processTransaction(app, parseEntries(bundle, app.config.baseUrl), { minimal: true, authorize: () => {}, authorizeSearch: () => {}, bounds: () => [], checkRead: async () => {} });
  await load(generatePractice(options));
  let loaded = 0;
  for (const bundle of generatePatientBundles(options)) {
    await load(bundle);
    loaded++;
    if (loaded % 5 === 0 || loaded === patients) app.log.info({ loaded, of: patients }, 'loading the demo population');
  }
  return loaded;
}

/** What a newcomer signs in with on the embedded default: one account per role, and a backend client. */
export interface DemoAccess {
  accounts: { username: string; password: string; role: Role; fhirUser?: string }[];
  client: { client_id: string; client_secret: string; token_endpoint: string; scope: string };
}

export const demoAccessFile = (config: Config) => path.join(config.dataDir, 'demo-access.json');

/**
 * Creates the demo sign-ins once, with random passwords, and writes them to DATA_DIR/demo-access.json
 * (readable by its owner only): the doctor is the first demo Practitioner, the patient the first demo
 * Patient. The backend client (client_secret_basic, system/ scopes) serves curl and the seed loader.
 */
export async function createDemoAccess(app: AppContext): Promise<DemoAccess> {
  const first = async (type: string) =>
    (await app.db.query<{ id: string }>('SELECT id FROM resources WHERE resource_type = $1 AND NOT deleted ORDER BY id LIMIT 1', [type])).rows[0]?.id;
  const practitioner = await first('Practitioner');
  const patient = await first('Patient');
  const secret = () => randomBytes(9).toString('base64url');
  const wanted: DemoAccess['accounts'] = [
    { username: 'doctor', password: secret(), role: 'doctor', ...(practitioner ? { fhirUser: `Practitioner/${practitioner}` } : {}) },
    { username: 'nurse', password: secret(), role: 'nurse' },
    { username: 'reception', password: secret(), role: 'receptionist' },
    { username: 'billing', password: secret(), role: 'billing' },
    { username: 'admin', password: secret(), role: 'admin' },
    ...(patient ? [{ username: 'patient', password: secret(), role: 'patient' as const, fhirUser: `Patient/${patient}` }] : []),
  ];
  for (const a of wanted) await app.auth.accounts.create({ ...a, displayName: `Demo ${a.role}` });
  const client = { client_id: 'meridian-cli', client_secret: randomBytes(24).toString('base64url'), token_endpoint: `${app.auth.issuer}/token`, scope: 'system/*.cruds' };
  await app.auth.clients.register({
    client_id: client.client_id,
    client_secret: client.client_secret,
    client_name: 'Meridian command line (demo)',
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
  });
  const access: DemoAccess = { accounts: wanted, client };
  fs.writeFileSync(demoAccessFile(app.config), `${JSON.stringify(access, null, 2)}\n`, { mode: 0o600 });
  return access;
}
