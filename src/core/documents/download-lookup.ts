import { sql, type Expression } from 'kysely'
import { backendOf, type Db } from '../db/database.js'
import { groupReads } from '../db/group-read.js'
import { preparedQuery } from '../db/prepared.js'
import { selectSessionUser, sessionUserOf, type SessionUser } from '../identity/authentication.js'
import { sessionTokenHash, type SessionPolicy } from '../identity/sessions.js'
import { canSee, type VisibleScope } from '../identity/visibility.js'
import { ATTACHMENT_COLUMNS, expiredError, joinedAttachments, toDocument, type Document } from './documents.js'

// The gated download's reads in one statement (docs/performance.md, "Downloads, second pass"):
// the session, its user and visible scope (selectSessionUser) and the document with its files,
// left-joined so that an unknown document still answers the session's row. On PostgreSQL every
// statement is a round trip to a server sharing the same cores; this was three. Everything is
// read in the same request as before, in one snapshot: nothing is cached across requests.

/** The document a download names, as read with the session: found, expired (a tombstone) or missing. */
export type DocumentLookup =
  | { kind: 'found'; document: Document }
  | { kind: 'expired'; id: number; clientId: number; category: string; at: string; reason: string | null }
  | { kind: 'missing' }

// The session of `tokenHash` and the document `documentId` with its files: values, or the
// columns of a group read's requests.
const selectSessionDocument = (db: Db, tokenHash: string | Expression<string>, documentId: number | Expression<number>) =>
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

// Compiled once (core/db/prepared.ts).
const sessionDocumentQuery = preparedQuery(2, (db: Db, tokenHash: string, documentId: number) =>
  selectSessionDocument(db, tokenHash, documentId).orderBy('attachments.id'),
)

type Row = Awaited<ReturnType<typeof sessionDocumentQuery>>[number]

// PostgreSQL: a group of lookups as one statement (core/db/group-read.ts). The requests arrive as
// one JSON parameter (one statement text whatever the group's size, so it is prepared once) and
// each runs the single lookup above through a lateral join; `request_n` says whose rows are whose.
// JSON rather than arrays: the planner sees an array's length in every custom plan, so a generic
// plan always looked costlier and the statement was planned again on every execution (~0.6 ms of
// the server's CPU); json_to_recordset estimates the same rows with or without the value, and
// after five executions the plan is kept (bench/pg-lookup.mjs).
type Request = { token_hash: string; document_id: number; n: number }
const groupQuery = preparedQuery(1, (db: Db, requests: string) =>
  db
    .selectFrom(sql<Request>`(select * from json_to_recordset(${requests}::json) as r(token_hash text, document_id int4, n int4))`.as('request'))
    .innerJoinLateral(
      () => selectSessionDocument(db, sql.ref('request.token_hash'), sql.ref('request.document_id')).as('found'),
      (join) => join.onTrue(),
    )
    .selectAll('found')
    .select('request.n as request_n')
    .orderBy('request.n')
    .orderBy('found.attachment_id'),
)

// Up to 64 requests a statement: more than a portal's concurrent downloads usually are.
const GROUP_LIMIT = 64

type Key = { tokenHash: string; documentId: number }
const groupReaders = new WeakMap<Db, (key: Key) => Promise<Row[]>>()

async function readGroup(db: Db, keys: readonly Key[]): Promise<Row[][]> {
  const rows = await groupQuery(db, JSON.stringify(keys.map((k, i) => ({ token_hash: k.tokenHash, document_id: k.documentId, n: i + 1 }))))
  const answers: Row[][] = keys.map(() => [])
  for (const row of rows) answers[Number(row.request_n) - 1].push(row)
  return answers
}

// SQLite reads in-process, without a round trip: a group would only add waiting.
function readRows(db: Db, tokenHash: string, documentId: number): Promise<Row[]> {
  if (backendOf(db) === 'sqlite') return sessionDocumentQuery(db, tokenHash, documentId)
  let reader = groupReaders.get(db)
  if (!reader) {
    reader = groupReads((keys: readonly Key[]) => readGroup(db, keys), GROUP_LIMIT)
    groupReaders.set(db, reader)
  }
  return reader({ tokenHash, documentId })
}

/**
 * The request's live session with its user and scope, and the document `documentId` with its
 * files, in one statement (with the lookups of other requests waiting at the same time, on
 * PostgreSQL); null when the token names no live session (as lookupSessionUser).
 */
export async function lookupSessionDocument(
  db: Db,
  token: string,
  policy: Pick<SessionPolicy, 'idleMinutes'>,
  documentId: number,
): Promise<{ session: SessionUser; document: DocumentLookup } | null> {
  const tokenHash = sessionTokenHash(token)
  if (!tokenHash) return null
  const rows = await readRows(db, tokenHash, documentId)
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
    joinedAttachments(id, rows),
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
