// Issue 20 part 6: `confi receipts protocol` (the firm's copy of a protocolo de envio), checked
// offline by `confi receipts verify` and by the script of docs/receipts.md, real and tampered.
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { beforeEach, describe, expect, it } from 'vitest'
import { clientUser } from '../../src/core/actors.js'
import { loadSigningKeys } from '../../src/core/proof/keys.js'
import { protocolSignedText } from '../../src/core/proof/protocol-format.js'
import { issueUploadProtocol } from '../../src/core/proof/protocols.js'
import { extractReceiptJson, renderProtocolPdf } from '../../src/core/proof/receipt-pdf/index.js'
import { answerNothingToSend } from '../../src/core/requests/answers.js'
import { receiveUpload } from '../../src/core/uploads/index.js'
import { runCli, runConfi } from '../helpers/cli.js'
import { useTestDatabase } from '../helpers/db.js'
import { makeClient, makeUser, storeOf } from '../helpers/factories.js'
import { multipart, PDF, PNG, type Part } from '../core/uploads/multipart.js'

const t = useTestDatabase({ firm: true })
const ORIGIN = { ip: '203.0.113.7', port: 51000, userAgent: 'Teste/1.0' }
let publicKey: string
let clientId: number
let userId: number
beforeEach(async () => {
  publicKey = loadSigningKeys(t.config.signingKeyFile, { create: true }).current.publicKey
  clientId = (await makeClient(t.db, t.key, { name: 'Padaria Pão Quente Ltda' })).id
  userId = (await makeUser(t.db, { clientId, username: 'ana', name: 'Ana Souza', role: 'admin', active: true })).id
})

function send(parts: Part[]) {
  const form = multipart([{ name: 'empresa', value: String(clientId) }, { name: 'categoria', value: 'contabil' }, ...parts])
  return receiveUpload(t.db, storeOf(t), { userId, requestId: null, body: Readable.from([form.body]), contentType: form.contentType, origin: ORIGIN })
}

const inProcess = (args: string[]) => runCli(args, { env: t.env, cwd: t.dir })
const documentedScript = () =>
  /<!-- verifier:start -->\n```js\n([\s\S]*?)```\n<!-- verifier:end -->/.exec(readFileSync(new URL('../../docs/receipts.md', import.meta.url), 'utf8'))![1]

function runScript(path: string): string {
  const script = join(t.dir, 'verify-receipt.mjs')
  writeFileSync(script, documentedScript())
  return execFileSync(process.execPath, [script, path, publicKey], { encoding: 'utf8', stdio: 'pipe' })
}

function variant(json: unknown, name: string): string {
  const path = join(t.dir, name)
  writeFileSync(path, JSON.stringify(json))
  return path
}

async function protocol(args: string[]): Promise<any> {
  const result = await inProcess(['receipts', 'protocol', ...args, '--json'])
  expect(result.code, result.stderr).toBe(0)
  return JSON.parse(result.stdout)
}

