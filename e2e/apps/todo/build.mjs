// Builds the app into dist/: src/main.jsx bundled with esbuild (React's
// production build), and the static files beside it.
//   node build.mjs
import { build } from 'esbuild';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, 'dist');

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
cpSync(join(here, 'static'), dist, { recursive: true });
await build({
  entryPoints: [join(here, 'src', 'main.jsx'), join(here, 'src', 'notes.js')],
  outdir: dist,
  bundle: true,
  format: 'iife',
  minify: true,
  jsx: 'automatic',
  target: 'chrome116',
  define: { 'process.env.NODE_ENV': '"production"' },
  logLevel: 'warning',
  legalComments: 'none',
});
console.log(`built the to-do app into ${dist}`);
