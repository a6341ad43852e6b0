import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { ForbiddenError, NotFoundError, ConflictError } from '../../../src/core/errors.js'
import { setVisibility } from '../../../src/core/identity/visibility.js'
import { disableUser } from '../../../src/core/identity/users.js'
import { acceptedMediaType, cleanFileName } from '../../../src/core/uploads/file-types.js'
import {
  acceptUpload,
  getInboxUpload,
  getUploadForUser,
  listInbox,
  receiveUpload,
  rejectUpload,
  saveUploadFiles,
  UploadRefusedError,
} from '../../../src/core/uploads/index.js'
import { addGroupMembers } from '../../../src/core/clients/groups.js'
import { useTestDatabase } from '../../helpers/db.js'
import { ACCOUNTANT, makeClient, makeUser, storeOf } from '../../helpers/factories.js'
import { CSV, cutStream, EXE, HEIC, JPEG, multipart, OFX, PDF, PNG, XLSX, XML, type Part } from './multipart.js'

const t = useTestDatabase({ firm: true })
const ORIGIN = { ip: '203.0.113.7', port: 51000, userAgent: 'Teste/1.0' }

async function world() {
  const client = await makeClient(t.db, t.key, { name: 'Padaria Pão Quente Ltda' })
  const admin = await makeUser(t.db, { clientId: client.id, username: 'ana', role: 'admin', active: true, email: 'ana@padaria.com.br' })
  return { client, admin }
}

async function addRequest(clientId: number, category = 'contabil', status: 'open' | 'cancelled' = 'open'): Promise<number> {
  const at = new Date().toISOString()
  const row = await t.db
    .insertInto('requests')
    .values({ client_id: clientId, template_id: null, title: 'Extrato bancário', category, competence: '2026-11', due_date: '2026-12-05', note: null, status, created_at: at, created_by: 'cli:test', updated_at: at } as never)
    .returning('id')
    .executeTakeFirstOrThrow()
  return Number(row.id)
}

function send(userId: number, parts: Part[], requestId: number | null = null, body?: Readable) {
  const form = multipart(parts)
  return receiveUpload(t.db, storeOf(t), {
    userId,
    requestId,
    body: body ?? Readable.from([form.body]),
    contentType: form.contentType,
    origin: ORIGIN,
  })
}

const general = (clientId: number, files: Part[], category = 'contabil'): Part[] => [
  { name: 'empresa', value: String(clientId) },
  { name: 'categoria', value: category },
  { name: 'nota', value: 'Extratos de novembro' },
  ...files,
]

function storedFiles(): string[] {
  const dir = join(t.config.dataDir, 'files')
  if (!existsSync(dir)) return []
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name)
}

