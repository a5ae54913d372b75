// CLI: user accounts of the authorization server. Same settings as the server (DATABASE_URL or
// DATA_DIR; stop the server first on PGlite).
//   npm run account -- create <username> --role doctor [--fhir-user Practitioner/123] [--name "Dr X"] [--totp]
//   npm run account -- list
// The password is read from ACCOUNT_PASSWORD or, when unset, from the first line of standard input.
import { parseArgs } from 'node:util';
import readline from 'node:readline';
import { Secret, TOTP } from 'otpauth';
import { Accounts } from './auth/accounts.js';
import { ROLES, isRole } from './auth/roles.js';
import { loadConfig } from './config.js';
import { openDatabase } from './db/index.js';
import { createLogger } from './logger.js';

const usage = `usage: npm run account -- create <username> --role ${ROLES.join('|')} [--fhir-user Type/id] [--name "Display Name"] [--totp]
       npm run account -- list`;

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { role: { type: 'string' }, 'fhir-user': { type: 'string' }, name: { type: 'string' }, totp: { type: 'boolean' } },
});
const [command, username] = positionals;
if (command !== 'create' && command !== 'list') fail(usage);
if (command === 'create' && (!username || !values.role || !isRole(values.role))) fail(usage);

const config = loadConfig();
const db = await openDatabase(config, createLogger(process.env.LOG_LEVEL || 'warn'));
try {
  const accounts = new Accounts(db);
  if (command === 'list') {
    for (const a of await accounts.list()) process.stdout.write(`${a.username}\t${a.role}\t${a.fhirUser ?? '-'}\t${a.totp ? 'totp' : ''}\n`);
  } else {
    const password = process.env.ACCOUNT_PASSWORD ?? (await firstLine());
    const totpSecret = values.totp ? new Secret({ size: 20 }) : undefined;
    try {
      const account = await accounts.create({ username, role: values.role as (typeof ROLES)[number], fhirUser: values['fhir-user'], displayName: values.name, password, totpSecret: totpSecret?.base32 });
      process.stderr.write(`created ${account.username} (${account.role}${account.fhirUser ? `, ${account.fhirUser}` : ''})\n`);
      if (totpSecret) process.stdout.write(`TOTP: add this to an authenticator app: ${new TOTP({ issuer: 'Meridian', label: username, secret: totpSecret }).toString()}\n`);
    } catch (e) {
      const err = e as Error & { code?: string };
      process.stderr.write(`${err.code === '23505' ? `An account named ${username} exists already` : err.message}\n`);
      process.exitCode = 2;
    }
  }
} finally {
  await db.close();
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

async function firstLine(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('password: ');
  const rl = readline.createInterface({ input: process.stdin });
  for await (const line of rl) {
    rl.close();
    return line;
  }
  return '';
}
