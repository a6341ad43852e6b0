import { expressionBuilder, type Expression, type SqlBool } from 'kysely'
import { appendInTransaction } from '../access-log/chain/append.js'
import { defineEventKind } from '../access-log/chain/format-v2.js'
import type { Actor } from '../actors.js'
import { actorLabel } from '../audit/events.js'
import type { Db } from '../db/database.js'
import type { Database } from '../db/tables.js'
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../errors.js'
import { getUser } from '../identity/users.js'
import { canSee, scopeOfFreshUser } from '../identity/visibility.js'
import { localDate, nowIso, realDate } from '../time.js'
import { getDocument, type Document } from './documents.js'

// Guides marked paid (docs/rules.md#guides-marked-paid): by the client's people in the portal or
// by the firm at the terminal. A paid guide leaves "A vencer", the reminders and `docs pending`;
// each mark and undo is a row of the access log, written in the same transaction.

defineEventKind('document.paid', { document: true, client: true })
defineEventKind('document.unpaid', { document: true, client: true })

export interface PaymentMark {
  documentId: number
  /** AAAA-MM-DD, the day the guide was paid. */
  paidOn: string
  markedAt: string
  /** The actor label (`cli:…`, `user:…`). */
  markedBy: string
  /** The client user who marked it; null when the firm did. */
  user: { id: number; username: string; name: string } | null
  /** The upload holding the bank's proof, when one was sent. */
  proofUploadId: number | null
}

/** Where a client user's mark came from, committed in the log row beside the user. */
export interface PaymentOrigin {
  ip?: string | null
  port?: number | null
  userAgent?: string | null
}

/** The mark on a document, or null when it is not marked paid. */
export async function getPayment(db: Db, documentId: number): Promise<PaymentMark | null> {
  const row = await db
    .selectFrom('document_payments')
    .leftJoin('client_users', 'client_users.id', 'document_payments.user_id')
    .select([
      'document_payments.document_id',
      'document_payments.paid_on',
      'document_payments.marked_at',
      'document_payments.marked_by',
      'document_payments.proof_upload_id',
      'client_users.id as user_id',
      'client_users.username',
      'client_users.name',
    ])
    .where('document_payments.document_id', '=', documentId)
    .executeTakeFirst()
  if (!row) return null
  return {
    documentId: Number(row.document_id),
    paidOn: row.paid_on,
    markedAt: row.marked_at,
    markedBy: row.marked_by,
    user: row.user_id == null ? null : { id: Number(row.user_id), username: row.username!, name: row.name! },
    proofUploadId: row.proof_upload_id == null ? null : Number(row.proof_upload_id),
  }
}

/** The paid dates of those of `documentIds` that are marked paid. */
export async function paidDates(db: Db, documentIds: readonly number[]): Promise<Map<number, string>> {
  const paid = new Map<number, string>()
  for (let i = 0; i < documentIds.length; i += 500) {
    const rows = await db
      .selectFrom('document_payments')
      .select(['document_id', 'paid_on'])
      .where('document_id', 'in', documentIds.slice(i, i + 500))
      .execute()
    for (const row of rows) paid.set(Number(row.document_id), row.paid_on)
  }
  return paid
}

const onDocuments = expressionBuilder<Database, 'documents'>()

/** A filter on `documents`: the guide is not marked paid. */
export function notPaid(): Expression<SqlBool> {
  const { not, exists, selectFrom } = onDocuments
  return not(
    exists(
      selectFrom('document_payments')
        .select('document_payments.document_id')
        .whereRef('document_payments.document_id', '=', 'documents.id'),
    ),
  )
}

/**
 * The earliest day a guide can have been paid: 1 January of its competência's year, or, without
 * a competência, of the year before its due date's (docs/decisions.md, "Guides marked paid").
 */
export function earliestPaidOn(document: Pick<Document, 'competence' | 'dueDate'>): string {
  const year = document.competence ? Number(document.competence.slice(0, 4)) : Number(document.dueDate!.slice(0, 4)) - 1
  return `${String(year).padStart(4, '0')}-01-01`
}

/** Checks `value` as the payment date of `document`, paid by `today` (the firm's day). */
export function parsePaidOn(value: string, document: Pick<Document, 'competence' | 'dueDate'>, today: string): string {
  const paidOn = realDate(value)
  if (!paidOn) {
    throw new ValidationError(`payment date '${value}' is not valid: use YYYY-MM-DD with a real date, for example ${today}`, {
      reason: 'payment_date_invalid',
    })
  }
  if (paidOn > today) {
    throw new ValidationError(`payment date ${paidOn} is in the future (today is ${today}): mark a guide paid once it is`, {
      reason: 'payment_date_future',
    })
  }
  const earliest = earliestPaidOn(document)
  if (paidOn < earliest) {
    throw new ValidationError(`payment date ${paidOn} is before ${earliest}, earlier than this guide can have been paid`, {
      reason: 'payment_date_too_early',
    })
  }
  return paidOn
}

/** Refuses a document that is not a guide: only a document with a due date is paid. */
function assertGuide(document: Document): void {
  if (document.dueDate) return
  throw new ConflictError(
    `document ${document.id} (${document.title}) has no due date: only guides, documents with a due date, are marked paid`,
    { reason: 'payment_not_a_guide' },
  )
}

