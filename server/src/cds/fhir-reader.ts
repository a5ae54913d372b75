// A FhirReader over HTTP: the FHIR server a CDS request names, with its fhirAuthorization bearer token.
import type { Bundle, Resource } from '@medplum/fhirtypes';
import type { FhirReader } from './types.js';

const TIMEOUT_MS = 10_000;

export function httpFhirReader(fhirServer: string, accessToken?: string): FhirReader {
  const base = fhirServer.replace(/\/+$/, '');
  const get = async (url: string): Promise<Response> => {
    const headers: Record<string, string> = { accept: 'application/fhir+json' };
    if (accessToken) headers.authorization = `Bearer ${accessToken}`;
    return fetch(url, { headers, signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'error' });
  };
  return {
    async search<T extends Resource>(query: string, max = 1000): Promise<T[]> {
      const found: T[] = [];
      let next: string | undefined = `${base}/${query.replace(/^\/+/, '')}`;
      while (next && found.length < max) {
        const res = await get(next);
        if (!res.ok) throw new Error(`GET ${next} answered ${res.status}`);
        const bundle = (await res.json()) as Bundle<T>;
        for (const e of bundle.entry ?? []) if (e.resource && e.search?.mode !== 'include' && e.search?.mode !== 'outcome') found.push(e.resource);
        next = bundle.link?.find((l) => l.relation === 'next')?.url;
      }
      return found.slice(0, max);
    },
    async read<T extends Resource>(type: string, id: string): Promise<T | undefined> {
      const res = await get(`${base}/${type}/${encodeURIComponent(id)}`);
      if (res.status === 404 || res.status === 410) return undefined;
      if (!res.ok) throw new Error(`GET ${type}/${id} answered ${res.status}`);
      return (await res.json()) as T;
    },
  };
}
