// Where oidc-provider keeps its state (tokens, grants, sessions, client-assertion jti's): one table,
// oidc_model, so tokens survive a restart and every process sees the same ones (a replayed jti is
// caught by any of them). The adapter interface is oidc-provider's; rows expire with their model.
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Queryable } from '../db/index.js';

// models whose rows carry a grantId and go when the grant is revoked (as oidc-provider's memory adapter)
const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest', 'PreAuthorizedCode']);
/** Expired rows are deleted now and then, on a write. */
const PURGE_EVERY = 500;

export function postgresAdapter(db: Queryable): new (model: string) => Adapter {
  let writes = 0;
  return class PostgresAdapter implements Adapter {
    constructor(private readonly model: string) {}

    async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      await db.query(
        `INSERT INTO oidc_model (model, id, payload, grant_id, user_code, uid, expires_at)
         VALUES ($1, $2, $3::jsonb, $4, $5, $6, CASE WHEN $7::integer IS NULL THEN NULL ELSE now() + make_interval(secs => $7::integer) END)
         ON CONFLICT (model, id) DO UPDATE SET payload = EXCLUDED.payload, grant_id = EXCLUDED.grant_id,
           user_code = EXCLUDED.user_code, uid = EXCLUDED.uid, expires_at = EXCLUDED.expires_at`,
        [
          this.model, id, JSON.stringify(payload), GRANTABLE.has(this.model) ? (payload.grantId ?? null) : null,
          payload.userCode ?? null, payload.uid ?? null, typeof expiresIn === 'number' ? Math.ceil(expiresIn) : null,
        ],
      );
      if (++writes % PURGE_EVERY === 0) await db.query('DELETE FROM oidc_model WHERE expires_at < now()');
    }

    private async one(column: 'id' | 'uid' | 'user_code', value: string): Promise<AdapterPayload | undefined> {
      const { rows } = await db.query<{ payload: AdapterPayload | string; consumed_at: Date | string | null }>(
        `SELECT payload, consumed_at FROM oidc_model WHERE model = $1 AND ${column} = $2 AND (expires_at IS NULL OR expires_at > now())`,
        [this.model, value],
      );
      const row = rows[0];
      if (!row) return undefined;
      const payload = typeof row.payload === 'string' ? (JSON.parse(row.payload) as AdapterPayload) : row.payload;
      return row.consumed_at ? { ...payload, consumed: Math.floor(new Date(row.consumed_at).getTime() / 1000) } : payload;
    }

    find(id: string) {
      return this.one('id', id);
    }

    findByUid(uid: string) {
      return this.one('uid', uid);
    }

    findByUserCode(userCode: string) {
      return this.one('user_code', userCode);
    }

    async consume(id: string): Promise<void> {
      await db.query('UPDATE oidc_model SET consumed_at = now() WHERE model = $1 AND id = $2', [this.model, id]);
    }

    async destroy(id: string): Promise<void> {
      await db.query('DELETE FROM oidc_model WHERE model = $1 AND id = $2', [this.model, id]);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await db.query('DELETE FROM oidc_model WHERE grant_id = $1', [grantId]);
    }
  };
}
