import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { setFirmOptions } from '../../../src/core/clients/firm.js'
import { sendDocumentByEmail } from '../../../src/core/mail/document-mail.js'
import { getOutboxEntry, listOutbox, retryOutbox } from '../../../src/core/mail/outbox.js'
import { runOutbox } from '../../../src/core/mail/sender.js'
import { createSmtpTransport, smtpSettingsFromEnv, type MailTransport } from '../../../src/core/mail/smtp.js'
import { setClock } from '../../../src/core/time.js'
import { checkpointText, createCheckpoint } from '../../../src/core/proof/checkpoints.js'
import { loadSigningKeys, verifySignature } from '../../../src/core/proof/keys.js'
import { fillAccessLog } from '../../helpers/access-log.js'
import { useTestDatabase } from '../../helpers/db.js'
import { makeDocument } from '../../helpers/factories.js'
import { ACCOUNTANT, makeClient } from '../../helpers/factories.js'
import { startTestSmtp, type TestSmtp } from '../../helpers/smtp.js'

const t = useTestDatabase({ firm: true })
let smtp: TestSmtp
let transport: MailTransport
const restores: (() => void)[] = []

beforeEach(async () => {
  await setFirmOptions(t.db, ACCOUNTANT, {
    firmName: 'Contabilidade Exemplo',
    mailFrom: 'Contabilidade Exemplo <avisos@escritorio.com.br>',
    phone: '(11) 3333-4444',
  })
  smtp = await startTestSmtp()
  transport = createSmtpTransport(smtpSettingsFromEnv({ CONFI_SMTP_URL: smtp.url })!)
})
afterEach(async () => {
  for (const restore of restores.splice(0)) restore()
  transport.close()
  await smtp.close()
})

async function queueOne(to = 'financeiro@padaria.com.br') {
  const client = await makeClient(t.db, t.key, { name: 'Padaria Pão Quente Ltda' })
  const doc = await makeDocument(t, client.id, { title: 'DAS 11/2026', competence: '2026-11', dueDate: '2026-12-21' })
  const sent = await sendDocumentByEmail(t.db, t.key, ACCOUNTANT, {
    documentId: doc.id,
    to,
    smtp: smtpSettingsFromEnv({ CONFI_SMTP_URL: smtp.url }),
  })
  return { client, doc, ...sent }
}

function moveClock(minutes: number) {
  const at = Date.now() + minutes * 60_000
  restores.push(setClock(() => new Date(at)))
}

