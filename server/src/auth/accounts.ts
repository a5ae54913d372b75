// User accounts: who may log in, as what role, as which FHIR resource (fhirUser). Passwords are
// hashed with scrypt (memory-hard, in node:crypto); repeated failures lock the account for a while;
// a TOTP second factor (RFC 6238, via otpauth) is optional per account.
import { randomBytes, randomUUID, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import type { Queryable } from '../db/index.js';
import { isRole, type Role } from './roles.js';

/** 2^15 × 8 × 128 bytes = 32 MiB of memory per hash (OWASP's scrypt minimum is N=2^17 with r=8, p=1 at 128 MiB; this VM has 2 cores). */
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const KEY_BYTES = 32;
/** Consecutive failed logins before the account locks, and for how long. */
export const MAX_FAILED_LOGINS = 5;
export const LOCK_MINUTES = 15;

export interface Account {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  /** e.g. Practitioner/123 or Patient/456 (relative to the FHIR base). */
  fhirUser?: string;
  totp: boolean;
}

export interface NewAccount {
  username: string;
  displayName?: string;
  role: Role;
  fhirUser?: string;
  password: string;
  /** Base32 TOTP secret: the account then needs a one-time code after its password. */
  totpSecret?: string;
}

export type LoginResult =
  | { ok: true; account: Account }
  | { ok: false; reason: 'invalid' | 'locked' | 'totp-required' | 'totp-invalid'; account?: Account };

const scrypt = (password: string, salt: Buffer, keylen: number, options: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) => scryptCallback(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key))));

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, KEY_BYTES, SCRYPT);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, N, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt') return false;
  const expected = Buffer.from(key, 'base64url');
  const actual = await scrypt(password, Buffer.from(salt, 'base64url'), expected.length, { N: Number(N), r: Number(r), p: Number(p), maxmem: SCRYPT.maxmem });
  return timingSafeEqual(actual, expected);
}

/** A hash to verify against when the username is unknown, so that answers take as long either way. */
let decoy: Promise<string> | undefined;

interface Row {
  id: string;
  username: string;
  display_name: string;
  role: string;
  fhir_user: string | null;
  password_hash: string;
  totp_secret: string | null;
  failed_logins: number;
  locked_until: Date | string | null;
}

const toAccount = (row: Row): Account => ({
  id: row.id,
  username: row.username,
  displayName: row.display_name,
  role: isRole(row.role) ? row.role : 'patient',
  fhirUser: row.fhir_user ?? undefined,
  totp: row.totp_secret !== null,
});

export class Accounts {
  constructor(private readonly db: Queryable) {}

  async create(a: NewAccount): Promise<Account> {
    if (!isRole(a.role)) throw new Error(`Unknown role "${a.role}"`);
    if (a.password.length < 8) throw new Error('A password needs at least 8 characters');
    if (a.fhirUser !== undefined && !/^(Practitioner|PractitionerRole|Patient|RelatedPerson|Person)\/[A-Za-z0-9\-.]{1,64}$/.test(a.fhirUser)) {
      throw new Error(`fhirUser must be Practitioner/id, Patient/id, ... (got "${a.fhirUser}")`);
    }
    if (a.role === 'patient' && !a.fhirUser?.startsWith('Patient/')) throw new Error('A patient account needs fhirUser Patient/id');
    const { rows } = await this.db.query<Row>(
      `INSERT INTO account (id, username, display_name, role, fhir_user, password_hash, totp_secret)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
      [randomUUID(), a.username, a.displayName ?? a.username, a.role, a.fhirUser ?? null, await hashPassword(a.password), a.totpSecret ?? null],
    );
    return toAccount(rows[0]);
  }

  async find(id: string): Promise<Account | undefined> {
    const { rows } = await this.db.query<Row>('SELECT * FROM account WHERE id = $1', [id]);
    return rows[0] && toAccount(rows[0]);
  }

  async findByUsername(username: string): Promise<Account | undefined> {
    const { rows } = await this.db.query<Row>('SELECT * FROM account WHERE username = $1', [username]);
    return rows[0] && toAccount(rows[0]);
  }

  async remove(id: string): Promise<boolean> {
    const { rows } = await this.db.query<{ id: string }>('DELETE FROM account WHERE id = $1 RETURNING id', [id]);
    return rows.length > 0;
  }

  async list(): Promise<Account[]> {
    const { rows } = await this.db.query<Row>('SELECT * FROM account ORDER BY username');
    return rows.map(toAccount);
  }

  /**
   * Checks a password (and a TOTP code when the account has a second factor). Failures count
   * towards the lockout; a success resets the count. A locked account is refused even with the
   * right password, so guessing gains nothing while the lock lasts.
   */
  async login(username: string, password: string, totpCode?: string): Promise<LoginResult> {
    const { rows } = await this.db.query<Row>('SELECT * FROM account WHERE username = $1', [username]);
    const row = rows[0];
    if (!row) {
      await verifyPassword(password, await (decoy ??= hashPassword(randomUUID())));
      return { ok: false, reason: 'invalid' };
    }
    const account = toAccount(row);
    if (row.locked_until && new Date(row.locked_until).getTime() > Date.now()) return { ok: false, reason: 'locked', account };
    if (!(await verifyPassword(password, row.password_hash))) return this.failed(account, 'invalid');
    if (row.totp_secret) {
      if (!totpCode) return { ok: false, reason: 'totp-required', account };
      const totp = new TOTP({ secret: Secret.fromBase32(row.totp_secret) });
      if (totp.validate({ token: totpCode.replace(/\s/g, ''), window: 1 }) === null) return this.failed(account, 'totp-invalid');
    }
    await this.db.query('UPDATE account SET failed_logins = 0, locked_until = NULL WHERE id = $1', [row.id]);
    return { ok: true, account };
  }

  private async failed(account: Account, reason: 'invalid' | 'totp-invalid'): Promise<LoginResult> {
    const { rows } = await this.db.query<{ failed_logins: number }>(
      // a lock that has run out starts the count again
      `WITH counted AS (SELECT id, CASE WHEN locked_until <= now() THEN 1 ELSE failed_logins + 1 END AS n FROM account WHERE id = $1)
       UPDATE account a SET failed_logins = c.n, locked_until = CASE WHEN c.n >= $2 THEN now() + make_interval(mins => $3) END
       FROM counted c WHERE a.id = c.id RETURNING a.failed_logins`,
      [account.id, MAX_FAILED_LOGINS, LOCK_MINUTES],
    );
    return { ok: false, reason: rows[0].failed_logins >= MAX_FAILED_LOGINS ? 'locked' : reason, account };
  }
}
