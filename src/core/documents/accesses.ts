import { listAccessesOf } from '../access-log/reads/accesses.js'
import type { Db } from '../db/database.js'
import type { AccessLogTable } from '../db/tables.js'
import type { ClientUser } from '../identity/users.js'
import type { Document } from './documents.js'

// Who opened a document, as its client area shows it (docs/decisions.md, "Client area: due soon,
// new, accesses, ZIP"): an admin sees everyone's accesses to a document they may see, a
// collaborator only their own. Addresses and browsers stay in the firm's export.

/** Newest first, at most this many rows on a page. */
export const ACCESS_LIST_LIMIT = 100

export interface DocumentAccess {
  at: string
  action: NonNullable<AccessLogTable['action']>
  channel: NonNullable<AccessLogTable['channel']>
  /** Null for an access through a link without a login. */
  user: { id: number; name: string; username: string } | null
  /** The file name of a download, if it still has a file with that id. */
  fileName: string | null
}

export interface DocumentAccesses {
  /** `company`: everyone's accesses; `own`: only the viewer's. */
  scope: 'company' | 'own'
  items: DocumentAccess[]
  /** All rows in scope, even past ACCESS_LIST_LIMIT. */
  total: number
}

/**
 * The accesses `viewer` may see to `document`. The document must come from `findVisibleDocument`
 * for this viewer in this request: this function decides whose rows, not whether the document.
 */
export async function listDocumentAccesses(
  db: Db,
  viewer: Pick<ClientUser, 'id' | 'role'>,
  document: Pick<Document, 'id' | 'clientId' | 'attachments'>,
): Promise<DocumentAccesses> {
  const scope = viewer.role === 'admin' ? 'company' : 'own'
  const { rows, total } = await listAccessesOf(db, {
    documentId: document.id,
    clientId: document.clientId,
    userId: scope === 'own' ? viewer.id : undefined,
    limit: ACCESS_LIST_LIMIT,
  })
  const files = new Map(document.attachments.map((a) => [a.id, a.fileName]))
  const items = rows.map((row) => ({
    at: row.at,
    action: row.action,
    channel: row.channel,
    user: row.userId === null ? null : { id: row.userId, name: row.userName ?? '', username: row.username ?? '' },
    fileName: row.attachmentId === null ? null : (files.get(row.attachmentId) ?? null),
  }))
  return { scope, items, total }
}
