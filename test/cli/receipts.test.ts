import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import { recordAccess } from '../../src/core/access-log/chain/append.js'
import { checkpointText } from '../../src/core/proof/checkpoints.js'
import { loadSigningKeys } from '../../src/core/proof/keys.js'
import { extractReceiptJson, renderReceiptPdf } from '../../src/core/proof/receipt-pdf/index.js'
import { receiptSignedText } from '../../src/core/proof/receipt-format.js'
import { runCli, runConfi } from '../helpers/cli.js'
import { useTestDatabase } from '../helpers/db.js'
import { fillAccessLog } from '../helpers/access-log.js'
import { makeClient, makeDocument, makeUser } from '../helpers/factories.js'
import { startTestSmtp } from '../helpers/smtp.js'

const t = useTestDatabase({ firm: true })
let doc: number
let otherDoc: number
let publicKey: string
let clientId: number
beforeEach(async () => {
  publicKey = loadSigningKeys(t.config.signingKeyFile, { create: true }).current.publicKey
  const client = await makeClient(t.db, t.key, { name: 'Padaria Pão Quente Ltda' })
  clientId = client.id
  // Rows 1 and 2: the two documents' document.published rows.
  otherDoc = (await makeDocument(t, client.id)).id
  doc = (await makeDocument(t, client.id, { title: 'DAS 10/2026', competence: '2026-10', dueDate: '2026-11-20' })).id
  const user = await makeUser(t.db, { clientId: client.id, name: 'Ana Souza' })
  await fillAccessLog(t, 40, { documentId: otherDoc, clientId: client.id })
  await recordAccess(t.db, { documentId: doc, clientId: client.id, channel: 'portal', action: 'view', ip: '203.0.113.9', user: { id: user.id, username: user.username, name: user.name } })
  await fillAccessLog(t, 20, { documentId: otherDoc, clientId: client.id })
  await recordAccess(t.db, { documentId: doc, clientId: client.id, channel: 'portal', action: 'download', ip: '2001:db8::1', user: { id: user.id, username: user.username, name: user.name } })
})

const confi = (args: string[], env: Record<string, string> = {}) => runConfi(args, { env: { ...t.env, ...env }, cwd: t.dir })
const inProcess = (args: string[]) => runCli(args, { env: t.env, cwd: t.dir })

async function receipt(ref = doc): Promise<{ json: any; pdf: string }> {
  const output = `comprovante-${ref}-${Math.random().toString(36).slice(2)}.pdf`
  const result = await inProcess(['docs', 'receipt', String(ref), '--output', output, '--json'])
  expect(result.code, result.stderr).toBe(0)
  return { json: JSON.parse(result.stdout), pdf: join(t.dir, output) }
}

function variant(json: unknown, name: string): string {
  const path = join(t.dir, name)
  writeFileSync(path, JSON.stringify(json))
  return path
}

const verifierScript = () =>
  /<!-- verifier:start -->\n```js\n([\s\S]*?)```\n<!-- verifier:end -->/.exec(readFileSync(new URL('../../docs/receipts.md', import.meta.url), 'utf8'))![1]

function runScript(path: string, keys = [publicKey]): string {
  const script = join(t.dir, 'verify-receipt.mjs')
  writeFileSync(script, verifierScript())
  return execFileSync(process.execPath, [script, path, ...keys], { encoding: 'utf8', stdio: 'pipe' })
}

/** Signs `json` again with the firm's key, as only the firm could: for tampering past the signature. */
function resign(json: any): any {
  const keys = loadSigningKeys(t.config.signingKeyFile)
  return { ...json, signature: { keyId: keys.current.id, value: keys.sign(receiptSignedText(json)) } }
}

