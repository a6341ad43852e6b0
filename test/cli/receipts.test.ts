import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import { recordAccess } from '../../src/core/access-log/chain/append.js'
import { checkpointText } from '../../src/core/proof/checkpoints.js'
import { loadSigningKeys } from '../../src/core/proof/keys.js'
import { extractReceiptJson } from '../../src/core/proof/receipt-pdf/index.js'
import { runConfi } from '../helpers/cli.js'
import { useTestDatabase } from '../helpers/db.js'
import { fillAccessLog } from '../helpers/access-log.js'
import { makeClient, makeDocument, makeUser } from '../helpers/factories.js'
import { startTestSmtp } from '../helpers/smtp.js'

const t = useTestDatabase({ firm: true })
let doc: number
let publicKey: string
beforeEach(async () => {
  publicKey = loadSigningKeys(t.config.signingKeyFile, { create: true }).current.publicKey
  const client = await makeClient(t.db, t.key, { name: 'Padaria Pão Quente Ltda' })
  const other = await makeDocument(t, client.id)
  doc = (await makeDocument(t, client.id, { title: 'DAS 10/2026', competence: '2026-10', dueDate: '2026-11-20' })).id
  const user = await makeUser(t.db, { clientId: client.id, name: 'Ana Souza' })
  await fillAccessLog(t, 40, { documentId: other.id, clientId: client.id })
  await recordAccess(t.db, { documentId: doc, clientId: client.id, channel: 'portal', action: 'view', ip: '203.0.113.9', user: { id: user.id, username: user.username, name: user.name } })
  await fillAccessLog(t, 20, { documentId: other.id, clientId: client.id })
  await recordAccess(t.db, { documentId: doc, clientId: client.id, channel: 'portal', action: 'download', ip: '2001:db8::1', user: { id: user.id, username: user.username, name: user.name } })
})

const confi = (args: string[], env: Record<string, string> = {}) => runConfi(args, { env: { ...t.env, ...env }, cwd: t.dir })

async function receipt(): Promise<{ json: any; pdf: string }> {
  const result = await confi(['docs', 'receipt', String(doc), '--output', 'comprovante.pdf', '--json'])
  expect(result.code, result.stderr).toBe(0)
  return { json: JSON.parse(result.stdout), pdf: join(t.dir, 'comprovante.pdf') }
}

function variant(json: unknown, name: string): string {
  const path = join(t.dir, name)
  writeFileSync(path, JSON.stringify(json))
  return path
}

const verifierScript = () =>
  /<!-- verifier:start -->\n```js\n([\s\S]*?)```\n<!-- verifier:end -->/.exec(readFileSync(new URL('../../docs/receipts.md', import.meta.url), 'utf8'))![1]

