// Loads transaction Bundles into a running Meridian over the FHIR API: a few concurrent clients
// pulling Bundles lazily from an iterator (bounded memory), retries with backoff on transient
// failures (network, 429, 5xx), progress as it goes and a summary at the end. Loading twice does
// not duplicate: every generated entry is a conditional create (ifNoneExist on its identifier).
import type { Bundle } from '@medplum/fhirtypes';

export interface LoadProgress {
  bundles: number;
  resources: number;
  failed: number;
  total?: number;
  elapsedMs: number;
}

export interface LoadOptions {
  /** The FHIR base URL, e.g. http://localhost:8080/fhir. */
  baseUrl: string;
  concurrency: number;
  /** Bundles expected in all (for the progress bar's ETA). */
  total?: number;
  retries?: number;
  onProgress?: (p: LoadProgress) => void;
  /** A bearer access token (a server with AUTH_MODE=smart asks for one). */
  token?: string;
}

export interface LoadSummary extends LoadProgress {
  /** The first failures, as "entry: reason". */
  errors: string[];
  created: number;
  existing: number;
}

export async function loadBundles(bundles: Iterable<Bundle>, options: LoadOptions): Promise<LoadSummary> {
  const started = Date.now();
  const summary: LoadSummary = { bundles: 0, resources: 0, failed: 0, total: options.total, elapsedMs: 0, errors: [], created: 0, existing: 0 };
  const iterator = bundles[Symbol.iterator]();
  let index = 0;
  const next = (): { bundle: Bundle; n: number } | undefined => {
    const item = iterator.next();
    return item.done ? undefined : { bundle: item.value, n: index++ };
  };
  const worker = async () => {
    for (let item = next(); item; item = next()) {
      try {
        const response = await post(options.baseUrl, item.bundle, options.retries ?? 5, options.token);
        for (const e of response.entry ?? []) {
          if (e.response?.status?.startsWith('201')) summary.created++;
          else summary.existing++;
        }
        summary.resources += item.bundle.entry?.length ?? 0;
      } catch (err) {
        summary.failed++;
        if (summary.errors.length < 10) summary.errors.push(`bundle ${item.n}: ${(err as Error).message}`);
      }
      summary.bundles++;
      summary.elapsedMs = Date.now() - started;
      options.onProgress?.({ ...summary });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  summary.elapsedMs = Date.now() - started;
  return summary;
}

async function post(baseUrl: string, bundle: Bundle, retries: number, token?: string): Promise<Bundle> {
  for (let attempt = 0; ; attempt++) {
    let status = 0;
    let text = '';
    try {
      const res = await fetch(baseUrl, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/fhir+json',
          Accept: 'application/fhir+json',
          Prefer: 'return=minimal',
          ...(token ? { Authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(bundle),
      });
      status = res.status;
      text = await res.text();
      if (res.ok) return JSON.parse(text) as Bundle;
    } catch (err) {
      text = (err as Error).message; // connection refused or reset: transient
    }
    const transient = status === 0 || status === 429 || status >= 500;
    if (!transient || attempt >= retries) {
      const outcome = safeParse(text)?.issue?.[0]?.diagnostics;
      throw new Error(`HTTP ${status || 'error'}: ${outcome ?? text.slice(0, 300)}`);
    }
    await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
  }
}

function safeParse(text: string): { issue?: { diagnostics?: string }[] } | undefined {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A one-line progress bar: count, rate and ETA (redrawn in place on a terminal). */
export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr): (p: LoadProgress) => void {
  let lastLine = 0;
  return (p) => {
    const rate = p.bundles / Math.max(p.elapsedMs / 1000, 0.001);
    const done = p.total ? p.bundles / p.total : 0;
    const width = 24;
    const bar = p.total ? `[${'#'.repeat(Math.round(done * width)).padEnd(width)}] ` : '';
    const eta = p.total ? ` ETA ${Math.max(0, Math.round((p.total - p.bundles) / Math.max(rate, 0.001)))} s` : '';
    const line = `${label} ${bar}${p.bundles}${p.total ? `/${p.total}` : ''} bundles, ${p.resources} resources, ${rate.toFixed(1)}/s${eta}${p.failed ? `, ${p.failed} failed` : ''}`;
    if (stream.isTTY) {
      stream.write(`\r${line}`);
      if (p.total && p.bundles >= p.total) stream.write('\n');
    } else if (Date.now() - lastLine > 2000 || (p.total && p.bundles >= p.total)) {
      lastLine = Date.now();
      stream.write(`${line}\n`);
    }
  };
}

/**
 * An access token for the loader from SMART Backend Services' token endpoint (found in the server's
 * .well-known/smart-configuration), with a client id and secret (client_secret_basic).
 */
export async function clientCredentialsToken(baseUrl: string, clientId: string, clientSecret: string, scope = 'system/*.cruds'): Promise<string> {
  const discovery = await fetch(`${baseUrl}/.well-known/smart-configuration`);
  if (!discovery.ok) throw new Error(`${baseUrl}/.well-known/smart-configuration answered ${discovery.status}`);
  const { token_endpoint: tokenEndpoint } = (await discovery.json()) as { token_endpoint?: string };
  if (!tokenEndpoint) throw new Error('the server names no token_endpoint');
  const res = await fetch(tokenEndpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope }),
  });
  const body = (await res.json().catch(() => ({}))) as { access_token?: string; error?: string; error_description?: string };
  if (!res.ok || !body.access_token) throw new Error(`no access token from ${tokenEndpoint}: ${body.error ?? res.status} ${body.error_description ?? ''}`.trim());
  return body.access_token;
}
