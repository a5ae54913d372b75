// Migrations, the embedded data folder and the configuration.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { migrate, type Db } from '../src/db/index.js';
import { migrations } from '../src/db/migrations.js';
import { Repository } from '../src/repo/index.js';
import { testDb } from './harness.js';

const versions = async (db: Db) => (await db.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')).rows.map((r) => r.version);

describe('migrations', () => {
  it('apply once and are idempotent', async () => {
    const t = await testDb({ migrated: false });
    try {
      expect(await migrate(t.db)).toEqual(migrations.map((m) => m.version));
      expect(await migrate(t.db)).toEqual([]);
      expect(await versions(t.db)).toEqual(migrations.map((m) => m.version));
    } finally {
      await t.drop();
    }
  });

  it('are safe when several processes start at once', async () => {
    const t = await testDb({ migrated: false });
    // On Postgres each "process" is its own connection pool; PGlite is one backend in one process.
    const others = t.reopen ? [t.reopen(), t.reopen(), t.reopen()] : [t.db, t.db, t.db];
    try {
      const applied = await Promise.all([t.db, ...others].map((db) => migrate(db)));
      expect(applied.flat().sort((a, b) => a - b)).toEqual(migrations.map((m) => m.version));
      expect(await versions(t.db)).toEqual(migrations.map((m) => m.version));
    } finally {
      if (t.reopen) await Promise.all(others.map((db) => db.close()));
      await t.drop();
    }
  });

  it('roll back a failing migration as a whole', async () => {
    const t = await testDb({ migrated: false });
    try {
      const broken = [...migrations, { version: 999, name: 'broken', sql: 'CREATE TABLE half_done (x int); SELECT * FROM no_such_table;' }];
      await expect(migrate(t.db, undefined, broken)).rejects.toThrow();
      const { rows } = await t.db.query<{ n: number }>("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = current_schema() AND table_name IN ('half_done', 'resources')");
      expect(rows[0].n).toBe(0);
    } finally {
      await t.drop();
    }
  });
});

describe('a write is one transaction', () => {
  it('leaves no row behind when a later statement of the interaction fails', async () => {
    const t = await testDb();
    try {
      const repo = new Repository(t.db, 'http://localhost/fhir');
      // A second writer holding the next version makes the first one's statement write nothing,
      // and the interaction retries; a failing apply callback must leave no trace at all.
      const created = await repo.create({ resourceType: 'Patient' });
      await expect(
        repo.patch('Patient', created.resource.id!, () => {
          throw new Error('validation failed');
        }),
      ).rejects.toThrow('validation failed');
      const hist = await repo.history({ resourceType: 'Patient', id: created.resource.id, count: 10 });
      expect(hist.entries).toHaveLength(1);
    } finally {
      await t.drop();
    }
  });
});

describe('configuration', () => {
  it('has defaults that run on a fresh machine', () => {
    const config = loadConfig({});
    expect(config.port).toBe(8080);
    expect(config.databaseUrl).toBeUndefined();
    expect(config.dataDir).toBe(path.resolve('data'));
    expect(config.baseUrl).toBe('http://localhost:8080/fhir');
  });

  it('reads PORT, DATABASE_URL, DATA_DIR and BASE_URL', () => {
    const config = loadConfig({ PORT: '9000', DATABASE_URL: 'postgres://db/x', DATA_DIR: '/tmp/d', BASE_URL: 'https://ehr.example.org/api/fhir/' });
    expect(config).toMatchObject({ port: 9000, databaseUrl: 'postgres://db/x', dataDir: '/tmp/d', baseUrl: 'https://ehr.example.org/api/fhir' });
  });

  it('rejects settings that make no sense, naming them', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ BASE_URL: 'not a url' })).toThrow(/BASE_URL/);
    expect(() => loadConfig({ BODY_LIMIT_BYTES: '-1' })).toThrow(/BODY_LIMIT_BYTES/);
  });
});