describe('outbox and sender', () => {
  it('sends a pt-BR e-mail with text and HTML, a stable Message-ID and no tracking pixel', async () => {
    const { outboxId, url } = await queueOne()
    expect(await runOutbox(t.db, transport)).toEqual({ sent: 1, queued: 0, failed: 0 })
    const [mail] = smtp.messages
    const entry = await getOutboxEntry(t.db, outboxId)
    expect(entry.status).toBe('sent')
    expect(entry.serverReply).toMatch(/^250 /)
    expect(mail.messageId).toBe(entry.messageId)
    expect(entry.messageId).toMatch(/^<confi\.[0-9a-f]{32}@escritorio\.com\.br>$/)
    expect(mail.from?.text).toBe('"Contabilidade Exemplo" <avisos@escritorio.com.br>')
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.text : '').toBe('financeiro@padaria.com.br')
    expect(mail.subject).toBe('DAS 11/2026 – Padaria Pão Quente Ltda (vencimento 21/12/2026)')
    expect(mail.text).toContain('Contabilidade Exemplo enviou um documento para Padaria Pão Quente Ltda.')
    expect(mail.text).toContain('Competência: 11/2026')
    expect(mail.text).toContain('Vencimento: 21/12/2026')
    expect(mail.text).toContain(url)
    expect(mail.text).toContain('Telefone: +55 11 3333-4444')
    expect(mail.html).toContain(`<a href="${url}">Abrir o documento</a>`)
    expect(mail.html).not.toMatch(/<img/i)
    expect(await runOutbox(t.db, transport)).toEqual({ sent: 0, queued: 0, failed: 0 })
    expect(smtp.messages).toHaveLength(1)
  })

  it('carries the newest checkpoint in X-Confi-Checkpoint, whose signature verifies under the firm key', async () => {
    const keys = loadSigningKeys(t.config.signingKeyFile, { create: true })
    await queueOne()
    expect(await runOutbox(t.db, transport)).toMatchObject({ sent: 1 })
    // No checkpoint yet: no header rather than an empty one.
    expect(smtp.messages[0].headers.get('x-confi-checkpoint')).toBeUndefined()
    const client = await makeClient(t.db, t.key)
    const target = { documentId: (await makeDocument(t, client.id)).id, clientId: client.id }
    // Rows 1 and 2 are the two documents' document.published rows: 2 + 3 + 3 = 8 rows.
    await fillAccessLog(t, 3, target)
    await createCheckpoint(t.db, keys)
    await fillAccessLog(t, 3, target)
    const newest = (await createCheckpoint(t.db, keys))!
    await queueOne('outro@padaria.com.br')
    expect(await runOutbox(t.db, transport)).toMatchObject({ sent: 1 })
    const header = String(smtp.messages[1].headers.get('x-confi-checkpoint')).replace(/\s+/g, ' ')
    expect(header).toBe(`size=8; root=${newest.rootHash}; time=${newest.at}; key=${newest.keyId}; signature=${newest.signature}`)
    const fields = Object.fromEntries(header.split('; ').map((part) => part.split(/=(.*)/s).slice(0, 2)))
    const body = { treeSize: Number(fields.size), rootHash: fields.root, at: fields.time, keyId: fields.key }
    expect(verifySignature(keys.current.publicKey, checkpointText(body), fields.signature)).toBe(true)
  })

  it('keeps a deferred (4xx) message queued and retries it after a growing delay', async () => {
    const { outboxId } = await queueOne()
    smtp.mode = 'defer'
    expect(await runOutbox(t.db, transport)).toEqual({ sent: 0, queued: 1, failed: 0 })
    let entry = await getOutboxEntry(t.db, outboxId)
    expect([entry.status, entry.attempts]).toEqual(['queued', 1])
    expect(entry.lastError).toMatch(/^451 /)
    const firstDelay = Date.parse(entry.nextAttemptAt) - Date.now()
    expect(firstDelay).toBeGreaterThan(50_000)
    expect(await runOutbox(t.db, transport)).toEqual({ sent: 0, queued: 1, failed: 0 })
    expect(smtp.attempts).toBe(1)
    moveClock(2)
    await runOutbox(t.db, transport)
    entry = await getOutboxEntry(t.db, outboxId)
    expect(entry.attempts).toBe(2)
    expect(Date.parse(entry.nextAttemptAt) - (Date.now() + 2 * 60_000)).toBeGreaterThan(firstDelay)
    smtp.mode = 'accept'
    moveClock(10)
    expect(await runOutbox(t.db, transport)).toEqual({ sent: 1, queued: 0, failed: 0 })
    expect(smtp.messages).toHaveLength(1)
  })

  it('fails a rejected (5xx) message with the server reply; retry queues it again', async () => {
    const { outboxId } = await queueOne()
    smtp.mode = 'reject'
    expect(await runOutbox(t.db, transport)).toEqual({ sent: 0, queued: 0, failed: 1 })
    const entry = await getOutboxEntry(t.db, outboxId)
    expect(entry.status).toBe('failed')
    expect(entry.serverReply).toMatch(/^550 .*Mailbox unavailable/)
    expect((await listOutbox(t.db, { status: 'failed' })).map((e) => e.id)).toEqual([outboxId])
    smtp.mode = 'accept'
    await retryOutbox(t.db, ACCOUNTANT, outboxId)
    expect(await runOutbox(t.db, transport)).toEqual({ sent: 1, queued: 0, failed: 0 })
    await expect(retryOutbox(t.db, ACCOUNTANT, outboxId)).rejects.toThrow(/never sent twice/)
  })

  it('keeps messages queued when the server cannot be reached', async () => {
    const { outboxId } = await queueOne()
    const port = smtp.port
    await smtp.close()
    const down = createSmtpTransport(smtpSettingsFromEnv({ CONFI_SMTP_URL: `smtp://127.0.0.1:${port}` })!)
    try {
      expect(await runOutbox(t.db, down)).toEqual({ sent: 0, queued: 1, failed: 0 })
    } finally {
      down.close()
    }
    const entry = await getOutboxEntry(t.db, outboxId)
    expect([entry.status, entry.attempts]).toEqual(['queued', 1])
    expect(entry.lastError).toMatch(/ECONNREFUSED|connect/i)
    smtp = await startTestSmtp()
  })

  it('two concurrent senders send each message exactly once', async () => {
    const client = await makeClient(t.db, t.key)
    const doc = await makeDocument(t, client.id)
    const settings = smtpSettingsFromEnv({ CONFI_SMTP_URL: smtp.url })
    for (let i = 0; i < 12; i++) {
      await sendDocumentByEmail(t.db, t.key, ACCOUNTANT, { documentId: doc.id, to: `p${i}@padaria.com.br`, smtp: settings })
    }
    const other = await t.connect()
    const otherTransport = createSmtpTransport(settings!)
    try {
      const [a, b] = await Promise.all([runOutbox(t.db, transport), runOutbox(other.db, otherTransport)])
      expect(a.sent + b.sent).toBe(12)
    } finally {
      otherTransport.close()
      await other.close()
    }
    const ids = smtp.messages.map((m) => m.messageId)
    expect(ids).toHaveLength(12)
    expect(new Set(ids).size).toBe(12)
  })

  it('refuses without SMTP or with a bad address, creating nothing', async () => {
    const client = await makeClient(t.db, t.key)
    const doc = await makeDocument(t, client.id)
    await expect(
      sendDocumentByEmail(t.db, t.key, ACCOUNTANT, { documentId: doc.id, to: 'a@b.com.br', smtp: null }),
    ).rejects.toThrow(/e-mail is not configured: set CONFI_SMTP_URL/)
    await expect(
      sendDocumentByEmail(t.db, t.key, ACCOUNTANT, { documentId: doc.id, to: 'not-an-address', smtp: smtpSettingsFromEnv({ CONFI_SMTP_URL: smtp.url }) }),
    ).rejects.toThrow(/'not-an-address' is not a valid e-mail address/)
    expect(await t.db.selectFrom('deliveries').selectAll().execute()).toEqual([])
    expect(await t.db.selectFrom('outbox').selectAll().execute()).toEqual([])
  })

  it('reads CONFI_SMTP_URL without ever printing its credentials', () => {
    expect(smtpSettingsFromEnv({})).toBeNull()
    expect(smtpSettingsFromEnv({ CONFI_SMTP_URL: 'smtps://avisos%40x.com.br:SEGREDO@smtp.x.com.br:465' })?.label).toBe('smtps://smtp.x.com.br:465')
    for (const bad of ['http://u:SEGREDO@smtp.x.com.br', 'smtps://u:SEGREDO@', 'nada SEGREDO']) {
      expect(() => smtpSettingsFromEnv({ CONFI_SMTP_URL: bad })).toThrow(/CONFI_SMTP_URL/)
      expect(() => smtpSettingsFromEnv({ CONFI_SMTP_URL: bad })).not.toThrow(/SEGREDO/)
    }
  })
})
