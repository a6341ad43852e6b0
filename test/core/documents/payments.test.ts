// Issue 20 part 7: a guide marked paid by the client's people or the firm, with its log rows, and
// what it takes out of "A vencer", the reminders and `docs pending`.
import { describe, expect, it } from 'vitest'
import { clientUser, type Actor } from '../../../src/core/actors.js'
import { verifyAccessLog } from '../../../src/core/access-log/chain/walk.js'
import { setFirmOptions } from '../../../src/core/clients/firm.js'
import { addGroupMembers } from '../../../src/core/clients/groups.js'
import { listPending } from '../../../src/core/delivery/follow-up.js'
import { documentStatus } from '../../../src/core/delivery/timeline.js'
import type { Document } from '../../../src/core/documents/documents.js'
import { listDueSoon } from '../../../src/core/documents/due-soon.js'
import { earliestPaidOn, getPayment, markPaid, unmarkPaid } from '../../../src/core/documents/payments.js'
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../../src/core/errors.js'
import { disableUser } from '../../../src/core/identity/users.js'
import { scopeOfFreshUser, setVisibility } from '../../../src/core/identity/visibility.js'
import { sendDocumentByEmail } from '../../../src/core/mail/document-mail.js'
import { runReminders } from '../../../src/core/mail/reminders.js'
import { smtpSettingsFromEnv } from '../../../src/core/mail/smtp.js'
import { addDays, localDate } from '../../../src/core/time.js'
import { useTestDatabase } from '../../helpers/db.js'
import { ACCOUNTANT, makeClient, makeDocument, makeUser } from '../../helpers/factories.js'

const t = useTestDatabase({ firm: true })
const today = localDate()
const competence = today.slice(0, 7)

async function world() {
  const head = await makeClient(t.db, t.key, { name: 'Padaria Matriz Ltda' })
  const member = await makeClient(t.db, t.key, { name: 'Padaria Filial Ltda' })
  await addGroupMembers(t.db, ACCOUNTANT, head.id, [member.id])
  const stranger = await makeClient(t.db, t.key, { name: 'Oficina Ltda' })
  const admin = await makeUser(t.db, { clientId: head.id, username: 'ana', name: 'Ana Souza', role: 'admin', active: true })
  const collaborator = await makeUser(t.db, { clientId: head.id, username: 'bia', role: 'collaborator', active: true })
  const noFiscal = await makeUser(t.db, { clientId: head.id, username: 'caio', role: 'collaborator', active: true })
  await setVisibility(t.db, ACCOUNTANT, noFiscal.id, { hiddenCategories: ['fiscal'], hiddenCompanyIds: [] })
  const pending = await makeUser(t.db, { clientId: head.id, username: 'duda', role: 'collaborator', active: false })
  const disabled = await makeUser(t.db, { clientId: head.id, username: 'edu', role: 'collaborator', active: true })
  await disableUser(t.db, ACCOUNTANT, disabled.id)
  const memberUser = await makeUser(t.db, { clientId: member.id, username: 'fabi', role: 'admin', active: true })
  const strangerAdmin = await makeUser(t.db, { clientId: stranger.id, username: 'gil', role: 'admin', active: true })
  const das = await makeDocument(t, head.id, { title: 'DAS', competence, dueDate: addDays(today, 2) })
  const memberGuide = await makeDocument(t, member.id, { title: 'DARF', competence, dueDate: addDays(today, 2) })
  const contract = await makeDocument(t, head.id, { title: 'Contrato social', category: 'societario' })
  return { head, member, stranger, admin, collaborator, noFiscal, pending, disabled, memberUser, strangerAdmin, das, memberGuide, contract }
}

const as = (user: { id: number }): Actor => clientUser(user.id)

async function logRows() {
  return t.db
    .selectFrom('access_log')
    .select(['kind', 'document_id', 'client_id', 'user_id', 'channel', 'details', 'username_commitment', 'ip_commitment'])
    .where('kind', 'in', ['document.paid', 'document.unpaid'])
    .orderBy('id')
    .execute()
}

