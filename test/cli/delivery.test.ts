import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { addDays, localDate } from '../../src/core/time.js'
import { runConfi } from '../helpers/cli.js'
import { useTestDatabase } from '../helpers/db.js'
import { writeTestFile } from '../helpers/factories.js'
import { makeClient, makeUser } from '../helpers/factories.js'
import { startTestSmtp, type TestSmtp } from '../helpers/smtp.js'

const t = useTestDatabase({ firm: true })
let smtp: TestSmtp
let taxId: string
let clientId: number
beforeEach(async () => {
  const client = await makeClient(t.db, t.key, { name: 'Padaria Pão Quente Ltda', email: 'contato@padaria.com.br' })
  taxId = client.taxId
  clientId = client.id
  smtp = await startTestSmtp({ auth: { user: 'avisos@escritorio.com.br', pass: 'SENHA-secreta' } })
})
afterEach(async () => {
  await smtp.close()
})

const confi = (args: string[], env: Record<string, string> = {}) => runConfi(args, { env: { ...t.env, ...env }, cwd: t.dir })
const withSmtp = (args: string[]) => confi(args, { CONFI_SMTP_URL: smtp.url })

async function addDoc(due = addDays(localDate(), 1), extra: string[] = []): Promise<number> {
  writeTestFile(t.dir, 'das.pdf', '%PDF-1.4 das')
  const result = await withSmtp(['docs', 'add', '--client', taxId, '--title', 'DAS 11/2026', '--category', 'fiscal', '--competence', '2026-11', '--due', due, 'das.pdf', '--json', ...extra])
  expect(result.code, result.stderr).toBe(0)
  return JSON.parse(result.stdout).id
}

async function setFirm() {
  const set = await confi(['firm', 'set', '--mail-from', 'Contabilidade Exemplo <avisos@escritorio.com.br>', '--phone', '+55 11 3333-4444', '--reminder-days', '0,1,3', '--json'])
  expect(set.code, set.stderr).toBe(0)
  expect(JSON.parse(set.stdout)).toMatchObject({ mailFrom: 'Contabilidade Exemplo <avisos@escritorio.com.br>', phone: '+551133334444', reminderDays: [3, 1, 0] })
}

