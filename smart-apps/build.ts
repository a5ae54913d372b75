// Builds every app in catalog.ts with esbuild: smart-apps/<id>/main.ts -> dist/<id>/app.js, and an
// index.html per app. `npm run build:apps` (npm start and npm test run it first); --watch rebuilds.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { APPS, type AppDescriptor } from './catalog.js';

const ROOT = path.dirname(fileURLToPath(import.meta.url));
export const DIST = path.join(ROOT, 'dist');

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** The page every app starts from: landmarks come from the app's own shell; the script is the app. */
const page = (app: AppDescriptor) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="description" content="${esc(app.description)}">
<title>${esc(app.name)} · Meridian</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="../theme.css">
<script type="module" src="app.js"></script>
</head>
<body>
<m-${app.id}-app><p class="m-boot" role="status">Loading ${esc(app.name)}…</p></m-${app.id}-app>
</body>
</html>
`;

export async function buildApps(options: { watch?: boolean; minify?: boolean } = {}): Promise<void> {
  fs.mkdirSync(DIST, { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'shared/theme.css'), path.join(DIST, 'theme.css'));
  const built = APPS.filter((a) => fs.existsSync(path.join(ROOT, a.id, 'main.ts')));
  for (const app of built) {
    fs.mkdirSync(path.join(DIST, app.id), { recursive: true });
    fs.writeFileSync(path.join(DIST, app.id, 'index.html'), page(app));
  }
  const build: esbuild.BuildOptions = {
    entryPoints: Object.fromEntries(built.map((a) => [`${a.id}/app`, path.join(ROOT, a.id, 'main.ts')])),
    outdir: DIST,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: options.minify ?? true,
    sourcemap: true,
    legalComments: 'linked',
    logLevel: 'warning',
  };
  if (options.watch) {
    const ctx = await esbuild.context(build);
    await ctx.watch();
    return;
  }
  const result = await esbuild.build({ ...build, metafile: true });
  const sizes = Object.entries(result.metafile.outputs)
    .filter(([file]) => file.endsWith('.js'))
    .map(([file, o]) => `${path.relative(DIST, file)} ${(o.bytes / 1024).toFixed(0)} KB`);
  console.log(`apps built into ${path.relative(process.cwd(), DIST) || '.'}: ${sizes.join(', ')}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  await buildApps({ watch: process.argv.includes('--watch') });
}
