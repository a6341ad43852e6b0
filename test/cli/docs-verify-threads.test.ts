import { beforeEach, describe, expect, it } from 'vitest'
import { createCheckpoint } from '../../src/core/proof/checkpoints.js'
import { loadSigningKeys } from '../../src/core/proof/keys.js'
import { runConfi } from '../helpers/cli.js'
import { useTestDatabase } from '../helpers/db.js'
import { dropAccessLogTriggers, fillAccessLog } from '../helpers/access-log.js'
import { makeClient, makeDocument } from '../helpers/factories.js'

// A log longer than one chunk (65,536 rows): the built CLI checks it on its verification threads,
// whose worker the bundle ships as an entry point of its own (scripts/bundle-cli.mjs).
const backend = process.env.CONFI_TEST_DATABASE_URL ? 'PostgreSQL' : 'SQLite'
const ROWS = 70_000

const t = useTestDatabase({ firm: true })
beforeEach(async () => {
  const keys = loadSigningKeys(t.config.signingKeyFile, { create: true })
  const client = await makeClient(t.db, t.key)
  // Filing the document wrote its document.published row (row 1): ROWS rows in all.
  await fillAccessLog(t, ROWS - 1, { documentId: (await makeDocument(t, client.id)).id, clientId: client.id })
  await createCheckpoint(t.db, keys)
})

describe(`confi docs verify over more than one chunk, on ${backend}`, { timeout: 300_000 }, () => {
  it('verifies the whole log and its checkpoint, then names a row edited in the second chunk, then a real tail cut', async () => {
    const sound = await runConfi(['docs', 'verify'], { env: t.env, cwd: t.dir })
    expect([sound.code, sound.stderr]).toEqual([0, expect.stringMatching(/^head 70000:[0-9a-f]{64} /)])
    expect(sound.stdout).toMatch(/^access log intact: 70000 rows; 1 checkpoint verified, the newest covering 70000 rows/)
    await dropAccessLogTriggers(t.db)
    await t.db.updateTable('access_log').set({ ip: '198.51.100.1' }).where('id', '=', 68_000).execute()
    const edited = await runConfi(['docs', 'verify'], { env: t.env, cwd: t.dir })
    expect([edited.code, edited.stderr]).toEqual([
      1,
      expect.stringMatching(/^confi: access log broken at row 68000: its contents do not match its hash: the row was edited \(67999 rows before it verify\)/),
    ])
    // The rows after the edit are still there: named as they are, never reported as cut.
    const json = JSON.parse((await runConfi(['docs', 'verify', '--json'], { env: t.env, cwd: t.dir })).stdout)
    expect(json).toMatchObject({ ok: false, lostIds: null, gaps: [], edited: [{ from: 68_000, to: 68_000 }], brokenLinks: [] })
    expect(json.problems.join('\n')).not.toMatch(/missing|cut/)
    await t.db.deleteFrom('access_log').where('id', '>', 69_000).execute()
    const cut = JSON.parse((await runConfi(['docs', 'verify', '--json'], { env: t.env, cwd: t.dir })).stdout)
    expect(cut).toMatchObject({ ok: false, lostIds: { from: 69_001, to: 70_000 }, edited: [{ from: 68_000, to: 68_000 }] })
    expect(cut.problems).toContainEqual(expect.stringMatching(/^rows 69001 to 70000 are missing: checkpoint 1 .* \(its end was cut\)$/))
  })
})
