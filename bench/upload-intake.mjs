// A/B of the upload intake alone (multipart reader + type check + the store's write and fsync),
// without HTTP or a database: 16 concurrent 5 MB bodies fed in 64 KB chunks, each chunk a fresh
// Buffer as the HTTP parser gives them. Prints CPU ms per upload (every thread of the process)
// and the garbage collections seen. Usage, alternating builds for a same-run A/B:
//   node bench/upload-intake.mjs [<a build's dist dir, default ./dist>] [uploads, default 160]
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { PerformanceObserver } from 'node:perf_hooks'
import { Readable } from 'node:stream'
import { pathToFileURL } from 'node:url'

const dist = resolve(process.argv[2] ?? 'dist')
const UPLOADS = Number(process.argv[3] ?? 160)
const CONCURRENCY = 16
const CHUNK = 64 * 1024
const { readUploadBody } = await import(pathToFileURL(join(dist, 'core/uploads/intake.js')).href)
const { createDiskFileStore } = await import(pathToFileURL(join(dist, 'core/storage/disk/disk-store.js')).href)

const boundary = '----confibench7d1f'
const file = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(5 * 1024 * 1024 - 9, 'A')])
const body = Buffer.concat([
  Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="categoria"\r\n\r\ncontabil\r\n`),
  Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="arquivos"; filename="extrato.pdf"\r\nContent-Type: application/pdf\r\n\r\n`),
  file,
  Buffer.from(`\r\n--${boundary}--\r\n`),
])

// Fresh chunks, handed out one per tick like socket reads.
async function* chunks() {
  for (let at = 0; at < body.length; at += CHUNK) {
    const piece = Buffer.allocUnsafe(Math.min(CHUNK, body.length - at))
    body.copy(piece, 0, at, at + piece.length)
    yield piece
    await new Promise((r) => setImmediate(r))
  }
}

const gcs = { count: 0, ms: 0 }
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gcs.count += 1
    gcs.ms += entry.duration
  }
}).observe({ entryTypes: ['gc'] })

const dir = mkdtempSync(join(tmpdir(), 'confi-intake-'))
const store = createDiskFileStore(join(dir, 'files'))
const limits = { maxFileBytes: 25 * 1024 * 1024, maxFiles: 20 }
const type = `multipart/form-data; boundary=${boundary}`
await readUploadBody(store, Readable.from(chunks()), type, limits)
const cpu0 = process.cpuUsage()
const t0 = performance.now()
let next = 0
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    while (next++ < UPLOADS) await readUploadBody(store, Readable.from(chunks()), type, limits)
  }),
)
const cpu = process.cpuUsage(cpu0)
const wall = performance.now() - t0
rmSync(dir, { recursive: true, force: true })
console.log(
  `${dist}: ${UPLOADS} uploads, CPU ${((cpu.user + cpu.system) / 1000 / UPLOADS).toFixed(2)} ms/upload (user ${(cpu.user / 1000 / UPLOADS).toFixed(2)}), wall ${(wall / UPLOADS).toFixed(2)} ms/upload, ${gcs.count} GCs main-thread pause ${(gcs.ms / UPLOADS).toFixed(2)} ms/upload`,
)
