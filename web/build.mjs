// Builds the dashboard: node build.mjs [OUTDIR]   (OUTDIR defaults to web/dist)
//
// OUTDIR (relative to the current directory) gets index.html, app.js (src/app.js and its
// imports, uPlot included, minified for ES2020), resident.html with resident.js (the residents'
// page, src/resident.js), app.css (uPlot's CSS, then ours; both pages use it) and favicon.svg.
// Needs only the packages of package-lock.json (npm ci), no network. app.js and
// app.css are pure ASCII and index.html declares UTF-8 itself, so they read right whatever
// charset the server names (or none).
import { build, transform } from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile, copyFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const src = join(here, 'src');
const out = resolve(process.argv[2] || join(here, 'dist'));
const require = createRequire(import.meta.url);
const started = Date.now();

await mkdir(out, { recursive: true });

// uPlot's copyright header (a plain /** */ comment, which minifying would drop) goes on top.
const uplotDir = dirname(require.resolve('uplot/package.json'));
const uplotHeader = /^\/\*\*[\s\S]*?\*\//.exec(await readFile(join(uplotDir, 'dist', 'uPlot.esm.js'), 'utf8'));
// (kept ASCII, like the rest of the output, so the files read the same in any charset)
const banner = uplotHeader
  ? uplotHeader[0].replace(/^\/\*\*/, '/*!').replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
  : '';

await build({
  entryPoints: { app: join(src, 'app.js'), resident: join(src, 'resident.js') },
  outdir: out,
  bundle: true,
  format: 'iife',
  minify: true,
  target: 'es2020',
  platform: 'browser',
  legalComments: 'eof',
  banner: { js: banner, css: banner },
  logLevel: 'warning',
  absWorkingDir: here,
});

const uplotCss = await readFile(join(uplotDir, 'dist', 'uPlot.min.css'), 'utf8');
const ownCss = await readFile(join(src, 'style.css'), 'utf8');
const css = await transform(`${uplotCss}\n${ownCss}`, { loader: 'css', minify: true, banner });
await writeFile(join(out, 'app.css'), css.code);

await copyFile(join(src, 'favicon.svg'), join(out, 'favicon.svg'));

// index.html names each file with a hash of its content (app.js?v=...), so a browser that kept
// an older app.js fetches the new one after an upgrade; the server ignores the query.
const version = async (name) => createHash('sha256').update(await readFile(join(out, name))).digest('hex').slice(0, 12);
for (const page of ['index.html', 'resident.html']) {
  let html = await readFile(join(src, page), 'utf8');
  for (const name of ['app.js', 'resident.js', 'app.css', 'favicon.svg']) {
    const v = await version(name);
    html = html.replaceAll(`"${name}"`, `"${name}?v=${v}"`);
  }
  await writeFile(join(out, page), html);
}

console.log(`built ${out} in ${Date.now() - started} ms`);
