// Entries of a batch or transaction Bundle: what each asks for, parsed and checked before any work.
import type { Bundle, BundleEntry, OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import { isResourceType } from '../definitions.js';
import { FhirError, badRequest, outcome } from '../outcome.js';
import { ID_PATTERN } from '../validate.js';

export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface Entry {
  index: number;
  method: Method;
  url: string;
  type: string;
  id?: string;
  versionId?: string;
  query?: URLSearchParams;
  fullUrl?: string;
  resource?: Resource;
  ifNoneExist?: string;
  ifMatch?: string;
  ifNoneMatch?: string;
  ifModifiedSince?: string;
  /** Validation warnings of the entry's resource, for its response's outcome. */
  warnings?: OperationOutcomeIssue[];
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);

/** Each entry parsed, or the error (naming the entry) that makes it unusable. */
export function parseEntries(bundle: Bundle, baseUrl: string): (Entry | FhirError)[] {
  return (bundle.entry ?? []).map((raw: BundleEntry, index) => {
    try {
      return parseEntry(raw, index, baseUrl);
    } catch (err) {
      if (err instanceof FhirError) return err;
      throw err;
    }
  });
}

function parseEntry(raw: BundleEntry, index: number, baseUrl: string): Entry {
  if (!raw || typeof raw !== 'object') throw entryError({ index, method: 'POST', url: '?' }, badRequest('The entry is not an object'));
  return atEntry({ index, method: (raw.request?.method ?? '?') as Method, url: raw.request?.url ?? '?' }, () => {
    const request = raw.request;
    if (!request || typeof request !== 'object') throw badRequest('The entry has no request');
    if (!METHODS.has(request.method as string)) throw badRequest(`request.method "${String(request.method)}" is not GET, HEAD, POST, PUT, PATCH or DELETE`);
    if (typeof request.url !== 'string' || request.url === '') throw badRequest('request.url is missing');
    const method = request.method as Method;
    const local = request.url.startsWith(`${baseUrl}/`) ? request.url.slice(baseUrl.length + 1) : request.url;
    const [path, queryText] = splitOnce(local, '?');
    const segments = path.split('/');
    const [type, id, history, versionId, ...rest] = segments;
    if (!isResourceType(type)) throw badRequest(`request.url "${request.url}" does not start with a resource type`);
    if (rest.length || (history !== undefined && history !== '_history') || (history === '_history' && !versionId)) {
      throw badRequest(`request.url "${request.url}" is not [type], [type]/[id], [type]/[id]/_history/[vid] or [type]?[query]`);
    }
    if (id !== undefined && !ID_PATTERN.test(id)) throw badRequest(`"${id}" in request.url is not a valid id`);
    const entry: Entry = { index, method, url: request.url, type, id, versionId, fullUrl: raw.fullUrl };
    if (queryText !== undefined) entry.query = new URLSearchParams(queryText);
    if (raw.resource !== undefined) entry.resource = raw.resource as Resource;
    if (request.ifNoneExist) entry.ifNoneExist = request.ifNoneExist;
    if (request.ifMatch) entry.ifMatch = request.ifMatch;
    if (request.ifNoneMatch) entry.ifNoneMatch = request.ifNoneMatch;
    if (request.ifModifiedSince) entry.ifModifiedSince = request.ifModifiedSince;
    if ((method === 'POST' || method === 'PUT' || method === 'PATCH') && !entry.resource) throw badRequest(`A ${method} entry needs a resource`);
    if (method === 'POST' && (id !== undefined || entry.query)) throw badRequest('A POST entry\'s request.url is the resource type alone');
    if ((method === 'PUT' || method === 'PATCH' || method === 'DELETE') && id === undefined && !entry.query) {
      throw badRequest(`A ${method} entry's request.url needs an id or search criteria`);
    }
    return entry;
  });
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const i = text.indexOf(separator);
  return i < 0 ? [text, undefined] : [text.slice(0, i), text.slice(i + 1)];
}

/** Runs fn for an entry; an error is reported as the entry's, with its index and request named. */
export function atEntry<T>(entry: Pick<Entry, 'index' | 'method' | 'url'>, fn: () => T): T {
  try {
    const result = fn();
    if (result instanceof Promise) return result.catch((err) => Promise.reject(entryError(entry, err))) as T;
    return result;
  } catch (err) {
    throw entryError(entry, err);
  }
}

export function entryError(entry: Pick<Entry, 'index' | 'method' | 'url'>, err: unknown): unknown {
  if (!(err instanceof FhirError) || (err as { entry?: number }).entry !== undefined) return err;
  const where = `Bundle.entry[${entry.index}]`;
  const issues = (err.outcome.issue ?? []).map((i) => ({
    ...i,
    diagnostics: `${where} (${entry.method} ${entry.url}): ${i.diagnostics ?? i.details?.text ?? ''}`,
    expression: i.expression?.map((e) => `${where}.resource.${e}`) ?? [where],
  }));
  const named = new FhirError(err.status, outcome(issues), err.headers);
  (named as { entry?: number }).entry = entry.index;
  return named;
}