describe('marking a guide paid', () => {
  it('a client admin marks it: the mark names the user, and a document.paid row commits who and from where', async () => {
    const w = await world()
    const mark = await markPaid(t.db, as(w.admin), w.das.id, { paidOn: today, origin: { ip: '203.0.113.9', port: 4431, userAgent: 'Firefox' } })
    expect(mark).toMatchObject({ documentId: w.das.id, paidOn: today, markedBy: 'user:ana', proofUploadId: null })
    expect(mark.user).toEqual({ id: w.admin.id, username: 'ana', name: 'Ana Souza' })
    const [row] = await logRows()
    expect(row).toMatchObject({ kind: 'document.paid', document_id: w.das.id, client_id: w.head.id, user_id: w.admin.id, channel: 'portal' })
    expect(row.details).toBe(`{"by":"client","paid_on":"${today}","proof_upload_id":null}`)
    // Personal values are committed, never in details.
    expect(row.username_commitment).toMatch(/^[0-9a-f]{64}$/)
    expect(row.ip_commitment).toMatch(/^[0-9a-f]{64}$/)
    expect(row.details).not.toContain('ana')
    expect(await verifyAccessLog(t.db)).toMatchObject({ ok: true })
  })

  it('the firm marks it: no user, no personal field, by "firm"', async () => {
    const w = await world()
    const mark = await markPaid(t.db, ACCOUNTANT, w.das.id, { paidOn: addDays(today, -1) })
    expect(mark).toMatchObject({ markedBy: 'cli:test', user: null, paidOn: addDays(today, -1) })
    const [row] = await logRows()
    expect(row).toMatchObject({ user_id: null, channel: null, username_commitment: null, ip_commitment: null })
    expect(row.details).toBe(`{"by":"firm","paid_on":"${addDays(today, -1)}","proof_upload_id":null}`)
  })

  it('without a date it is paid today', async () => {
    const w = await world()
    await expect(markPaid(t.db, ACCOUNTANT, w.das.id, {}, today)).resolves.toMatchObject({ paidOn: today })
  })

  it('an active collaborator who sees the guide, and a group head user for a member company, may mark it', async () => {
    const w = await world()
    await expect(markPaid(t.db, as(w.collaborator), w.das.id, { paidOn: today })).resolves.toMatchObject({ paidOn: today })
    await expect(markPaid(t.db, as(w.admin), w.memberGuide.id, { paidOn: today })).resolves.toMatchObject({ paidOn: today })
    expect((await logRows()).map((r) => [r.document_id, r.client_id])).toEqual([
      [w.das.id, w.head.id],
      [w.memberGuide.id, w.member.id],
    ])
  })

  it('refuses pending and disabled users, a collaborator who cannot see the guide, another client, a member up to its head', async () => {
    const w = await world()
    const attempt = (user: { id: number }, document: Document = w.das) => markPaid(t.db, as(user), document.id, { paidOn: today })
    await expect(attempt(w.pending)).rejects.toBeInstanceOf(ForbiddenError)
    await expect(attempt(w.disabled)).rejects.toBeInstanceOf(ForbiddenError)
    // As if the guide did not exist: the same answer as an unknown id.
    await expect(attempt(w.noFiscal)).rejects.toBeInstanceOf(NotFoundError)
    await expect(attempt(w.strangerAdmin)).rejects.toBeInstanceOf(NotFoundError)
    await expect(attempt(w.memberUser)).rejects.toBeInstanceOf(NotFoundError)
    await expect(markPaid(t.db, ACCOUNTANT, 999_999, { paidOn: today })).rejects.toBeInstanceOf(NotFoundError)
    // Nor may they undo a mark.
    await markPaid(t.db, ACCOUNTANT, w.das.id, { paidOn: today })
    await expect(unmarkPaid(t.db, as(w.strangerAdmin), w.das.id)).rejects.toBeInstanceOf(NotFoundError)
    await expect(unmarkPaid(t.db, as(w.pending), w.das.id)).rejects.toBeInstanceOf(ForbiddenError)
    expect(await logRows()).toHaveLength(1)
  })

  it('refuses a document that is not a guide, a future date, a date before the competência year, and an unreal date', async () => {
    const w = await world()
    const refusal = (paidOn: string, document: Document = w.das) => markPaid(t.db, ACCOUNTANT, document.id, { paidOn }).catch((e) => e)
    expect(await refusal(today, w.contract)).toMatchObject({ reason: 'payment_not_a_guide' })
    expect(await refusal(today, w.contract)).toBeInstanceOf(ConflictError)
    expect(await refusal(addDays(today, 1))).toMatchObject({ reason: 'payment_date_future' })
    const earliest = `${competence.slice(0, 4)}-01-01`
    expect(await refusal(addDays(earliest, -1))).toMatchObject({ reason: 'payment_date_too_early' })
    for (const bad of ['2026-02-30', '18/12/2026', '', 'hoje', `${today}T10:00`]) {
      const error = await refusal(bad)
      expect(error).toBeInstanceOf(ValidationError)
      expect(error).toMatchObject({ reason: 'payment_date_invalid' })
    }
    expect(await logRows()).toEqual([])
    expect(await getPayment(t.db, w.das.id)).toBeNull()
    await expect(markPaid(t.db, ACCOUNTANT, w.das.id, { paidOn: earliest })).resolves.toMatchObject({ paidOn: earliest })
  })

  it('without a competência, the earliest day is 1 January of the year before the due date', () => {
    expect(earliestPaidOn({ competence: null, dueDate: '2027-01-20' })).toBe('2026-01-01')
    expect(earliestPaidOn({ competence: '2026-12', dueDate: '2027-01-20' })).toBe('2026-01-01')
  })

  it('a second mark is refused (unmark first); unmark writes document.unpaid; unmarking twice is refused', async () => {
    const w = await world()
    await markPaid(t.db, as(w.admin), w.das.id, { paidOn: today })
    const again = await markPaid(t.db, ACCOUNTANT, w.das.id, { paidOn: addDays(today, -3) }).catch((e) => e)
    expect(again).toBeInstanceOf(ConflictError)
    expect(again).toMatchObject({ reason: 'payment_already_marked' })
    await unmarkPaid(t.db, as(w.collaborator), w.das.id, { ip: '203.0.113.9' })
    expect(await getPayment(t.db, w.das.id)).toBeNull()
    expect(await unmarkPaid(t.db, ACCOUNTANT, w.das.id).catch((e) => e)).toMatchObject({ reason: 'payment_not_marked' })
    await markPaid(t.db, ACCOUNTANT, w.das.id, { paidOn: addDays(today, -3) })
    const rows = await logRows()
    expect(rows.map((r) => [r.kind, r.details, r.user_id])).toEqual([
      ['document.paid', `{"by":"client","paid_on":"${today}","proof_upload_id":null}`, w.admin.id],
      ['document.unpaid', '{"by":"client"}', w.collaborator.id],
      ['document.paid', `{"by":"firm","paid_on":"${addDays(today, -3)}","proof_upload_id":null}`, null],
    ])
    expect(await verifyAccessLog(t.db)).toMatchObject({ ok: true })
  })

  it('two marks at once: one wins, the other is refused, one row in each table', async () => {
    const w = await world()
    const results = await Promise.allSettled([
      markPaid(t.db, as(w.admin), w.das.id, { paidOn: today }),
      markPaid(t.db, ACCOUNTANT, w.das.id, { paidOn: today }),
    ])
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    expect(results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason)).toEqual([
      expect.any(ConflictError),
    ])
    expect(await t.db.selectFrom('document_payments').selectAll().execute()).toHaveLength(1)
    expect(await logRows()).toHaveLength(1)
  })

  it("takes a proof that is one of the company's uploads, and refuses another company's", async () => {
    const w = await world()
    const upload = async (clientId: number, userId: number) =>
      Number(
        (
          await t.db
            .insertInto('uploads')
            .values({ client_id: clientId, user_id: userId, status: 'received', created_at: new Date().toISOString() })
            .returning('id')
            .executeTakeFirstOrThrow()
        ).id,
      )
    const theirs = await upload(w.stranger.id, w.strangerAdmin.id)
    const ours = await upload(w.head.id, w.admin.id)
    const refused = await markPaid(t.db, as(w.admin), w.das.id, { paidOn: today, proofUploadId: theirs }).catch((e) => e)
    expect(refused).toMatchObject({ reason: 'payment_proof_invalid' })
    expect(await logRows()).toEqual([])
    const mark = await markPaid(t.db, as(w.admin), w.das.id, { paidOn: today, proofUploadId: ours })
    expect(mark.proofUploadId).toBe(ours)
    expect((await logRows())[0].details).toBe(`{"by":"client","paid_on":"${today}","proof_upload_id":${ours}}`)
  })
})

