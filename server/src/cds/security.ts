// Who may call the CDS services (CDS Hooks 2.0 "Trusting CDS Clients"): each request carries a JWT
// signed by the CDS client in `Authorization: Bearer`, with iss (a registered client), aud (the
// endpoint called), exp (at most 5 minutes ahead), iat and jti (refused when seen before: kept in the
// database until it expires, so every process agrees), a header kid and optionally a jku. Keys come
// from the client's registered jwks or jwks_uri, or from a jku the client's registration allows.
// RS384 and ES384 only. CDS_AUTH=open lets anyone in (development; warned at start and per response).
import fs from 'node:fs';
import dns from 'node:dns/promises';
import net from 'node:net';
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import type { Queryable } from '../db/index.js';
import { isPrivateAddress } from '../subscriptions/endpoint.js';
import { CdsError } from './protocol.js';

export const ALGORITHMS = ['RS384', 'ES384'];
const MAX_LIFETIME_S = 300;
const SKEW_S = 30;

/** A registered CDS client, from CDS_CLIENTS_FILE. */
export interface CdsClient {
  iss: string;
  /** Inline public keys. */
  jwks?: JSONWebKeySet;
  /** Where its public keys are published. */
  jwks_uri?: string;
  /** jku values its JWTs may name (keys are then fetched from there). */
  jku?: string[];
}

/** Who called: the client's iss, or "open" under CDS_AUTH=open. */
export interface CdsCaller {
  iss?: string;
  open: boolean;
}

export function readCdsClients(file: string | undefined): CdsClient[] {
  if (!file) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`CDS_CLIENTS_FILE ${file} could not be read as JSON: ${(e as Error).message}`);
  }
  const clients = Array.isArray(parsed) ? parsed : (parsed as { clients?: unknown })?.clients;
  if (!Array.isArray(clients)) throw new Error(`CDS_CLIENTS_FILE ${file} must hold an array of clients (or { "clients": [...] })`);
  for (const c of clients as CdsClient[]) {
    if (typeof c?.iss !== 'string' || !c.iss) throw new Error(`CDS_CLIENTS_FILE ${file}: every client needs an iss`);
    if (!c.jwks && !c.jwks_uri && !c.jku?.length) throw new Error(`CDS_CLIENTS_FILE ${file}: client ${c.iss} needs jwks, jwks_uri or jku`);
    if (c.jku !== undefined && (!Array.isArray(c.jku) || c.jku.some((u) => typeof u !== 'string'))) throw new Error(`CDS_CLIENTS_FILE ${file}: client ${c.iss} jku must be an array of URLs`);
  }
  return clients as CdsClient[];
}

const unauthorized = (message: string) => new CdsError(401, 'unauthorized', message, { 'WWW-Authenticate': 'Bearer error="invalid_token"' });

export class CdsAuthenticator {
  private readonly byIss: Map<string, CdsClient>;
  private readonly remote = new Map<string, JWTVerifyGetKey>();
  private lastPurge = 0;

  constructor(
    clients: CdsClient[],
    private readonly db: Queryable,
    private readonly allowPrivateKeys: boolean,
  ) {
    this.byIss = new Map(clients.map((c) => [c.iss, c]));
  }