describe(`receipts on ${process.env.CONFI_TEST_DATABASE_URL ? 'PostgreSQL' : 'SQLite'}`, { timeout: 180_000 }, () => {
  it('issues a PDF with the JSON attached that verifies offline, with confi and with the documented script', { timeout: 180_000 }, async () => {
    const { json, pdf } = await receipt()
    expect(json).toMatchObject({ version: 2, userId: null, deliveryId: null, rowIds: [43, 64], client: { id: clientId } })
    expect(json.rows.map((r: { id: number }) => r.id)).toEqual([43, 64])
    expect(json.publications.map((r: { id: number; kind: string }) => [r.id, r.kind])).toEqual([[2, 'document.published']])
    expect(json.checkpoint.treeSize).toBe(64)
    expect(json.rows[0].proof).toHaveLength(6)
    expect(json.url).toBe(`http://localhost:3000/comprovantes/${json.id}`)
    expect(json.signature).toEqual({ keyId: json.checkpoint.keyId, value: expect.stringMatching(/^[A-Za-z0-9+/]{86}==$/) })
    const bytes = readFileSync(pdf)
    expect(bytes.subarray(0, 5).toString()).toBe('%PDF-')
    expect(JSON.parse(await extractReceiptJson(bytes))).toEqual(json)

    // Offline: no database, no key file, only the file and the published key.
    const offline = { CONFI_DB: join(t.dir, 'nothing.db'), DATABASE_URL: '', CONFI_SIGNING_KEY_FILE: join(t.dir, 'none.json') }
    const verified = await confi(['receipts', 'verify', pdf, '--public-key', publicKey], offline)
    expect(verified.code, verified.stderr).toBe(0)
    const lines = verified.stdout.split('\n')
    expect(lines[0]).toMatch(/^receipt \S+ verified: 2 accesses of document \d+ \("DAS 10\/2026", Padaria Pão Quente Ltda\) are in the access log of /)
    expect(lines).toContain(`every access up to row 64: rows 43, 64`)
    expect(verified.stdout).toMatch(/its files as the log recorded them \(document\.published row 2\):\n  .*\.pdf \(application\/pdf, \d+ bytes, SHA-256 [0-9a-f]{64}\)/)
    const noKey = await confi(['receipts', 'verify', pdf], offline)
    expect([noKey.code, noKey.stderr]).toEqual([1, expect.stringMatching(/^confi: no public key to check the signature against: pass --public-key/)])
    const path = variant(json, 'r.json')
    expect((await inProcess(['receipts', 'verify', path])).code).toBe(0)
    expect(runScript(path)).toBe(
      `2 rows proven in the checkpoint of 64 rows signed ${json.checkpoint.at} by key ${json.checkpoint.keyId}; document ${doc} as published in row 2; the whole receipt signed by key ${json.signature.keyId}\n`,
    )

    // Issued again with nothing new: the same receipt, not a second one.
    expect((await receipt()).json).toEqual(json)
    expect(await t.db.selectFrom('receipts').select('public_id').execute()).toEqual([{ public_id: json.id }])
  })

  it('refuses every forged claim, naming the first that fails, with confi and with the documented script', { timeout: 300_000 }, async () => {
    const { json } = await receipt()
    const other = (await receipt(otherDoc)).json
    const stranger = loadSigningKeys(join(t.dir, 'stranger.json'), { create: true })
    const edit = (change: (r: any) => void) => {
      const copy = structuredClone(json)
      change(copy)
      return copy
    }
    const flip = (hex: string) => `${hex.slice(0, -1)}${hex.endsWith('0') ? '1' : '0'}`
    const cases: [string, any, RegExp, RegExp][] = [
      ['a row field', edit((r) => (r.rows[1].at = '2026-01-01T00:00:00.000Z')), /^edited row: access-log row 64 does not match its hash/, /row 64: hash does not match/],
      ['a personal value', edit((r) => (r.rows[1].ip = '2001:db8::2')), /^edited value: the ip of access-log row 64 do not match their commitments/, /row 64: the ip does not match its commitment/],
      ['a salt', edit((r) => (r.rows[0].user_name_salt = flip(r.rows[0].user_name_salt))), /^edited value: the user_name of access-log row 43/, /row 43: the user_name does not match/],
      ['a commitment', edit((r) => (r.rows[0].ip_commitment = flip(r.rows[0].ip_commitment))), /^edited row: access-log row 43 does not match its hash/, /row 43: hash does not match/],
      ['a proof hash', edit((r) => (r.rows[0].proof[2] = flip(r.rows[0].proof[2]))), /^wrong proof: row 43 is not proven/, /row 43: inclusion proof fails/],
      ['a proof cut short', edit((r) => r.rows[0].proof.pop()), /^wrong proof: row 43 is not proven/, /row 43: inclusion proof fails/],
      ['a leaf beyond the tree', edit((r) => (r.checkpoint.treeSize = 40)), /^bad signature: checkpoint \d+ was not signed/, /bad signature: checkpoint/],
      ['the checkpoint root', edit((r) => (r.checkpoint.rootHash = flip(r.checkpoint.rootHash))), /^bad signature: checkpoint/, /bad signature: checkpoint/],
      [
        'a checkpoint signed by another key',
        edit((r) => {
          r.checkpoint.keyId = stranger.current.id
          r.checkpoint.signature = stranger.sign(checkpointText(r.checkpoint))
        }),
        /^unknown key: the checkpoint is signed by key [0-9a-f]{16}, which is not among the trusted public keys/,
        /unknown key/,
      ],
      ['a checkpoint signature forged', edit((r) => (r.checkpoint.signature = stranger.sign(checkpointText(r.checkpoint)))), /^bad signature: checkpoint \d+ was not signed by key/, /bad signature: checkpoint/],
      ['the title', edit((r) => (r.document.title = 'Contrato de venda')), /^the receipt's title does not match the document.published row 2/, /the document or its files do not match the document.published row 2/],
      ['a file hash', edit((r) => (r.document.files[0].sha256 = flip(r.document.files[0].sha256))), /^the receipt's file list does not match the document.published row 2/, /do not match the document.published row 2/],
      ['a file name', edit((r) => (r.document.files[0].name = 'contrato.pdf')), /^the receipt's file list does not match/, /do not match the document.published/],
      ['the due date', edit((r) => (r.document.dueDate = '2027-01-01')), /^the receipt's due date does not match/, /do not match the document.published/],
      ['the client id', edit((r) => (r.client.id = 999)), /^row 2 \(document.published\) is of document \d+ of client \d+, not of document \d+ of client 999/, /row 2: not a publication/],
      ['the client name', edit((r) => (r.client.name = 'Oficina Mecânica')), /^bad signature: the firm's signature does not cover the receipt as it stands/, /bad signature: the receipt was changed/],
      ['the firm', edit((r) => (r.firm.name = 'Outro Escritório')), /^bad signature: the firm's signature/, /bad signature: the receipt/],
      ['the issue time', edit((r) => (r.issuedAt = '2020-01-01T00:00:00.000Z')), /^bad signature: the firm's signature/, /bad signature: the receipt/],
      [
        'a delivery',
        edit((r) => r.deliveries.push({ id: 9, channel: 'email', recipient: 'x@y.com', recipientWithheld: false, createdAt: r.issuedAt, expiresAt: null, revokedAt: null, acceptedByMailServerAt: r.issuedAt, mailServerReply: '250 ok' })),
        /^bad signature: the firm's signature/,
        /bad signature: the receipt/,
      ],
      ['the url', edit((r) => (r.url = `https://outro.example/comprovantes/${r.id}`)), /^the receipt's url https:\/\/outro.example\/comprovantes\/\S+ is not the firm's check page/, /the url is not the firm's check page/],
      [
        'the url and base URL together',
        edit((r) => {
          r.firm.baseUrl = 'https://outro.example'
          r.url = `https://outro.example/comprovantes/${r.id}`
        }),
        /^bad signature: the firm's signature/,
        /bad signature: the receipt/,
      ],
      ['rows of another document', edit((r) => ((r.rows = other.rows.slice(0, 2)), (r.rowIds = other.rowIds.slice(0, 2)))), /^access-log row 3 is an access to document \d+, not to document \d+/, /row 3: not an access to document/],
      ['another document’s publication', edit((r) => (r.publications = other.publications)), /^row 1 \(document.published\) is of document \d+ of client \d+, not of document/, /row 1: not a publication/],
      ['a row deleted', edit((r) => r.rows.splice(0, 1)), /^row 43 of the receipt's list of every access is missing from its rows/, /the rows are not the signed list of every access/],
      ['a row deleted with its id', edit((r) => (r.rows.splice(0, 1), r.rowIds.splice(0, 1))), /^bad signature: the firm's signature/, /bad signature: the receipt/],
      ['the publications deleted', edit((r) => (r.publications = [])), /^bad signature: the firm's signature/, /bad signature: the receipt/],
      ['the scope widened', edit((r) => (r.userId = 5)), /^access-log row 43 is not an access of user 5/, /row 43: not an access to document/],
      ['the receipt signed by another key', edit((r) => (r.signature = { keyId: stranger.current.id, value: stranger.sign(receiptSignedText(r)) })), /^unknown key: the receipt is signed by key/, /unknown key/],
      ['the receipt signature forged', edit((r) => (r.signature.value = stranger.sign(receiptSignedText(r)))), /^bad signature: the firm's signature/, /bad signature: the receipt/],
      ['a float', edit((r) => (r.firm.rate = 1.5)), /^the receipt cannot be put in canonical form: \$\.firm\.rate is 1\.5, not an integer/, /1.5: not an integer/],
    ]
    for (const [i, [name, bad, message, scriptMessage]] of cases.entries()) {
      const path = variant(bad, `bad-${i}.json`)
      const result = await inProcess(['receipts', 'verify', path, '--public-key', publicKey])
      expect([result.code, result.stdout, result.stderr], name).toEqual([1, '', expect.stringMatching(new RegExp(`^confi: the receipt does not verify: ${message.source.slice(1)}`))])
      expect(() => runScript(path), name).toThrow(scriptMessage)
    }
    // Even re-signed by the firm's own key, a header the log contradicts is refused.
    const resigned = resign(edit((r) => (r.document.files[0].sha256 = flip(r.document.files[0].sha256))))
    const path = variant(resigned, 'resigned.json')
    expect((await inProcess(['receipts', 'verify', path, '--public-key', publicKey])).stderr).toMatch(/^confi: the receipt does not verify: the receipt's file list does not match the document.published row 2$/m)
    expect(() => runScript(path)).toThrow(/do not match the document.published row 2/)

    // Re-signed by the firm: a row that is no access placed among the accesses (its format-2
    // `action` is not hashed, so only its `kind` says what it is), and a publication listed twice.
    const signedFalse: [string, any, RegExp, RegExp][] = [
      [
        'the document.published row as a view',
        resign(edit((r) => ((r.rows = [{ ...r.publications[0], action: 'view' }, ...r.rows]), (r.rowIds = [2, ...r.rowIds])))),
        /^confi: the receipt does not verify: access-log row 2 is a document.published row, not an access$/m,
        /row 2: not an access to document/,
      ],
      ['a publication twice', resign(edit((r) => r.publications.push(r.publications[0]))), /^confi: the receipt does not verify: row \d+ \(document\.published\) is out of place: the publications open with the one document\.published row, then document\.changed rows$/m, /row 2: not a publication of document/],
    ]
    for (const [name, bad, message, scriptMessage] of signedFalse) {
      const file = variant(bad, `signed-false-${name.replace(/\W+/g, '-')}.json`)
      expect((await inProcess(['receipts', 'verify', file, '--public-key', publicKey])).stderr, name).toMatch(message)
      expect(() => runScript(file), name).toThrow(scriptMessage)
    }

    // A PDF rebuilt from forged JSON with its QR code to another site.
    const forged = edit((r) => {
      r.firm = { name: 'Outro Escritório', baseUrl: 'https://outro.example' }
      r.url = `https://outro.example/comprovantes/${r.id}`
    })
    const pdf = join(t.dir, 'forged.pdf')
    writeFileSync(pdf, await renderReceiptPdf(forged))
    const result = await confi(['receipts', 'verify', pdf, '--public-key', publicKey])
    expect([result.code, result.stdout, result.stderr]).toEqual([1, '', expect.stringMatching(/^confi: the receipt does not verify: bad signature: the firm's signature/)])
  })

  it('a receipt of version 1 still verifies, for its rows only; a version-2 receipt passed off as one prints no claim', async () => {
    const { json } = await receipt()
    const { publications: _, rowIds: __, signature: ___, userId: ____, ...rest } = json
    const old = { ...rest, version: 1, document: { ...json.document, title: 'Contrato de venda' }, client: { name: 'Oficina', taxId: json.client.taxId } }
    const path = variant(old, 'v1.json')
    const result = await inProcess(['receipts', 'verify', path, '--public-key', publicKey])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toBe(
      `receipt ${json.id} verified: version 1: 2 access-log rows (43, 64) in the access log as signed at ${json.checkpoint.at} (checkpoint ${json.checkpoint.id}, 64 rows, key ${json.checkpoint.keyId})\n` +
        'a version-1 receipt signs nothing else: its document, files, client, firm, deliveries and dates are not verified, and rows may have been left out\n',
    )
    expect(runScript(path)).toMatch(/^2 rows proven in the checkpoint of 64 rows .* \(version 1: nothing else is signed\)\n$/)
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
      const json = JSON.parse(one.stdout)
      // The mail server's reply is new content: a new receipt, not the one issued while queued.
      expect(json.id).not.toBe(JSON.parse(queued.stdout).id)
      expect(json).toMatchObject({
        deliveryId: delivery,
        rows: [],
        rowIds: [],
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
      const verified = await inProcess(['receipts', 'verify', variant(json, 'delivery.json'), '--public-key', publicKey])
      expect(verified.stdout).toContain(`delivery ${delivery} by email to fin@cliente.com.br on ${json.deliveries[0].createdAt}; the mail server accepted it at ${sent.sent_at} (${sent.server_reply})`)
      // The reply is bound by the signature.
      json.deliveries[0].mailServerReply = '250 2.0.0 Ok: queued as FORGED'
      const forged = await inProcess(['receipts', 'verify', variant(json, 'delivery-forged.json'), '--public-key', publicKey])
      expect([forged.code, forged.stderr]).toEqual([1, expect.stringMatching(/^confi: the receipt does not verify: bad signature: the firm's signature/)])
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
      [['receipts', 'verify', variant({ type: 'confi-receipt', version: 2, rows: [], checkpoint: {} }, 'z.json'), '--public-key', publicKey], /^confi: not a confi receipt: a version-2 receipt lacks/],
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