async function counts() {
  const n = async (table: 'uploads' | 'upload_files') => Number((await t.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)
  const logged = await t.db.selectFrom('access_log').select('id').where('kind', 'like', 'upload.%').execute()
  return { uploads: await n('uploads'), files: await n('upload_files'), logged: logged.length }
}

async function refusal(promise: Promise<unknown>): Promise<UploadRefusedError> {
  const error = await promise.then(() => null, (e: unknown) => e)
  expect(error).toBeInstanceOf(UploadRefusedError)
  return error as UploadRefusedError
}

describe('accepted types, by content', () => {
  it('recognises each accepted type and refuses the rest', () => {
    expect(acceptedMediaType(PDF)).toBe('application/pdf')
    expect(acceptedMediaType(JPEG)).toBe('image/jpeg')
    expect(acceptedMediaType(PNG)).toBe('image/png')
    expect(acceptedMediaType(HEIC)).toBe('image/heic')
    expect(acceptedMediaType(XML)).toBe('application/xml')
    expect(acceptedMediaType(OFX)).toBe('application/x-ofx')
    expect(acceptedMediaType(Buffer.from('<?xml version="1.0"?>\n<?OFX OFXHEADER="200"?><OFX/>'))).toBe('application/x-ofx')
    expect(acceptedMediaType(CSV)).toBe('text/csv')
    expect(acceptedMediaType(XLSX)).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
    expect(acceptedMediaType(EXE)).toBeNull()
    expect(acceptedMediaType(Buffer.from('PK\x03\x04 just a zip file.txt'))).toBeNull()
    expect(acceptedMediaType(Buffer.from('GIF89a......'))).toBeNull()
    expect(acceptedMediaType(Buffer.from('just words without separators'))).toBeNull()
  })

  it('cleans file names: no path, no control or bidi characters, an extension matching the content, a length cap', () => {
    expect(cleanFileName('C:\\Users\\ana\\extrato.pdf', 'application/pdf')).toBe('extrato.pdf')
    expect(cleanFileName('../../etc/passwd', 'text/csv')).toBe('passwd.csv')
    expect(cleanFileName('fdp\u202Eexe.pdf', 'application/pdf')).toBe('fdpexe.pdf')
    expect(cleanFileName('nota\u0007.xml', 'application/xml')).toBe('nota.xml')
    expect(cleanFileName('virus.exe', 'application/pdf')).toBe('virus.exe.pdf')
    expect(cleanFileName('', 'image/png')).toBe('arquivo.png')
    expect(cleanFileName('a:b?.pdf', 'application/pdf')).toBe('a_b_.pdf')
    const long = cleanFileName(`${'x'.repeat(300)}.pdf`, 'application/pdf')
    expect(long.length).toBe(120)
    expect(long.endsWith('.pdf')).toBe(true)
  })
})

describe('receiving an upload', () => {
  it('stores the files and writes the upload, its files and upload.received in one go', async () => {
    const { client, admin } = await world()
    const id = await send(admin.id, general(client.id, [
      { name: 'arquivos', filename: 'extrato.pdf', content: PDF },
      { name: 'arquivos', filename: 'planilha', content: CSV },
    ]))
    const upload = await getInboxUpload(t.db, id)
    expect(upload).toMatchObject({ clientId: client.id, requestId: null, category: 'contabil', note: 'Extratos de novembro', status: 'received' })
    expect(upload.files.map((f) => [f.name, f.mediaType, f.size])).toEqual([
      ['extrato.pdf', 'application/pdf', PDF.length],
      ['planilha.csv', 'text/csv', CSV.length],
    ])
    const row = await t.db.selectFrom('access_log').selectAll().where('kind', '=', 'upload.received').executeTakeFirstOrThrow()
    expect(row.format).toBe(2)
    expect(Number(row.client_id)).toBe(client.id)
    expect(row.channel).toBe('portal')
    expect(JSON.parse(row.details!)).toEqual({
      category: 'contabil',
      files: upload.files.map((f) => ({ file_id: f.id, media_type: f.mediaType, sha256: f.sha256, size: f.size })),
      request_id: null,
      upload_id: id,
    })
    // Who and from where are committed, never in the row; names and notes never in details.
    expect(row.username).toBeNull()
    expect(row.ip).toBeNull()
    expect(row.username_commitment).toMatch(/^[0-9a-f]{64}$/)
    expect(row.ip_commitment).toMatch(/^[0-9a-f]{64}$/)
    expect(row.details).not.toContain('extrato')
    expect(row.details).not.toContain('novembro')
    const uploadRow = await t.db.selectFrom('uploads').select('log_id').where('id', '=', id).executeTakeFirstOrThrow()
    expect(Number(uploadRow.log_id)).toBe(Number(row.id))
    expect(readFileSync(join(t.config.dataDir, 'files', upload.files[0].sha256.slice(0, 2), upload.files[0].sha256.slice(2)))).toEqual(PDF)
  })

  it('answers a request: the request becomes received, with a history row', async () => {
    const { client, admin } = await world()
    const requestId = await addRequest(client.id)
    const id = await send(admin.id, [{ name: 'arquivos', filename: 'extrato.ofx', content: OFX }], requestId)
    const request = await t.db.selectFrom('requests').select('status').where('id', '=', requestId).executeTakeFirstOrThrow()
    expect(request.status).toBe('received')
    const events = await t.db.selectFrom('request_events').selectAll().where('request_id', '=', requestId).execute()
    expect(events.map((e) => [e.action, Number(e.upload_id), Number(e.user_id)])).toEqual([['received', id, admin.id]])
    expect((await getInboxUpload(t.db, id)).category).toBe('contabil')
  })

  it("lets a group head's users send for every company of the group, and no one else", async () => {
    const { client: head, admin } = await world()
    const member = await makeClient(t.db, t.key, { name: 'Filial Ltda' })
    const other = await makeClient(t.db, t.key, { name: 'Outra Empresa Ltda' })
    await addGroupMembers(t.db, ACCOUNTANT, head.id, [member.id])
    const id = await send(admin.id, general(member.id, [{ name: 'arquivos', filename: 'a.pdf', content: PDF }]))
    expect((await getInboxUpload(t.db, id)).clientId).toBe(member.id)
    await expect(send(admin.id, general(other.id, [{ name: 'arquivos', filename: 'a.pdf', content: PDF }]))).rejects.toBeInstanceOf(NotFoundError)
    const memberUser = await makeUser(t.db, { clientId: member.id, username: 'bia', role: 'admin', active: true })
    await expect(send(memberUser.id, general(head.id, [{ name: 'arquivos', filename: 'a.pdf', content: PDF }]))).rejects.toBeInstanceOf(NotFoundError)
  })
})

describe('who may not send', () => {
  it('refuses pending and disabled users, a collaborator without the category or company, and a user of another client', async () => {
    const { client, admin } = await world()
    const requestId = await addRequest(client.id, 'pessoal')
    const file: Part = { name: 'arquivos', filename: 'folha.pdf', content: PDF }
    const pending = await makeUser(t.db, { clientId: client.id, username: 'pendente', role: 'collaborator', active: false })
    await expect(send(pending.id, [file], requestId)).rejects.toBeInstanceOf(ForbiddenError)
    const gone = await makeUser(t.db, { clientId: client.id, username: 'saiu', role: 'collaborator', active: true })
    await disableUser(t.db, ACCOUNTANT, gone.id)
    await expect(send(gone.id, [file], requestId)).rejects.toBeInstanceOf(ForbiddenError)
    const collaborator = await makeUser(t.db, { clientId: client.id, username: 'caio', role: 'collaborator', active: true })
    await setVisibility(t.db, ACCOUNTANT, collaborator.id, { hiddenCategories: ['pessoal'], hiddenCompanyIds: [] })
    await expect(send(collaborator.id, [file], requestId)).rejects.toBeInstanceOf(NotFoundError)
    await expect(send(collaborator.id, general(client.id, [file], 'pessoal'))).rejects.toBeInstanceOf(NotFoundError)
    const stranger = await makeClient(t.db, t.key, { name: 'Outra Empresa Ltda' })
    const outsider = await makeUser(t.db, { clientId: stranger.id, username: 'zeca', role: 'admin', active: true })
    await expect(send(outsider.id, [file], requestId)).rejects.toBeInstanceOf(NotFoundError)
    await expect(send(outsider.id, general(client.id, [file]))).rejects.toBeInstanceOf(NotFoundError)
    expect(await counts()).toEqual({ uploads: 0, files: 0, logged: 0 })
    // The admin may, and a closed request takes nothing.
    await send(admin.id, [file], requestId)
    const closed = await addRequest(client.id, 'fiscal', 'cancelled')
    await expect(send(admin.id, [file], closed)).rejects.toBeInstanceOf(ConflictError)
  })
})

describe('refused bodies leave nothing', () => {
  it('refuses a file over the limit (413-worthy) and more files than allowed', async () => {
    const { client, admin } = await world()
    await t.db.updateTable('firm_options').set({ upload_max_mb: 1, upload_max_files: 2 }).execute()
    const big = Buffer.concat([PDF, Buffer.alloc(1024 * 1024 + 10, 0x20)])
    const tooBig = await refusal(send(admin.id, general(client.id, [{ name: 'arquivos', filename: 'grande.pdf', content: big }])))
    expect(tooBig.problem).toBe('too_large')
    expect(tooBig.details).toEqual({ fileName: 'grande.pdf', limit: 1024 * 1024 })
    const three = [1, 2, 3].map((n): Part => ({ name: 'arquivos', filename: `${n}.pdf`, content: Buffer.concat([PDF, Buffer.from(String(n))]) }))
    expect((await refusal(send(admin.id, general(client.id, three)))).problem).toBe('too_many_files')
    expect(await counts()).toEqual({ uploads: 0, files: 0, logged: 0 })
  })

  it('refuses a type not accepted and a renamed executable, naming what is accepted', async () => {
    const { client, admin } = await world()
    const gif = await refusal(send(admin.id, general(client.id, [{ name: 'arquivos', filename: 'foto.gif', content: 'GIF89a....' }])))
    expect(gif.problem).toBe('type_not_accepted')
    expect(gif.message).toContain('PDF, JPEG, PNG, HEIC, XML, OFX, CSV, XLSX')
    const exe = await refusal(send(admin.id, general(client.id, [
      { name: 'arquivos', filename: 'ok.pdf', content: PDF },
      { name: 'arquivos', filename: 'extrato.pdf', content: EXE },
    ])))
    expect(exe.problem).toBe('type_not_accepted')
    expect(exe.details.fileName).toBe('extrato.pdf')
    expect(await counts()).toEqual({ uploads: 0, files: 0, logged: 0 })
    // Too large as well, and arriving in one chunk: still refused for its type, as when it trickles in.
    await t.db.updateTable('firm_options').set({ upload_max_mb: 1 }).execute()
    const bigExe = Buffer.concat([EXE, Buffer.alloc(2 * 1024 * 1024, 0x41)])
    const form = multipart(general(client.id, [{ name: 'arquivos', filename: 'grande.exe', content: bigExe }]))
    const at = form.body.indexOf(bigExe)
    for (const pieces of [[form.body], [form.body.subarray(0, at + 1000), form.body.subarray(at + 1000)]]) {
      const received = receiveUpload(t.db, storeOf(t), { userId: admin.id, requestId: null, body: Readable.from(pieces), contentType: form.contentType, origin: ORIGIN })
      expect((await refusal(received)).problem).toBe('type_not_accepted')
    }
    // The refused file's bytes never reach a key of the store.
    const { createHash } = await import('node:crypto')
    expect(storedFiles()).not.toContain(createHash('sha256').update(EXE).digest('hex').slice(2))
  })

  it('refuses an empty file, an upload without files and a body that is no form', async () => {
    const { client, admin } = await world()
    expect((await refusal(send(admin.id, general(client.id, [{ name: 'arquivos', filename: 'vazio.pdf', content: '' }])))).problem).toBe('empty_file')
    expect((await refusal(send(admin.id, general(client.id, [{ name: 'arquivos', filename: '', content: '' }])))).problem).toBe('no_file')
    const notForm = receiveUpload(t.db, storeOf(t), { userId: admin.id, requestId: null, body: Readable.from(['x=1']), contentType: 'application/x-www-form-urlencoded', origin: ORIGIN })
    expect((await refusal(notForm)).problem).toBe('malformed')
  })

  it('a connection cut half way stores nothing, writes no row and logs nothing', async () => {
    const { client, admin } = await world()
    const big = Buffer.concat([PDF, Buffer.alloc(300 * 1024, 0x41)])
    const form = multipart(general(client.id, [{ name: 'arquivos', filename: 'extrato.pdf', content: big }]))
    const cut = receiveUpload(t.db, storeOf(t), {
      userId: admin.id,
      requestId: null,
      body: cutStream(form.body, 150 * 1024),
      contentType: form.contentType,
      origin: ORIGIN,
    })
    expect((await refusal(cut)).problem).toBe('interrupted')
    expect(await counts()).toEqual({ uploads: 0, files: 0, logged: 0 })
    expect(storedFiles()).toEqual([])
    // A body that simply ends before its closing boundary is the same.
    const ended = receiveUpload(t.db, storeOf(t), { userId: admin.id, requestId: null, body: Readable.from([form.body.subarray(0, 200 * 1024)]), contentType: form.contentType, origin: ORIGIN })
    expect((await refusal(ended)).problem).toBe('interrupted')
    expect(storedFiles()).toEqual([])
  })
})

describe('NF-e keys', () => {
  it('keeps what the reader says, and refuses the same key from the same client again', async () => {
    const { client, admin } = await world()
    const reader = () => ({ ok: true as const, key: '3'.repeat(44), model: 'nfe' as const, issuer: '11222333000181', recipient: null, issuedOn: '2026-11-30', totalCents: 12345 })
    const sendXml = (content: Buffer) => {
      const f = multipart(general(client.id, [{ name: 'arquivos', filename: 'nfe.xml', content }]))
      return receiveUpload(t.db, storeOf(t), { userId: admin.id, requestId: null, body: Readable.from([f.body]), contentType: f.contentType, origin: ORIGIN, readFiscal: reader })
    }
    const id = await sendXml(XML)
    expect((await getInboxUpload(t.db, id)).files[0].fiscal).toEqual({ key: '3'.repeat(44), model: 'nfe', issuer: '11222333000181', recipient: null, issued_on: '2026-11-30', total_cents: 12345 })
    const again = await refusal(sendXml(Buffer.concat([XML, Buffer.from(' ')])))
    expect(again.problem).toBe('already_received')
    expect((await counts()).uploads).toBe(1)
  })
})

describe("the firm's inbox", () => {
  it('lists, accepts, rejects (reopening the request) and logs each decision', async () => {
    const { client, admin } = await world()
    const requestId = await addRequest(client.id)
    const first = await send(admin.id, [{ name: 'arquivos', filename: 'extrato.pdf', content: PDF }], requestId)
    const second = await send(admin.id, general(client.id, [{ name: 'arquivos', filename: 'foto.jpg', content: JPEG }], 'outros'))
    expect((await listInbox(t.db)).map((u) => u.id)).toEqual([second, first])
    expect((await listInbox(t.db, { clientId: client.id, status: 'received' })).length).toBe(2)
    await rejectUpload(t.db, ACCOUNTANT, first, 'Extrato ilegível, envie o PDF do banco')
    const request = await t.db.selectFrom('requests').select('status').where('id', '=', requestId).executeTakeFirstOrThrow()
    expect(request.status).toBe('open')
    await expect(acceptUpload(t.db, ACCOUNTANT, first, 'contabil')).rejects.toBeInstanceOf(ConflictError)
    const { upload } = await acceptUpload(t.db, ACCOUNTANT, second, 'fiscal')
    expect(upload).toMatchObject({ status: 'accepted', category: 'fiscal', statusBy: 'cli:test' })
    const rows = await t.db.selectFrom('access_log').select(['kind', 'details']).where('kind', 'in', ['upload.accepted', 'upload.rejected']).orderBy('id').execute()
    expect(rows.map((r) => [r.kind, JSON.parse(r.details!)])).toEqual([
      ['upload.rejected', { upload_id: first }],
      ['upload.accepted', { category: 'fiscal', upload_id: second }],
    ])
    const seen = await getUploadForUser(t.db, admin.id, first)
    expect(seen.history.map((h) => [h.action, h.note])).toEqual([
      ['sent', null],
      ['rejected', 'Extrato ilegível, envie o PDF do banco'],
    ])
    await expect(rejectUpload(t.db, ACCOUNTANT, second, '  ')).rejects.toThrow(/reason/)
  })

  it('writes the files of an upload into a folder, logging the download first, never overwriting', async () => {
    const { client, admin } = await world()
    const id = await send(admin.id, general(client.id, [
      { name: 'arquivos', filename: 'extrato.pdf', content: PDF },
      { name: 'arquivos', filename: 'extrato.pdf', content: Buffer.concat([PDF, Buffer.from('2')]) },
    ]))
    const dir = join(t.dir, 'recebidos')
    const { paths } = await saveUploadFiles(t.db, storeOf(t), ACCOUNTANT, id, dir)
    expect(paths.map((p) => p.slice(dir.length + 1))).toEqual(['extrato.pdf', 'extrato (2).pdf'])
    expect(readFileSync(paths[0])).toEqual(PDF)
    const again = await saveUploadFiles(t.db, storeOf(t), ACCOUNTANT, id, dir)
    expect(again.paths.map((p) => p.slice(dir.length + 1))).toEqual(['extrato (3).pdf', 'extrato (4).pdf'])
    const logged = await t.db.selectFrom('access_log').select(['kind', 'details', 'client_id']).where('kind', '=', 'upload.downloaded').execute()
    expect(logged.map((r) => JSON.parse(r.details!))).toEqual([
      { file_ids: again.upload.files.map((f) => f.id), upload_id: id },
      { file_ids: again.upload.files.map((f) => f.id), upload_id: id },
    ])
    await expect(saveUploadFiles(t.db, storeOf(t), ACCOUNTANT, 9999, dir)).rejects.toBeInstanceOf(NotFoundError)
  })
})
