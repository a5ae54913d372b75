// HTTP details of FHIR: versions as ETags, Last-Modified, Location, If-Match and Prefer.
import type { Resource } from '@medplum/fhirtypes';
import type { FhirContext } from './context.js';
import { badRequest, informational } from './outcome.js';

export function etag(versionId: string | number): string {
  return `W/"${versionId}"`;
}

/** The version an If-Match (or If-None-Match) header names, e.g. W/"3" -> 3. */
export function parseVersionHeader(ctx: FhirContext, name: 'If-Match' | 'If-None-Match'): number | undefined {
  return parseVersion(ctx.get(name), name);
}

/** A version given as an ETag (W/"3", "3" or 3); undefined when absent, 400 when malformed. */
export function parseVersion(raw: string | undefined, name: string): number | undefined {
  if (!raw) return undefined;
  const match = /^(?:W\/)?"?([1-9][0-9]{0,8})"?$/.exec(raw.trim());
  if (!match) throw badRequest(`${name} must name a version as W/"n", got ${raw}`);
  return Number(match[1]);
}

export function resourceUrl(ctx: FhirContext, resource: Resource): string {
  return `${ctx.state.app.config.baseUrl}/${resource.resourceType}/${resource.id}`;
}

/** Sets ETag and Last-Modified from meta. */
export function setVersionHeaders(ctx: FhirContext, resource: Resource): void {
  if (resource.meta?.versionId) ctx.set('ETag', etag(resource.meta.versionId));
  if (resource.meta?.lastUpdated) ctx.set('Last-Modified', new Date(resource.meta.lastUpdated).toUTCString());
}

type ReturnPreference = 'minimal' | 'representation' | 'OperationOutcome';

function returnPreference(ctx: FhirContext): ReturnPreference {
  const prefer = ctx.get('Prefer');
  const match = /(?:^|[,;\s])return\s*=\s*"?(minimal|representation|OperationOutcome)"?/i.exec(prefer);
  if (!match) return 'representation';
  const value = match[1].toLowerCase();
  return value === 'minimal' ? 'minimal' : value === 'operationoutcome' ? 'OperationOutcome' : 'representation';
}

/** The response of a write: status, version headers, Location, and the body Prefer asks for. */
export function respondWithWrite(ctx: FhirContext, status: number, resource: Resource, message: string): void {
  ctx.status = status;
  setVersionHeaders(ctx, resource);
  if (status === 201) ctx.set('Location', `${resourceUrl(ctx, resource)}/_history/${resource.meta?.versionId}`);
  const preference = returnPreference(ctx);
  if (preference === 'minimal') {
    ctx.body = null;
    ctx.status = status; // Koa turns a null body into 204; keep the interaction's status
  } else if (preference === 'OperationOutcome') {
    const body = informational(message);
    body.issue.push(...(ctx.state.warnings ?? []));
    ctx.body = body;
  } else {
    ctx.body = resource;
  }
}
