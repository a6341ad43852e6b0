// Bundles the CLI (dist/cli/entry.js, compiled by tsc) into dist/confi/: one entry module plus
// chunks for what commands load lazily. Node then resolves and reads a handful of files at start
// instead of some hundred (docs/decisions.md, "The CLI runs from a bundle").
import { build } from 'esbuild'
import { rmSync } from 'node:fs'
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
