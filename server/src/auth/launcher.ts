// Meridian's launcher: an EHR app (a signed-in user's token) asks for a `launch` value carrying the
// patient and encounter it has open, then opens another app at its launch URL with ?iss=&launch=.
// Also serves the style document SMART apps are pointed to (smart_style_url).
import Router from '@koa/router';
import type Koa from 'koa';
import getRawBody from 'raw-body';
import type { Config } from '../config.js';
import type { AppContext, FhirContext } from '../fhir/context.js';
import { badRequest, fhirError } from '../fhir/outcome.js';
import { authenticate } from './bearer.js';
import { requireScope } from './permissions.js';

const ID = /^[A-Za-z0-9\-.]{1,64}$/;

export const SMART_STYLE = {
  color_background: '#f3f6fa',
  color_error: '#9b1c1c',
  color_highlight: '#0b5cad',
  color_modal_backdrop: '',
  color_success: '#276749',
  color_text: '#14213d',
  dim_border_radius: '0.4rem',
  dim_font_size: '16px',
  dim_spacing_size: '1rem',
  font_family_body: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
  font_family_heading: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
};

export function launcherRoutes(config: Config, app: AppContext): Koa.Middleware {
  const router = new Router();
  router.get('/smart-style.json', (ctx) => {
    ctx.set('Access-Control-Allow-Origin', '*');
    ctx.body = SMART_STYLE;
  });
  router.post('/launch', async (ctx) => {
    const fctx = ctx as unknown as FhirContext;
    if (config.authMode === 'smart') {
      fctx.state.principal = await authenticate(ctx, config, app.auth.provider);
      if (fctx.state.principal.kind === 'token' && !fctx.state.principal.accountId) {
        throw fhirError(403, 'forbidden', 'Launching an app needs a signed-in user, not a backend service');
      }
    }
    let body: { patient?: unknown; encounter?: unknown; app?: unknown };
    try {
      body = JSON.parse(await getRawBody(ctx.req, { limit: '16kb', encoding: 'utf8' }));
    } catch {
      throw badRequest('The body must be JSON: { "patient": "id", "encounter": "id", "app": "launch URL" }');
    }
    const { patient, encounter, app: launchUrl } = body ?? {};
    if (typeof patient !== 'string' || !ID.test(patient)) throw badRequest('patient must be a Patient id', 'patient');
    if (encounter !== undefined && (typeof encounter !== 'string' || !ID.test(encounter))) throw badRequest('encounter must be an Encounter id', 'encounter');
    let target: URL | undefined;
    if (launchUrl !== undefined) {
      try {
        target = new URL(String(launchUrl));
      } catch {
        throw badRequest('app must be the absolute launch URL of the app', 'app');
      }
      if (!['http:', 'https:'].includes(target.protocol)) throw badRequest('app must be an http(s) URL', 'app');
    }
    // the user may only put into context what they may read themselves
    requireScope(fctx, 'Patient', ['r']);
    await app.repo.read('Patient', patient);
    if (encounter) {
      requireScope(fctx, 'Encounter', ['r']);
      await app.repo.read('Encounter', encounter as string);
    }
    const launch = await app.auth.contexts.mint({ patient, encounter: encounter as string | undefined });
    if (target) {
      target.searchParams.set('iss', config.baseUrl);
      target.searchParams.set('launch', launch);
    }
    ctx.status = 201;
    ctx.body = { launch, iss: config.baseUrl, ...(target ? { url: target.toString() } : {}) };
  });
  return router.routes() as Koa.Middleware;
}
