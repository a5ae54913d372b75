// CLI: rebuilds search indexes after a definitions change. `npm run reindex [-- Type [id]]`
// Uses the same settings as the server (DATABASE_URL or DATA_DIR); stop the server first on PGlite.
import { loadConfig } from './config.js';
import { openDatabase } from './db/index.js';
import { loadDefinitions } from './fhir/definitions.js';
import { createLogger } from './logger.js';
import { reindex } from './repo/reindex.js';

const [resourceType, id] = process.argv.slice(2);
const config = loadConfig();
const log = createLogger(process.env.LOG_LEVEL || 'warn');
loadDefinitions();
const db = await openDatabase(config, log);
const started = Date.now();
try {
  const count = await reindex(db, config.baseUrl, { resourceType, id }, (p) => {
    const pct = p.total ? Math.round((p.done / p.total) * 100) : 100;
    process.stderr.write(`reindexed ${p.done}/${p.total} (${pct} %), now at ${p.resourceType}\n`);
  });
  process.stderr.write(`done: ${count} resources reindexed in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
} finally {
  await db.close();
}
