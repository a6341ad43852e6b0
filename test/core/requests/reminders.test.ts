import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { setFirmOptions } from '../../../src/core/clients/firm.js'
import { documentStatus } from '../../../src/core/delivery/timeline.js'
import { requireMailReady } from '../../../src/core/mail/document-mail.js'
import { listOutbox } from '../../../src/core/mail/outbox.js'
import { runOutbox } from '../../../src/core/mail/sender.js'
import { createSmtpTransport, smtpSettingsFromEnv, type MailTransport } from '../../../src/core/mail/smtp.js'
import { addRequest, answerNothingToSend, reopenRequest, runRequestReminders } from '../../../src/core/requests/index.js'
import { addDays, localDate } from '../../../src/core/time.js'
import { useTestDatabase } from '../../helpers/db.js'
import { ACCOUNTANT, makeClient, makeDocument, makeUser } from '../../helpers/factories.js'
import { startTestSmtp, type TestSmtp } from '../../helpers/smtp.js'

const t = useTestDatabase({ firm: true })
const today = localDate()
let smtp: TestSmtp
let transport: MailTransport
const settings = () => smtpSettingsFromEnv({ CONFI_SMTP_URL: smtp.url })

beforeEach(async () => {
  await setFirmOptions(t.db, ACCOUNTANT, {
    firmName: 'Contabilidade Exemplo',
    mailFrom: 'Contabilidade Exemplo <avisos@escritorio.com.br>',
    baseUrl: 'https://portal.escritorio.com.br',
  })
  smtp = await startTestSmtp()
  transport = createSmtpTransport(settings()!)
})
afterEach(async () => {
  transport.close()
  await smtp.close()
})

async function world() {
  const client = await makeClient(t.db, t.key, { name: 'Padaria Pão Quente Ltda', email: 'contato@padaria.com.br' })
  const ana = await makeUser(t.db, { clientId: client.id, username: 'ana', role: 'admin', active: true, email: 'ana@padaria.com.br' })
  const bia = await makeUser(t.db, { clientId: client.id, username: 'bia', role: 'collaborator', active: true, email: 'bia@padaria.com.br' })
  await makeUser(t.db, { clientId: client.id, username: 'caio', role: 'collaborator', active: false, email: 'caio@padaria.com.br' })
  return { client, ana, bia }
}

const run = (on = today, dryRun = false) => runRequestReminders(t.db, ACCOUNTANT, { smtp: settings(), today: on, dryRun })
const remindedOn = async (on: string) => (await run(on)).reminders.map((r) => [r.requestId, r.daysBefore, r.recipient])

