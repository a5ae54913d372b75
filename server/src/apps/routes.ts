// The apps' pages and bundles (smart-apps/dist, built by `npm run build:apps`) under /apps/, each
// app's client.json (its client id, scopes and FHIR base), the list of launchable apps, and on the
// embedded demo the demo sign-ins (for the launcher's first page, to loopback callers only).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Router from '@koa/router';
import type Koa from 'koa';
import { APPS, appClientId, findApp, type LaunchableApp } from '../../../smart-apps/catalog.js';
import { demoAccessFile, type DemoAccess } from '../demo.js';
import type { AppContext } from '../fhir/context.js';
import { appUrl } from './clients.js';

export const APPS_DIST = fileURLToPath(new URL('../../../smart-apps/dist/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
};

// Apps talk to this server only (FHIR, CDS Hooks, websockets): nothing from elsewhere runs in them.
const CSP = "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'self'; base-uri 'none'; form-action 'self'";

export function appRoutes(app: AppContext): Koa.Middleware {
  const { config } = app;
  const router = new Router();
  router.get('/', (ctx) => ctx.redirect('/apps/launcher/'));
  router.get('/apps', (ctx) => ctx.redirect('/apps/launcher/'));
  router.get('/apps/', (ctx) => ctx.redirect('/apps/launcher/'));

  router.get('/apps/registry.json', async (ctx) => {
    const builtIn: LaunchableApp[] = APPS.filter((a) => a.id !== 'launcher').map((a) => ({ id: appClientId(a.id), name: a.name, description: a.description, launch: a.launch, launchUrl: appUrl(config, a.id), roles: a.roles }));
    const registered = [...app.auth.staticClients, ...(await app.auth.clients.list())]
      .filter((c) => typeof c.meridian_launch_url === 'string' && !builtIn.some((b) => b.id === c.client_id))
      .map((c) => ({ id: c.client_id, name: String(c.client_name ?? c.client_id), description: '', launch: 'ehr' as const, launchUrl: String(c.meridian_launch_url), roles: [] }));
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { apps: [...builtIn, ...registered] };
  });

  router.get('/apps/demo-accounts.json', (ctx) => {
    const file = demoAccessFile(config);
    if (config.databaseUrl || !isLoopback(ctx.ip) || !fs.existsSync(file)) {
      ctx.status = 404;
      ctx.body = { accounts: [] };
      return;
    }
    const access = JSON.parse(fs.readFileSync(file, 'utf8')) as DemoAccess;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { accounts: access.accounts.map(({ username, password, role }) => ({ username, password, role })) };
  });

  router.get('/apps/:id/client.json', (ctx) => {
    const descriptor = findApp(ctx.params.id);
    if (!descriptor) return;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { clientId: appClientId(descriptor.id), scope: descriptor.scope, iss: config.baseUrl };
  });

  const routes = router.routes() as Koa.Middleware;
  return (ctx, next) => routes(ctx, () => (ctx.method === 'GET' || ctx.method === 'HEAD') && ctx.path.startsWith('/apps/') ? serveFile(ctx, next) : next());
}

/** A file of smart-apps/dist (index.html for a folder); nothing outside it. */
async function serveFile(ctx: Koa.Context, next: Koa.Next): Promise<void> {
  let relative: string;
  try {
    relative = decodeURIComponent(ctx.path.slice('/apps/'.length));
  } catch {
    return next();
  }
  // an app's folder without its slash: its page's relative URLs need the slash
  if (/^[a-z-]+$/.test(relative) && fs.existsSync(path.join(APPS_DIST, relative, 'index.html'))) {
    ctx.redirect(`/apps/${relative}/`);
    return;
  }
  if (relative === '' || relative.endsWith('/')) relative += 'index.html';
  const file = path.resolve(APPS_DIST, relative);
  if (!file.startsWith(APPS_DIST) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
    if (!fs.existsSync(APPS_DIST)) {
      ctx.status = 503;
      ctx.type = 'text/plain';
      ctx.body = 'The apps are not built: run `npm run build:apps` (npm start does it first).';
      return;
    }
    return next();
  }
  ctx.type = TYPES[path.extname(file)] ?? 'application/octet-stream';
  ctx.set('Cache-Control', 'no-cache');
  ctx.set('X-Content-Type-Options', 'nosniff');
  if (file.endsWith('.html')) ctx.set('Content-Security-Policy', CSP);
  ctx.body = fs.createReadStream(file);
}

const isLoopback = (ip: string) => ip === '127.0.0.1' || ip === '::1' || ip === '::ffff:127.0.0.1';
