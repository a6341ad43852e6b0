import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, test } from 'vitest'
import { runConfi } from '../helpers/cli.js'
// @ts-expect-error: the bench is plain JavaScript run from dist (npm run build first)
import { scaleSizes } from '../../bench/scale-data.mjs'
// @ts-expect-error: as above
import { fillPostgres, fillSqlite } from '../../bench/scale-fill.mjs'

// The scale bench's bulk fill writes the access log, its Merkle tree and a checkpoint by hand
// (bench/scale-fill.mjs): this proves, at 1/10,000 of the size, that `confi docs verify` accepts
// what it writes, so a change to the row format or the hashing cannot break the bench's chain
// silently.

const sizes = scaleSizes(0.0001)
const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function target(): Promise<{ env: Record<string, string>; fill: (keyFile: string) => Promise<unknown> }> {
  const dir = mkdtempSync(join(tmpdir(), 'confi-scale-test-'))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  const env: Record<string, string> = {
    CONFI_DATA_DIR: join(dir, 'data'),
    CONFI_SIGNING_KEY_FILE: join(dir, 'signing-keys.json'),
  }
  const adminUrl = process.env.CONFI_TEST_DATABASE_URL
  if (!adminUrl) {
    env.CONFI_DB = join(dir, 'confi.db')
    return { env, fill: (keyFile) => fillSqlite(env.CONFI_DB, sizes, { keyFile }) }
  }
  const { createPostgresDatabase } = await import('../helpers/postgres.js')
  const created = await createPostgresDatabase(adminUrl)
  cleanups.push(() => created.drop())
  env.DATABASE_URL = created.url
  return { env, fill: (keyFile) => fillPostgres(created.url, sizes, { keyFile }) }
}

describe('the scale bench fill', () => {
  test('writes a log, tree and checkpoint that confi docs verify accepts', async () => {
    const { env, fill } = await target()
    await fill(env.CONFI_SIGNING_KEY_FILE)
    const result = await runConfi(['docs', 'verify', '--json'], { env })
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    const report = JSON.parse(result.stdout)
    expect(report).toMatchObject({ ok: true, rows: sizes.logRows, lastId: sizes.logRows, checkpoints: 1, problems: [] })
    expect(report.newest.treeSize).toBe(sizes.logRows)
  }, 60_000)
})