describe(`protocolos de envio at the terminal on ${process.env.CONFI_TEST_DATABASE_URL ? 'PostgreSQL' : 'SQLite'}`, { timeout: 180_000 }, () => {
  it('writes the PDF with the JSON attached; it verifies offline with confi and with the documented script', async () => {
    const uploadId = await send([
      { name: 'nota', value: 'Extratos de novembro' },
      { name: 'arquivos', filename: 'extrato.pdf', content: PDF, type: 'application/pdf' },
      { name: 'arquivos', filename: 'recibo.png', content: PNG, type: 'image/png' },
    ])
    const written = await runConfi(['receipts', 'protocol', '--upload', String(uploadId)], { env: t.env, cwd: t.dir })
    expect([written.code, written.stderr]).toEqual([0, expect.stringMatching(/^protocol \S{22} of upload \d+ \(access-log row \d+\), written to .*protocolo-upload-\d+\.pdf\n$/)])
    const pdf = join(t.dir, `protocolo-upload-${uploadId}.pdf`)
    const json = JSON.parse(await extractReceiptJson(readFileSync(pdf)))
    expect(json).toMatchObject({ type: 'confi-protocol', subject: 'upload', upload: { id: uploadId }, note: 'Extratos de novembro' })
    // Again: the same protocol, and an existing file is never overwritten.
    expect(await protocol(['--upload', String(uploadId)])).toEqual(json)
    const again = await inProcess(['receipts', 'protocol', '--upload', String(uploadId)])
    expect([again.code, again.stderr]).toEqual([1, expect.stringMatching(/^confi: .*protocolo-upload-\d+\.pdf already exists: choose another file with --output/)])

    const offline = { CONFI_DB: join(t.dir, 'nothing.db'), DATABASE_URL: '', CONFI_SIGNING_KEY_FILE: join(t.dir, 'none.json') }
    const verified = await runConfi(['receipts', 'verify', pdf, '--public-key', publicKey], { env: { ...t.env, ...offline }, cwd: t.dir })
    expect(verified.code, verified.stderr).toBe(0)
    const lines = verified.stdout.split('\n')
    expect(lines[0]).toMatch(new RegExp(`^protocol ${json.id} verified: 2 files of upload ${uploadId} received from Padaria Pão Quente Ltda at \\S+ by Ana Souza \\(ana, user ${userId}\\); upload.received row ${json.row.id} is in the access log of `))
    expect(lines).toContain(`  extrato.pdf (application/pdf, ${PDF.length} bytes, SHA-256 ${json.upload.files[0].sha256})`)
    const path = variant(json, 'protocol.json')
    expect(runScript(path)).toBe(
      `upload.received row ${json.row.id} (Padaria Pão Quente Ltda, ${json.row.at}, by Ana Souza (ana)) proven in the checkpoint of ${json.checkpoint.treeSize} rows signed ${json.checkpoint.at} by key ${json.checkpoint.keyId}; the whole protocol signed by key ${json.signature.keyId}\n`,
    )
  })

  it('refuses a tampered protocol, naming the first claim that fails, with confi and with the documented script', async () => {
    const uploadId = await send([{ name: 'nota', value: 'Extratos' }, { name: 'arquivos', filename: 'extrato.pdf', content: PDF, type: 'application/pdf' }])
    const otherId = await send([{ name: 'arquivos', filename: 'recibo.png', content: PNG, type: 'image/png' }])
    const json = await protocol(['--upload', String(uploadId)])
    const other = await protocol(['--upload', String(otherId)])
    const stranger = loadSigningKeys(join(t.dir, 'stranger.json'), { create: true })
    const keys = loadSigningKeys(t.config.signingKeyFile)
    const edit = (change: (p: any) => void) => {
      const copy = structuredClone(json)
      change(copy)
      return copy
    }
    const resign = (p: any) => ({ ...p, signature: { keyId: keys.current.id, value: keys.sign(protocolSignedText(p)) } })
    const flip = (hex: string) => `${hex.slice(0, -1)}${hex.endsWith('0') ? '1' : '0'}`
    const row = json.row.id
    const cases: [string, any, RegExp, RegExp][] = [
      ['a file hash', edit((p) => (p.upload.files[0].sha256 = flip(p.upload.files[0].sha256))), new RegExp(`^the protocol's file list does not match the upload.received row ${row}`), /the protocol does not match the upload.received row/],
      ['a file hash, re-signed by the firm', resign(edit((p) => (p.upload.files[0].sha256 = flip(p.upload.files[0].sha256)))), /^the protocol's file list does not match/, /the protocol does not match the upload.received row/],
      ['a file name', edit((p) => (p.upload.files[0].name = 'contrato.pdf')), /^bad signature: the firm's signature does not cover the protocol as it stands/, /bad signature: the receipt was changed/],
      ['the note', edit((p) => (p.note = 'Outra coisa')), /^bad signature: the firm's signature/, /bad signature: the receipt was changed/],
      ['the sender', edit((p) => (p.row.user_name = 'Beatriz Lima')), new RegExp(`^edited value: the user_name of access-log row ${row} do not match their commitments`), new RegExp(`row ${row}: the user_name does not match its commitment`)],
      ['the row of another upload', edit((p) => (p.row = other.row)), new RegExp(`^the protocol's upload does not match the upload.received row ${other.row.id}`), /the protocol does not match the upload.received row/],
      ['a forged signature', edit((p) => (p.signature.value = stranger.sign(protocolSignedText(p)))), /^bad signature: the firm's signature/, /bad signature: the receipt was changed/],
      ['signed by another key', edit((p) => (p.signature = { keyId: stranger.current.id, value: stranger.sign(protocolSignedText(p)) })), /^unknown key: the protocol is signed by key/, /unknown key/],
      ['a leaf beyond the tree', edit((p) => (p.row.proof = [])), new RegExp(`^wrong proof: row ${row} is not proven`), new RegExp(`row ${row}: (inclusion proof fails|not in a tree)`)],
      ['the kind', edit((p) => (p.subject = 'paid')), /^row \d+ is a upload.received row, not the document.paid row/, /not the document.paid row of client/],
    ]
    for (const [i, [name, bad, message, scriptMessage]] of cases.entries()) {
      const path = variant(bad, `bad-${i}.json`)
      const result = await inProcess(['receipts', 'verify', path, '--public-key', publicKey])
      expect([result.code, result.stdout, result.stderr], name).toEqual([1, '', expect.stringMatching(new RegExp(`^confi: the protocol does not verify: ${message.source.slice(1)}`))])
      expect(() => runScript(path), name).toThrow(scriptMessage)
    }
  })

  it("a colleague's copy without the sender's IP, port and browser verifies, worded apart from an erasure; a forged withheld list does not", async () => {
    const uploadId = await send([{ name: 'arquivos', filename: 'extrato.pdf', content: PDF, type: 'application/pdf' }])
    const bia = (await makeUser(t.db, { clientId, username: 'bia', name: 'Bia Lima', role: 'collaborator', active: true })).id
    const keys = loadSigningKeys(t.config.signingKeyFile)
    const held: any = await issueUploadProtocol(t.db, keys, clientUser(bia), uploadId)
    const full = await protocol(['--upload', String(uploadId)])
    expect(full).not.toHaveProperty('withheld')
    expect(full.row).toMatchObject({ ip: ORIGIN.ip, port: ORIGIN.port, user_agent: ORIGIN.userAgent })
    expect(held.withheld).toEqual({ fields: ['ip', 'port', 'user_agent'], reason: 'another_person' })
    const pdf = join(t.dir, 'protocolo-colega.pdf')
    writeFileSync(pdf, await renderProtocolPdf(held))
    const verified = await inProcess(['receipts', 'verify', pdf, '--public-key', publicKey])
    expect(verified.code, verified.stderr).toBe(0)
    expect(verified.stdout).toContain(`by Ana Souza (ana, user ${userId});`)
    expect(verified.stdout).toContain("from IP not included (another person's), port not included (another person's), browser not included (another person's)\n")
    expect(verified.stdout).toContain('3 personal values not included (ip, port, user_agent)')
    for (const value of [ORIGIN.ip, ORIGIN.userAgent, 'erased']) expect(verified.stdout).not.toContain(value)
    const suffix = `; the whole protocol signed by key ${held.signature.keyId}`
    expect(runScript(variant(held, 'held.json'))).toMatch(new RegExp(`by Ana Souza \\(ana\\)\\) proven .*${suffix}; not included \\(another person's\\): ip, port, user_agent\n$`))

    // Signed again by the firm without the list (as an erasure's re-signed copy): erased, not withheld.
    const resign = (p: any) => ({ ...p, signature: { keyId: keys.current.id, value: keys.sign(protocolSignedText(p)) } })
    const { withheld: _, ...unlisted } = structuredClone(held)
    const erased = await inProcess(['receipts', 'verify', variant(resign(unlisted), 'unlisted.json'), '--public-key', publicKey])
    expect(erased.stdout).toContain('from IP erased (LGPD), port erased (LGPD), browser erased (LGPD)')
    expect(runScript(variant(resign(unlisted), 'unlisted.json'))).toMatch(/; erased \(LGPD\): ip, port, user_agent\n$/)

    const edit = (from: any, change: (p: any) => void) => {
      const copy = structuredClone(from)
      change(copy)
      return copy
    }
    const row = full.row.id
    const listing = (p: any) => (p.withheld = { fields: ['ip'], reason: 'another_person' })
    const cases: [string, any, RegExp, RegExp][] = [
      ['a list naming a value the row holds', edit(full, listing), new RegExp(`^the protocol lists the ip as withheld, but access-log row ${row} holds it`), /the withheld list does not match row/],
      ['the same, signed by the firm', resign(edit(full, listing)), /^the protocol lists the ip as withheld, but access-log row \d+ holds it/, /the withheld list does not match row/],
      ['the list taken away', edit(held, (p) => delete p.withheld), /^bad signature: the firm's signature/, /bad signature: the receipt was changed/],
      ['a value removed without being listed', edit(full, (p) => ((p.row.ip = null), (p.row.ip_salt = null))), /^bad signature: the firm's signature/, /bad signature: the receipt was changed/],
      ['a list naming the sender', resign(edit(held, (p) => p.withheld.fields.push('username'))), /^the protocol's withheld list names "username", which a protocol does not withhold/, /the withheld list does not match row/],
      ['a field never recorded', resign(edit(held, (p) => p.withheld.fields.push('recipient'))), new RegExp(`^the protocol lists the recipient as withheld, but access-log row ${row} has no recipient`), /the withheld list does not match row/],
      ['another reason', resign(edit(held, (p) => (p.withheld.reason = 'firm'))), /^the protocol's list of withheld values is not one a protocol holds/, /the withheld list does not match row/],
      ['an empty list', resign(edit(held, (p) => (p.withheld = { fields: [], reason: 'another_person' }))), /^the protocol's list of withheld values is not one/, /the withheld list does not match row/],
    ]
    for (const [i, [name, bad, message, scriptMessage]] of cases.entries()) {
      const path = variant(bad, `held-${i}.json`)
      const result = await inProcess(['receipts', 'verify', path, '--public-key', publicKey])
      expect([result.code, result.stdout, result.stderr], name).toEqual([1, '', expect.stringMatching(new RegExp(`^confi: the protocol does not verify: ${message.source.slice(1)}`))])
      expect(() => runScript(path), name).toThrow(scriptMessage)
      // Even asked for everything it found, it never prints a value the list says is withheld.
      const json = await inProcess(['receipts', 'verify', path, '--public-key', publicKey, '--json'])
      if (bad.withheld?.fields?.includes('ip')) expect(json.stdout, name).not.toContain(ORIGIN.ip)
    }
  })

  it('"nada a enviar" and usage errors', async () => {
    const at = new Date().toISOString()
    const { id } = await t.db
      .insertInto('requests')
      .values({ client_id: clientId, template_id: null, title: 'Extrato bancário', category: 'contabil', competence: '2026-11', due_date: '2026-12-05', note: null, status: 'open', created_at: at, created_by: 'cli:test', updated_at: at } as never)
      .returning('id')
      .executeTakeFirstOrThrow()
    const missing = await inProcess(['receipts', 'protocol', '--request', String(id)])
    expect([missing.code, missing.stderr]).toEqual([1, expect.stringMatching(/^confi: request \d+ was never answered "nada a enviar"/)])
    await answerNothingToSend(t.db, userId, Number(id), { note: 'Sem movimento', origin: ORIGIN })
    const json = await protocol(['--request', String(id)])
    expect(json).toMatchObject({ subject: 'nothing_to_send', note: 'Sem movimento', request: { title: 'Extrato bancário' } })
    expect(runScript(variant(json, 'nada.json'))).toMatch(/^request.nothing_to_send row \d+ \(Padaria Pão Quente Ltda, \S+, by Ana Souza \(ana\)\) proven/)
    const none = await inProcess(['receipts', 'protocol'])
    expect([none.code, none.stderr]).toEqual([1, "confi: name what the protocol is of: exactly one of --upload ID, --request ID or --paid DOC\n"])
    const two = await inProcess(['receipts', 'protocol', '--upload', '1', '--paid', '2'])
    expect(two.code).toBe(1)
    const notAnId = await inProcess(['receipts', 'protocol', '--upload', 'abc'])
    expect(notAnId.code).toBe(2)
  })
})
