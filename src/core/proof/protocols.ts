import type { Actor } from '../actors.js'
import { actorLabel } from '../audit/events.js'
import { firstCheckpointCovering, type Checkpoint } from '../access-log/checkpoints/checkpoints.js'
import { chainRowById, eventRowsOf, type ChainRow } from '../access-log/reads/rows.js'
import { getFirmOptions } from '../clients/firm.js'
import type { Db } from '../db/database.js'
import { findVisibleDocument } from '../documents/access.js'
import { getDocument, type Document } from '../documents/documents.js'
import { getPayment } from '../documents/payments.js'
import { ConfiError, NotFoundError } from '../errors.js'
import { getUser } from '../identity/users.js'
import { requestForUser } from '../requests/access.js'
import { getRequest, requestHistory, type DocumentRequest } from '../requests/requests.js'
import { getUploadForUser } from '../uploads/client-view.js'
import { getInboxUpload, type InboxUpload } from '../uploads/inbox.js'
import { createCheckpoint } from './checkpoints.js'
import type { SigningKeys } from './keys.js'
import {
  PROTOCOL_KINDS,
  WITHHELD_FIELDS,
  WITHHELD_REASON,
  type Protocol,
  type ProtocolSubject,
  type ProtocolWithheld,
} from './protocol-format.js'
import { provenRows, refuseUnheldKey, signAndStore, type ReceiptRow, type StoredAs } from './receipts.js'

// Issuing a protocolo de envio (docs/receipts.md, "Protocolo de envio"): the client's signed proof
// of an upload, a "nada a enviar" or a paid mark, anchored on the act's log row. Only those who may
// see the upload, request or guide get one (anyone else: "not found"), and the firm. The protocol
// is proven to the FIRST checkpoint that covers its row, so asking again gives the same protocol
// (docs/receipts.md, "Protocolo de envio").

/**
 * The first checkpoint covering row `logId`, signed now when none does yet (concurrent callers
 * agree on one); refuses one signed by a key the key file no longer holds.
 */
async function protocolCheckpoint(db: Db, keys: SigningKeys, logId: number): Promise<Checkpoint> {
  let checkpoint = await firstCheckpointCovering(db, logId)
  if (!checkpoint) {
    await createCheckpoint(db, keys, { onlyIfGrown: true })
    checkpoint = await firstCheckpointCovering(db, logId)
  }
  if (!checkpoint) throw new ConfiError(`no checkpoint covers access-log row ${logId}: run 'confi docs verify'`)
  refuseUnheldKey(keys, checkpoint)
  return checkpoint
}

/**
 * The act's row as `actor` may hold it. A client user who is not the person who acted gets it
 * without that person's IP address, port, browser and recipient: value and salt null, the
 * commitment kept (the row still verifies), and the signed body lists them. The person themself
 * and the firm get every value. As a receipt holds only its holder's own accesses (docs/decisions.md,
 * "A client user's receipt holds their own accesses"; docs/receipts.md, "Values withheld from a
 * colleague"). The two copies differ in content, so the reuse key keeps them apart.
 */
export function rowForHolder(actor: Actor, row: ReceiptRow): { row: ReceiptRow; withheld?: ProtocolWithheld } {
  if (actor.kind !== 'client_user' || (row.user_id !== null && Number(row.user_id) === actor.userId)) return { row }
  const fields = WITHHELD_FIELDS.filter((f) => row[f] != null)
  if (fields.length === 0) return { row }
  const copy: ReceiptRow = { ...row }
  for (const f of fields) {
    copy[f] = null
    copy[`${f}_salt`] = null
  }
  return { row: copy, withheld: { fields, reason: WITHHELD_REASON } }
}

type Body = Omit<
  Protocol,
  'signature' | 'id' | 'issuedAt' | 'url' | 'row' | 'withheld' | 'checkpoint' | 'publicKey' | 'type' | 'version' | 'firm' | 'subject'
>

async function issue(
  db: Db,
  keys: SigningKeys,
  actor: Actor,
  subject: ProtocolSubject,
  row: ChainRow,
  body: Body,
  stored: Omit<StoredAs, 'subject' | 'logId' | 'createdBy'>,
): Promise<Protocol> {
  const checkpoint = await protocolCheckpoint(db, keys, row.id)
  const [proven] = await provenRows(db, [row], checkpoint)
  const held = rowForHolder(actor, proven)
  const firm = await getFirmOptions(db)
  return signAndStore<Protocol>(
    db,
    keys,
    {
      type: 'confi-protocol',
      version: 1,
      subject,
      firm: { name: firm.firmName, baseUrl: firm.baseUrl },
      ...body,
      row: held.row,
      // Absent when nothing is withheld: the full copy's content (and so its code) is as before.
      ...(held.withheld ? { withheld: held.withheld } : {}),
      checkpoint: { ...checkpoint },
      publicKey: { id: keys.current.id, publicKey: keys.current.publicKey },
    },
    { ...stored, subject, logId: row.id, createdBy: await actorLabel(db, actor) },
  )
}

