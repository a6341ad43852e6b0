import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { setFirmOptions } from '../../src/core/clients/firm.js'
import { documentStatus } from '../../src/core/delivery/timeline.js'
import { sendDocumentByEmail } from '../../src/core/mail/document-mail.js'
import { runOutbox } from '../../src/core/mail/sender.js'
import { createSmtpTransport, smtpSettingsFromEnv } from '../../src/core/mail/smtp.js'
import { startTestSmtp, type TestSmtp } from '../helpers/smtp.js'
import { createPortalWorld, type PortalWorld } from '../helpers/portal.js'
import { ACCOUNTANT } from '../helpers/factories.js'

let w: PortalWorld
let smtp: TestSmtp
beforeEach(async () => {
  w = await createPortalWorld()
  smtp = await startTestSmtp({ auth: { user: 'avisos@escritorio.com.br', pass: 'S3nh@ secreta' } })
  await setFirmOptions(w.db, ACCOUNTANT, { mailFrom: 'Contabilidade Teste <avisos@escritorio.com.br>' })
})
afterEach(async () => {
  await smtp.close()
  await w.close()
})

describe('the link in a sent e-mail', () => {
  it('opens the document in the portal and the access log records channel email', async () => {
    const client = await w.client('Padaria Pão Quente Ltda', { requireLogin: 'off' })
    const doc = await w.doc(client, 'DAS novembro 2026')
    const settings = smtpSettingsFromEnv({ CONFI_SMTP_URL: smtp.url })!
    expect(settings.label).toBe(`smtp://127.0.0.1:${smtp.port}`)
    const { delivery } = await sendDocumentByEmail(w.db, w.t.key, ACCOUNTANT, { documentId: doc.id, to: 'financeiro@padaria.com.br', smtp: settings })
    const transport = createSmtpTransport(settings)
    try {
      expect(await runOutbox(w.db, transport)).toEqual({ sent: 1, queued: 0, failed: 0 })
    } finally {
      transport.close()
    }
    const [mail] = await smtp.waitFor(1)
    const link = /http:\/\/localhost\/d\/\S+/.exec(mail.text ?? '')?.[0]
    expect(link).toBeDefined()
    const page = await w.request(new URL(link!).pathname)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('DAS novembro 2026')
    const file = await w.request(`${new URL(link!).pathname}/files/${doc.attachments[0].id}`)
    expect(file.status).toBe(200)
    const rows = await w.accessRows()
    expect(rows.map((r) => [r.action, r.channel, r.delivery_id])).toEqual([
      ['view', 'email', delivery.id],
      ['download', 'email', delivery.id],
    ])
    const status = await documentStatus(w.db, doc.id)
    const [timeline] = status.deliveries
    expect(timeline.mails.map((m) => [m.kind, m.status])).toEqual([['delivery', 'sent']])
    expect(timeline.mails[0].serverReply).toMatch(/^250 /)
    expect(timeline.firstView?.channel).toBe('email')
    expect(timeline.firstDownload?.channel).toBe('email')
  })
})
