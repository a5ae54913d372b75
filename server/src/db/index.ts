// Opens the database the configuration names: Postgres when DATABASE_URL is set, else the
// embedded PGlite in DATA_DIR (locked against a second process), and brings its schema up to date.
import path from 'node:path';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { lockDataDir } from './lock.js';
import { migrate } from './migrate.js';
import { openPglite } from './pglite.js';
import { openPostgres } from './postgres.js';
import type { Db } from './types.js';

export type { Db, Queryable, QueryResult } from './types.js';
export { migrate } from './migrate.js';
export { openPglite } from './pglite.js';
export { openPostgres } from './postgres.js';

export async function openDatabase(config: Config, log: Logger): Promise<Db> {
  let db: Db;
  if (config.databaseUrl) {
    db = openPostgres({ connectionString: config.databaseUrl, poolSize: config.dbPoolSize });
    log.info({ database: 'postgres', url: redactPassword(config.databaseUrl) }, 'using Postgres');
  } else {
    const lock = lockDataDir(config.dataDir);
    try {
      const pglite = await openPglite(path.join(config.dataDir, 'pgdata'));
      db = { ...pglite, close: async () => { await pglite.close(); lock.release(); } };
    } catch (err) {
      lock.release();
      throw err;
    }
    log.info({ database: 'pglite', dataDir: config.dataDir }, 'using embedded PGlite (set DATABASE_URL for Postgres)');
  }
  try {
    await migrate(db, log);
  } catch (err) {
    await db.close();
    throw err;
  }
  return db;
}

function redactPassword(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}