const detailsOf = (row: ChainRow) => JSON.parse(String(row.canonical.details)) as Record<string, unknown>

/** The newest row of `kind` of this client (or document) whose details say `match`. */
async function newestRow(db: Db, kind: string, of: { clientId?: number; documentId?: number }, match: (d: Record<string, unknown>) => boolean) {
  const rows = await eventRowsOf(db, of, [kind])
  return rows.reverse().find((r) => match(detailsOf(r))) ?? null
}

/** The protocol of upload `uploadId`, for the firm or a client user who may see the upload. */
export async function issueUploadProtocol(db: Db, keys: SigningKeys, actor: Actor, uploadId: number): Promise<Protocol> {
  const upload: InboxUpload =
    actor.kind === 'client_user' ? (await getUploadForUser(db, actor.userId, uploadId)).upload : await getInboxUpload(db, uploadId)
  const stored = await db.selectFrom('uploads').select('log_id').where('id', '=', upload.id).executeTakeFirstOrThrow()
  const row = stored.log_id === null ? null : await chainRowById(db, Number(stored.log_id))
  if (!row) throw new ConfiError(`upload ${upload.id} has no upload.received row in the access log: run 'confi docs verify'`)
  const request = upload.requestId === null ? null : await getRequest(db, upload.requestId)
  return issue(
    db,
    keys,
    actor,
    'upload',
    row,
    {
      client: { id: upload.clientId, name: upload.clientName, taxId: upload.clientTaxId },
      note: upload.note,
      // The category the files came with (the firm may file them under another when it accepts).
      upload: {
        id: upload.id,
        category: (detailsOf(row).category as string | null) ?? null,
        files: upload.files.map((f) => ({ id: f.id, name: f.name, mediaType: f.mediaType, size: f.size, sha256: f.sha256 })),
      },
      request: request && { id: request.id, title: request.title, competence: request.competence },
      payment: null,
    },
    { documentId: null, uploadId: upload.id, label: `the protocol of upload ${upload.id}` },
  )
}

/** The protocol of the newest "nada a enviar" of request `requestId`, for the firm or a user who may answer it. */
export async function issueNothingToSendProtocol(db: Db, keys: SigningKeys, actor: Actor, requestId: number): Promise<Protocol> {
  const request: DocumentRequest =
    actor.kind === 'client_user' ? await requestForUser(db, await getUser(db, actor.userId), requestId) : await getRequest(db, requestId)
  const kind = PROTOCOL_KINDS.nothing_to_send
  const row = await newestRow(db, kind, { clientId: request.clientId }, (d) => d.request_id === request.id)
  if (!row) throw new NotFoundError(`request ${request.id} was never answered "nada a enviar": there is no protocol of it`)
  // The note typed with that answer: the newest such step, as the row is the newest such row.
  const step = (await requestHistory(db, request.id)).filter((e) => e.action === 'nothing_to_send').at(-1)
  const details = detailsOf(row)
  return issue(
    db,
    keys,
    actor,
    'nothing_to_send',
    row,
    {
      client: { id: request.clientId, name: request.clientName, taxId: request.clientTaxId },
      note: step?.note ?? null,
      upload: null,
      request: { id: request.id, title: String(details.title), competence: (details.competence as string | null) ?? null },
      payment: null,
    },
    { documentId: null, requestId: request.id, label: `the protocol of request ${request.id}` },
  )
}

/** The protocol of guide `documentId`'s current paid mark, for the firm or a user who may see the guide. */
export async function issuePaidProtocol(db: Db, keys: SigningKeys, actor: Actor, documentId: number): Promise<Protocol> {
  let document: Document | null
  if (actor.kind === 'client_user') {
    document = await findVisibleDocument(db, await getUser(db, actor.userId), documentId)
    if (!document) throw new NotFoundError(`no document with id ${documentId}`)
  } else document = await getDocument(db, documentId)
  const mark = await getPayment(db, document.id)
  const row = mark && (await newestRow(db, PROTOCOL_KINDS.paid, { documentId: document.id }, () => true))
  if (!mark || !row) throw new NotFoundError(`document ${document.id} is not marked paid: there is no protocol of a payment`)
  const details = detailsOf(row)
  return issue(
    db,
    keys,
    actor,
    'paid',
    row,
    {
      client: { id: document.clientId, name: document.clientName, taxId: document.clientTaxId },
      note: null,
      upload: null,
      request: null,
      payment: {
        document: { id: document.id, title: document.title, competence: document.competence, dueDate: document.dueDate, amountCents: document.amountCents },
        paidOn: String(details.paid_on),
        by: details.by as 'client' | 'firm',
        proofUploadId: (details.proof_upload_id as number | null) ?? null,
      },
    },
    { documentId: document.id, label: `the protocol of the payment of document ${document.id}` },
  )
}
