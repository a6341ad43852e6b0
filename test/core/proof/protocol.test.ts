// Issue 20 part 6, the protocolo de envio: the client's signed proof of an upload, a "nada a
// enviar" and a paid mark, anchored on the act's log row, verifiable offline like a receipt.
import { Readable } from 'node:stream'
import { beforeEach, describe, expect, it } from 'vitest'
import { recordAccess } from '../../../src/core/access-log/chain/append.js'
import { accountant, clientUser } from '../../../src/core/actors.js'
import { markPaid, unmarkPaid } from '../../../src/core/documents/payments.js'
import { NotFoundError } from '../../../src/core/errors.js'
import { disableUser } from '../../../src/core/identity/users.js'
import { setVisibility } from '../../../src/core/identity/visibility.js'
import { createCheckpoint } from '../../../src/core/proof/checkpoints.js'
import { loadSigningKeys, type SigningKeys } from '../../../src/core/proof/keys.js'
import type { Protocol } from '../../../src/core/proof/protocol-format.js'
import { parseAnyReceipt, verifyAnyReceipt, verifyProtocol } from '../../../src/core/proof/protocol-verify.js'
import { issueNothingToSendProtocol, issuePaidProtocol, issueUploadProtocol } from '../../../src/core/proof/protocols.js'
import { extractReceiptJson, renderProtocolPdf } from '../../../src/core/proof/receipt-pdf/index.js'
import { recheckReceipt } from '../../../src/core/proof/receipts.js'
import { answerNothingToSend } from '../../../src/core/requests/answers.js'
import { acceptUpload, receiveUpload } from '../../../src/core/uploads/index.js'
import { addDays, localDate } from '../../../src/core/time.js'
import { useTestDatabase } from '../../helpers/db.js'
import { ACCOUNTANT, makeClient, makeDocument, makeUser, storeOf } from '../../helpers/factories.js'
import { multipart, PDF, PNG, type Part } from '../uploads/multipart.js'

const t = useTestDatabase({ firm: true })
const ORIGIN = { ip: '203.0.113.7', port: 51000, userAgent: 'Teste/1.0' }
const backend = process.env.CONFI_TEST_DATABASE_URL ? 'PostgreSQL' : 'SQLite'
let keys: SigningKeys
beforeEach(() => {
  keys = loadSigningKeys(t.config.signingKeyFile, { create: true })
})

async function world() {
  const client = await makeClient(t.db, t.key, { name: 'Padaria Pão Quente Ltda', taxId: '11222333000181' })
  const admin = await makeUser(t.db, { clientId: client.id, username: 'ana', name: 'Ana Souza', role: 'admin', active: true })
  const noContabil = await makeUser(t.db, { clientId: client.id, username: 'caio', role: 'collaborator', active: true })
  await setVisibility(t.db, ACCOUNTANT, noContabil.id, { hiddenCategories: ['contabil'], hiddenCompanyIds: [] })
  const pending = await makeUser(t.db, { clientId: client.id, username: 'duda', role: 'collaborator', active: false })
  const disabled = await makeUser(t.db, { clientId: client.id, username: 'edu', role: 'admin', active: true })
  await disableUser(t.db, ACCOUNTANT, disabled.id)
  const other = await makeClient(t.db, t.key, { name: 'Oficina Ltda' })
  const stranger = await makeUser(t.db, { clientId: other.id, username: 'gil', role: 'admin', active: true })
  return { client, admin, noContabil, pending, disabled, other, stranger }
}

async function addRequest(clientId: number, title = 'Extrato bancário'): Promise<number> {
  const at = new Date().toISOString()
  const row = await t.db
    .insertInto('requests')
    .values({ client_id: clientId, template_id: null, title, category: 'contabil', competence: '2026-11', due_date: '2026-12-05', note: null, status: 'open', created_at: at, created_by: 'cli:test', updated_at: at } as never)
    .returning('id')
    .executeTakeFirstOrThrow()
  return Number(row.id)
}