describe('confi delivery loop', () => {
  it('refuses e-mail without SMTP or a sender, and bad addresses and phones, creating nothing', { timeout: 300_000 }, async () => {
    const id = await addDoc()
    const noSmtp = await confi(['docs', 'send', String(id), '--channel', 'email', '--to', 'financeiro@padaria.com.br'])
    expect([noSmtp.code, noSmtp.stderr]).toEqual([1, expect.stringMatching(/^confi: e-mail is not configured: set CONFI_SMTP_URL, e\.g\. smtps:\/\/[^\n]+\n$/)])
    const noFrom = await withSmtp(['docs', 'send', String(id), '--channel', 'email', '--to', 'financeiro@padaria.com.br'])
    expect([noFrom.code, noFrom.stderr]).toEqual([1, expect.stringMatching(/^confi: set the sender of the firm's e-mails first: confi firm set --mail-from/)])
    await setFirm()
    const badMail = await withSmtp(['docs', 'send', String(id), '--channel', 'email', '--to', 'financeiro.padaria.com.br'])
    expect([badMail.code, badMail.stderr]).toEqual([1, "confi: 'financeiro.padaria.com.br' is not a valid e-mail address: expected something like nome@empresa.com.br\n"])
    const badPhone = await confi(['docs', 'send', String(id), '--channel', 'whatsapp', '--to', '98765-4321'])
    expect([badPhone.code, badPhone.stderr]).toEqual([1, expect.stringMatching(/^confi: '98765-4321' has no area code \(DDD\)/)])
    const noTo = await confi(['docs', 'send', String(id), '--channel', 'whatsapp'])
    expect(noTo.code).toBe(2)
    const notify = await confi(['docs', 'add', '--client', taxId, '--title', 'X', '--category', 'fiscal', 'das.pdf', '--notify'])
    expect([notify.code, notify.stderr]).toEqual([1, expect.stringMatching(/^confi: e-mail is not configured/)])
    expect(await t.db.selectFrom('deliveries').selectAll().execute()).toEqual([])
    expect(await t.db.selectFrom('outbox').selectAll().execute()).toEqual([])
    expect(await t.db.selectFrom('documents').select('id').execute()).toHaveLength(1)
  })

  it('queues, sends, lists, retries; prints WhatsApp links; shows pending and status', { timeout: 300_000 }, async () => {
    await setFirm()
    await makeUser(t.db, { clientId, email: 'ana@padaria.com.br', role: 'admin', active: true })
    // One due date for the whole test: a run that crosses midnight in São Paulo keeps it.
    const due = addDays(localDate(), 1)
    const id = await addDoc(due, ['--notify'])
    const send = await withSmtp(['docs', 'send', String(id), '--channel', 'email', '--to', 'financeiro@padaria.com.br'])
    expect(send.code, send.stderr).toBe(0)
    expect(send.stdout).toMatch(/^queued e-mail 3 to financeiro@padaria.com.br with http:\/\/localhost:3000\/d\/\S+\n$/)
    smtp.mode = 'reject'
    const run = await withSmtp(['outbox', 'run'])
    expect([run.code, run.stdout]).toEqual([0, 'sent 0, queued 0, failed 3\n'])
    expect(run.stdout + run.stderr).not.toContain('SENHA')
    const failed = JSON.parse((await confi(['outbox', 'list', '--status', 'failed', '--json'])).stdout)
    expect(failed.map((e: { recipient: string }) => e.recipient).sort()).toEqual(['ana@padaria.com.br', 'contato@padaria.com.br', 'financeiro@padaria.com.br'])
    expect(failed[0].serverReply).toMatch(/^550 /)
    smtp.mode = 'accept'
    for (const e of failed) expect((await confi(['outbox', 'retry', String(e.id)])).code).toBe(0)
    expect((await withSmtp(['outbox', 'run'])).stdout).toBe('sent 3, queued 0, failed 0\n')
    const again = await confi(['outbox', 'retry', '3'])
    expect([again.code, again.stderr]).toEqual([1, expect.stringMatching(/^confi: message 3 was accepted by the mail server at .*; it is never sent twice\n$/)])
    expect(smtp.messages).toHaveLength(3)
    expect(smtp.messages.map((m) => m.subject)).toContain(`DAS 11/2026 – Padaria Pão Quente Ltda (vencimento ${due.split('-').reverse().join('/')})`)

    const wa = await confi(['docs', 'send', String(id), '--channel', 'whatsapp', '--to', '(11) 98765-4321'])
    expect(wa.code, wa.stderr).toBe(0)
    expect(wa.stdout).toMatch(/^https:\/\/wa\.me\/5511987654321\?text=\S+\n$/)
    const text = new URL(wa.stdout.trim()).searchParams.get('text')
    expect(text).toMatch(/^Olá! Contabilidade Teste enviou "DAS 11\/2026" para Padaria Pão Quente Ltda\. Vencimento: \d\d\/\d\d\/\d{4}\. Acesse: http:\/\/localhost:3000\/d\//)
    const show = JSON.parse((await confi(['docs', 'show', String(id), '--json'])).stdout)
    expect(show.deliveries.map((d: { recipient: string }) => d.recipient)).toEqual(['financeiro@padaria.com.br', '+5511987654321'])

    const reminders = JSON.parse((await withSmtp(['reminders', 'run', '--json'])).stdout)
    expect(reminders.reminders.map((r: { recipient: string }) => r.recipient).sort()).toEqual(['ana@padaria.com.br', 'contato@padaria.com.br', 'financeiro@padaria.com.br'])
    expect(JSON.parse((await withSmtp(['reminders', 'run', '--json'])).stdout).reminders).toEqual([])

    const pending = JSON.parse((await confi(['docs', 'pending', '--due-within', '3d', '--json'])).stdout)
    expect(pending).toMatchObject([{ documentId: id, daysLeft: 1, deliveries: 2, channels: ['email', 'whatsapp'] }])
    const old = await addDoc(addDays(localDate(), -45))
    const late = JSON.parse((await confi(['docs', 'pending', '--due-within', '3d', '--overdue-for', '60d', '--json'])).stdout)
    expect(late.map((p: { documentId: number; daysLeft: number }) => [p.documentId, p.daysLeft])).toEqual([[old, -45], [id, 1]])
    const bad = await confi(['docs', 'pending', '--overdue-for', '5000d'])
    expect([bad.code, bad.stderr]).toEqual([1, "confi: the window '5000d' is not valid: use a number of days from 0 to 3660, such as 365d (set by --overdue-for)\n"])
    const csv = await confi(['docs', 'pending', '--format', 'csv'])
    expect(csv.stdout.split('\r\n')[0]).toBe('document_id,client_tax_id,client_name,title,due_date,days_left,deliveries,channels,last_reminder_at')
    expect(csv.stdout.split('\r\n')[1]).toMatch(new RegExp(`^${id},${taxId},Padaria Pão Quente Ltda,DAS 11/2026,[\\d-]+,1,2,email whatsapp,\\d{4}-`))
    const status = await confi(['docs', 'status', String(id)])
    expect(status.code, status.stderr).toBe(0)
    expect(status.stdout).toContain('delivery 1 (email to financeiro@padaria.com.br)')
    expect(status.stdout).toMatch(/e-mail to financeiro@padaria.com.br accepted .*: 250 /)
    expect(status.stdout).toContain('reminder to financeiro@padaria.com.br queued')
    expect(status.stdout).toContain('first view: not yet')
  })

  it('two concurrent reminder runs queue each reminder once', { timeout: 300_000 }, async () => {
    await setFirm()
    const id = await addDoc()
    for (let i = 0; i < 4; i++) {
      expect((await withSmtp(['docs', 'send', String(id), '--channel', 'email', '--to', `p${i}@padaria.com.br`])).code).toBe(0)
    }
    const runs = await Promise.all([withSmtp(['reminders', 'run', '--json']), withSmtp(['reminders', 'run', '--json'])])
    for (const r of runs) expect(r.code, r.stderr).toBe(0)
    const total = runs.reduce((n, r) => n + JSON.parse(r.stdout).reminders.length, 0)
    expect(total).toBe(4)
    const rows = await t.db.selectFrom('outbox').select('recipient').where('kind', '=', 'reminder').execute()
    expect(rows.map((r) => r.recipient).sort()).toEqual([0, 1, 2, 3].map((i) => `p${i}@padaria.com.br`))
  })
})
