// Db over a pg.Pool: each transaction holds one pooled connection from BEGIN to COMMIT.
import pg from 'pg';
import type { Db, Queryable, QueryResult } from './types.js';

export interface PostgresOptions {
  connectionString: string;
  poolSize: number;
  /** Optional search_path, so that tests can each use a schema of their own. */
  schema?: string;
}

export function openPostgres(options: PostgresOptions): Db {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolSize,
    options: options.schema ? `-c search_path=${options.schema}` : undefined,
  });
  // An idle client that loses its connection must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);

  const wrap = (client: pg.Pool | pg.PoolClient): Queryable => ({
    query: async <T>(sql: string, params?: unknown[], name?: string): Promise<QueryResult<T>> => {
      const result = name
        ? await client.query({ name, text: sql, values: params as unknown[] })
        : await client.query(sql, params as unknown[]);
      return { rows: result.rows as T[] };
    },
    exec: async (sql: string) => {
      await client.query(sql);
    },
  });

  return {
    kind: 'postgres',
    ...wrap(pool),
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      let broken = false;
      try {
        await client.query('BEGIN');
        const result = await fn(wrap(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
        throw err;
      } finally {
        client.release(broken);
      }
    },
    listen: (channel, onNotify) => listenOn(options, channel, onNotify),
    close: () => pool.end(),
  };
}

/**
 * LISTEN needs a connection of its own, held for as long as the listener lives; when it drops, a
 * new one is opened a second later (what was notified meanwhile is found by the listener's poll).
 */
async function listenOn(options: PostgresOptions, channel: string, onNotify: () => void): Promise<() => Promise<void>> {
  let client: pg.Client | undefined;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: options.connectionString, options: options.schema ? `-c search_path=${options.schema}` : undefined });
    const reconnect = () => {
      if (stopped || client !== c) return;
      client = undefined;
      retry = setTimeout(() => void connect().catch(reconnect), 1000);
    };
    c.on('error', reconnect);
    c.on('end', reconnect);
    c.on('notification', () => onNotify());
    client = c;
    await c.connect();
    const { rows } = await c.query<{ schema: string }>('SELECT current_schema() AS schema');
    await c.query(`LISTEN ${pg.escapeIdentifier(`${channel}_${rows[0].schema}`)}`);
    onNotify(); // anything notified while there was no connection
  };
  await connect();
  return async () => {
    stopped = true;
    clearTimeout(retry);
    await client?.end().catch(() => undefined);
  };
}
