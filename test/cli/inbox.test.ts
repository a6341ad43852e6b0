import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { receiveUpload } from '../../src/core/uploads/index.js'
import { addSeconds, nowIso, setClock } from '../../src/core/time.js'
import { runCli } from '../helpers/cli.js'
import { useTestDatabase } from '../helpers/db.js'
import { makeClient, makeUser, storeOf } from '../helpers/factories.js'
import { startTestSmtp, type TestSmtp } from '../helpers/smtp.js'
import { CSV, multipart, PDF, type Part } from '../core/uploads/multipart.js'

const t = useTestDatabase({ firm: true })
let smtp: TestSmtp
const restores: (() => void)[] = []
beforeEach(async () => {
  smtp = await startTestSmtp()
})
afterEach(async () => {
  for (const restore of restores.splice(0)) restore()
  await smtp.close()
})

const confi = (args: string[]) => runCli(args, { env: { ...t.env, CONFI_SMTP_URL: smtp.url }, cwd: t.dir })

async function world() {
  await t.db.updateTable('firm_options').set({ firm_name: 'Contabilidade Exemplo', mail_from: 'Contabilidade Exemplo <avisos@escritorio.com.br>', inbox_email: 'recebidos@escritorio.com.br' }).execute()
  const client = await makeClient(t.db, t.key, { name: 'Padaria Pão Quente Ltda' })
  const admin = await makeUser(t.db, { clientId: client.id, username: 'ana', role: 'admin', active: true, email: 'ana@padaria.com.br' })
  const sender = await makeUser(t.db, { clientId: client.id, username: 'caio', role: 'collaborator', active: true, email: 'caio@padaria.com.br' })
  const at = nowIso()
  const request = await t.db
    .insertInto('requests')
    .values({ client_id: client.id, template_id: null, title: 'Extrato bancário', category: 'contabil', competence: '2026-11', due_date: '2026-12-05', note: null, status: 'open', created_at: at, created_by: 'cli:test', updated_at: at } as never)
    .returning('id')
    .executeTakeFirstOrThrow()
  return { client, admin, sender, requestId: Number(request.id) }
}

function send(userId: number, parts: Part[], requestId: number | null) {
  const form = multipart(parts)
  return receiveUpload(t.db, storeOf(t), { userId, requestId, body: Readable.from([form.body]), contentType: form.contentType, origin: { ip: '203.0.113.9', port: 5000, userAgent: 'Teste' } })
}

function later(seconds: number) {
  const at = Date.now() + seconds * 1000
  restores.push(setClock(() => new Date(at)))
}

