// Turns every failure into an OperationOutcome with the right status. Unexpected errors are logged
// (without request bodies) and answered 500 with a generic text.
import type Koa from 'koa';
import type { FhirContext } from './context.js';
import { FhirError, fhirError, outcome, issue } from './outcome.js';

export function errorResponses(): Koa.Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body == null) {
        throw fhirError(404, 'not-found', `No such endpoint. The FHIR API is at ${(ctx as FhirContext).state.app.config.baseUrl}`);
      }
    } catch (err) {
      const fhir = toFhirError(err);
      if (fhir.status >= 500) {
        // Error messages can quote request values (PHI); log what failed and where, not the message.
        const e = err as { name?: string; code?: string; stack?: string };
        const where = e.stack?.split('\n').slice(1, 8).map((l) => l.trim());
        (ctx as FhirContext).state.app?.log.error({ error: e.name, code: e.code, where, method: ctx.method, path: ctx.path }, 'request failed');
      }
      ctx.status = fhir.status;
      for (const [name, value] of Object.entries(fhir.headers)) ctx.set(name, value);
      ctx.body = fhir.outcome;
    }
  };
}

export function toFhirError(err: unknown): FhirError {
  if (err instanceof FhirError) return err;
  const e = err as { status?: number; statusCode?: number; type?: string; message?: string; expose?: boolean };
  const status = e.status ?? e.statusCode;
  if (e.type === 'entity.too.large') return fhirError(413, 'too-costly', `The request body is larger than the limit of ${(e as { limit?: number }).limit} bytes`);
  if (e.type === 'request.aborted') return fhirError(400, 'incomplete', 'The request was aborted before its body was read');
  if (e.type === 'encoding.unsupported' || e.type === 'charset.unsupported') return fhirError(415, 'not-supported', e.message ?? 'Unsupported encoding');
  // Postgres data exceptions (class 22): a value the database cannot take is the request's fault.
  if (typeof (e as { code?: unknown }).code === 'string' && /^22[0-9A-Z]{3}$/.test((e as { code: string }).code)) {
    return fhirError(400, 'invalid', 'The request holds a value the database cannot store');
  }
  if (status === 405) return fhirError(405, 'not-supported', e.message ?? 'Method not allowed');
  if (status === 501) return fhirError(501, 'not-supported', e.message ?? 'Not implemented');
  if (status && status >= 400 && status < 500 && e.expose) return fhirError(status, 'invalid', e.message ?? `HTTP ${status}`);
  return new FhirError(500, outcome([issue('fatal', 'exception', 'Internal server error')]));
}
