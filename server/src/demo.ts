// The demo population: on the first start of an empty embedded database, a small practice and 25
// patients are loaded (through the same transaction processing as POST /fhir), so that a newcomer
// sees data at once. SEED_DEMO=false turns it off.
import type { Bundle } from '@medplum/fhirtypes';
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
  const load = (bundle: Bundle) => processTransaction(app, parseEntries(bundle, app.config.baseUrl), { minimal: true, authorize: () => {}, authorizeSearch: () => {} });
  await load(generatePractice(options));
  let loaded = 0;
  for (const bundle of generatePatientBundles(options)) {
    await load(bundle);
    loaded++;
    if (loaded % 5 === 0 || loaded === patients) app.log.info({ loaded, of: patients }, 'loading the demo population');
  }
  return loaded;
}
