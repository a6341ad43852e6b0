// The bulk fill of `npm run bench:scale` (issue 13 target 4): straight SQL, not core's one-row
// paths, so 10,000,000 access-log rows take minutes. What must match core exactly comes from
// dist: the schema (applySchema), each row's hash (accessLogHash), the Merkle tree
// (extendFrontier, the same builder the append path uses) and the closing signed checkpoint, so
// `confi docs verify` and inclusion proofs work on the result as on a real log.
//
// Secondary indexes (and on PostgreSQL the foreign keys) are dropped while loading and made
// again afterwards from their own definitions: one sort per index instead of 10 million random
// inserts.
import { spawn } from 'node:child_process'
import bcrypt from 'bcryptjs'
import BetterSqlite3 from 'better-sqlite3'
import pg from 'pg'
import { GENESIS_HASH, accessLogHash } from '../dist/core/access-log/chain/row.js'
import { emptyFrontier, extendFrontier, rowLeafHash } from '../dist/core/access-log/tree/merkle.js'
import { openDatabase } from '../dist/core/db/database.js'
import { applySchema } from '../dist/core/db/schema.js'
import { createCheckpoint } from '../dist/core/proof/checkpoints.js'
import { loadSigningKeys } from '../dist/core/proof/keys.js'
import { SCALE_PASSWORD, scaleFirm } from './scale-data.mjs'
import { psqlEnv, psqlPath } from './postgres.mjs'
import { progress } from './progress.mjs'

const TABLES = ['clients', 'client_users', 'documents', 'attachments', 'outbox', 'access_log', 'access_log_tree']

/** Every row of the fill, table by table, in the order foreign keys need. */
function* tables(firm, passwordHash) {
  const { clients, documents, logRows } = firm.sizes
  yield ['clients', clients, function* () { for (let c = 1; c <= clients; c++) yield firm.client(c) }]
  yield ['client_users', clients, () => firm.users(passwordHash)]
  yield ['documents', documents, function* () { for (let d = 1; d <= documents; d++) yield firm.document(d) }]
  yield ['attachments', documents, function* () { for (let d = 1; d <= documents; d++) yield firm.attachment(d) }]
  yield ['outbox', null, () => firm.outbox()]
  yield ['access_log', logRows, () => chained(firm)]
}

// The chain and the tree in one pass: each row's hash covers the previous one
// (docs/rules.md#access-log-integrity); the complete subtrees go to `tree`.
function* chained(firm) {
  let prev = GENESIS_HASH
  const frontier = emptyFrontier()
  const tree = (firm.tree = [])
  firm.frontier = frontier
  for (let i = 1; i <= firm.sizes.logRows; i++) {
    const row = firm.logRow(i)
    const hash = accessLogHash(row, prev)
    extendFrontier(frontier, rowLeafHash(hash), (level, idx, h) => tree.push({ level, idx, hash: h.toString('hex') }))
    row.prev_hash = prev
    row.hash = hash
    prev = hash
    yield row
  }
}

function treeHead(firm) {
  return { id: 1, size: firm.frontier.size, frontier: firm.frontier.hashes.map((h) => h.toString('hex')).join(',') }
}

async function schemaAndFirm(target, now) {
  const open = await openDatabase(target, { create: true })
  try {
    await applySchema(open)
  } finally {
    await open.close()
  }
  return new Date(now).toISOString()
}

// --- SQLite --------------------------------------------------------------------------------

