// FHIR API responses carry patient data: no browser or proxy keeps a copy (RFC 9111 no-store), so
// nothing lingers in a shared machine's cache and an app never reads a stale version before a
// conditional write. The public documents (/metadata, SMART discovery) may be cached.
import type Koa from 'koa';

const PUBLIC = new Set(['/metadata', '/.well-known/smart-configuration']);

export function noStore(prefix: string): Koa.Middleware {
  return async (ctx, next) => {
    await next();
    if ((ctx.path === prefix || ctx.path.startsWith(`${prefix}/`)) && !PUBLIC.has(ctx.path.slice(prefix.length))) ctx.set('Cache-Control', 'no-store');
  };
}
