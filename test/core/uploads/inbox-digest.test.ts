// The firm's inbox e-mail (core/uploads/mail.ts) in a burst: one digest for the window, the first
// DIGEST_LISTED uploads listed in full and the rest counted, so each upload's rebuild stays small.
import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { DIGEST_LISTED } from '../../../src/core/uploads/mail.js'
import { receiveUpload } from '../../../src/core/uploads/index.js'
import { useTestDatabase } from '../../helpers/db.js'
import { makeClient, makeUser, storeOf } from '../../helpers/factories.js'
import { multipart, PDF } from './multipart.js'

const t = useTestDatabase({ firm: true })

describe('the inbox digest', () => {
  it(`lists the first ${DIGEST_LISTED} uploads of its window and counts the rest`, async () => {
    await t.db.updateTable('firm_options').set({ mail_from: 'Escritório <avisos@escritorio.com.br>', inbox_email: 'recebidos@escritorio.com.br' }).execute()
    const client = await makeClient(t.db, t.key, { name: 'Padaria Pão Quente Ltda' })
    const user = await makeUser(t.db, { clientId: client.id, username: 'ana', role: 'admin', active: true })
    const ids: number[] = []
    for (let i = 0; i < DIGEST_LISTED + 3; i++) {
      const form = multipart([{ name: 'empresa', value: String(client.id) }, { name: 'categoria', value: 'contabil' }, { name: 'arquivos', filename: `extrato-${i}.pdf`, content: Buffer.concat([PDF, Buffer.from(String(i))]) }])
      ids.push(await receiveUpload(t.db, storeOf(t), { userId: user.id, requestId: null, body: Readable.from([form.body]), contentType: form.contentType, origin: { ip: '203.0.113.7', port: 5000, userAgent: 'Teste' } }))
    }
    const mails = await t.db.selectFrom('outbox').select(['subject', 'body_text', 'body_html']).where('kind', '=', 'inbox').execute()
    expect(mails).toHaveLength(1)
    const [mail] = mails
    expect(mail.subject).toBe(`${DIGEST_LISTED + 3} novos envios de clientes`)
    expect(mail.body_text).toContain(`Envio ${ids[0]}: Padaria Pão Quente Ltda`)
    expect(mail.body_text).toContain(`Envio ${ids[DIGEST_LISTED - 1]}: `)
    expect(mail.body_text).not.toContain(`Envio ${ids[DIGEST_LISTED]}: `)
    expect(mail.body_text).toContain('E mais 3 envios nesta janela.')
    expect(mail.body_html).toContain('E mais 3 envios nesta janela.')
    expect(mail.body_text.match(/^Envio \d+:/gm)).toHaveLength(DIGEST_LISTED)
  })
})
