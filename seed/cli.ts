// npm run seed -- --patients N --seed S [--as-of YYYY-MM-DD] [--out DIR] [--format bundles|ndjson]
//                  [--load URL] [--concurrency C] [--client-id ID --client-secret S | --token T]
// Generates a synthetic population (the same seed gives the same bytes) and writes it to files,
// loads it into a running server, or both. Memory stays bounded: patients are generated one by one.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Bundle } from '@medplum/fhirtypes';
import { generatePatientBundles, generatePractice, type SeedOptions } from './generate.js';
import { clientCredentialsToken, loadBundles, progressBar } from './load.js';
import { writeNdjson } from './ndjson.js';

const { values } = parseArgs({
  options: {
    patients: { type: 'string', default: '100' },
    seed: { type: 'string', default: 'meridian' },
    'as-of': { type: 'string', default: '2026-11-01' },
    out: { type: 'string' },
    format: { type: 'string', default: 'bundles' },
    load: { type: 'string' },
    concurrency: { type: 'string', default: '4' },
    // a server with AUTH_MODE=smart: a backend client (its id and secret), or a token
    'client-id': { type: 'string', default: process.env.MERIDIAN_CLIENT_ID },
    'client-secret': { type: 'string', default: process.env.MERIDIAN_CLIENT_SECRET },
    token: { type: 'string', default: process.env.MERIDIAN_TOKEN },
  },
});

const patients = Number(values.patients);
const concurrency = Number(values.concurrency);
if (!Number.isInteger(patients) || patients < 0) fail(`--patients must be a whole number, got ${values.patients}`);
if (!Number.isInteger(concurrency) || concurrency < 1) fail(`--concurrency must be at least 1, got ${values.concurrency}`);
if (!/^\d{4}-\d{2}-\d{2}$/.test(values['as-of']!)) fail(`--as-of must be a date (YYYY-MM-DD), got ${values['as-of']}`);
if (values.format !== 'bundles' && values.format !== 'ndjson') fail(`--format is bundles or ndjson, got ${values.format}`);
const out = values.out ?? (values.load ? undefined : 'seed-output');
const options: SeedOptions = { patients, seed: values.seed!, asOf: values['as-of']! };
const started = Date.now();

if (out) {
  fs.mkdirSync(out, { recursive: true });
  if (values.format === 'ndjson') {
    const counts = writeNdjson(generatePractice(options), generatePatientBundles(options), out);
    process.stderr.write(`wrote ${Object.values(counts).reduce((a, b) => a + b, 0)} resources as ndjson per type to ${out}/ in ${seconds()} s\n`);
  } else {
    fs.writeFileSync(path.join(out, 'practice.json'), JSON.stringify(generatePractice(options)));
    let n = 0;
    for (const bundle of generatePatientBundles(options)) {
      fs.writeFileSync(path.join(out, `patient-${String(++n).padStart(6, '0')}.json`), JSON.stringify(bundle));
    }
    process.stderr.write(`wrote the practice and ${n} patient transaction Bundles to ${out}/ in ${seconds()} s\n`);
  }
}

if (values.load) {
  const baseUrl = values.load.replace(/\/+$/, '');
  let token = values.token;
  if (!token && values['client-id']) {
    if (!values['client-secret']) fail('--client-id needs --client-secret (or MERIDIAN_CLIENT_SECRET)');
    token = await clientCredentialsToken(baseUrl, values['client-id'], values['client-secret']!).catch((err) => fail((err as Error).message));
  }
  const practice = await loadBundles([generatePractice(options)], { baseUrl, concurrency: 1, token });
  if (practice.failed) fail(`the practice Bundle did not load: ${practice.errors.join('; ')}`);
  const summary = await loadBundles(generatePatientBundles(options), {
    baseUrl,
    concurrency,
    total: patients,
    token,
    onProgress: progressBar('loading'),
  });
  process.stderr.write(
    `loaded ${summary.bundles - summary.failed}/${patients} patients (${summary.resources + practice.resources} resources: ` +
      `${summary.created + practice.created} created, ${summary.existing + practice.existing} already there) in ${seconds()} s` +
      `${summary.failed ? `; ${summary.failed} failed:\n  ${summary.errors.join('\n  ')}` : ''}\n`,
  );
  if (summary.failed) process.exitCode = 1;
}

function seconds(): string {
  return ((Date.now() - started) / 1000).toFixed(1);
}

function fail(message: string): never {
  process.stderr.write(`seed: ${message}\n`);
  process.exit(2);
}

export type { Bundle };
