import type { Db } from '../db/database.js'
import { preparedQuery } from '../db/prepared.js'
import { selectSessionUser, sessionUserOf, type SessionUser } from '../identity/authentication.js'
import { sessionTokenHash, type SessionPolicy } from '../identity/sessions.js'
import { canSee, type VisibleScope } from '../identity/visibility.js'
import { ATTACHMENT_COLUMNS, expiredError, toDocument, type Attachment, type Document } from './documents.js'

// The gated download's reads in one statement (docs/performance.md, "Gated download under wrk"):
// the session, its user and visible scope (selectSessionUser) and the document with its files,
// left-joined so that an unknown document still answers the session's row. On PostgreSQL every
// statement is a round trip to a server sharing the same cores; this was three. Everything is
// read in the same request as before, in one snapshot: nothing is cached across requests.

/** The document a download names, as read with the session: found, expired (a tombstone) or missing. */
export type DocumentLookup =
  | { kind: 'found'; document: Document }
  | { kind: 'expired'; id: number; clientId: number; category: string; at: string; reason: string | null }
  | { kind: 'missing' }

// Compiled once (core/db/prepared.ts).
const sessionDocumentQuery = preparedQuery(2, (db: Db, tokenHash: string, documentId: number) =>
  selectSessionUser(db, tokenHash)
    .leftJoin('documents', (join) => join.on('documents.id', '=', documentId))
    .leftJoin('clients as document_client', 'document_client.id', 'documents.client_id')
    .leftJoin('attachments', 'attachments.document_id', 'documents.id')
    .select([
      'documents.id as document_id',
      'documents.client_id as document_client_id',
      'documents.title as document_title',
      'documents.category as document_category',
      'documents.competence as document_competence',
      'documents.due_date as document_due_date',
      'documents.amount_cents as document_amount_cents',
      'documents.created_at as document_created_at',
      'documents.created_by as document_created_by',
      'documents.expired_at as document_expired_at',
      'documents.expired_reason as document_expired_reason',
      'document_client.name as document_client_name',
      'document_client.tax_id as document_client_tax_id',
    ])
    .select(ATTACHMENT_COLUMNS)
    .orderBy('attachments.id'),
)

type Row = Awaited<ReturnType<typeof sessionDocumentQuery>>[number]

/**
 * The request's live session with its user and scope, and the document `documentId` with its
 * files, in one statement; null when the token names no live session (as lookupSessionUser).
 */
export async function lookupSessionDocument(
  db: Db,
  token: string,
  policy: Pick<SessionPolicy, 'idleMinutes'>,
  documentId: number,
): Promise<{ session: SessionUser; document: DocumentLookup } | null> {
  const tokenHash = sessionTokenHash(token)
  if (!tokenHash) return null
  const rows = await sessionDocumentQuery(db, tokenHash, documentId)
  if (rows.length === 0) return null
  const session = await sessionUserOf(db, rows[0], policy)
  return session ? { session, document: documentOf(rows) } : null
}

function documentOf(rows: Row[]): DocumentLookup {
  const first = rows[0]
  if (first.document_id == null) return { kind: 'missing' }
  const id = Number(first.document_id)
  const clientId = Number(first.document_client_id)
  if (first.document_expired_at) {
    return { kind: 'expired', id, clientId, category: first.document_category!, at: first.document_expired_at, reason: first.document_expired_reason }
  }
  const attachments: Attachment[] = []
  for (const row of rows) {
    // A document without files still has its one row, with nulls for the attachment.
    if (row.attachment_id == null) continue
    attachments.push({
      id: Number(row.attachment_id),
      documentId: id,
      fileName: row.attachment_file_name!,
      mediaType: row.attachment_media_type!,
      size: Number(row.attachment_size),
      sha256: row.attachment_sha256!,
      storageKey: row.attachment_storage_key!,
    })
  }
  const document = toDocument(
    {
      id,
      client_id: clientId,
      client_name: first.document_client_name!,
      client_tax_id: first.document_client_tax_id!,
      title: first.document_title!,
      category: first.document_category!,
      competence: first.document_competence,
      due_date: first.document_due_date,
      amount_cents: first.document_amount_cents,
      created_at: first.document_created_at!,
      created_by: first.document_created_by!,
    },
    attachments,
  )
  return { kind: 'found', document }
}

/**
 * The looked-up document if `scope` may see it, else null; an expired one the scope could see is
 * GoneError, to anyone else it never existed (as findVisibleDocument decides).
 */
export function visibleLookedUp(scope: VisibleScope, lookup: DocumentLookup): Document | null {
  if (lookup.kind === 'missing') return null
  if (lookup.kind === 'expired') {
    if (!canSee(scope, lookup)) return null
    throw expiredError(lookup.id, lookup.at, lookup.reason)
  }
  return canSee(scope, lookup.document) ? lookup.document : null
}
