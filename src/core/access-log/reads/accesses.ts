import type { Db } from '../../db/database.js'
import type { AccessLogTable } from '../../db/tables.js'

// The accesses of one document, as the client area lists them and as its delivery timeline dates
// them (docs/rules.md#access-log-integrity). Whose rows a viewer may see is the caller's rule.

/** One access to a document, without the address and browser (those stay in the firm's export). */
export interface DocumentAccessRow {
  at: string
  action: AccessLogTable['action']
  channel: AccessLogTable['channel']
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
  if (query.userId !== undefined) select = select.where('user_id', '=', query.userId)
  const [rows, counted] = await Promise.all([
    select
      .select(['at', 'action', 'channel', 'user_id', 'user_name', 'username', 'attachment_id'])
      .orderBy('id', 'desc')
      .limit(query.limit)
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
  channel: AccessLogTable['channel']
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
    .groupBy([column, 'action'])
    .execute()
  const ids = firsts.map((f) => Number(f.id))
  const result = new Map<number, { view?: FirstAccess; download?: FirstAccess }>()
  if (ids.length === 0) return result
  const rows = await db
    .selectFrom('access_log')
    .select(['at', 'username', 'user_name', 'channel', 'action', 'delivery_id', 'user_id'])
    .where('id', 'in', ids)
    .execute()
  for (const row of rows) {
    const key = Number(row[column])
    const entry = result.get(key) ?? {}
    entry[row.action] = { at: row.at, username: row.username, userName: row.user_name, channel: row.channel }
    result.set(key, entry)
  }
  return result
}