function send(userId: number, parts: Part[], requestId: number | null = null) {
  const form = multipart(parts)
  return receiveUpload(t.db, storeOf(t), { userId, requestId, body: Readable.from([form.body]), contentType: form.contentType, origin: ORIGIN })
}

const twoFiles = (clientId: number): Part[] => [
  { name: 'empresa', value: String(clientId) },
  { name: 'categoria', value: 'contabil' },
  { name: 'nota', value: 'Extratos de novembro' },
  { name: 'arquivos', filename: 'extrato.pdf', content: PDF, type: 'application/pdf' },
  { name: 'arquivos', filename: 'recibo.png', content: PNG, type: 'image/png' },
]

const edit = (p: Protocol, change: (copy: any) => void): Protocol => {
  const copy = structuredClone(p)
  change(copy)
  return copy
}

describe(`the protocolo de envio of an upload on ${backend}`, () => {
  it('binds the upload.received row with its proof, the sender with salts, and the names and note under the signature', async () => {
    const w = await world()
    const uploadId = await send(w.admin.id, twoFiles(w.client.id))
    const p = await issueUploadProtocol(t.db, keys, clientUser(w.admin.id), uploadId)
    expect(p).toMatchObject({
      type: 'confi-protocol',
      version: 1,
      subject: 'upload',
      client: { id: w.client.id, name: 'Padaria Pão Quente Ltda', taxId: '11222333000181' },
      note: 'Extratos de novembro',
      upload: { id: uploadId, category: 'contabil', files: [{ name: 'extrato.pdf', mediaType: 'application/pdf' }, { name: 'recibo.png', mediaType: 'image/png' }] },
      request: null,
      payment: null,
      row: { format: 2, kind: 'upload.received', client_id: w.client.id, user_id: w.admin.id, user_name: 'Ana Souza', username: 'ana', ip: '203.0.113.7', port: 51000 },
      url: `http://localhost:3000/comprovantes/${p.id}`,
    })
    expect(p.row.user_name_salt).toMatch(/^[0-9a-f]{32}$/)
    expect(p.checkpoint.treeSize).toBeGreaterThanOrEqual(Number(p.row.id))
    const check = verifyProtocol(p, keys.all)
    expect(check).toMatchObject({ ok: true, problems: [] })
    expect(check.summary).toMatch(new RegExp(`^2 files of upload ${uploadId} received from Padaria Pão Quente Ltda at \\S+ by Ana Souza \\(ana, user ${w.admin.id}\\); upload.received row ${p.row.id} is in the access log of `))
    expect(check.details).toContain(`  extrato.pdf (application/pdf, ${PDF.length} bytes, SHA-256 ${p.upload!.files[0].sha256})`)
    expect(check.details).toContain('note as the firm signed it: "Extratos de novembro"')
    expect(check.details).toContain('from IP 203.0.113.7, port 51000, browser Teste/1.0')

    // Asked again, by the firm too, and after the log grew and a new checkpoint: the same protocol.
    expect(await issueUploadProtocol(t.db, keys, clientUser(w.admin.id), uploadId)).toEqual(p)
    const doc = await makeDocument(t, w.client.id)
    await recordAccess(t.db, { documentId: doc.id, clientId: w.client.id, channel: 'link', action: 'view', ip: '203.0.113.9' })
    await createCheckpoint(t.db, keys)
    expect(await issueUploadProtocol(t.db, keys, accountant('test'), uploadId)).toEqual(p)
    const stored = await t.db.selectFrom('receipts').select(['public_id', 'subject', 'document_id', 'upload_id', 'request_id', 'log_id']).execute()
    expect(stored.map((r) => ({ ...r, upload_id: Number(r.upload_id), log_id: Number(r.log_id) }))).toEqual([
      { public_id: p.id, subject: 'upload', document_id: null, upload_id: uploadId, request_id: null, log_id: Number(p.row.id) },
    ])

    // The PDF carries the JSON; the portal's check page re-checks it against the database.
    const pdf = await renderProtocolPdf(p)
    expect(parseAnyReceipt(await extractReceiptJson(pdf))).toEqual(p)
    expect((await recheckReceipt(t.db, keys.all, p.id))?.check).toMatchObject({ ok: true, problems: [] })

    // The firm accepting it under another category leaves the protocol as it was received.
    await acceptUpload(t.db, ACCOUNTANT, uploadId, 'fiscal')
    expect((await issueUploadProtocol(t.db, keys, accountant('test'), uploadId)).upload!.category).toBe('contabil')
  })

  it('refuses every forged claim, naming the first that fails', async () => {
    const w = await world()
    const uploadId = await send(w.admin.id, twoFiles(w.client.id))
    const requestId = await addRequest(w.client.id)
    const otherUpload = await send(w.admin.id, [{ name: 'arquivos', filename: 'outro.pdf', content: Buffer.from('%PDF-1.4\nother\n%%EOF\n'), type: 'application/pdf' }], requestId)
    const p = await issueUploadProtocol(t.db, keys, clientUser(w.admin.id), uploadId)
    const other = await issueUploadProtocol(t.db, keys, clientUser(w.admin.id), otherUpload)
    const stranger = loadSigningKeys(`${t.config.signingKeyFile}.stranger.json`, { create: true })
    const resign = (q: Protocol): Protocol => {
      const { signature: _, ...body } = q
      return { ...q, signature: { keyId: keys.current.id, value: keys.sign(JSON.stringify(sortKeys(body))) } }
    }
    const row = Number(p.row.id)
    const first = (q: Protocol) => verifyAnyReceipt(q, keys.all).problems[0]
    expect(first(edit(p, (q) => (q.upload.files[0].sha256 = 'f'.repeat(64))))).toBe(`the protocol's file list does not match the upload.received row ${row}`)
    // Even re-signed by the firm's key, a hash the log does not hold is refused: the row binds it.
    expect(first(resign(edit(p, (q) => (q.upload.files[0].sha256 = 'f'.repeat(64)))))).toBe(`the protocol's file list does not match the upload.received row ${row}`)
    expect(first(edit(p, (q) => q.upload.files.reverse()))).toBe(`the protocol's file list does not match the upload.received row ${row}`)
    expect(first(edit(p, (q) => (q.upload.files[0].name = 'outro.pdf')))).toMatch(/^bad signature: the firm's signature does not cover the protocol as it stands/)
    expect(first(edit(p, (q) => (q.note = 'Nada disso')))).toMatch(/^bad signature: /)
    expect(first(edit(p, (q) => (q.client.taxId = '99888777000166')))).toMatch(/^bad signature: /)
    expect(first(edit(p, (q) => (q.row.user_name = 'Beatriz')))).toBe(`edited value: the user_name of access-log row ${row} do not match their commitments`)
    expect(first(edit(p, (q) => (q.row.ip = '198.51.100.1')))).toBe(`edited value: the ip of access-log row ${row} do not match their commitments`)
    expect(first(edit(p, (q) => (q.row = other.row)))).toBe(`the protocol's upload does not match the upload.received row ${other.row.id}`)
    expect(first(edit(p, (q) => (q.row.at = '2026-01-01T00:00:00.000Z')))).toBe(`edited row: access-log row ${row} does not match its hash`)
    expect(first(edit(p, (q) => (q.subject = 'paid')))).toMatch(/^row \d+ is a upload.received row, not the document.paid row/)
    expect(first(edit(p, (q) => (q.client.id = w.other.id)))).toBe(`row ${row} (upload.received) is of client ${w.client.id}, not of the protocol's client ${w.other.id}`)
    expect(first(edit(p, (q) => (q.checkpoint.treeSize = row - 1)))).toMatch(/^bad signature: checkpoint/)
    expect(first(edit(p, (q) => (q.signature.value = stranger.sign('x'))))).toMatch(/^bad signature: the firm's signature/)
    const forged = edit(p, (q) => (q.signature = { keyId: stranger.current.id, value: stranger.sign('x') }))
    expect(first(forged)).toBe(`unknown key: the protocol is signed by key ${stranger.current.id}, which is not among the trusted public keys`)
    expect(verifyAnyReceipt(p, stranger.all).problems[0]).toMatch(/^unknown key: the checkpoint is signed by key/)
    expect(first(edit(p, (q) => (q.url = 'https://evil.example/comprovantes/x')))).toMatch(/^the protocol's url https:\/\/evil.example/)
  })

  it('only those who may see the upload get its protocol; anyone else learns nothing', async () => {
    const w = await world()
    const uploadId = await send(w.admin.id, twoFiles(w.client.id))
    for (const who of [w.noContabil, w.stranger]) {
      await expect(issueUploadProtocol(t.db, keys, clientUser(who.id), uploadId)).rejects.toBeInstanceOf(NotFoundError)
    }
    for (const who of [w.pending, w.disabled]) {
      await expect(issueUploadProtocol(t.db, keys, clientUser(who.id), uploadId)).rejects.toThrow(/only active users/)
    }
    await expect(issueUploadProtocol(t.db, keys, accountant('test'), uploadId + 100)).rejects.toBeInstanceOf(NotFoundError)
    expect(await t.db.selectFrom('receipts').select('id').execute()).toEqual([])
  })
})

describe(`the protocolo de envio of a "nada a enviar" and of a paid mark on ${backend}`, () => {
  it('a "nada a enviar" with its note, for those who may answer the request', async () => {
    const w = await world()
    const requestId = await addRequest(w.client.id)
    await expect(issueNothingToSendProtocol(t.db, keys, clientUser(w.admin.id), requestId)).rejects.toThrow(/was never answered "nada a enviar"/)
    await answerNothingToSend(t.db, w.admin.id, requestId, { note: 'Sem movimento em novembro', origin: ORIGIN })
    const p = await issueNothingToSendProtocol(t.db, keys, clientUser(w.admin.id), requestId)
    expect(p).toMatchObject({ subject: 'nothing_to_send', note: 'Sem movimento em novembro', request: { id: requestId, title: 'Extrato bancário', competence: '2026-11' }, upload: null, payment: null, row: { kind: 'request.nothing_to_send', user_name: 'Ana Souza' } })
    const check = verifyProtocol(p, keys.all)
    expect(check).toMatchObject({ ok: true, problems: [] })
    expect(check.summary).toMatch(new RegExp(`^"nada a enviar" for request ${requestId} \\("Extrato bancário"\\) answered for Padaria Pão Quente Ltda at \\S+ by Ana Souza`))
    expect(await issueNothingToSendProtocol(t.db, keys, accountant('test'), requestId)).toEqual(p)
    expect(verifyProtocol(edit(p, (q) => (q.request.title = 'Outro pedido')), keys.all).problems[0]).toBe(`the protocol's request title does not match the request.nothing_to_send row ${p.row.id}`)
    expect(verifyProtocol(edit(p, (q) => (q.note = 'Havia sim')), keys.all).problems[0]).toMatch(/^bad signature: /)
    for (const who of [w.noContabil, w.stranger, w.pending]) {
      await expect(issueNothingToSendProtocol(t.db, keys, clientUser(who.id), requestId)).rejects.toBeInstanceOf(NotFoundError)
    }
    const [stored] = await t.db.selectFrom('receipts').select(['subject', 'request_id', 'document_id', 'upload_id']).execute()
    expect({ ...stored, request_id: Number(stored.request_id) }).toEqual({ subject: 'nothing_to_send', request_id: requestId, document_id: null, upload_id: null })
  })

  it('a paid mark, by the client or the firm; none once unmarked', async () => {
    const w = await world()
    const das = await makeDocument(t, w.client.id, { title: 'DAS', competence: '2026-11', dueDate: addDays(localDate(), 3) })
    await expect(issuePaidProtocol(t.db, keys, clientUser(w.admin.id), das.id)).rejects.toThrow(/is not marked paid/)
    await markPaid(t.db, clientUser(w.admin.id), das.id, { paidOn: localDate(), origin: ORIGIN })
    const p = await issuePaidProtocol(t.db, keys, clientUser(w.admin.id), das.id)
    expect(p).toMatchObject({ subject: 'paid', note: null, payment: { document: { id: das.id, title: 'DAS' }, paidOn: localDate(), by: 'client', proofUploadId: null }, row: { kind: 'document.paid', document_id: das.id } })
    expect(verifyProtocol(p, keys.all)).toMatchObject({ ok: true, problems: [] })
    expect(verifyProtocol(edit(p, (q) => (q.payment.paidOn = '2020-01-01')), keys.all).problems[0]).toBe(`the protocol's payment date does not match the document.paid row ${p.row.id}`)
    expect(verifyProtocol(edit(p, (q) => (q.payment.document.id = das.id + 1)), keys.all).problems[0]).toBe(`the protocol's guide does not match the document.paid row ${p.row.id}`)
    await expect(issuePaidProtocol(t.db, keys, clientUser(w.stranger.id), das.id)).rejects.toBeInstanceOf(NotFoundError)

    await unmarkPaid(t.db, ACCOUNTANT, das.id)
    await expect(issuePaidProtocol(t.db, keys, clientUser(w.admin.id), das.id)).rejects.toThrow(/is not marked paid/)
    await markPaid(t.db, ACCOUNTANT, das.id, { paidOn: localDate() })
    const firm = await issuePaidProtocol(t.db, keys, clientUser(w.admin.id), das.id)
    expect(firm.payment).toMatchObject({ by: 'firm' })
    expect(Number(firm.row.id)).toBeGreaterThan(Number(p.row.id))
    expect(verifyProtocol(firm, keys.all).summary).toMatch(/ by the firm; document.paid row/)
  })
})

describe(`a protocol for someone other than the person who acted on ${backend}`, () => {
  it('withholds the IP, port and browser of "nada a enviar" and paid marks from a colleague; the actor and the firm get them', async () => {
    const w = await world()
    const bia = await makeUser(t.db, { clientId: w.client.id, username: 'bia', name: 'Bia Lima', role: 'collaborator', active: true })
    const requestId = await addRequest(w.client.id)
    await answerNothingToSend(t.db, w.admin.id, requestId, { note: 'Sem movimento', origin: ORIGIN })
    const das = await makeDocument(t, w.client.id, { title: 'DAS', competence: '2026-11', dueDate: addDays(localDate(), 3) })
    await markPaid(t.db, clientUser(w.admin.id), das.id, { paidOn: localDate(), origin: ORIGIN })
    type Holder = Parameters<typeof issuePaidProtocol>[2]
    for (const issue of [(a: Holder) => issueNothingToSendProtocol(t.db, keys, a, requestId), (a: Holder) => issuePaidProtocol(t.db, keys, a, das.id)]) {
      const own = await issue(clientUser(w.admin.id))
      expect(own).not.toHaveProperty('withheld')
      expect(own.row).toMatchObject({ ip: ORIGIN.ip, port: ORIGIN.port, user_agent: ORIGIN.userAgent })
      expect(await issue(accountant('test'))).toEqual(own)
      const held = await issue(clientUser(bia.id))
      expect(held.withheld).toEqual({ fields: ['ip', 'port', 'user_agent'], reason: 'another_person' })
      expect(held.row).toMatchObject({ user_name: 'Ana Souza', username: 'ana', ip: null, ip_salt: null, port: null, port_salt: null, user_agent: null, user_agent_salt: null })
      expect(JSON.stringify(held)).not.toContain(ORIGIN.userAgent)
      expect(verifyProtocol(held, keys.all)).toMatchObject({ ok: true, problems: [] })
      expect(held.id).not.toBe(own.id)
    }
    // The firm's own mark holds no one's values: nothing to withhold, one copy for everyone.
    await unmarkPaid(t.db, ACCOUNTANT, das.id)
    await markPaid(t.db, ACCOUNTANT, das.id, { paidOn: localDate() })
    const firm = await issuePaidProtocol(t.db, keys, clientUser(bia.id), das.id)
    expect(firm).not.toHaveProperty('withheld')
    expect(await issuePaidProtocol(t.db, keys, clientUser(w.admin.id), das.id)).toEqual(firm)
  })
})

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (value === null || typeof value !== 'object') return value
  return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]))
}