describe('confi inbox', () => {
  it('tells the firm by one digest, lists, gets (logged), rejects and accepts, telling the client', async () => {
    const { client, sender, requestId } = await world()
    const first = await send(sender.id, [{ name: 'arquivos', filename: 'extrato.pdf', content: PDF }], requestId)
    const second = await send(sender.id, [
      { name: 'empresa', value: String(client.id) },
      { name: 'categoria', value: 'fiscal' },
      { name: 'arquivos', filename: 'notas.csv', content: CSV },
    ], null)
    // Both uploads share one inbox e-mail, which waits its window.
    const inboxRows = await t.db.selectFrom('outbox').selectAll().where('kind', '=', 'inbox').execute()
    expect(inboxRows.length).toBe(1)
    expect(inboxRows[0]).toMatchObject({ document_id: null, recipient: 'recebidos@escritorio.com.br', subject: '2 novos envios de clientes' })
    expect(Number(inboxRows[0].upload_id)).toBe(first)
    const early = await confi(['outbox', 'run', '--json'])
    expect(early.code, early.stderr).toBe(0)
    expect(JSON.parse(early.stdout)).toMatchObject({ sent: 0, queued: 1 })
    later(6 * 60)
    const run = await confi(['outbox', 'run', '--json'])
    expect(JSON.parse(run.stdout)).toMatchObject({ sent: 1, failed: 0 })
    const [mail] = await smtp.waitFor(1)
    expect(mail.subject).toBe('2 novos envios de clientes')
    expect(mail.text).toContain(`Envio ${first}: Padaria Pão Quente Ltda`)
    expect(mail.text).toContain(`confi inbox get ${second} --output <pasta>`)
    // A later upload, after the digest left, gets an e-mail of its own.
    await send(sender.id, [{ name: 'empresa', value: String(client.id) }, { name: 'categoria', value: 'outros' }, { name: 'arquivos', filename: 'b.pdf', content: Buffer.concat([PDF, Buffer.from('b')]) }], null)
    expect((await t.db.selectFrom('outbox').select('id').where('kind', '=', 'inbox').execute()).length).toBe(2)

    const list = await confi(['inbox', 'list', '--json', '--status', 'received', '--client', client.taxId])
    expect(list.code, list.stderr).toBe(0)
    expect(JSON.parse(list.stdout).map((u: { id: number }) => u.id)).toEqual([second + 1, second, first])
    const since = await confi(['inbox', 'list', '--since', '2999-01-01', '--json'])
    expect(JSON.parse(since.stdout)).toEqual([])
    const table = await confi(['inbox', 'list'])
    expect(table.stdout).toContain('Padaria Pão Quente Ltda')
    expect(table.stdout).toContain('Extrato bancário')

    const out = join(t.dir, 'recebidos')
    const get = await confi(['inbox', 'get', String(first), '--output', out])
    expect(get.code, get.stderr).toBe(0)
    expect(readFileSync(join(out, 'extrato.pdf'))).toEqual(PDF)
    // A folder confi makes for a client's files lists their names to nobody else (docs/security.md).
    expect(statSync(out).mode & 0o777).toBe(0o700)
    expect(statSync(join(out, 'extrato.pdf')).mode & 0o777).toBe(0o600)
    const downloaded = await t.db.selectFrom('access_log').select('details').where('kind', '=', 'upload.downloaded').execute()
    expect(downloaded.length).toBe(1)

    const reject = await confi(['inbox', 'reject', String(first), '--reason', 'Extrato ilegível, envie o PDF do banco', '--json'])
    expect(reject.code, reject.stderr).toBe(0)
    expect(JSON.parse(reject.stdout)).toMatchObject({ status: 'rejected', statusNote: 'Extrato ilegível, envie o PDF do banco', emailsQueued: 2 })
    const request = await t.db.selectFrom('requests').select('status').where('id', '=', requestId).executeTakeFirstOrThrow()
    expect(request.status).toBe('open')
    const accept = await confi(['inbox', 'accept', String(second), '--category', 'contabil'])
    expect(accept.stdout).toBe(`accepted upload ${second} (contabil); 2 e-mails queued\n`)
    const answers = await t.db.selectFrom('outbox').select(['recipient', 'kind', 'document_id', 'upload_id']).where('kind', '=', 'answer').orderBy('id').execute()
    expect(answers.map((a) => [a.recipient, Number(a.upload_id), a.document_id])).toEqual([
      ['caio@padaria.com.br', first, null],
      ['ana@padaria.com.br', first, null],
      ['caio@padaria.com.br', second, null],
      ['ana@padaria.com.br', second, null],
    ])
    later(12 * 60)
    const sent = await confi(['outbox', 'run', '--json'])
    expect(JSON.parse(sent.stdout)).toMatchObject({ sent: 5, failed: 0 })
    const mails = await smtp.waitFor(6)
    const rejected = mails.find((m) => m.subject?.includes('recusado') && (m.to as { text: string }).text === 'caio@padaria.com.br')!
    expect(rejected.subject).toBe('Envio "Extrato bancário" recusado: envie de novo')
    expect(rejected.text).toContain('Motivo: Extrato ilegível, envie o PDF do banco')
    expect(rejected.text).toContain(`/envios/${first}`)
    const outboxList = await confi(['outbox', 'list', '--json'])
    expect(outboxList.code, outboxList.stderr).toBe(0)
    expect(JSON.parse(outboxList.stdout).every((e: { documentId: number | null }) => e.documentId === null)).toBe(true)
  }, 120_000)

  it('refuses what cannot be done, saying how to fix it', async () => {
    const { sender, requestId } = await world()
    const id = await send(sender.id, [{ name: 'arquivos', filename: 'extrato.pdf', content: PDF }], requestId)
    const missing = await confi(['inbox', 'get', '999', '--output', join(t.dir, 'x')])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toBe("confi: no upload with id 999: see 'confi inbox list'\n")
    expect(existsSync(join(t.dir, 'x'))).toBe(false)
    const badCategory = await confi(['inbox', 'accept', String(id), '--category', 'banana'])
    expect(badCategory.code).toBe(1)
    expect(badCategory.stderr).toMatch(/^confi: .*category/)
    const noReason = await confi(['inbox', 'reject', String(id)])
    expect(noReason.code).toBe(2)
    const blank = await confi(['inbox', 'reject', String(id), '--reason', ' '])
    expect(blank.code).toBe(1)
    expect(blank.stderr).toContain('the reason must have 1 to 500 characters')
    await confi(['inbox', 'accept', String(id), '--category', 'contabil'])
    const twice = await confi(['inbox', 'reject', String(id), '--reason', 'tarde demais'])
    expect(twice.code).toBe(1)
    expect(twice.stderr).toBe(`confi: upload ${id} is already accepted\n`)
    const badSince = await confi(['inbox', 'list', '--since', '2026-13-01'])
    expect(badSince.code).toBe(1)
  })
})
