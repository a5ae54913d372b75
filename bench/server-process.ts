// Meridian as a child process, the way it runs in production (its own process and event loop),
// so the bench process's own CPU work does not share the server's event loop.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import type { HttpClient } from './harness.js';
import { log } from './harness.js';

export interface ServerProcess {
  port: number;
  stop(): Promise<void>;
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

export async function startServer(options: { repoRoot: string; port: number; databaseUrl: string; client: HttpClient; exportFileBytes: number }): Promise<ServerProcess> {
  const { repoRoot, port, databaseUrl, client, exportFileBytes } = options;
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
    cwd: repoRoot,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      BASE_URL: `http://127.0.0.1:${port}/fhir`,
      LOG_LEVEL: 'warn',
      DB_POOL_SIZE: '16',
      // storage, search and ingest are measured; the raw side has no tokens to check either
      AUTH_MODE: 'open',
      // the raw export splits its files at the same size
      EXPORT_FILE_BYTES: String(exportFileBytes),
      // Not stored as resources: otherwise the server stores ~2,400 FHIR core terminology resources in
      // the background at first start, which in the bench (a new database every run) would run during
      // the first phases. The terminology operations use the shipped content from memory either way.
      SHIPPED_CONTENT: 'none',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Server warnings and errors go to our stderr, prefixed, so a failing request can be explained.
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding('utf8');
    stream?.on('data', (text: string) => {
      for (const line of text.split('\n')) if (line.trim()) process.stderr.write(`[server] ${line}\n`);
    });
  }
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = `exited with ${signal ?? `code ${code}`}`;
  });
  // Backstop: never leave the server running if the bench dies some other way.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const stop = async () => {
    process.off('exit', killOnExit);
    await stopChild(child, () => exited !== undefined);
  };

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`Meridian ${exited} before it answered /fhir/metadata (its output is above)`);
    try {
      const res = await client.request('GET', '/fhir/metadata');
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error('Meridian did not answer GET /fhir/metadata with 200 within 60 s');
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { port, stop };
}

async function stopChild(child: ChildProcess, hasExited: () => boolean): Promise<void> {
  if (hasExited()) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => {
    log('Meridian did not stop within 5 s of SIGTERM; killing it');
    child.kill('SIGKILL');
  }, 5000);
  await gone;
  clearTimeout(timer);
}
