import { describe, expect, it } from 'vitest'
import { schemaSteps, schemaVersion } from '../../src/core/db/schema.js'
import { useTestDatabase } from '../helpers/db.js'
import { runCli, type CliResult } from '../helpers/cli.js'

// Issue 5, bad input: whatever is wrong with the database, `confi <cmd>` exits 1 with one line that
// says what, and never prints a credential. Cases that need no server run on every backend; the
// ones that need a live PostgreSQL run under `npm run test:pg`.
const adminUrl = process.env.CONFI_TEST_DATABASE_URL
const onPostgres = Boolean(adminUrl)
const secret = 's3cr3t-Pw'

const t = useTestDatabase()

/** Runs confi with DATABASE_URL set to `url` (and no SQLite fallback). */
function runWithUrl(args: string[], url: string): Promise<CliResult> {
  return runCli(args, { env: { ...t.env, DATABASE_URL: url }, cwd: t.dir })
}

function expectOneLineRefusal(result: CliResult, pattern: RegExp): void {
  expect(result.code, result.stderr).toBe(1)
  expect(result.stdout).toBe('')
  const lines = result.stderr.trimEnd().split('\n')
  expect(lines, result.stderr).toHaveLength(1)
  expect(lines[0]).toMatch(/^confi: /)
  expect(lines[0]).toMatch(pattern)
  expect(result.stderr).not.toContain(secret)
}

const initArgs = [
  'init',
  '--firm-name',
  'Contabilidade Exemplo',
  '--base-url',
  'http://localhost:3000',
]

describe('confi against a bad DATABASE_URL', () => {
  it.each([
    ['no host', `postgres://confi:${secret}@/confi`],
    ['a port that is not a number', `postgresql://confi:${secret}@db.example:port/confi`],
    ['a broken percent escape', `postgres://confi:${secret}%zz@db.example/confi`],
  ])('a malformed URL (%s) exits 1 with one line', async (_case, url) => {
    for (const args of [initArgs, ['clients', 'list']]) {
      expectOneLineRefusal(await runWithUrl(args, url), /DATABASE_URL is malformed/)
    }
  })

  it('a URL of another scheme exits 1 naming the variable', async () => {
    const result = await runWithUrl(['clients', 'list'], `mysql://confi:${secret}@db.example/confi`)
    expectOneLineRefusal(result, /DATABASE_URL must start with postgres:\/\//)
  })

  it('a URL where a SQLite file path goes (CONFI_DB, --db) is refused, not echoed nor made a file', async () => {
    const url = `postgres://confi:${secret}@db.example/confi`
    const env = { ...t.env, DATABASE_URL: '' }
    const { existsSync } = await import('node:fs')
    const { join } = await import('node:path')
    for (const [args, extra] of [
      [initArgs, { CONFI_DB: url }],
      [['clients', 'list'], { CONFI_DB: url }],
      [['--db', url, 'clients', 'list'], {}],
    ] as const) {
      const result = await runCli([...args], { env: { ...env, ...extra }, cwd: t.dir })
      expectOneLineRefusal(result, /take a SQLite file path, not a URL: put a PostgreSQL URL in DATABASE_URL/)
    }
    expect(existsSync(join(t.dir, 'postgres:'))).toBe(false)
  })

  it('an unreachable server exits 1 with one line', async () => {
    const url = `postgres://confi:${secret}@127.0.0.1:1/confi`
    for (const args of [initArgs, ['clients', 'list']]) {
      expectOneLineRefusal(
        await runWithUrl(args, url),
        /cannot reach PostgreSQL at postgres:\/\/127\.0\.0\.1:1\/confi/,
      )
    }
  })

  it.runIf(onPostgres)('wrong credentials exit 1 with one line', async () => {
    const url = new URL(t.env.DATABASE_URL)
    url.password = secret
    for (const args of [initArgs, ['clients', 'list']]) {
      expectOneLineRefusal(
        await runWithUrl(args, url.toString()),
        /refused the credentials in DATABASE_URL/,
      )
    }
  })

  it.runIf(onPostgres)('an empty PostgreSQL database asks for confi init', async () => {
    const { createPostgresDatabase } = await import('../helpers/postgres.js')
    const empty = await createPostgresDatabase(adminUrl as string)
    try {
      const result = await runWithUrl(['clients', 'list'], empty.url)
      expectOneLineRefusal(result, /is not initialised: run 'confi init' first/)
      expect(result.stderr).not.toContain(new URL(empty.url).password)
      const init = await runWithUrl(initArgs, empty.url)
      expect(init.code, init.stderr).toBe(0)
      expect(init.stdout + init.stderr).not.toContain(new URL(empty.url).password)
      const list = await runWithUrl(['clients', 'list', '--json'], empty.url)
      expect(list.code, list.stderr).toBe(0)
      expect(JSON.parse(list.stdout)).toEqual([])
    } finally {
      await empty.drop()
    }
  })
})

describe(`confi against a newer schema (${onPostgres ? 'PostgreSQL' : 'SQLite'})`, () => {
  it('every command, init included, exits 1 and says to upgrade confi', async () => {
    await t.db
      .insertInto('schema_version')
      .values({ version: schemaVersion() + 1, applied_at: '2030-01-01T00:00:00.000Z' })
      .execute()
    for (const args of [initArgs, ['clients', 'list'], ['docs', 'verify']]) {
      const result = await runCli(args, { env: t.env, cwd: t.dir })
      expectOneLineRefusal(result, /newer than this confi understands .*: upgrade confi/)
    }
  })

  it('init again on a current database succeeds and changes nothing', async () => {
    const first = await runCli(initArgs, { env: t.env, cwd: t.dir })
    expect(first.code, first.stderr).toBe(0)
    const again = await runCli(initArgs, { env: t.env, cwd: t.dir })
    expect(again.code, again.stderr).toBe(0)
    const versions = await t.db.selectFrom('schema_version').select('version').orderBy('version').execute()
    expect(versions.map((row) => Number(row.version))).toEqual(schemaSteps().map((step) => step.version))
  })
})
