import type { Writable } from 'node:stream'
import { appendInTransaction } from '../access-log/chain/append.js'
import { defineEventKind } from '../access-log/chain/format-v2.js'
import type { Db } from '../db/database.js'
import { NotFoundError } from '../errors.js'
import { esc, newMessageId } from '../mail/messages.js'
import { enqueueMail } from '../mail/outbox.js'
import { FIRM_TIME_ZONE, localTime, nowIso } from '../time.js'
import { EXPORT_FORMAT, writePersonExport } from './export.js'
import { resolvePerson } from './person.js'

// "Meus dados" (docs/privacy.md, "In the client area"): an active user downloads their own
// export. Before the first byte, one transaction writes a privacy.exported row (the user and
// where from committed, nothing personal in details) and queues an e-mail telling the firm.

export const PRIVACY_EXPORTED = 'privacy.exported'
defineEventKind(PRIVACY_EXPORTED, { document: false, client: true })

/** Where the request came from, committed in the log row. */
export interface ExportOrigin {
  ip: string | null
  port: number | null
  userAgent: string | null
}

/**
 * Records that active user `userId` takes their own export (log row and the firm's e-mail,
 * committed) and returns what writes the ZIP to a stream. Who may ask is the caller's guard (an
 * active user of the client area); this refuses an account that is not active all the same.
 */
export async function exportOwnData(db: Db, userId: number, origin: ExportOrigin): Promise<(out: Writable) => Promise<void>> {
  const user = await db
    .selectFrom('client_users')
    .innerJoin('clients', 'clients.id', 'client_users.client_id')
    .select(['client_users.id', 'client_users.username', 'client_users.name', 'client_users.status', 'client_users.client_id', 'clients.name as client_name'])
    .where('client_users.id', '=', userId)
    .executeTakeFirst()
  if (!user || user.status !== 'active') throw new NotFoundError('no such active user')
  const at = nowIso()
  await db.transaction().execute(async (trx) => {
    await appendInTransaction(trx, [
      {
        kind: PRIVACY_EXPORTED,
        clientId: Number(user.client_id),
        user: { id: Number(user.id), username: user.username, name: user.name },
        channel: 'portal',
        ip: origin.ip,
        port: origin.port,
        userAgent: origin.userAgent,
        details: { format: EXPORT_FORMAT },
      },
    ])
    await tellFirm(trx, { username: user.username, clientName: user.client_name, at })
  })
  const person = await resolvePerson(db, 'user', String(user.id))
  return async (out) => {
    await writePersonExport(db, person, { requestedBy: `user:${user.username}` }, out)
  }
}

// To the firm's inbox address (its contact address when it set none), through the outbox as an
// 'inbox' message: nothing when the firm has no sender or no address (the log row stays).
async function tellFirm(trx: Db, facts: { username: string; clientName: string; at: string }): Promise<void> {
  const firm = await trx.selectFrom('firm_options').select(['firm_name', 'inbox_email', 'contact_email', 'mail_from']).where('id', '=', 1).executeTakeFirst()
  const recipient = firm?.inbox_email ?? firm?.contact_email ?? null
  if (!firm?.mail_from || !recipient) return
  const when = localTime(facts.at, FIRM_TIME_ZONE).slice(0, 16)
  const subject = `Pedido de dados pessoais atendido: ${facts.username}`
  const lines = [
    `O usuário ${facts.username}, de ${facts.clientName}, baixou pela área do cliente uma cópia dos próprios dados (LGPD, art. 18) em ${when}.`,
    'A cópia foi entregue na hora; o pedido está no registro de acessos (tipo privacy.exported).',
    `Para ver o mesmo conteúdo: confi privacy export --user ${facts.username} --output dados.zip`,
  ]
  await enqueueMail(trx, {
    kind: 'inbox',
    documentId: null,
    deliveryId: null,
    recipient,
    mailFrom: firm.mail_from,
    messageId: newMessageId(firm.mail_from),
    subject,
    text: `${lines.join('\n\n')}\n`,
    html: `<!doctype html><html lang="pt-BR"><body>${lines.map((l) => `<p>${esc(l)}</p>`).join('\n')}</body></html>\n`,
    createdBy: 'portal',
  })
}