describe(`receipts on ${process.env.CONFI_TEST_DATABASE_URL ? 'PostgreSQL' : 'SQLite'}`, { timeout: 180_000 }, () => {
  it('issues a PDF with the JSON attached that verifies offline, with confi and with the documented script', { timeout: 180_000 }, async () => {
    const { json, pdf } = await receipt()
    expect(json.rows.map((r: { id: number }) => r.id)).toEqual([41, 62])
    expect(json.checkpoint.treeSize).toBe(62)
    expect(json.rows[0].proof).toHaveLength(6)
    expect(json.url).toBe(`http://localhost:3000/comprovantes/${json.id}`)
    const bytes = readFileSync(pdf)
    expect(bytes.subarray(0, 5).toString()).toBe('%PDF-')
    expect(JSON.parse(await extractReceiptJson(bytes))).toEqual(json)

    // Offline: no database, no key file, only the file and the published key.
    const offline = { CONFI_DB: join(t.dir, 'nothing.db'), DATABASE_URL: '', CONFI_SIGNING_KEY_FILE: join(t.dir, 'none.json') }
    const verified = await confi(['receipts', 'verify', pdf, '--public-key', publicKey], offline)
    expect(verified.code, verified.stderr).toBe(0)
    expect(verified.stdout).toMatch(/^receipt \S+ verified: 2 accesses of document \d+ \("DAS 10\/2026", Padaria Pão Quente Ltda\)/)
    const noKey = await confi(['receipts', 'verify', pdf], offline)
    expect([noKey.code, noKey.stderr]).toEqual([1, expect.stringMatching(/^confi: no public key to check the signature against: pass --public-key/)])
    expect((await confi(['receipts', 'verify', variant(json, 'r.json')])).code).toBe(0)

    const script = join(t.dir, 'verify-receipt.mjs')
    writeFileSync(script, verifierScript())
    expect(verifierScript().split('\n').length).toBeLessThanOrEqual(42)
    const out = execFileSync(process.execPath, [script, join(t.dir, 'r.json'), publicKey], { encoding: 'utf8' })
    expect(out).toBe(`2 rows proven in the checkpoint of 62 rows signed ${json.checkpoint.at} by key ${json.checkpoint.keyId}\n`)
  })

  it('refuses a receipt with one byte of a row changed, a proof hash changed, or another key’s signature', { timeout: 180_000 }, async () => {
    const { json } = await receipt()
    const script = join(t.dir, 'verify-receipt.mjs')
    writeFileSync(script, verifierScript())
    const edited = structuredClone(json)
    edited.rows[1].ip = '2001:db8::2'
    const badProof = structuredClone(json)
    badProof.rows[0].proof[2] = `${badProof.rows[0].proof[2].slice(0, -1)}${badProof.rows[0].proof[2].endsWith('0') ? '1' : '0'}`
    const stranger = loadSigningKeys(join(t.dir, 'stranger.json'), { create: true })
    const otherKey = structuredClone(json)
    otherKey.checkpoint.keyId = stranger.current.id
    otherKey.checkpoint.signature = stranger.sign(checkpointText(otherKey.checkpoint))
    otherKey.publicKey = { id: stranger.current.id, publicKey: stranger.current.publicKey }
    const forged = structuredClone(json)
    forged.checkpoint.signature = stranger.sign(checkpointText(forged.checkpoint))
    const cases: [unknown, RegExp, RegExp][] = [
      [edited, /edited row: access-log row 62 does not match its hash/, /row 62: hash does not match/],
      [badProof, /wrong proof: row 41 is not proven/, /row 41: inclusion proof fails/],
      [otherKey, /unknown key: the checkpoint is signed by key [0-9a-f]{16}, which is not among the trusted public keys/, /unknown key/],
      [forged, /bad signature: checkpoint \d+ was not signed by key/, /bad signature/],
    ]
    for (const [i, [bad, message, scriptMessage]] of cases.entries()) {
      const path = variant(bad, `bad-${i}.json`)
      const result = await confi(['receipts', 'verify', path, '--public-key', publicKey])
      expect([result.code, result.stdout, result.stderr]).toEqual([1, '', expect.stringMatching(new RegExp(`^confi: the receipt does not verify: ${message.source}`))])
      expect(() => execFileSync(process.execPath, [script, path, publicKey], { stdio: 'pipe' })).toThrow(scriptMessage)
    }
  })

  it("a receipt of one delivery: its e-mail as the mail server accepted it (the outbox's sent time and reply)", async () => {
    const smtp = await startTestSmtp()
    try {
      const withSmtp = (args: string[]) => confi(args, { CONFI_SMTP_URL: smtp.url })
      expect((await confi(['firm', 'set', '--mail-from', 'Contabilidade Exemplo <avisos@escritorio.com.br>'])).code).toBe(0)
      const send = await withSmtp(['docs', 'send', String(doc), '--channel', 'email', '--to', 'fin@cliente.com.br', '--json'])
      expect(send.code, send.stderr).toBe(0)
      const delivery = JSON.parse(send.stdout).id
      const queued = await confi(['docs', 'receipt', String(doc), '--delivery', String(delivery), '--json'])
      expect(queued.code, queued.stderr).toBe(0)
      expect(JSON.parse(queued.stdout).deliveries).toMatchObject([{ id: delivery, acceptedByMailServerAt: null, mailServerReply: null }])

      expect((await withSmtp(['outbox', 'run'])).stdout).toBe('sent 1, queued 0, failed 0\n')
      const sent = await t.db.selectFrom('outbox').select(['sent_at', 'server_reply']).where('delivery_id', '=', delivery).executeTakeFirstOrThrow()
      expect(sent.server_reply).toMatch(/^250 /)
      const one = await confi(['docs', 'receipt', String(doc), '--delivery', String(delivery), '--json'])
      expect(one.code, one.stderr).toBe(0)
      expect(JSON.parse(one.stdout)).toMatchObject({
        deliveryId: delivery,
        rows: [],
        deliveries: [
          {
            id: delivery,
            channel: 'email',
            recipient: 'fin@cliente.com.br',
            acceptedByMailServerAt: sent.sent_at,
            mailServerReply: sent.server_reply,
            revokedAt: null,
          },
        ],
      })
    } finally {
      await smtp.close()
    }
  })

  it('bad input exits 1 with the reason', async () => {
    const cases: [string[], RegExp][] = [
      [['docs', 'receipt', '999'], /^confi: no document with id 999/],
      [['docs', 'receipt', String(doc), '--delivery', '77'], /^confi: document \d+ has no delivery 77/],
      [['receipts', 'verify', 'missing.pdf', '--public-key', publicKey], /^confi: cannot read .*missing.pdf \(ENOENT\)/],
      [['receipts', 'verify', variant({ hello: 1 }, 'x.json'), '--public-key', publicKey], /^confi: not a confi receipt/],
      [['receipts', 'verify', variant({}, 'y.json'), '--public-key', 'abc'], /^confi: 'abc' is not an Ed25519 public key/],
    ]
    for (const [args, message] of cases) {
      const result = await confi(args)
      expect([result.code, result.stderr], args.join(' ')).toEqual([1, expect.stringMatching(message)])
    }
    writeFileSync(join(t.dir, 'fake.pdf'), '%PDF-1.4 not really')
    const fake = await confi(['receipts', 'verify', 'fake.pdf', '--public-key', publicKey])
    expect(fake.code).toBe(1)
  })
})
