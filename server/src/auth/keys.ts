// The authorization server's own keys, made on the first start and kept in the database (server_key):
// the id_token signing key (RS256) and the cookie signing keys. Two processes starting at once agree:
// the first INSERT wins and both read what it wrote.
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import type { Queryable } from '../db/index.js';

export interface ServerKeys {
  /** Private signing keys, as the provider's `jwks.keys`. */
  signing: JWK[];
  cookies: string[];
}

export async function serverKeys(db: Queryable): Promise<ServerKeys> {
  return {
    signing: await kept(db, 'id_token_signing', async () => [{ ...(await exportJWK((await generateKeyPair('RS256', { extractable: true })).privateKey)), alg: 'RS256', use: 'sig', kid: randomBytes(8).toString('hex') }]),
    cookies: await kept(db, 'cookie_keys', async () => [randomBytes(32).toString('base64url')]),
  };
}

async function kept<T>(db: Queryable, name: string, make: () => Promise<T>): Promise<T> {
  const read = async () => (await db.query<{ value: T }>('SELECT value FROM server_key WHERE name = $1', [name])).rows[0]?.value;
  const found = await read();
  if (found !== undefined) return found;
  await db.query('INSERT INTO server_key (name, value) VALUES ($1, $2::jsonb) ON CONFLICT (name) DO NOTHING', [name, JSON.stringify(await make())]);
  return (await read())!;
}
