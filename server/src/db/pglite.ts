// Db over an embedded PGlite. PGlite has one backend: statements and transactions from concurrent
// requests must not interleave, so every use of it goes through one queue.
import { PGlite } from '@electric-sql/pglite';
import type { Db, Queryable, QueryResult } from './types.js';

export async function openPglite(dataDir?: string): Promise<Db> {
  const pglite = dataDir ? await PGlite.create(dataDir) : await PGlite.create();
  let tail: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn);
    tail = run.catch(() => undefined);
    return run;
  };

  const direct: Queryable = {
    query: async <T>(sql: string, params?: unknown[]): Promise<QueryResult<T>> => {
      const result = await pglite.query<T>(sql, params);
      return { rows: result.rows };
    },
    exec: async (sql: string) => {
      await pglite.exec(sql);
    },
  };

  return {
    kind: 'pglite',
    query: (sql, params) => exclusive(() => direct.query(sql, params)),
    exec: (sql) => exclusive(() => direct.exec(sql)),
    transaction: <T>(fn: (tx: Queryable) => Promise<T>) =>
      exclusive(async () => {
        await pglite.query('BEGIN');
        try {
          const result = await fn(direct);
          await pglite.query('COMMIT');
          return result;
        } catch (err) {
          await pglite.query('ROLLBACK');
          throw err;
        }
      }),
    // the schema is always public here (the channel name the triggers use)
    listen: async (channel, onNotify) => pglite.listen(`${channel}_public`, onNotify),
    close: () => exclusive(() => pglite.close()),
  };
}
