// PostgreSQL helpers for the benches: a fresh database per bench on the server of
// CONFI_TEST_DATABASE_URL (scripts/with-postgres.sh sets it), and psql with the credentials in
// its environment rather than on its command line, where any process listing would show them.
import { randomBytes } from 'node:crypto'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import pg from 'pg'

async function withAdmin(adminUrl, work) {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}

/** Creates an empty database; `drop()` removes it (FORCE: a leftover connection must not keep it). */
export async function createBenchDatabase(adminUrl) {
  const name = `confi_bench_${randomBytes(4).toString('hex')}`
  await withAdmin(adminUrl, (c) => c.query(`CREATE DATABASE ${name}`))
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    name,
    drop: () => withAdmin(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).catch(() => {}),
  }
}

/** psql of the newest server installed (Debian keeps the real binaries out of PATH), else PATH's. */
export function psqlPath() {
  if (process.env.CONFI_PG_BINDIR) return join(process.env.CONFI_PG_BINDIR, 'psql')
  const base = '/usr/lib/postgresql'
  if (existsSync(base)) {
    const versions = readdirSync(base)
      .filter((v) => existsSync(join(base, v, 'bin/psql')))
      .sort((a, b) => Number(b) - Number(a))
    if (versions.length) return join(base, versions[0], 'bin/psql')
  }
  return 'psql'
}

/** libpq environment for `url`, so psql's argv holds no password. */
export function psqlEnv(url, base = process.env) {
  const u = new URL(url)
  return {
    ...base,
    PGHOST: u.hostname,
    PGPORT: u.port || '5432',
    PGUSER: decodeURIComponent(u.username),
    PGPASSWORD: decodeURIComponent(u.password),
    PGDATABASE: decodeURIComponent(u.pathname.slice(1)),
  }
}

/** The server's version string, for the report. */
export async function serverVersion(url) {
  return withAdmin(url, async (c) => (await c.query('SHOW server_version')).rows[0].server_version)
}

/**
 * A database that outlives the run, on a cluster kept by scripts/with-postgres.sh
 * (CONFI_PG_CLUSTER): `complete` says a previous run finished filling it, `markComplete()` records
 * that, `reset()` drops and creates it empty.
 */
export async function keptBenchDatabase(adminUrl, name) {
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  const complete = await withAdmin(adminUrl, async (c) => {
    const { rows } = await c.query(`SELECT shobj_description(oid, 'pg_database') AS note FROM pg_database WHERE datname = $1`, [name])
    return rows[0]?.note === 'confi scale fill complete'
  })
  return {
    url: url.toString(),
    name,
    complete,
    reset: () =>
      withAdmin(adminUrl, async (c) => {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
        await c.query(`CREATE DATABASE ${name}`)
      }),
    markComplete: () => withAdmin(adminUrl, (c) => c.query(`COMMENT ON DATABASE ${name} IS 'confi scale fill complete'`)),
    drop: async () => {},
  }
}
