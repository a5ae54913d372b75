// The embedded default: the PGlite data folder, its lock, and the server started as `npm start` does.
// PGlite only (the Postgres project excludes *.pglite.test.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/index.js';
import { lockDataDir } from '../src/db/lock.js';
import { createLogger } from '../src/logger.js';
import { Repository } from '../src/repo/index.js';
import { testConfig } from './harness.js';

const silent = createLogger('silent');

describe('embedded PGlite data folder', () => {
  it('keeps data across a restart, and refuses a second process on the same folder', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'meridian-data-'));
    try {
      const config = testConfig({ dataDir, databaseUrl: undefined });
      const first = await openDatabase(config, silent);
      const created = await new Repository(first, config.baseUrl).create({ resourceType: 'Patient', gender: 'female' });
      expect(() => lockDataDir(dataDir)).not.toThrow(); // same process: its own lock
      fs.writeFileSync(path.join(dataDir, 'meridian.pid'), String(process.ppid)); // a live other process
      expect(() => lockDataDir(dataDir)).toThrow(/in use by another Meridian process/);
      fs.writeFileSync(path.join(dataDir, 'meridian.pid'), String(process.pid));
      await first.close();
      expect(fs.existsSync(path.join(dataDir, 'meridian.pid'))).toBe(false);

      const second = await openDatabase(config, silent);
      const read = await new Repository(second, config.baseUrl).read('Patient', created.resource.id!);
      expect((read as { gender?: string }).gender).toBe('female');
      await second.close();
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('takes over a lock left by a process that died', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'meridian-lock-'));
    try {
      fs.writeFileSync(path.join(dataDir, 'meridian.pid'), '999999999');
      const lock = lockDataDir(dataDir);
      expect(fs.readFileSync(path.join(dataDir, 'meridian.pid'), 'utf8')).toBe(String(process.pid));
      lock.release();
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});


interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startMeridian(env: Record<string, string>): Started {
  // Vite sets BASE_URL ("/") for the code it serves; the server must not inherit it.
  const { BASE_URL: _vite, DATABASE_URL: _db, ...inherited } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
    env: { ...inherited, LOG_LEVEL: 'info', SEED_DEMO: 'false', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function waitFor(started: Started, text: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!started.output().includes(text)) {
    if (Date.now() > deadline || started.child.exitCode !== null) {
      const code = await Promise.race([started.exited, new Promise((r) => setTimeout(r, 1000))]);
      throw new Error(`never saw "${text}" (exit code ${code}) in:\n${started.output()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the server process on the embedded default', () => {
  it('starts, serves, keeps data across a restart, and refuses a second process on its folder', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'meridian-proc-'));
    const port = String(20000 + Math.floor(Math.random() * 20000));
    const base = `http://localhost:${port}/fhir`;
    try {
      const first = startMeridian({ DATA_DIR: dataDir, PORT: port, AUTH_MODE: 'open' });
      await waitFor(first, 'Meridian is serving FHIR R4 at');
      expect(first.output()).toContain('AUTH_MODE=open: the FHIR API answers every caller without an access token');
      const metadata = await fetch(`${base}/metadata`);
      expect(metadata.status).toBe(200);
      const created = await fetch(`${base}/Patient`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/fhir+json' },
        body: JSON.stringify({ resourceType: 'Patient', gender: 'male' }),
      });
      expect(created.status).toBe(201);
      const { id } = (await created.json()) as { id: string };

      const second = startMeridian({ DATA_DIR: dataDir, PORT: String(Number(port) + 1) });
      expect(await second.exited).toBe(1);
      expect(second.output()).toContain('is in use by another Meridian process');

      first.child.kill('SIGTERM');
      expect(await first.exited).toBe(0);

      const again = startMeridian({ DATA_DIR: dataDir, PORT: port, AUTH_MODE: 'open' });
      await waitFor(again, 'Meridian is serving FHIR R4 at');
      const read = await fetch(`${base}/Patient/${id}`);
      expect(read.status).toBe(200);
      expect(((await read.json()) as { gender: string }).gender).toBe('male');
      again.child.kill('SIGTERM');
      expect(await again.exited).toBe(0);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('reindexes from the command line with progress output', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'meridian-reindex-'));
    try {
      const config = testConfig({ dataDir, databaseUrl: undefined });
      const db = await openDatabase(config, silent);
      const repo = new Repository(db, config.baseUrl);
      for (let i = 0; i < 3; i++) await repo.create({ resourceType: 'Patient', name: [{ family: `Quinn${i}` }] } as never);
      await db.query('DELETE FROM search_string');
      await db.close();
      const { BASE_URL: _vite, DATABASE_URL: _db, ...inherited } = process.env;
      const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/reindex.ts', 'Patient'], { env: { ...inherited, DATA_DIR: dataDir }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stderr!.on('data', (d) => (out += d));
      child.stdout!.on('data', (d) => (out += d));
      expect(await new Promise((resolve) => child.on('exit', resolve))).toBe(0);
      expect(out).toMatch(/reindexed 3\/3 \(100 %\)/);
      expect(out).toMatch(/done: 3 resources reindexed/);
      const again = await openDatabase(config, silent);
      const { rows } = await again.query<{ n: number }>("SELECT count(*)::integer AS n FROM search_string WHERE param = 'family'");
      expect(rows[0].n).toBe(3);
      await again.close();
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('loads the demo population and demo sign-ins on the first start of an empty folder, and only then; SMART is the default', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'meridian-demo-'));
    const port = String(20000 + Math.floor(Math.random() * 20000));
    const base = `http://localhost:${port}/fhir`;
    let token = '';
    const count = async (type: string) => ((await (await fetch(`${base}/${type}?_summary=count`, { headers: { Authorization: `Bearer ${token}` } })).json()) as { total: number }).total;
    try {
      const first = startMeridian({ DATA_DIR: dataDir, PORT: port, SEED_DEMO: 'true' });
      await waitFor(first, 'Meridian is serving FHIR R4 at');
      expect(first.output()).toContain('SMART authorization enforced');
      expect(first.output()).not.toContain('AUTH_MODE=open');
      expect((await fetch(`${base}/Patient`)).status).toBe(401);
      await waitFor(first, 'demo sign-ins', 120_000);
      // the sign-ins: shown once on the terminal, kept in a file only its owner reads
      const file = path.join(dataDir, 'demo-access.json');
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      const access = JSON.parse(fs.readFileSync(file, 'utf8'));
      expect(access.accounts.map((a: { role: string }) => a.role).sort()).toEqual(['admin', 'billing', 'doctor', 'nurse', 'patient', 'receptionist']);
      for (const a of access.accounts) expect(first.output()).toContain(a.password);
      expect(access.accounts.find((a: { role: string }) => a.role === 'doctor').fhirUser).toMatch(/^Practitioner\//);
      // the backend client gets a token with its secret, and the token reads the demo data
      const res = await fetch(access.client.token_endpoint, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Basic ${Buffer.from(`${access.client.client_id}:${access.client.client_secret}`).toString('base64')}` },
        body: 'grant_type=client_credentials&scope=system/*.rs',
      });
      expect(res.status).toBe(200);
      token = ((await res.json()) as { access_token: string }).access_token;
      expect(await count('Patient')).toBe(25);
      expect(await count('Practitioner')).toBeGreaterThan(2);
      const patients = () => count('Patient');
      first.child.kill('SIGTERM');
      expect(await first.exited).toBe(0);
      const second = startMeridian({ DATA_DIR: dataDir, PORT: port, SEED_DEMO: 'true' });
      await waitFor(second, 'Meridian is serving FHIR R4 at');
      await new Promise((r) => setTimeout(r, 500));
      expect(second.output()).not.toContain('loading the demo population');
      expect(second.output()).toContain(`demo sign-ins (user names, passwords, a backend client) are in ${file}`);
      expect(await patients()).toBe(25);
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);

  it('does not load it with SEED_DEMO=false', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'meridian-nodemo-'));
    const port = String(20000 + Math.floor(Math.random() * 20000));
    try {
      const started = startMeridian({ DATA_DIR: dataDir, PORT: port, SEED_DEMO: 'false', AUTH_MODE: 'open' });
      await waitFor(started, 'Meridian is serving FHIR R4 at');
      await new Promise((r) => setTimeout(r, 500));
      const total = ((await (await fetch(`http://localhost:${port}/fhir/Patient?_summary=count`)).json()) as { total: number }).total;
      expect(total).toBe(0);
      started.child.kill('SIGTERM');
      expect(await started.exited).toBe(0);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('exits with a clear message on a bad setting', async () => {
    const started = startMeridian({ PORT: 'eighty' });
    expect(await started.exited).toBe(1);
    expect(started.output()).toMatch(/PORT must be a positive integer/);
    const badAuth = startMeridian({ AUTH_MODE: 'none' });
    expect(await badAuth.exited).toBe(1);
    expect(badAuth.output()).toMatch(/AUTH_MODE must be smart or open/);
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'meridian-proc-'));
    try {
      const noClients = startMeridian({ AUTH_CLIENTS_FILE: path.join(dataDir, 'missing.json'), DATA_DIR: dataDir, PORT: String(20000 + Math.floor(Math.random() * 20000)) });
      expect(await noClients.exited).toBe(1);
      expect(noClients.output()).toMatch(/AUTH_CLIENTS_FILE .*missing\.json could not be read as JSON/);
      fs.writeFileSync(path.join(dataDir, 'clients.json'), '{"clients": "lab-feed"}');
      const notAList = startMeridian({ AUTH_CLIENTS_FILE: path.join(dataDir, 'clients.json'), DATA_DIR: dataDir, PORT: String(20000 + Math.floor(Math.random() * 20000)) });
      expect(await notAList.exited).toBe(1);
      expect(notAList.output()).toMatch(/must hold an array of clients/);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
