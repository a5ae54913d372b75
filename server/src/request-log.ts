// One log line per request: method, path (never the query, which can hold PHI), status, duration.
import type Koa from 'koa';
import type { FhirContext } from './fhir/context.js';

export function logRequests(): Koa.Middleware {
  return async (ctx, next) => {
    const start = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      (ctx as FhirContext).state.app.log.info({ method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(ms * 100) / 100 }, 'request');
    }
  };
}