  /** The caller of a request to `endpoints[0]` (aud may be any of the endpoints), or a 401 CdsError. */
  async verify(authorization: string, endpoints: string[]): Promise<CdsCaller> {
    const match = /^Bearer\s+([A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]*)$/i.exec(authorization ?? '');
    if (!authorization) throw unauthorized('This CDS service needs a JWT signed by a registered CDS client (Authorization: Bearer ...)');
    if (!match) throw unauthorized('The Authorization header is not a Bearer JWT');
    const token = match[1];
    let header: ReturnType<typeof decodeProtectedHeader>;
    let claims: ReturnType<typeof decodeJwt>;
    try {
      header = decodeProtectedHeader(token);
      claims = decodeJwt(token);
    } catch {
      throw unauthorized('The bearer token is not a JWT');
    }
    if (!header.alg || !ALGORITHMS.includes(header.alg)) throw unauthorized(`The JWT alg must be RS384 or ES384, not ${header.alg ?? 'none'}`);
    if (typeof header.kid !== 'string' || !header.kid) throw unauthorized('The JWT header must carry a kid');
    const iss = claims.iss;
    const client = typeof iss === 'string' ? this.byIss.get(iss) : undefined;
    if (!client) throw unauthorized(`The issuer ${typeof iss === 'string' ? `"${iss}" ` : ''}is not a registered CDS client`);
    const keys = await this.keysFor(client, header.jku);
    let payload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: client.iss,
        audience: endpoints,
        algorithms: ALGORITHMS,
        requiredClaims: ['iat', 'exp', 'jti'],
        clockTolerance: SKEW_S,
      }));
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw unauthorized('The JWT has expired');
      if (err instanceof joseErrors.JWTClaimValidationFailed) throw unauthorized(`The JWT claim ${err.claim} is not acceptable: ${err.reason === 'check_failed' && err.claim === 'aud' ? `aud must be ${endpoints[0]}` : err.message}`);
      if (err instanceof joseErrors.JWKSNoMatchingKey) throw unauthorized(`No key of client ${client.iss} has kid "${header.kid}"`);
      if (err instanceof joseErrors.JWSSignatureVerificationFailed) throw unauthorized('The JWT signature does not verify');
      if (err instanceof CdsError) throw err;
      throw unauthorized(`The JWT could not be verified: ${(err as Error).message}`);
    }
    const now = Math.floor(Date.now() / 1000);
    if (typeof payload.exp !== 'number' || payload.exp > now + MAX_LIFETIME_S + SKEW_S) throw unauthorized('The JWT exp must be at most 5 minutes ahead');
    if (typeof payload.jti !== 'string' || payload.jti === '' || payload.jti.length > 255) throw unauthorized('The JWT must carry a jti (at most 255 characters)');
    await this.firstUse(client.iss, payload.jti, payload.exp);
    return { iss: client.iss, open: false };
  }

  private async keysFor(client: CdsClient, jku: string | undefined): Promise<JWTVerifyGetKey> {
    if (jku !== undefined) {
      if (!(client.jku ?? []).includes(jku) && client.jwks_uri !== jku) throw unauthorized(`The jku ${jku} is not one client ${client.iss} registered`);
      return this.remoteKeys(jku);
    }
    if (client.jwks) return createLocalJWKSet(client.jwks);
    if (client.jwks_uri) return this.remoteKeys(client.jwks_uri);
    throw unauthorized(`Client ${client.iss} registered only jku URLs: the JWT must name one in its jku header`);
  }

  private async remoteKeys(uri: string): Promise<JWTVerifyGetKey> {
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      throw unauthorized(`The key set URL ${uri} is not a URL`);
    }
    if (!this.allowPrivateKeys) {
      const host = url.hostname.replace(/^\[|\]$/g, '');
      const addresses = net.isIP(host) ? [host] : host === 'localhost' || host.endsWith('.localhost') ? ['127.0.0.1'] : (await dns.lookup(host, { all: true }).catch(() => [])).map((a) => a.address);
      if (!addresses.length || addresses.some(isPrivateAddress)) {
        throw unauthorized(`The key set ${url.origin} is on this machine or a private network (AUTH_ALLOW_PRIVATE_JWKS_URI allows it)`);
      }
    }
    let keys = this.remote.get(url.href);
    if (!keys) {
      keys = createRemoteJWKSet(url, { timeoutDuration: 5000, cooldownDuration: 30_000 });
      this.remote.set(url.href, keys);
    }
    return keys;
  }

  /** Records the jti; a jti seen before (by any process) is a replay. */
  private async firstUse(iss: string, jti: string, exp: number): Promise<void> {
    if (Date.now() - this.lastPurge > 60_000) {
      this.lastPurge = Date.now();
      await this.db.query('DELETE FROM cds_jti WHERE expires < now()');
    }
    const { rows } = await this.db.query(
      'INSERT INTO cds_jti (iss, jti, expires) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING jti',
      [iss, jti, new Date((exp + SKEW_S) * 1000).toISOString()],
    );
    if (!rows.length) throw unauthorized('The JWT jti was used before (replay)');
  }
}
