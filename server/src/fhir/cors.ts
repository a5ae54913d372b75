// CORS for browser apps on other origins (SMART apps served from their own site): the FHIR API and
// the launcher answer preflights (204, before any token is asked for) and let the app read the
// responses. Apps send their access token in the Authorization header, never cookies, so any origin
// may be allowed ("*", no credentials). The authorization server (/auth) does its own CORS per
// client (provider.ts, clientBasedCORS).
import type Koa from 'koa';

const ALLOW_METHODS = 'GET,POST,PUT,PATCH,DELETE,OPTIONS';
const ALLOW_HEADERS = 'Authorization,Content-Type,Accept,If-Match,If-None-Exist,If-None-Match,If-Modified-Since,Prefer,X-Requested-With';
const EXPOSE_HEADERS = 'Location,ETag,Content-Location,Last-Modified,X-Progress,Retry-After,WWW-Authenticate';
const MAX_AGE = '600';

/** Adds CORS to requests under the given path prefixes ('' is every path). */
export function cors(prefixes: string[]): Koa.Middleware {
  const covers = (path: string) => prefixes.some((p) => p === '' || path === p || path.startsWith(`${p}/`));
  return async (ctx, next) => {
    if (!ctx.get('Origin') || !covers(ctx.path)) return next();
    ctx.set('Access-Control-Allow-Origin', '*');
    if (ctx.method === 'OPTIONS' && ctx.get('Access-Control-Request-Method')) {
      ctx.set('Access-Control-Allow-Methods', ALLOW_METHODS);
      ctx.set('Access-Control-Allow-Headers', ALLOW_HEADERS);
      ctx.set('Access-Control-Max-Age', MAX_AGE);
      ctx.status = 204;
      return;
    }
    ctx.set('Access-Control-Expose-Headers', EXPOSE_HEADERS);
    return next();
  };
}
