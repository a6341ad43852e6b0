import type { ExpressionBuilder } from 'kysely'
import type { Db } from '../../db/database.js'
import type { AccessLogTable, Database } from '../../db/tables.js'

// The accesses of one document, as the client area lists them and as its delivery timeline dates
// them (docs/rules.md#access-log-integrity). Whose rows a viewer may see is the caller's rule.
// Accesses are the rows with an action (a document.published row has none); a format-2 row keeps
// its personal values beside it, in access_log_personal, until they are erased.

type Access = { action: NonNullable<AccessLogTable['action']>; channel: NonNullable<AccessLogTable['channel']> }

// The username and name of a row of either format: in the row (format 1) or beside it (format 2).
const personalName = (eb: ExpressionBuilder<Database & { p: Database['access_log_personal'] }, 'access_log' | 'p'>) => [
  eb.fn.coalesce('access_log.username', 'p.username').as('username'),
  eb.fn.coalesce('access_log.user_name', 'p.user_name').as('user_name'),
]

/** One access to a document, without the address and browser (those stay in the firm's export). */
export interface DocumentAccessRow {
  at: string
  action: Access['action']
  channel: Access['channel']
  userId: number | null
  username: string | null
  userName: string | null
  attachmentId: number | null
}

/**
 * The accesses to document `documentId` of client `clientId` (only user `userId`'s when given),
 * newest first, at most `limit`, and how many there are in all.
 */
export async function listAccessesOf(
  db: Db,
  query: { documentId: number; clientId: number; userId?: number; limit: number },
): Promise<{ rows: DocumentAccessRow[]; total: number }> {
  let select = db
    .selectFrom('access_log')
    .where('document_id', '=', query.documentId)
    .where('client_id', '=', query.clientId)
    .where('action', 'is not', null)
  if (query.userId !== undefined) select = select.where('user_id', '=', query.userId)
  const [rows, counted] = await Promise.all([
    select
      .leftJoin('access_log_personal as p', 'p.id', 'access_log.id')
      .select(['at', 'action', 'channel', 'user_id', 'attachment_id'])
      .select(personalName)
      .orderBy('access_log.id', 'desc')
      .limit(query.limit)
      .$narrowType<Access>()
      .execute(),
    select.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow(),
  ])
  return {
    rows: rows.map((row) => ({
      at: row.at,
      action: row.action,
      channel: row.channel,
      userId: row.user_id == null ? null : Number(row.user_id),
      username: row.username,
      userName: row.user_name,
      attachmentId: row.attachment_id == null ? null : Number(row.attachment_id),
    })),
    total: Number(counted.n),
  }
}

/** A first access, as a delivery timeline shows it. */
export interface FirstAccess {
  at: string
  /** The username, or null for someone without a session on a link that needs no login. */
  username: string | null
  userName: string | null
  channel: Access['channel']
}

/** The first view and first download of document `documentId`, per delivery or per user. */
export async function firstAccessesOf(
  db: Db,
  documentId: number,
  by: 'delivery' | 'user',
): Promise<Map<number, { view?: FirstAccess; download?: FirstAccess }>> {
  const column = by === 'delivery' ? 'delivery_id' : 'user_id'
  const firsts = await db
    .selectFrom('access_log')
    .select((eb) => [eb.fn.min('id').as('id')])
    .where('document_id', '=', documentId)
    .where(column, 'is not', null)
    .where('action', 'is not', null)
    .groupBy([column, 'action'])
    .execute()
  const ids = firsts.map((f) => Number(f.id))
  const result = new Map<number, { view?: FirstAccess; download?: FirstAccess }>()
  if (ids.length === 0) return result
  const rows = await db
    .selectFrom('access_log')
    .leftJoin('access_log_personal as p', 'p.id', 'access_log.id')
    .select(['at', 'channel', 'action', 'delivery_id', 'user_id'])
    .select(personalName)
    .where('access_log.id', 'in', ids)
    .$narrowType<Access>()
    .execute()
  for (const row of rows) {
    const key = Number(row[column])
    const entry = result.get(key) ?? {}
    entry[row.action] = { at: row.at, username: row.username, userName: row.user_name, channel: row.channel }
    result.set(key, entry)
  }
  return result
}
