// Content negotiation (Accept, _format, _pretty) and the JSON request body.
import type Koa from 'koa';
import getRawBody from 'raw-body';
import type { FhirContext } from './context.js';
import { badRequest, notSupported } from './outcome.js';

export const FHIR_JSON = 'application/fhir+json';
const JSON_FORMATS: Record<string, string> = {
  json: FHIR_JSON,
  'application/json': 'application/json',
  'application/fhir+json': FHIR_JSON,
  'application/json+fhir': FHIR_JSON,
};

/** Serializes object bodies as JSON in the negotiated media type, indented when _pretty=true. */
export function serializeJson(): Koa.Middleware {
  return async (ctx, next) => {
    const state = (ctx as FhirContext).state;
    state.responseType = FHIR_JSON;
    await next();
    const body = ctx.body;
    if (body && typeof body === 'object' && !Buffer.isBuffer(body) && typeof (body as { pipe?: unknown }).pipe !== 'function') {
      ctx.body = JSON.stringify(body, null, ctx.query._pretty === 'true' ? 2 : undefined);
      ctx.type = `${state.responseType}; charset=utf-8`;
    }
  };
}

/** Picks the response media type from _format or Accept; 406 when it is not JSON. */
export function negotiateFormat(): Koa.Middleware {
  return async (ctx, next) => {
    const state = (ctx as FhirContext).state;
    if (ctx.path.includes('/$bulk-file/')) return next(); // ndjson, whatever the client accepts
    const format = ctx.query._format;
    if (typeof format === 'string' && format !== '') {
      // "application/fhir+json" sent unencoded arrives with its "+" decoded to a space
      const type = JSON_FORMATS[format.split(';')[0].trim().toLowerCase().replace(/ /g, '+')];
      if (!type) throw notSupported(406, `_format "${format}" is not supported; this server speaks ${FHIR_JSON} and application/json`);
      state.responseType = type;
    } else if (ctx.get('Accept')) {
      const accepted = ctx.accepts(FHIR_JSON, 'application/json');
      if (!accepted) {
        throw notSupported(406, `Accept "${ctx.get('Accept')}" names no format this server produces (${FHIR_JSON}, application/json)`);
      }
      state.responseType = accepted;
    }
    await next();
  };
}

const BODY_TYPES = new Set([FHIR_JSON, 'application/json', 'application/json+fhir', 'application/json-patch+json']);

/** Reads and parses the JSON body of POST, PUT and PATCH into ctx.state.body. */
export function readJsonBody(): Koa.Middleware {
  return async (ctx, next) => {
    if (ctx.method !== 'POST' && ctx.method !== 'PUT' && ctx.method !== 'PATCH') return next();
    const state = (ctx as FhirContext).state;
    const type = ctx.get('Content-Type').split(';')[0].trim().toLowerCase();
    if (type === 'application/x-www-form-urlencoded' && ctx.method === 'POST' && ctx.path.endsWith('/_search')) {
      // POST _search: the search parameters as a form
      const text = await getRawBody(ctx.req, { limit: state.app.config.bodyLimit, encoding: 'utf8' });
      state.body = new URLSearchParams(text);
      return next();
    }
    if (type && !BODY_TYPES.has(type)) {
      throw notSupported(415, `Content-Type "${type}" is not supported; send ${FHIR_JSON}${ctx.method === 'PATCH' ? ' or application/json-patch+json' : ''}`);
    }
    const length = ctx.get('Content-Length');
    const text = await getRawBody(ctx.req, { limit: state.app.config.bodyLimit, length: length || undefined, encoding: 'utf8' });
    if (text.trim() === '') {
      state.body = undefined;
    } else {
      try {
        state.body = JSON.parse(text);
      } catch (err) {
        throw badRequest(`The request body is not valid JSON: ${(err as Error).message}`);
      }
      if (nestingDepth(state.body) > MAX_DEPTH) {
        throw badRequest(`The request body is nested deeper than ${MAX_DEPTH} levels`);
      }
    }
    return next();
  };
}

/** Deeper than any real resource; keeps recursive validation far from the stack limit. */
const MAX_DEPTH = 100;

/** How deeply objects and arrays nest in a parsed JSON value (iterative: any depth is safe). */
function nestingDepth(root: unknown): number {
  let max = 0;
  const stack: [unknown, number][] = [[root, 0]];
  while (stack.length) {
    const [value, depth] = stack.pop()!;
    if (!value || typeof value !== 'object') continue;
    if (depth + 1 > max) max = depth + 1;
    if (max > MAX_DEPTH) return max;
    for (const child of Array.isArray(value) ? value : Object.values(value)) stack.push([child, depth + 1]);
  }
  return max;
}

/** The request body's media type, without parameters. */
export function bodyType(ctx: FhirContext): string {
  return ctx.get('Content-Type').split(';')[0].trim().toLowerCase();
}