/** Fills a new SQLite file at `path`. */
export async function fillSqlite(path, sizes, { now = Date.now(), keyFile }) {
  const firm = scaleFirm(sizes, now)
  const nowIso = await schemaAndFirm({ kind: 'sqlite', path }, now)
  const raw = new BetterSqlite3(path)
  raw.pragma('journal_mode = OFF')
  raw.pragma('synchronous = OFF')
  raw.pragma('cache_size = -262144')
  const indexes = raw
    .prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN (${TABLES.map(() => '?').join(',')})`)
    .all(...TABLES)
  for (const { name } of indexes) raw.exec(`DROP INDEX ${name}`)
  raw.prepare(`INSERT INTO firm_options (id, firm_name, base_url, updated_at) VALUES (1, 'Contabilidade Escala', 'http://127.0.0.1', ?)`).run(nowIso)
  const passwordHash = bcrypt.hashSync(SCALE_PASSWORD, 10)
  for (const [table, total, rows] of tables(firm, passwordHash)) {
    let insert = null
    const bar = progress(`fill ${table}`, total)
    let batch = []
    const flush = raw.transaction((items) => {
      for (const item of items) insert.run(item)
    })
    for (const row of rows()) {
      insert ??= raw.prepare(`INSERT INTO ${table} (${Object.keys(row).join(', ')}) VALUES (${Object.keys(row).map((k) => `@${k}`).join(', ')})`)
      batch.push(row)
      if (batch.length === 50_000) {
        flush(batch)
        bar.tick(batch.length)
        batch = []
      }
    }
    if (batch.length) flush(batch)
    bar.tick(batch.length)
    bar.done()
  }
  const treeInsert = raw.prepare('INSERT INTO access_log_tree (level, idx, hash) VALUES (@level, @idx, @hash)')
  raw.transaction(() => {
    for (const node of firm.tree) treeInsert.run(node)
    raw.prepare('INSERT INTO access_log_tree_head (id, size, frontier) VALUES (@id, @size, @frontier)').run(treeHead(firm))
  })()
  const bar = progress('fill indexes', indexes.length)
  for (const { sql } of indexes) {
    raw.exec(sql)
    bar.tick(1)
  }
  bar.done()
  raw.close()
  await checkpoint({ kind: 'sqlite', path }, keyFile)
  return firm
}

// A signed checkpoint over the whole fill, so `confi docs verify` checks the tree against the chain.
async function checkpoint(target, keyFile) {
  const open = await openDatabase(target)
  try {
    await createCheckpoint(open.db, loadSigningKeys(keyFile, { create: true }))
  } finally {
    await open.close()
  }
}

// --- PostgreSQL ----------------------------------------------------------------------------

// COPY's CSV: an unquoted empty field is NULL, anything quoted is text.
const copyField = (v) => (v == null ? '' : typeof v === 'number' ? String(v) : `"${String(v).replaceAll('"', '""')}"`)

/** Streams `rows` into `COPY table FROM STDIN` through psql (credentials in its environment). */
function copyInto(url, table, rows, bar) {
  return new Promise((resolve, reject) => {
    let child = null
    let columns = null
    let stderr = ''
    const start = (first) => {
      columns = Object.keys(first)
      child = spawn(psqlPath(), ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', `\\copy ${table} (${columns.join(', ')}) FROM pstdin WITH (FORMAT csv)`], {
        env: psqlEnv(url),
        stdio: ['pipe', 'inherit', 'pipe'],
      })
      child.stderr.on('data', (c) => (stderr += c))
      child.on('error', reject)
      child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`psql COPY ${table} exited ${code}: ${stderr}`))))
    }
    const iterator = rows[Symbol.iterator]()
    // About 1 MB a write, waiting for 'drain' so a table never sits in memory.
    const pump = () => {
      for (;;) {
        const lines = []
        for (let i = 0; i < 4000; i++) {
          const next = iterator.next()
          if (next.done) break
          if (!child) start(next.value)
          lines.push(columns.map((c) => copyField(next.value[c])).join(',') + '\n')
        }
        bar.tick(lines.length)
        if (lines.length === 0) {
          if (!child) return resolve()
          return child.stdin.end()
        }
        if (!child.stdin.write(lines.join(''))) return child.stdin.once('drain', pump)
      }
    }
    pump()
  })
}

/** Fills the empty database at `url`. */
export async function fillPostgres(url, sizes, { now = Date.now(), keyFile }) {
  const firm = scaleFirm(sizes, now)
  const nowIso = await schemaAndFirm({ kind: 'postgres', url, poolSize: 1 }, now)
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const { rows: indexes } = await client.query(
      `SELECT i.indexname AS name, i.indexdef AS sql FROM pg_indexes i
       WHERE i.schemaname = current_schema() AND i.tablename = ANY($1)
         AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`,
      [TABLES],
    )
    const { rows: keys } = await client.query(
      `SELECT c.conname AS name, c.conrelid::regclass::text AS tbl, pg_get_constraintdef(c.oid) AS def
       FROM pg_constraint c WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace`,
    )
    for (const k of keys) await client.query(`ALTER TABLE ${k.tbl} DROP CONSTRAINT ${k.name}`)
    for (const { name } of indexes) await client.query(`DROP INDEX ${name}`)
    await client.query(`INSERT INTO firm_options (id, firm_name, base_url, updated_at) VALUES (1, 'Contabilidade Escala', 'http://127.0.0.1', $1)`, [nowIso])
    const passwordHash = bcrypt.hashSync(SCALE_PASSWORD, 10)
    for (const [table, total, rows] of tables(firm, passwordHash)) {
      const bar = progress(`fill ${table}`, total)
      await copyInto(url, table, rows(), bar)
      bar.done()
    }
    const treeBar = progress('fill access_log_tree', firm.tree.length)
    await copyInto(url, 'access_log_tree', firm.tree, treeBar)
    treeBar.done()
    const head = treeHead(firm)
    await client.query('INSERT INTO access_log_tree_head (id, size, frontier) VALUES ($1, $2, $3)', [head.id, head.size, head.frontier])
    const bar = progress('fill indexes and keys', indexes.length + keys.length)
    for (const { sql } of indexes) {
      await client.query(sql)
      bar.tick(1)
    }
    for (const k of keys) {
      await client.query(`ALTER TABLE ${k.tbl} ADD CONSTRAINT ${k.name} ${k.def}`)
      bar.tick(1)
    }
    bar.done()
    // Rows loaded with explicit ids leave the identity sequences at 1.
    for (const table of TABLES.filter((t) => t !== 'access_log_tree')) {
      await client.query(`SELECT setval(pg_get_serial_sequence('${table}', 'id'), GREATEST((SELECT max(id) FROM ${table}), 1))`)
    }
    // What autovacuum does to a long-lived database: statistics and hint bits set.
    await client.query('VACUUM (ANALYZE)')
  } finally {
    await client.end()
  }
  await checkpoint({ kind: 'postgres', url, poolSize: 1 }, keyFile)
  return firm
}
