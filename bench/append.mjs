// `npm run bench:append`: access-log append throughput with 64 concurrent writers (issue 13,
// target 6: ≥ 20,000 rows/s on SQLite with synchronous=FULL once the commit is off the event loop).
//
// Measures, on a fresh database each: the group-commit writer on the event loop
// (createAccessLogWriter, what the portal used before) and the commit thread
// (startCommitThread, what `confi serve` uses on SQLite), and for each the longest stall of the
// event loop while it ran (the point of the thread). Then verifies the chain and the tree.
// PostgreSQL (under scripts/with-postgres.sh) has only the event-loop writer: its driver waits
// asynchronously already. Results go to docs/performance.md.
//
// Knobs: BENCH_APPEND_ROWS (100,000; fewer marks a smoke run), BENCH_BACKENDS, BENCH_REPORT=0.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import BetterSqlite3 from 'better-sqlite3'
import { openDatabase } from '../dist/core/db/database.js'
import { applySchema } from '../dist/core/db/schema.js'
import { initFirm } from '../dist/core/clients/firm.js'
import { addClient } from '../dist/core/clients/clients.js'
import { accountant } from '../dist/core/actors.js'
import { addDocument } from '../dist/core/documents/documents.js'
import { createDiskFileStore } from '../dist/core/storage/disk/disk-store.js'
import { loadSecretKey } from '../dist/core/tokens.js'
import { verifyAccessLog } from '../dist/core/access-log/chain/walk.js'
import { createAccessLogWriter } from '../dist/core/access-log/chain/append.js'
import { startCommitThread } from '../dist/core/access-log/commit/commit-thread.js'
import { syncTree } from '../dist/core/access-log/tree/merkle.js'
import { BACKEND_NAMES, selectedBackends, smokeNote, updateReport } from './report.mjs'
import { createBenchDatabase } from './postgres.mjs'

const FULL_ROWS = 100_000
const ROWS = Number(process.env.BENCH_APPEND_ROWS ?? FULL_ROWS)
const SMOKE = ROWS < FULL_ROWS
const WRITERS = 64
const TARGET = 20_000

/** `rows` appends from 64 concurrent callers; rows/s and the longest event-loop stall (ms). */
async function measure(writer, entry, rows = ROWS) {
  const delay = monitorEventLoopDelay({ resolution: 5 })
  delay.enable()
  const started = performance.now()
  let next = 0
  await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      while (next++ < rows) await writer.record(entry)
    }),
  )
  const seconds = (performance.now() - started) / 1000
  delay.disable()
  return { rowsPerSecond: rows / seconds, maxStallMs: delay.max / 1e6, p99StallMs: delay.percentile(99) / 1e6 }
}

/**
 * What the disk allows: transactions of 64 prepared inserts into a copy of access_log (same
 * columns and indexes, no hashing, no tree) with synchronous=FULL, for 3 s, in rows/s. 64 writers
 * that each wait for their own row can never have more than 64 rows in one commit, so no writer
 * beats this.
 */
function diskCeiling(dir, source) {
  const raw = new BetterSqlite3(join(dir, 'ceiling.db'))
  try {
    raw.pragma('journal_mode = WAL')
    raw.pragma('synchronous = FULL')
    // The copy has no clients or documents to point to; the rows' shape is what counts.
    raw.pragma('foreign_keys = OFF')
    const from = new BetterSqlite3(source, { readonly: true })
    const ddl = from.prepare(`SELECT sql FROM sqlite_master WHERE tbl_name = 'access_log' AND type IN ('table', 'index') AND sql IS NOT NULL`).all()
    from.close()
    for (const { sql } of ddl) raw.exec(sql)
    const insert = raw.prepare(`INSERT INTO access_log (id, at, document_id, attachment_id, client_id, channel, ip, port, user_agent, action, prev_hash, hash)
      VALUES (?, ?, 1, 1, 1, 'portal', '203.0.113.1', 51000, 'bench', 'download', ?, ?)`)
    const hash = 'ab'.repeat(32)
    let id = 0
    const started = performance.now()
    while (performance.now() - started < 3000) {
      raw.exec('BEGIN IMMEDIATE')
      for (let i = 0; i < WRITERS; i++) insert.run(++id, new Date().toISOString(), hash, hash)
      raw.exec('COMMIT')
    }
    return id / ((performance.now() - started) / 1000)
  } finally {
    raw.close()
  }
}

