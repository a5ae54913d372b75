// A small CDS Hooks 2.0 client for Meridian's apps (prescribing, chart, scheduling): discovery,
// prefetch (templates rendered and fetched from a FHIR base with the app's token), invocation and
// feedback. Browser-safe: fetch and Web Crypto only, no Node APIs. Signing requests (a JWT per call,
// "Trusting CDS Clients") is the caller's: give `jwt`, which gets the endpoint URL as audience.
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { renderTemplate } from './templates.js';
import type { CdsRequest, CdsResponse, CdsServiceDescription, Hook } from './types.js';

export interface CdsHooksClientOptions {
  /** Where the services are: the server root, e.g. https://meridian.example (…/cds-services is added). */
  servicesUrl: string;
  /** A signed JWT for the given endpoint URL (aud), or nothing under CDS_AUTH=open. */
  jwt?: (audience: string) => string | Promise<string>;
  fetch?: typeof fetch;
}

/** The FHIR server the hook's data is on, and the app's access token for it. */
export interface FhirAccess {
  fhirServer: string;
  accessToken: string;
  /** For fhirAuthorization: what the token may do, and who it was issued to. */
  scope?: string;
  subject?: string;
  expiresIn?: number;
}

export interface CdsFeedbackEntry {
  card: string;
  outcome: 'accepted' | 'overridden';
  acceptedSuggestions?: { id: string }[];
  overrideReason?: { reason?: { system?: string; code: string; display?: string }; userComment?: string };
  outcomeTimestamp?: string;
}

/** A CDS service answered with an error (its JSON { error, message } when it gave one). */
export class CdsClientError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
  ) {
    super(message);
  }
}

export class CdsHooksClient {
  private readonly root: string;
  private readonly fetch: typeof fetch;

  constructor(private readonly options: CdsHooksClientOptions) {
    this.root = `${options.servicesUrl.replace(/\/+$/, '').replace(/\/cds-services$/, '')}/cds-services`;
    this.fetch = options.fetch ?? ((...args) => globalThis.fetch(...args));
  }

  /** GET /cds-services. */
  async discover(): Promise<CdsServiceDescription[]> {
    const res = await this.fetch(this.root, { headers: { accept: 'application/json' } });
    const body = await this.json(res);
    return (body as { services: CdsServiceDescription[] }).services;
  }

  /** The services of one hook. */
  async servicesFor(hook: Hook): Promise<CdsServiceDescription[]> {
    return (await this.discover()).filter((s) => s.hook === hook);
  }

  /**
   * The service's prefetch, fetched by the client: each template rendered with the context and read
   * from the FHIR server (a read's resource or null when not found, a search's Bundle). A template
   * whose tokens have no value is null.
   */
  async prefetch(service: CdsServiceDescription, context: Record<string, unknown>, fhir: FhirAccess): Promise<Record<string, Resource | Bundle | null>> {
    const base = fhir.fhirServer.replace(/\/+$/, '');
    const out: Record<string, Resource | Bundle | null> = {};
    await Promise.all(
      Object.entries(service.prefetch ?? {}).map(async ([key, template]) => {
        const query = renderTemplate(template, context);
        if (query === undefined) {
          out[key] = null;
          return;
        }
        const res = await this.fetch(`${base}/${query.replace(/^\/+/, '')}`, { headers: { accept: 'application/fhir+json', authorization: `Bearer ${fhir.accessToken}` } });
        if (res.status === 404 || res.status === 410) {
          out[key] = null;
          return;
        }
        if (!res.ok) throw new CdsClientError(res.status, 'prefetch_failed', `prefetch ${key} (${query}) answered ${res.status}`);
        out[key] = (await res.json()) as Resource;
      }),
    );
    return out;
  }

  /** POST /cds-services/{id}: the request as given (a hookInstance is made when missing). */
  async invoke(serviceId: string, request: Omit<CdsRequest, 'hookInstance'> & { hookInstance?: string }): Promise<CdsResponse> {
    const body: CdsRequest = { ...request, hookInstance: request.hookInstance ?? globalThis.crypto.randomUUID() };
    return (await this.post(`${this.root}/${encodeURIComponent(serviceId)}`, body)) as CdsResponse;
  }

  /**
   * Calls a service for a hook's context: with `prefetch: 'client'` the client fetches the prefetch
   * itself and sends it; with 'server' (the default) it sends fhirServer and fhirAuthorization and
   * the service fetches what it needs.
   */
  async call(service: CdsServiceDescription, context: Record<string, unknown>, fhir?: FhirAccess, mode: 'client' | 'server' = 'server'): Promise<CdsResponse> {
    const request: Omit<CdsRequest, 'hookInstance'> = { hook: service.hook, context };
    if (fhir) {
      request.fhirServer = fhir.fhirServer;
      request.fhirAuthorization = { access_token: fhir.accessToken, token_type: 'Bearer', expires_in: fhir.expiresIn ?? 300, scope: fhir.scope ?? 'unknown', subject: fhir.subject ?? 'unknown' };
      if (mode === 'client') request.prefetch = await this.prefetch(service, context, fhir);
    }
    return this.invoke(service.id, request);
  }

  /** POST /cds-services/{id}/feedback (outcomeTimestamp defaults to now). */
  async feedback(serviceId: string, entries: CdsFeedbackEntry[]): Promise<void> {
    const feedback = entries.map((e) => ({ ...e, outcomeTimestamp: e.outcomeTimestamp ?? new Date().toISOString() }));
    await this.post(`${this.root}/${encodeURIComponent(serviceId)}/feedback`, { feedback });
  }

  private async post(url: string, body: unknown): Promise<unknown> {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (this.options.jwt) headers.authorization = `Bearer ${await this.options.jwt(url)}`;
    return this.json(await this.fetch(url, { method: 'POST', headers, body: JSON.stringify(body) }));
  }

  private async json(res: Response): Promise<unknown> {
    const text = await res.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      body = undefined;
    }
    if (!res.ok) {
      const e = (body ?? {}) as { error?: string; message?: string };
      throw new CdsClientError(res.status, e.error ?? 'http_error', e.message ?? `${res.url} answered ${res.status}`);
    }
    return body;
  }
}
