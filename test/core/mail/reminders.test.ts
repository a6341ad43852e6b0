import { beforeEach, describe, expect, it } from 'vitest'
import { recordAccess } from '../../../src/core/access-log/chain/append.js'
import { setFirmOptions } from '../../../src/core/clients/firm.js'
import { addDays, localDate } from '../../../src/core/time.js'
import { listPending } from '../../../src/core/delivery/follow-up.js'
import { documentStatus } from '../../../src/core/delivery/timeline.js'
import { revokeDelivery } from '../../../src/core/delivery/deliveries.js'
import { fileDocument } from '../../../src/core/mail/document-filing.js'
import { requireMailReady, sendDocumentByEmail } from '../../../src/core/mail/document-mail.js'
import { runReminders } from '../../../src/core/mail/reminders.js'
import { smtpSettingsFromEnv } from '../../../src/core/mail/smtp.js'
import { useTestDatabase } from '../../helpers/db.js'
import { makeDocument, storeOf, writeTestFile } from '../../helpers/factories.js'
import { ACCOUNTANT, makeClient, makeUser } from '../../helpers/factories.js'

const t = useTestDatabase({ firm: true })
const smtp = smtpSettingsFromEnv({ CONFI_SMTP_URL: 'smtp://127.0.0.1:2525' })
const today = localDate()

beforeEach(async () => {
  await setFirmOptions(t.db, ACCOUNTANT, { mailFrom: 'Contabilidade <avisos@escritorio.com.br>', reminderDays: '3,1,0' })
})

async function sentDocument(daysLeft: number, to = 'financeiro@padaria.com.br') {
  const client = await makeClient(t.db, t.key, { name: 'Padaria' })
  const doc = await makeDocument(t, client.id, { title: `DAS ${daysLeft}`, dueDate: addDays(today, daysLeft) })
  const sent = await sendDocumentByEmail(t.db, t.key, ACCOUNTANT, { documentId: doc.id, to, smtp })
  return { client, doc, ...sent }
}

const run = (options: { today?: string; dryRun?: boolean } = {}) => runReminders(t.db, t.key, ACCOUNTANT, { smtp, ...options })

describe('reminders', () => {
  it('reminds on the configured days only, once per (document, recipient, day)', async () => {
    const { doc, delivery } = await sentDocument(3)
    const other = await sentDocument(2)
    const dry = await run({ dryRun: true })
    expect(dry.reminders.map((r) => [r.documentId, r.daysBefore, r.outboxId])).toEqual([[doc.id, 3, null]])
    expect(await t.db.selectFrom('reminders_sent').selectAll().execute()).toEqual([])
    const first = await run()
    expect(first.reminders).toHaveLength(1)
    const [reminder] = first.reminders
    expect([reminder.recipient, reminder.deliveryId]).toEqual(['financeiro@padaria.com.br', delivery.id])
    const queued = await t.db.selectFrom('outbox').selectAll().where('id', '=', reminder.outboxId).executeTakeFirstOrThrow()
    expect(queued.kind).toBe('reminder')
    expect(queued.subject).toBe(`Lembrete: DAS 3 vence em 3 dias (${addDays(today, 3).split('-').reverse().join('/')})`)
    expect((await run()).reminders).toEqual([])
    const days = async (on: number) => (await run({ today: addDays(today, on) })).reminders.map((r) => [r.documentId, r.daysBefore])
    expect(await days(1)).toEqual([[other.doc.id, 1]])
    expect(await days(2)).toEqual([[other.doc.id, 0], [doc.id, 1]])
    expect(await days(3)).toEqual([[doc.id, 0]])
    expect(await days(3)).toEqual([])
    const status = await documentStatus(t.db, doc.id)
    expect(status.deliveries[0].mails.map((m) => m.kind)).toEqual(['delivery', 'reminder', 'reminder', 'reminder'])
  })

  it('stops once anyone of the client opened the document, and skips revoked links', async () => {
    const opened = await sentDocument(0)
    const revoked = await sentDocument(0, 'outro@padaria.com.br')
    await recordAccess(t.db, { documentId: opened.doc.id, clientId: opened.client.id, channel: 'email', deliveryId: opened.delivery.id, action: 'view' })
    await revokeDelivery(t.db, ACCOUNTANT, revoked.delivery.id)
    expect((await run()).reminders).toEqual([])
  })

  it('reminds notified users with the portal link', async () => {
    const client = await makeClient(t.db, t.key, { name: 'Padaria', email: 'contato@padaria.com.br' })
    await makeUser(t.db, { clientId: client.id, email: 'ana@padaria.com.br', role: 'admin', active: true })
    await makeUser(t.db, { clientId: client.id, email: 'bia@padaria.com.br', role: 'collaborator', active: false })
    const firm = await requireMailReady(t.db, smtp)
    const { document: doc } = await fileDocument(
      t.db,
      storeOf(t),
      ACCOUNTANT,
      { clientId: client.id, title: 'DAS 10/2026', category: 'fiscal', dueDate: addDays(today, 1), files: [{ path: writeTestFile(t.dir, 'guia.pdf') }] },
      { notify: firm },
    )
    const notified = await t.db.selectFrom('outbox').select(['recipient', 'body_text']).orderBy('id').execute()
    expect(notified.map((n) => n.recipient)).toEqual(['ana@padaria.com.br', 'contato@padaria.com.br'])
    expect(notified[0].body_text).toContain(`http://localhost:3000/documents/${doc.id}`)
    const { reminders } = await run()
    expect(reminders.map((r) => [r.recipient, r.deliveryId])).toEqual([
      ['ana@padaria.com.br', null],
      ['contato@padaria.com.br', null],
    ])
  })
})

describe('the follow-up list', () => {
  it('lists unopened documents due within the window or overdue, with days left and the last reminder', async () => {
    const late = await sentDocument(-2)
    const soon = await sentDocument(1)
    await sentDocument(5)
    const opened = await sentDocument(0)
    await recordAccess(t.db, { documentId: opened.doc.id, clientId: opened.client.id, channel: 'email', action: 'download' })
    await run()
    const pending = await listPending(t.db, { withinDays: 3 })
    expect(pending.map((p) => [p.documentId, p.daysLeft, p.deliveries, p.channels])).toEqual([
      [late.doc.id, -2, 1, ['email']],
      [soon.doc.id, 1, 1, ['email']],
    ])
    expect(pending[0].lastReminderAt).toBeNull()
    expect(pending[1].lastReminderAt).not.toBeNull()
    expect(await listPending(t.db, { withinDays: 3, clientId: soon.client.id })).toHaveLength(1)
  })

  it('shows overdue documents for 30 days past due unless asked to look further back', async () => {
    const month = await sentDocument(-30)
    const older = await sentDocument(-31)
    const ancient = await sentDocument(-400)
    expect((await listPending(t.db, { withinDays: 0 })).map((p) => p.documentId)).toEqual([month.doc.id])
    expect((await listPending(t.db, { withinDays: 0, overdueDays: 31 })).map((p) => p.documentId)).toEqual([older.doc.id, month.doc.id])
    const all = await listPending(t.db, { withinDays: 0, overdueDays: 3660 })
    expect(all.map((p) => [p.documentId, p.daysLeft])).toEqual([[ancient.doc.id, -400], [older.doc.id, -31], [month.doc.id, -30]])
    expect(await listPending(t.db, { withinDays: 0, overdueDays: 0 })).toEqual([])
  })
})
