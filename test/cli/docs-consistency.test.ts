import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import { loadSigningKeys, type SigningKeys } from '../../src/core/proof/keys.js'
import { createCheckpoint } from '../../src/core/proof/checkpoints.js'
import { runConfi } from '../helpers/cli.js'
import { useTestDatabase } from '../helpers/db.js'
import { fillAccessLog } from '../helpers/access-log.js'
import { makeClient, makeDocument } from '../helpers/factories.js'

// confi docs consistency, and the consistency script of docs/receipts.md run on its answers.
const backend = process.env.CONFI_TEST_DATABASE_URL ? 'PostgreSQL' : 'SQLite'
const t = useTestDatabase({ firm: true })
let keys: SigningKeys
let target: { documentId: number; clientId: number }
beforeEach(async () => {
  keys = loadSigningKeys(t.config.signingKeyFile, { create: true })
  const client = await makeClient(t.db, t.key)
  target = { documentId: (await makeDocument(t, client.id)).id, clientId: client.id }
})

const confi = (args: string[]) => runConfi(args, { env: t.env, cwd: t.dir })

const documentedScript = () =>
  /<!-- consistency:start -->\n```js\n([\s\S]*?)```\n<!-- consistency:end -->/.exec(readFileSync(new URL('../../docs/receipts.md', import.meta.url), 'utf8'))![1]

function runScript(answer: unknown, ...args: string[]): string {
  const script = join(t.dir, 'verify-consistency.mjs')
  writeFileSync(script, documentedScript())
  const file = join(t.dir, `answer-${Math.random().toString(36).slice(2)}.json`)
  writeFileSync(file, JSON.stringify(answer))
  return execFileSync(process.execPath, [script, file, keys.current.publicKey, ...args], { encoding: 'utf8', stdio: 'pipe' })
}

describe(`confi docs consistency on ${backend}`, { timeout: 180_000 }, () => {
  it('proves the newest checkpoint extends an older one; the documented script checks it, and refuses forgeries', async () => {
    const none = await confi(['docs', 'consistency', '3'])
    expect([none.code, none.stderr]).toEqual([1, expect.stringMatching(/^confi: no checkpoint yet: give TO, or sign one first/)])
    // Row 1 is the document's document.published row: 13 rows, then 30 more.
    await fillAccessLog(t, 12, target)
    const older = (await createCheckpoint(t.db, keys))!
    await fillAccessLog(t, 30, target)
    const oldPublicKey = keys.current.publicKey
    const rotated = await confi(['keys', 'rotate'])
    expect(rotated.code, rotated.stderr).toBe(0)
    keys = loadSigningKeys(t.config.signingKeyFile)
    const newer = (await createCheckpoint(t.db, keys))!

    const result = await confi(['docs', 'consistency', '13', '--json'])
    expect(result.code, result.stderr).toBe(0)
    const answer = JSON.parse(result.stdout)
    expect(answer).toMatchObject({
      from: { size: 13, root: older.rootHash, checkpoint: { id: older.id, signature: older.signature, signedText: expect.stringMatching(/^confi access-log checkpoint v1\nsize 13\n/) } },
      to: { size: 43, root: newer.rootHash, checkpoint: { id: newer.id, keyId: keys.current.id } },
      proof: expect.arrayContaining([expect.stringMatching(/^[0-9a-f]{64}$/)]),
    })
    const text = await confi(['docs', 'consistency', '13'])
    expect(text.stdout).toMatch(new RegExp(`^consistency proof from 13 to 43 rows \\(RFC 9162 2\\.1\\.4\\)\nfrom 13 rows: root ${older.rootHash} \\(checkpoint ${older.id} signed .* by key ${older.keyId}, signature \\S+\\)\nto 43 rows: root ${newer.rootHash} \\(checkpoint ${newer.id} .*\\)\nproof 1: [0-9a-f]{64}\n`))

    // The holder of the old checkpoint (from a receipt or an e-mail) checks it against today's head.
    expect(runScript(answer, '13', older.rootHash)).toBe(`the log of 43 rows signed ${newer.at} by key ${keys.current.id} extends the log of 13 rows (root ${older.rootHash})\n`)
    // Without a held checkpoint, both signed heads are checked: the older by the key before the rotation.
    expect(runScript(answer, oldPublicKey)).toBe(`the log of 43 rows signed ${newer.at} by key ${keys.current.id} extends the log of 13 rows (root ${older.rootHash})\n`)
    expect(() => runScript(answer)).toThrow(/13 rows: no checkpoint signed by key/)
    const between = JSON.parse((await confi(['docs', 'consistency', '17', '43', '--json'])).stdout)
    expect(between.from.checkpoint).toBeNull()
    expect(runScript(between, '17', between.from.root)).toMatch(/extends the log of 17 rows/)
    expect(() => runScript(between)).toThrow(/17 rows: no checkpoint signed by key/)
    const otherHeld = () => runScript(answer, '13', 'ab'.repeat(32))
    expect(otherHeld).toThrow(/the proof starts from another checkpoint than yours/)
    const badProof = structuredClone(answer)
    badProof.proof[0] = badProof.proof[0].replace(/^./, (c: string) => (c === '0' ? '1' : '0'))
    expect(() => runScript(badProof, '13', older.rootHash)).toThrow(/consistency proof fails/)
    const forgedHead = structuredClone(answer)
    forgedHead.to.root = forgedHead.to.checkpoint.rootHash = 'cd'.repeat(32)
    expect(() => runScript(forgedHead, '13', older.rootHash)).toThrow(/43 rows: bad signature/)
  })

  it('refuses sizes out of order or beyond the log (exit 1) and malformed ones (exit 2)', async () => {
    // The document.published row and 9 accesses: 10 rows.
    await fillAccessLog(t, 9, target)
    await createCheckpoint(t.db, keys)
    const cases: [string[], number, RegExp][] = [
      [['0'], 2, /FROM takes a whole number of at least 1, not '0'/],
      [['x'], 2, /FROM takes a whole number of at least 1, not 'x'/],
      [['3', '-1'], 2, /unknown option|TO takes/],
      [['8', '5'], 1, /^confi: FROM \(8\) must not be larger than TO \(5\): a log only grows/],
      [['5', '11'], 1, /^confi: the access log has 10 rows: there is no tree of 11 rows yet/],
    ]
    for (const [args, code, message] of cases) {
      const result = await confi(['docs', 'consistency', ...args])
      expect([result.code, result.stderr], args.join(' ')).toEqual([code, expect.stringMatching(message)])
    }
    const same = JSON.parse((await confi(['docs', 'consistency', '10', '10', '--json'])).stdout)
    expect(same.proof).toEqual([])
    expect(runScript(same)).toMatch(/extends the log of 10 rows/)
  })
})