type Marker = { by: 'firm'; user: null } | { by: 'client'; user: { id: number; username: string; name: string } }

/**
 * Who marks or unmarks `document`: the firm's accountants, or an active client user (admin or
 * collaborator) whose scope covers the document, the head's users for a group's companies. Any
 * other client user is answered as if the document did not exist.
 */
async function markerOf(trx: Db, actor: Actor, document: Document): Promise<Marker> {
  if (actor.kind === 'accountant') return { by: 'firm', user: null }
  const user = await getUser(trx, actor.userId)
  if (user.status !== 'active') {
    throw new ForbiddenError(`user '${user.username}' is ${user.status}: only active users mark guides paid`)
  }
  if (!canSee(await scopeOfFreshUser(trx, user), document)) throw new NotFoundError(`no document with id ${document.id}`)
  return { by: 'client', user: { id: user.id, username: user.username, name: user.name } }
}

/**
 * Refuses, before anything is read or written, a marker who may not mark `documentId` and a
 * document that is no guide (markPaidInTransaction checks again).
 */
export async function assertMayMark(db: Db, actor: Actor, documentId: number): Promise<void> {
  const document = await getDocument(db, documentId)
  await markerOf(db, actor, document)
  assertGuide(document)
}

/**
 * Marks a guide paid on `paidOn` (today when not given), with the upload holding the proof when one was sent, and
 * appends `document.paid` in the same transaction. A guide already marked is refused: unmark it
 * first, so the log holds each change.
 */
export async function markPaid(
  db: Db,
  actor: Actor,
  documentId: number,
  input: PaymentInput,
  today = localDate(),
): Promise<PaymentMark> {
  await db.transaction().execute((trx) => markPaidInTransaction(trx, actor, documentId, input, today))
  return (await getPayment(db, documentId))!
}

export interface PaymentInput {
  /** AAAA-MM-DD; today when not given. */
  paidOn?: string
  proofUploadId?: number | null
  origin?: PaymentOrigin
}

/** markPaid inside the caller's transaction `trx` (the proof's upload commits with it). */
export async function markPaidInTransaction(trx: Db, actor: Actor, documentId: number, input: PaymentInput, today = localDate()): Promise<void> {
  const document = await getDocument(trx, documentId)
  const marker = await markerOf(trx, actor, document)
  assertGuide(document)
  const paidOn = parsePaidOn(input.paidOn ?? today, document, today)
  const proofUploadId = input.proofUploadId ?? null
  if (proofUploadId !== null) await assertProofUpload(trx, proofUploadId, document.clientId)
  const inserted = await trx
    .insertInto('document_payments')
    .values({
      document_id: documentId,
      paid_on: paidOn,
      marked_at: nowIso(),
      marked_by: await actorLabel(trx, actor),
      user_id: marker.user?.id ?? null,
      proof_upload_id: proofUploadId,
    })
    .onConflict((oc) => oc.column('document_id').doNothing())
    .returning('document_id')
    .executeTakeFirst()
  if (!inserted) {
    const mark = await getPayment(trx, documentId)
    throw new ConflictError(
      `document ${documentId} is already marked paid on ${mark?.paidOn ?? '?'} by ${mark?.markedBy ?? '?'}: unmark it first to change the date`,
      { reason: 'payment_already_marked' },
    )
  }
  await appendInTransaction(trx, [
    {
      kind: 'document.paid',
      documentId,
      clientId: document.clientId,
      ...logPerson(marker, input.origin),
      details: { by: marker.by, paid_on: paidOn, proof_upload_id: proofUploadId },
    },
  ])
}

/** Removes the paid mark of a guide (for the same people who may mark it) and appends `document.unpaid`. */
export async function unmarkPaid(db: Db, actor: Actor, documentId: number, origin?: PaymentOrigin): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const document = await getDocument(trx, documentId)
    const marker = await markerOf(trx, actor, document)
    assertGuide(document)
    const removed = await trx
      .deleteFrom('document_payments')
      .where('document_id', '=', documentId)
      .returning('document_id')
      .executeTakeFirst()
    if (!removed) {
      throw new ConflictError(`document ${documentId} is not marked paid`, { reason: 'payment_not_marked' })
    }
    await appendInTransaction(trx, [
      {
        kind: 'document.unpaid',
        documentId,
        clientId: document.clientId,
        ...logPerson(marker, origin),
        details: { by: marker.by },
      },
    ])
  })
}

// A client user's mark commits who and from where (never in details); the firm's act has no person.
function logPerson(marker: Marker, origin: PaymentOrigin | undefined) {
  if (marker.by === 'firm') return {}
  return {
    user: marker.user,
    channel: 'portal' as const,
    ip: origin?.ip ?? null,
    port: origin?.port ?? null,
    userAgent: origin?.userAgent ?? null,
  }
}

// The proof is an upload the same company sent (docs/uploads.md); another company's is refused.
async function assertProofUpload(trx: Db, uploadId: number, clientId: number): Promise<void> {
  const upload = await trx.selectFrom('uploads').select('client_id').where('id', '=', uploadId).executeTakeFirst()
  if (!upload || Number(upload.client_id) !== clientId) {
    throw new ValidationError(`upload ${uploadId} is not one of this company's uploads`, { reason: 'payment_proof_invalid' })
  }
}