async function appendBench(backend) {
  const dir = mkdtempSync(join(tmpdir(), 'confi-bench-append-'))
  const pg = backend === 'postgres' ? await createBenchDatabase(process.env.CONFI_TEST_DATABASE_URL) : null
  const target = pg ? { kind: 'postgres', url: pg.url, poolSize: 10 } : { kind: 'sqlite', path: join(dir, 'confi.db') }
  const open = await openDatabase(target, { create: true })
  try {
    await applySchema(open)
    const actor = accountant('cli:bench')
    await initFirm(open.db, { firmName: 'Bench', baseUrl: 'http://127.0.0.1' })
    const client = await addClient(open.db, loadSecretKey(join(dir, 'secret.key'), { create: true }), actor, { name: 'Bench Ltda', taxId: '11.222.333/0001-81' })
    writeFileSync(join(dir, 'f.pdf'), 'x')
    const doc = await addDocument(open.db, createDiskFileStore(join(dir, 'files')), actor, { clientId: client.id, title: 'A', category: 'fiscal', files: [{ path: join(dir, 'f.pdf') }] })
    const entry = { documentId: doc.id, attachmentId: doc.attachments[0].id, clientId: client.id, channel: 'portal', action: 'download', ip: '203.0.113.1', port: 51000, userAgent: 'bench' }
    const load = loadavg()[0]
    console.log(`bench:append ${backend}: ${ROWS} rows, ${WRITERS} writers, each way`)
    const writer = createAccessLogWriter(open.db)
    const onLoop = await measure(writer, entry)
    await writer.flush()
    let thread = null
    let ceiling = null
    if (backend === 'sqlite') {
      ceiling = diskCeiling(dir, target.path)
      const threaded = startCommitThread(target.path)
      await threaded.record(entry) // the thread's start-up is not an append
      thread = await measure(threaded, entry)
      await threaded.close()
    }
    const verified = await verifyAccessLog(open.db)
    const tree = await syncTree(open.db)
    return { onLoop, thread, ceiling, load, ok: verified.ok && tree.size === verified.rows, rows: verified.rows }
  } finally {
    await open.close()
    await pg?.drop()
    rmSync(dir, { recursive: true, force: true })
  }
}

const n = (v) => Math.round(v).toLocaleString('en')

function markdown(backend, r) {
  const best = r.thread ?? r.onLoop
  const meets = best.rowsPerSecond >= TARGET
  const row = (label, m) => `| ${label} | ${n(m.rowsPerSecond)} | ${m.p99StallMs.toFixed(1)} | ${m.maxStallMs.toFixed(1)} |`
  const durability = backend === 'sqlite'
    ? '`synchronous=FULL`: every group waits for an fsync.'
    : 'the throwaway cluster of scripts/with-postgres.sh runs with `fsync=off`: locking and round trips, not a disk.'
  const text = `### ${BACKEND_NAMES[backend]}
${smokeNote(SMOKE)}
Measured on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} cores shared with other jobs, Node ${process.version}, ${n(ROWS)} rows each way, ${WRITERS} concurrent writers; load average at the start: ${r.load.toFixed(1)}. Durability: ${durability}

| writer | rows/s | event-loop stall p99 ms | max ms |
|---|---:|---:|---:|
${[row('group commit on the event loop (`createAccessLogWriter`)', r.onLoop), r.thread && row('commit thread (`startCommitThread`, `confi serve` on SQLite)', r.thread)].filter(Boolean).join('\n')}
${r.ceiling ? `| the disk's ceiling: 64 prepared inserts per transaction, no hashing or tree | ${n(r.ceiling)} | | |\n` : ''}
- ${backend === 'sqlite' ? `Commit thread: **${n(best.rowsPerSecond)} rows/s** (target ≥ ${n(TARGET)} on SQLite: ${meets ? 'meets the target' : 'MISSES the target'}).` : `Rows/s for comparison only (no target on PostgreSQL).`}
- After both runs: ${n(r.rows)} rows, chain and Merkle tree ${r.ok ? 'valid' : '**BROKEN**'}.`
  return { text, data: { date: new Date().toISOString().slice(0, 10), rows: ROWS, smoke: SMOKE, onLoop: r.onLoop, thread: r.thread, ceiling: r.ceiling, ok: r.ok } }
}

for (const backend of selectedBackends()) {
  const r = await appendBench(backend)
  const { text, data } = markdown(backend, r)
  console.log(`\n${text}\n`)
  if (process.env.BENCH_REPORT !== '0') updateReport(`bench:append:${backend}`, text, data)
}
