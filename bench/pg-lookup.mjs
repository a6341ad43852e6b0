// The gated download's lookup statement on PostgreSQL, alone: how much CPU one execution costs in
// node and in the server's backend. One connection (pool of 1), a loop of lookups of the bench's
// session and document, the backend's CPU read from /proc/<pid>/stat. Variants in the same run,
// interleaved, median of the rounds with the spread:
//   named    - as `confi serve` runs it (a named statement: parsed and planned once per connection;
//              lookups one after another, so each is a group read of one)
//   unnamed  - the same text without a name (parse + plan on every execution)
// BENCH_LOOKUP_DIST=DIR adds `base`: another build's dist/ (e.g. main's), for an A/B of the statement.
//
//   npm run build && scripts/with-postgres.sh node bench/pg-lookup.mjs
// Knobs: BENCH_ITERATIONS (2000 a round), BENCH_ROUNDS (5), BENCH_LOOKUP_DIST.
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { sql } from 'kysely'
import { createBenchDatabase } from './postgres.mjs'

const here = fileURLToPath(new URL('.', import.meta.url))
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 2000)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const TICK_US = 10_000

// The unnamed variant: the statement's name is dropped on its way into node-postgres.
let dropNames = false
const query = pg.Client.prototype.query
pg.Client.prototype.query = function (config, ...rest) {
  if (dropNames && config && typeof config === 'object' && config.name) config = { text: config.text, values: config.values }
  return query.call(this, config, ...rest)
}

async function load(dist) {
  const m = (p) => import(resolve(dist, p))
  return {
    ...(await m('core/db/database.js')),
    ...(await m('core/db/schema.js')),
    ...(await m('core/config/app-config.js')),
    ...(await m('core/tokens.js')),
    ...(await m('core/clients/firm.js')),
    ...(await m('core/clients/clients.js')),
    ...(await m('core/identity/registration.js')),
    ...(await m('core/actors.js')),
    ...(await m('core/documents/documents.js')),
    ...(await m('core/documents/download-lookup.js')),
    ...(await m('core/storage/disk/disk-store.js')),
    ...(await m('core/identity/password-pool.js')),
    ...(await m('core/identity/sessions.js')),
  }
}

function backendTicks(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return Number(fields[11]) + Number(fields[12])
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'confi-bench-lookup-'))
  const database = await createBenchDatabase(process.env.CONFI_TEST_DATABASE_URL)
  try {
    const current = await load(resolve(here, '..', 'dist'))
    const env = { DATABASE_URL: database.url, CONFI_DATA_DIR: join(dir, 'data'), CONFI_PG_POOL_SIZE: '1' }
    const config = current.resolveConfig({ env, cwd: dir })
    const open = await current.openDatabase(config.database, { create: true })
    await current.applySchema(open)
    const db = open.db
    const hasher = current.createPasswordPool(1)
    const by = current.accountant('cli:bench')
    const key = current.loadSecretKey(config.secretFile, { create: true })
    await current.initFirm(db, { firmName: 'Bench', baseUrl: 'http://127.0.0.1' })
    const client = await current.addClient(db, key, by, { name: 'Bench Ltda', taxId: '11.222.333/0001-81' })
    const user = await current.addUser(db, by, { clientId: client.id, username: 'bench', name: 'Bench', password: 'senha-do-bench-1', role: 'admin', active: true }, hasher)
    await hasher.close()
    const file = join(dir, 'file.pdf')
    writeFileSync(file, Buffer.alloc(1024, 0x41))
    const store = current.createDiskFileStore(join(config.dataDir, 'files'))
    const doc = await current.addDocument(db, store, by, { clientId: client.id, title: 'Arquivo', category: 'fiscal', files: [{ path: file }] })
    const { token } = await current.createSession(db, { userId: user.id, scope: 'area' }, { idleMinutes: 600, absoluteHours: 12 })
    await open.close()

    const variants = [
      { name: 'named', lib: current, dropNames: false },
      { name: 'unnamed', lib: current, dropNames: true },
    ]
    if (process.env.BENCH_LOOKUP_DIST) variants.push({ name: 'base', lib: await load(resolve(process.env.BENCH_LOOKUP_DIST)), dropNames: false })
    for (const v of variants) {
      v.open = await v.lib.openDatabase(v.lib.resolveConfig({ env, cwd: dir }).database)
      v.node = []
      v.backend = []
    }
    const lookup = async (v) => {
      const found = await v.lib.lookupSessionDocument(v.open.db, token, { idleMinutes: 600 }, doc.id)
      if (!found || found.document.kind !== 'found') throw new Error(`${v.name}: the lookup found nothing`)
    }
    console.log(`pg-lookup: ${ITERATIONS} lookups a round, ${ROUNDS} rounds, load ${loadavg()[0].toFixed(1)}`)
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? variants : [...variants].reverse()
      for (const v of order) {
        dropNames = v.dropNames
        for (let i = 0; i < 50; i++) await lookup(v)
        // Read each round: the pool closes a connection idle for 10 s, and the next one is new.
        const pid = (await sql`select pg_backend_pid() as pid`.execute(v.open.db)).rows[0].pid
        const t0 = backendTicks(pid)
        const c0 = process.cpuUsage()
        for (let i = 0; i < ITERATIONS; i++) await lookup(v)
        const c = process.cpuUsage(c0)
        v.node.push((c.user + c.system) / ITERATIONS)
        v.backend.push(((backendTicks(pid) - t0) * TICK_US) / ITERATIONS)
      }
    }
    dropNames = false
    for (const v of variants) {
      const spread = (xs) => `${Math.round(Math.min(...xs))}-${Math.round(Math.max(...xs))}`
      console.log(
        `${v.name.padEnd(8)} node ${Math.round(median(v.node))} µs (${spread(v.node)})  backend ${Math.round(median(v.backend))} µs (${spread(v.backend)}) a lookup`,
      )
      await v.open.close()
    }
    console.log(`load at end ${loadavg()[0].toFixed(1)}`)
  } finally {
    await database.drop()
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
