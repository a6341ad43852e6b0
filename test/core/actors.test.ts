// The closed actor type (docs/decisions.md, "Closed actors"): every core operation only the firm's
// accountants may do refuses a client user, even the active admin of the client concerned, and
// leaves nothing behind.
import { beforeEach, describe, expect, it } from 'vitest'
import { clientUser, type Actor } from '../../src/core/actors.js'
import {
  addClient,
  editClient,
  getClient,
  rotateLoginLink,
  setClientRequireLogin,
  type Client,
} from '../../src/core/clients/clients.js'
import { getFirmOptions, initFirm, setFirmOptions } from '../../src/core/clients/firm.js'
import { addGroupMembers, removeGroupMembers } from '../../src/core/clients/groups.js'
import { createDelivery, getDelivery, revokeDelivery } from '../../src/core/delivery/deliveries.js'
import { addDocument, type Document } from '../../src/core/documents/documents.js'
import { ForbiddenError } from '../../src/core/errors.js'
import { sendDocumentByEmail } from '../../src/core/mail/document-mail.js'
import { getOutboxEntry, retryOutbox } from '../../src/core/mail/outbox.js'
import { runReminders } from '../../src/core/mail/reminders.js'
import { smtpSettingsFromEnv } from '../../src/core/mail/smtp.js'
import { useTestDatabase } from '../helpers/db.js'
import { makeDocument, storeOf, writeTestFile } from '../helpers/factories.js'
import { ACCOUNTANT, makeClient, makeUser, nextCnpj } from '../helpers/factories.js'

const t = useTestDatabase({ firm: true })
let head: Client
let member: Client
let document: Document
let admin: Actor

beforeEach(async () => {
  head = await makeClient(t.db, t.key)
  member = await makeClient(t.db, t.key)
  await addGroupMembers(t.db, ACCOUNTANT, head.id, [member.id])
  document = await makeDocument(t, head.id)
  // The client's first user: its active admin, the strongest client user there is.
  admin = clientUser((await makeUser(t.db, { clientId: head.id })).id)
})

async function eventCount(): Promise<number> {
  return (await t.db.selectFrom('events').select('id').execute()).length
}

/** Expects `action` to be refused with ForbiddenError and to write no event. */
async function expectRefused(action: () => Promise<unknown>): Promise<void> {
  const before = await eventCount()
  await expect(action()).rejects.toThrow(ForbiddenError)
  await expect(action()).rejects.toThrow(/only the firm's accountants can/)
  expect(await eventCount()).toBe(before)
}

describe('operations only accountants may do refuse a client user', () => {
  it('initFirm', async () => {
    await expectRefused(() => initFirm(t.db, { firmName: 'Outra', actor: admin }))
    expect((await getFirmOptions(t.db)).firmName).toBe('Contabilidade Teste')
  })

  it('setFirmOptions', async () => {
    await expectRefused(() => setFirmOptions(t.db, admin, { requireLogin: true }))
    expect((await getFirmOptions(t.db)).requireLogin).toBe(false)
  })

  it('addClient', async () => {
    const taxId = nextCnpj()
    await expectRefused(() => addClient(t.db, t.key, admin, { name: 'Intrusa Ltda', taxId }))
    expect(await t.db.selectFrom('clients').select('id').where('tax_id', '=', taxId).execute()).toEqual([])
  })

  it('editClient', async () => {
    await expectRefused(() => editClient(t.db, admin, head.id, { name: 'Outro Nome' }))
    expect((await getClient(t.db, head.id)).name).toBe(head.name)
  })

  it('setClientRequireLogin', async () => {
    await expectRefused(() => setClientRequireLogin(t.db, admin, head.id, 'off'))
    expect((await getClient(t.db, head.id)).requireLogin).toBe(head.requireLogin)
  })

  it('rotateLoginLink', async () => {
    await expectRefused(() => rotateLoginLink(t.db, t.key, admin, head.id))
    expect((await getClient(t.db, head.id)).loginLinkVersion).toBe(head.loginLinkVersion)
  })

  it('addGroupMembers', async () => {
    const other = await makeClient(t.db, t.key)
    await expectRefused(() => addGroupMembers(t.db, admin, head.id, [other.id]))
    expect((await getClient(t.db, other.id)).groupHeadId).toBeNull()
  })

  it('removeGroupMembers', async () => {
    await expectRefused(() => removeGroupMembers(t.db, admin, head.id, [member.id]))
    expect((await getClient(t.db, member.id)).groupHeadId).toBe(head.id)
  })

  it('addDocument', async () => {
    const files = [{ path: writeTestFile(t.dir, 'intruso.pdf') }]
    const input = { clientId: head.id, title: 'Intruso', category: 'fiscal', files }
    await expectRefused(() => addDocument(t.db, storeOf(t), admin, input))
    expect(await t.db.selectFrom('documents').select('id').execute()).toHaveLength(1)
  })

  it('createDelivery', async () => {
    await expectRefused(() => createDelivery(t.db, t.key, admin, { documentId: document.id, channel: 'link' }))
    expect(await t.db.selectFrom('deliveries').select('id').execute()).toEqual([])
  })

  it('revokeDelivery', async () => {
    const { delivery } = await createDelivery(t.db, t.key, ACCOUNTANT, { documentId: document.id, channel: 'link' })
    await expectRefused(() => revokeDelivery(t.db, admin, delivery.id))
    expect((await getDelivery(t.db, delivery.id)).revokedAt).toBeNull()
  })

  describe('e-mail', () => {
    // Queued only: nothing is sent until an outbox run, so no server is needed here.
    const smtp = smtpSettingsFromEnv({ CONFI_SMTP_URL: 'smtp://127.0.0.1:2525' })
    beforeEach(async () => {
      await setFirmOptions(t.db, ACCOUNTANT, { mailFrom: 'Contabilidade Teste <avisos@escritorio.com.br>' })
    })

    it('sendDocumentByEmail', async () => {
      const input = { documentId: document.id, to: 'financeiro@padaria.com.br', smtp }
      await expectRefused(() => sendDocumentByEmail(t.db, t.key, admin, input))
      expect(await t.db.selectFrom('outbox').select('id').execute()).toEqual([])
      expect(await t.db.selectFrom('deliveries').select('id').execute()).toEqual([])
    })

    it('retryOutbox', async () => {
      const input = { documentId: document.id, to: 'financeiro@padaria.com.br', smtp }
      const { outboxId } = await sendDocumentByEmail(t.db, t.key, ACCOUNTANT, input)
      const before = await getOutboxEntry(t.db, outboxId)
      await expectRefused(() => retryOutbox(t.db, admin, outboxId))
      expect(await getOutboxEntry(t.db, outboxId)).toEqual(before)
    })

    it('runReminders', async () => {
      await expectRefused(() => runReminders(t.db, t.key, admin, { smtp }))
      expect(await t.db.selectFrom('reminders_sent').selectAll().execute()).toEqual([])
    })
  })
})
