// Prefetch (CDS Hooks 2.0 "Providing FHIR Resources to a CDS Service"): templates rendered with the
// request's context and user, and each key the CDS client did not supply fetched from fhirServer with
// the request's fhirAuthorization token. Meridian's own base is read through its own request pipeline
// (inject.ts: the token's scopes apply exactly as over HTTP); another server over HTTP, never on this
// machine or a private network unless CDS_ALLOW_PRIVATE_FHIR_SERVER=true (SSRF).
import dns from 'node:dns/promises';
import net from 'node:net';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { isPrivateAddress } from '../subscriptions/endpoint.js';
import { injectGet, type RequestHandler } from './inject.js';
import { CdsError } from './protocol.js';
import { renderTemplate } from './templates.js';
import type { CdsRequest, FhirReader } from './types.js';

const TIMEOUT_MS = 10_000;
const MAX_PAGES = 20;

export { renderTemplate };

/** A GET relative to the FHIR base: status and parsed JSON body. */
export type FhirGet = (relative: string) => Promise<{ status: number; body: unknown }>;

export interface FhirAccessOptions {
  /** Meridian's FHIR base (config.baseUrl). */
  baseUrl: string;
  /** Meridian's own request handler, for requests to its own base. */
  self: () => RequestHandler;
  allowPrivate: boolean;
}

/** How to GET from the request's fhirServer with its token (undefined when the request names none). */
export function fhirAccess(request: CdsRequest, options: FhirAccessOptions): FhirGet | undefined {
  if (!request.fhirServer) return undefined;
  const base = request.fhirServer.replace(/\/+$/, '');
  const token = request.fhirAuthorization?.access_token;
  const headers: Record<string, string> = { accept: 'application/fhir+json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (base === options.baseUrl) {
    const own = new URL(options.baseUrl);
    return async (relative) => {
      const url = new URL(`${base}/${relative.replace(/^\/+/, '')}`);
      const res = await injectGet(options.self(), url.pathname + url.search, { ...headers, host: own.host });
      return { status: res.status, body: parse(res.body) };
    };
  }
  let checked: Promise<void> | undefined;
  return async (relative) => {
    checked ??= checkRemote(base, options.allowPrivate);
    await checked;
    const url = relative.startsWith(`${base}/`) ? relative : `${base}/${relative.replace(/^\/+/, '')}`;
    let res: Response;
    try {
      res = await fetch(url, { headers, signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'error' });
    } catch (err) {
      throw new CdsError(412, 'fhir_server_unreachable', `The FHIR server ${base} could not be reached (${(err as Error).message})`);
    }
    return { status: res.status, body: parse(await res.text()) };
  };
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function checkRemote(base: string, allowPrivate: boolean): Promise<void> {
  if (allowPrivate) return;
  const host = new URL(base).hostname.replace(/^\[|\]$/g, '');
  const refused = () => new CdsError(400, 'invalid_request', `fhirServer ${new URL(base).origin} is on this machine or a private network (CDS_ALLOW_PRIVATE_FHIR_SERVER allows it)`);
  if (host === 'localhost' || host.endsWith('.localhost')) throw refused();
  const addresses = net.isIP(host) ? [host] : (await dns.lookup(host, { all: true }).catch(() => [])).map((a) => a.address);
  if (!addresses.length) throw new CdsError(412, 'fhir_server_unreachable', `fhirServer host ${host} does not resolve`);
  if (addresses.some(isPrivateAddress)) throw refused();
}

function isResourceBody(body: unknown): body is Resource {
  return typeof body === 'object' && body !== null && !Array.isArray(body) && typeof (body as { resourceType?: unknown }).resourceType === 'string';
}

function isSearch(query: string): boolean {
  const [path] = query.split('?');
  return query.includes('?') || path.replace(/^\/+|\/+$/g, '').split('/').length !== 2;
}

/**
 * The service's prefetch, every key filled: the request's own values, or fetched (a read gives the
 * resource or null, a search its searchset Bundle). A key the FHIR server refuses (401/403) or fails
 * is a 412: CDS Hooks' answer when the service cannot get the data it needs.
 */
export async function fillPrefetch(
  templates: Record<string, string>,
  request: CdsRequest,
  get: FhirGet | undefined,
): Promise<Record<string, Resource | Bundle | null>> {
  const filled: Record<string, Resource | Bundle | null> = {};
  const supplied = request.prefetch ?? {};
  await Promise.all(
    Object.entries(templates).map(async ([key, template]) => {
      if (Object.hasOwn(supplied, key)) {
        filled[key] = supplied[key] ?? null;
        return;
      }
      const query = renderTemplate(template, request.context);
      if (query === undefined) {
        filled[key] = null;
        return;
      }
      if (!get) throw new CdsError(412, 'prefetch_missing', `prefetch ${key} was not supplied and the request names no fhirServer to fetch it from`);
      const res = await get(query);
      if (!isSearch(query) && (res.status === 404 || res.status === 410)) {
        filled[key] = null;
        return;
      }
      if (res.status !== 200) {
        throw new CdsError(412, 'prefetch_failed', `prefetch ${key} (${query}) could not be fetched from fhirServer: it answered ${res.status}`);
      }
      if (!isResourceBody(res.body)) throw new CdsError(412, 'prefetch_failed', `prefetch ${key} (${query}): fhirServer did not answer a FHIR resource`);
      filled[key] = res.body;
    }),
  );
  return filled;
}

/** A FhirReader over a FhirGet: searches follow next links (relative to the base) up to max resources. */
export function readerOver(get: FhirGet | undefined, base: string | undefined): FhirReader {
  const none = () => {
    throw new CdsError(412, 'no_fhir_server', 'The service needs FHIR data, and the request names no fhirServer');
  };
  const root = (base ?? '').replace(/\/+$/, '');
  return {
    async search<T extends Resource>(query: string, max = 1000): Promise<T[]> {
      if (!get) return none();
      const found: T[] = [];
      let next: string | undefined = query;
      for (let page = 0; next && found.length < max && page < MAX_PAGES; page++) {
        const res = await get(next);
        if (res.status !== 200) throw new CdsError(412, 'fhir_read_failed', `A search the service needs (${query.split('?')[0]}) answered ${res.status}`);
        if (!isResourceBody(res.body) || res.body.resourceType !== 'Bundle') throw new CdsError(412, 'fhir_read_failed', `A search the service needs (${query.split('?')[0]}) did not answer a Bundle`);
        const bundle = res.body as Bundle<T>;
        for (const e of bundle.entry ?? []) if (e.resource && e.search?.mode !== 'include' && e.search?.mode !== 'outcome') found.push(e.resource);
        const link = bundle.link?.find((l) => l.relation === 'next')?.url;
        next = link?.startsWith(`${root}/`) ? link.slice(root.length + 1) : undefined;
      }
      return found.slice(0, max);
    },
    async read<T extends Resource>(type: string, id: string): Promise<T | undefined> {
      if (!get) return none();
      const res = await get(`${type}/${encodeURIComponent(id)}`);
      if (res.status === 404 || res.status === 410) return undefined;
      if (res.status !== 200) throw new CdsError(412, 'fhir_read_failed', `A read the service needs (${type}) answered ${res.status}`);
      if (!isResourceBody(res.body)) throw new CdsError(412, 'fhir_read_failed', `A read the service needs (${type}) did not answer a FHIR resource`);
      return res.body as T;
    },
  };
}