describe('what a paid guide leaves', () => {
  const smtp = smtpSettingsFromEnv({ CONFI_SMTP_URL: 'smtp://127.0.0.1:2525' })

  it('"A vencer", the reminders and docs pending (unless asked), and docs status shows the mark', async () => {
    const w = await world()
    await setFirmOptions(t.db, ACCOUNTANT, { mailFrom: 'Contabilidade <avisos@escritorio.com.br>', reminderDays: '3,2,1,0' })
    await sendDocumentByEmail(t.db, t.key, ACCOUNTANT, { documentId: w.das.id, to: 'financeiro@padaria.com.br', smtp })
    const scope = await scopeOfFreshUser(t.db, w.admin)
    const reminded = async () =>
      (await runReminders(t.db, t.key, ACCOUNTANT, { smtp, dryRun: true })).reminders.map((r) => r.documentId)
    const pendingIds = async (includePaid = false) =>
      (await listPending(t.db, { withinDays: 7, includePaid })).map((p) => [p.documentId, p.paidOn])
    expect((await listDueSoon(t.db, scope)).map((d) => d.id)).toContain(w.das.id)
    expect(await reminded()).toEqual([w.das.id])
    expect(await pendingIds()).toContainEqual([w.das.id, null])

    await markPaid(t.db, as(w.admin), w.das.id, { paidOn: today })
    expect((await listDueSoon(t.db, scope)).map((d) => d.id)).not.toContain(w.das.id)
    expect(await reminded()).toEqual([])
    expect(await pendingIds()).not.toContainEqual([w.das.id, null])
    expect(await pendingIds(true)).toContainEqual([w.das.id, today])
    const status = await documentStatus(t.db, w.das.id)
    expect(status.payment).toMatchObject({ paidOn: today, user: { username: 'ana', name: 'Ana Souza' }, proofUploadId: null })

    await unmarkPaid(t.db, ACCOUNTANT, w.das.id)
    expect((await listDueSoon(t.db, scope)).map((d) => d.id)).toContain(w.das.id)
    expect(await reminded()).toEqual([w.das.id])
    expect((await documentStatus(t.db, w.das.id)).payment).toBeNull()
  })
})
