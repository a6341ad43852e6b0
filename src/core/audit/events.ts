import type { Actor } from '../actors.js'
import type { Db } from '../db/database.js'
import { NotFoundError } from '../errors.js'
import { nowIso } from '../time.js'

export interface EventInput {
  actor: Actor
  action: string
  clientId?: number | null
  userId?: number | null
  details?: Record<string, unknown> | string | null
}

/** An event's actor label: `cli:<os user>` for accountants, `user:<username>` for client users. */
export async function actorLabel(db: Db, actor: Actor): Promise<string> {
  if (actor.kind === 'accountant') return actor.label
  const row = await db
    .selectFrom('client_users')
    .select('username')
    .where('id', '=', actor.userId)
    .executeTakeFirst()
  if (!row) throw new NotFoundError(`no user with id ${actor.userId}`)
  return `user:${row.username}`
}

/** Appends one row to the audit of administrative actions; call inside the action's transaction. */
export async function recordEvent(trx: Db, event: EventInput): Promise<void> {
  const details =
    event.details == null
      ? null
      : typeof event.details === 'string'
        ? event.details
        : JSON.stringify(event.details)
  await trx
    .insertInto('events')
    .values({
      at: nowIso(),
      actor: await actorLabel(trx, event.actor),
      action: event.action,
      client_id: event.clientId ?? null,
      user_id: event.userId ?? null,
      details,
    })
    .execute()
}
