import { describe, expect, it } from 'vitest'
import { setFirmOptions } from '../../../src/core/clients/firm.js'
import { fileDocument } from '../../../src/core/mail/document-filing.js'
import { requireMailReady } from '../../../src/core/mail/document-mail.js'
import { smtpSettingsFromEnv } from '../../../src/core/mail/smtp.js'
import { useTestDatabase } from '../../helpers/db.js'
import { ACCOUNTANT, makeClient, makeUser, storeOf } from '../../helpers/factories.js'

const t = useTestDatabase({ firm: true })
const smtp = smtpSettingsFromEnv({ CONFI_SMTP_URL: 'smtp://127.0.0.1:2525' })

async function setUp() {
  await setFirmOptions(t.db, ACCOUNTANT, { mailFrom: 'Contabilidade <avisos@escritorio.com.br>' })
  const client = await makeClient(t.db, t.key, { name: 'Padaria', email: 'contato@padaria.com.br' })
  await makeUser(t.db, { clientId: client.id, email: 'ana@padaria.com.br', role: 'admin', active: true })
  const input = { clientId: client.id, title: 'DAS 10/2026', category: 'fiscal', files: [{ bytes: Buffer.from('%PDF-1.4 guia'), name: 'guia.pdf' }] }
  return { firm: await requireMailReady(t.db, smtp), input }
}

const rows = async (table: 'documents' | 'attachments' | 'outbox') =>
  Number((await t.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n)

describe('fileDocument (filing with notification)', () => {
  it('files the document and queues its notifications together; without notify, none', async () => {
    const { firm, input } = await setUp()
    const quiet = await fileDocument(t.db, storeOf(t), ACCOUNTANT, input)
    expect([quiet.notified, await rows('outbox')]).toEqual([0, 0])
    const filed = await fileDocument(t.db, storeOf(t), ACCOUNTANT, input, { notify: firm })
    expect(filed.notified).toBe(2)
    const mails = await t.db.selectFrom('outbox').select(['kind', 'document_id', 'recipient', 'created_by']).orderBy('id').execute()
    expect(mails.map((m) => [m.kind, Number(m.document_id), m.recipient, m.created_by])).toEqual([
      ['notification', filed.document.id, 'ana@padaria.com.br', filed.document.createdBy],
      ['notification', filed.document.id, 'contato@padaria.com.br', filed.document.createdBy],
    ])
  })

  it('writes no document when its notifications cannot be queued', async () => {
    const { firm, input } = await setUp()
    const broken = Object.defineProperty({ ...firm }, 'baseUrl', {
      get: () => {
        throw new Error('no base URL')
      },
    })
    await expect(fileDocument(t.db, storeOf(t), ACCOUNTANT, input, { notify: broken })).rejects.toThrow(/no base URL/)
    expect([await rows('documents'), await rows('attachments'), await rows('outbox')]).toEqual([0, 0, 0])
  })
})
