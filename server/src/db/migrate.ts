// Applies pending migrations in one transaction under an advisory lock, so that two processes
// starting at once on one database apply each migration exactly once.
import type { Logger } from '../logger.js';
import { migrations as allMigrations, type Migration } from './migrations.js';
import type { Db } from './types.js';

const MIGRATION_LOCK = 7_419_001;

export async function migrate(db: Db, log?: Logger, migrations: Migration[] = allMigrations): Promise<number[]> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await tx.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const { rows } = await tx.query<{ version: number }>('SELECT version FROM schema_migrations');
    const applied = new Set(rows.map((r) => r.version));
    const done: number[] = [];
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (applied.has(migration.version)) continue;
      await tx.exec(migration.sql);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
      log?.info({ version: migration.version, name: migration.name }, 'applied migration');
      done.push(migration.version);
    }
    return done;
  });
}