describe('request reminders', () => {
  it('reminds open requests 3, 1 and 0 days before and the day after the due date, once per request, recipient and day', async () => {
    const { client } = await world()
    const request = await addRequest(t.db, ACCOUNTANT, { clientId: client.id, title: 'Extrato bancário', dueDate: addDays(today, 3), competence: '2026-11' })
    const dry = await run(today, true)
    expect(dry.reminders.map((r) => [r.daysBefore, r.recipient, r.outboxId])).toEqual([
      [3, 'ana@padaria.com.br', null],
      [3, 'bia@padaria.com.br', null],
    ])
    expect(await t.db.selectFrom('request_reminders_sent').selectAll().execute()).toEqual([])
    expect(await remindedOn(today)).toEqual([
      [request.id, 3, 'ana@padaria.com.br'],
      [request.id, 3, 'bia@padaria.com.br'],
    ])
    expect(await remindedOn(today)).toEqual([])
    expect(await remindedOn(addDays(today, 1))).toEqual([])
    expect((await remindedOn(addDays(today, 2))).map((r) => r[1])).toEqual([1, 1])
    expect((await remindedOn(addDays(today, 3))).map((r) => r[1])).toEqual([0, 0])
    expect((await remindedOn(addDays(today, 4))).map((r) => r[1])).toEqual([-1, -1])
    expect(await remindedOn(addDays(today, 5))).toEqual([])
    const queued = await t.db.selectFrom('outbox').selectAll().orderBy('id').execute()
    expect(queued).toHaveLength(8)
    expect(queued.every((q) => q.kind === 'request_reminder' && q.document_id === null && Number(q.request_id) === request.id)).toBe(true)
    expect(queued[0].subject).toBe(`Pendência: Extrato bancário vence em 3 dias (${addDays(today, 3).split('-').reverse().join('/')})`)
    expect(queued[6].subject).toMatch(/^Pendência: Extrato bancário venceu ontem/)
    expect(queued[0].body_text).toContain(`https://portal.escritorio.com.br/pendencias/${request.id}`)
    expect(queued[0].body_text).toContain('Competência: 11/2026')
    // Every outbox reader copes with a message about no document.
    expect((await listOutbox(t.db)).map((e) => e.documentId)).toEqual(Array(8).fill(null))
    // The real SMTP server receives them.
    expect(await runOutbox(t.db, transport)).toEqual({ sent: 8, queued: 0, failed: 0 })
    const mails = await smtp.waitFor(8)
    expect(mails[0].to).toMatchObject({ text: 'ana@padaria.com.br' })
    expect(mails[0].subject).toBe(queued[0].subject)
    expect(mails[0].html).toContain(`href="https://portal.escritorio.com.br/pendencias/${request.id}"`)
  })

  it('stops once the request is answered, and never reminds a pending or disabled user', async () => {
    const { client, ana } = await world()
    const request = await addRequest(t.db, ACCOUNTANT, { clientId: client.id, title: 'Notas', dueDate: addDays(today, 1) })
    expect(await remindedOn(today)).toHaveLength(2)
    await answerNothingToSend(t.db, ana.id, request.id, { origin: { ip: null, port: null, userAgent: null } })
    expect(await remindedOn(addDays(today, 1))).toEqual([])
    expect(await remindedOn(addDays(today, 2))).toEqual([])
    const recipients = await t.db.selectFrom('outbox').select('recipient').execute()
    expect(recipients.map((r) => r.recipient)).not.toContain('caio@padaria.com.br')
  })

  it('needs no mail set-up when nothing is owed, and says what to set when something is', async () => {
    await setFirmOptions(t.db, ACCOUNTANT, { mailFrom: 'Outra <avisos@outra.com.br>' })
    expect((await runRequestReminders(t.db, ACCOUNTANT, { smtp: null, today })).reminders).toEqual([])
    const { client } = await world()
    await addRequest(t.db, ACCOUNTANT, { clientId: client.id, title: 'Notas', dueDate: today })
    await expect(runRequestReminders(t.db, ACCOUNTANT, { smtp: null, today })).rejects.toThrow(/SMTP|CONFI_SMTP_URL/)
  })

  it("e-mails the firm's rejection, with its reason, to the people who may answer (kind answer)", async () => {
    const { client, ana } = await world()
    const request = await addRequest(t.db, ACCOUNTANT, { clientId: client.id, title: 'Extrato bancário', dueDate: addDays(today, 5) })
    await answerNothingToSend(t.db, ana.id, request.id, { origin: { ip: null, port: null, userAgent: null } })
    const firm = await requireMailReady(t.db, settings())
    const { mailedTo } = await reopenRequest(t.db, ACCOUNTANT, request.id, { reason: 'Houve compras em novembro: envie as notas', mail: firm })
    expect(mailedTo.sort()).toEqual(['ana@padaria.com.br', 'bia@padaria.com.br'])
    const rows = await t.db.selectFrom('outbox').selectAll().where('kind', '=', 'answer').execute()
    expect(rows.map((r) => [r.document_id, Number(r.request_id)])).toEqual([
      [null, request.id],
      [null, request.id],
    ])
    expect(await runOutbox(t.db, transport)).toEqual({ sent: 2, queued: 0, failed: 0 })
    const [mail] = await smtp.waitFor(2)
    expect(mail.subject).toBe('Envie de novo: Extrato bancário – Padaria Pão Quente Ltda')
    expect(mail.text).toContain('Motivo: Houve compras em novembro: envie as notas')
    // A document's timeline never picks up a message about a request.
    const doc = await makeDocument(t, client.id, { title: 'DAS' })
    expect((await documentStatus(t.db, doc.id)).deliveries).toEqual([])
  })
})
