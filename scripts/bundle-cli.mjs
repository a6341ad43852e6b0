// Bundles the CLI (dist/cli/entry.js, compiled by tsc) into dist/confi/: one entry module plus
// chunks for what commands load lazily. Node then resolves and reads a handful of files at start
// instead of some hundred (docs/decisions.md, "The CLI runs from a bundle").
import { build, transform } from 'esbuild'
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { isBuiltin } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const outdir = join(root, 'dist', 'confi')
rmSync(outdir, { recursive: true, force: true })

await build({
  // The access-log commit and verification threads and the uploads' commit thread are started by
  // file name, so each is an entry point of its own (dist/confi/access-log-worker.js,
  // verify-worker.js and upload-worker.js, found by core/db/connection-thread.ts).
  entryPoints: {
    confi: join(root, 'dist', 'cli', 'entry.js'),
    'access-log-worker': join(root, 'dist', 'core', 'access-log', 'commit', 'commit-worker.js'),
    'verify-worker': join(root, 'dist', 'core', 'access-log', 'verify', 'verify-worker.js'),
    'upload-worker': join(root, 'dist', 'core', 'uploads', 'commit-worker.js'),
  },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Native addons, the PostgreSQL driver and pdf.js (which loads its worker by path) stay in
  // node_modules; bcryptjs is loaded by path in the hashing worker.
  external: ['better-sqlite3', 'pg', 'bcryptjs', 'pdfjs-dist', '@napi-rs/canvas'],
  // Bundled CommonJS packages call require() for Node's built-ins.
  banner: { js: "import { createRequire as __confiRequire } from 'node:module'; const require = __confiRequire(import.meta.url);" },
  chunkNames: 'chunks/[name]-[hash]',
  logLevel: 'warning',
})

// An ESM import of a built-in goes through its ESM facade, which reads every export once: node:fs
// then loads fs/promises and the streams, node:process builds process.report, node:crypto loads
// webcrypto. Importing a CommonJS package (better-sqlite3, pg) makes Node parse its source for
// export names. require() (the banner's) hands over module.exports, the value either import
// gives, and each property is read on use (docs/performance.md, "CLI start-up"). esbuild writes
// each external import on one line, after the banner and before the code that uses it.
//
// Then each file is minified (whitespace and syntax, names kept): V8 parses every function of a
// module it loads, so fewer bytes and tokens compile faster (callgrind: about 3% of the
// instructions of `confi clients list --limit 1`). Done per file after the rewrite, which needs
// esbuild's readable layout.
const commonJsExternals = new Set(['better-sqlite3', 'pg'])
const externalImport = /^import (\{[^}\n]*\}|[A-Za-z_$][\w$]*) from "([^"]+)";$/gm
for (const entry of readdirSync(outdir, { recursive: true })) {
  if (!entry.endsWith('.js')) continue
  const file = join(outdir, entry)
  const text = readFileSync(file, 'utf8')
  const changed = text.replace(externalImport, (line, names, specifier) => {
    const required = isBuiltin(specifier) || (commonJsExternals.has(specifier) && !names.startsWith('{'))
    return required ? `const ${names.replaceAll(' as ', ': ')} = require(${JSON.stringify(specifier)});` : line
  })
  const { code } = await transform(changed, { minifyWhitespace: true, minifySyntax: true, format: 'esm', target: 'node20' })
  writeFileSync(file, code)
}
