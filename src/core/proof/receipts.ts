import { createHash } from 'node:crypto'
import type { Actor } from '../actors.js'
import { actorLabel } from '../audit/events.js'
import type { Db } from '../db/database.js'
import { getFirmOptions } from '../clients/firm.js'
import { documentStatus, type DeliveryTimeline } from '../delivery/timeline.js'
import { findVisibleDocument } from '../documents/access.js'
import { getUser } from '../identity/users.js'
import type { ClientUser } from '../identity/users.js'
import { ConfiError, NotFoundError } from '../errors.js'
import { nowIso } from '../time.js'
import { randomToken } from '../tokens.js'
import { latestCheckpoint, type Checkpoint } from '../access-log/checkpoints/checkpoints.js'
import { documentRowsOf, eventRowsOf, lastDocumentRowId, rowHashesOf, type ChainRow } from '../access-log/reads/rows.js'
import { rootFromInclusionProof, rowLeafHash, storedInclusionProof } from '../access-log/tree/merkle.js'
import { createCheckpoint } from './checkpoints.js'
import { canonicalReceiptJson } from './canonical-json.js'
import type { PublicKeyInfo, SigningKeys } from './keys.js'
import type { ReceiptSubject } from '../db/tables.js'
import type { Protocol } from './protocol-format.js'
import { parseAnyReceipt, verifyAnyReceipt } from './protocol-verify.js'
import { PUBLICATION_KINDS, receiptUrl, type AnyReceipt, type Receipt, type ReceiptDelivery, type ReceiptRow } from './receipt-format.js'
import { type ReceiptCheck } from './receipt-verify.js'

export { parseReceipt, receiptUrl, type AnyReceipt, type Receipt, type ReceiptRow } from './receipt-format.js'
export { verifyReceipt, type ReceiptCheck } from './receipt-verify.js'

// Receipts ("comprovantes"): a document's deliveries and accesses, with everything a third party
// needs to check them offline — the rows in canonical form, the document's publication rows, an
// inclusion proof for each to a signed checkpoint, the public key, and the firm's signature over
// the whole (docs/receipts.md).

/**
 * The delivery's e-mail the mail server accepted first (docs/decisions.md, "Accepted by the mail
 * server"). In a client user's receipt, another person's address and the server's reply to it
 * are left out (docs/decisions.md, "A client user's receipt names only their own recipients").
 */
function receiptDelivery(d: DeliveryTimeline, viewer: ClientUser | null): ReceiptDelivery {
  const accepted = d.mails.find((mail) => mail.kind === 'delivery' && mail.status === 'sent' && mail.sentAt !== null)
  const own = viewer === null || (d.recipient !== null && viewer.email !== null && d.recipient.toLowerCase() === viewer.email.toLowerCase())
  const withheld = !own && d.recipient !== null
  return {
    id: d.id,
    channel: d.channel,
    recipient: withheld ? null : d.recipient,
    recipientWithheld: withheld,
    createdAt: d.createdAt,
    expiresAt: d.expiresAt,
    revokedAt: d.revokedAt,
    acceptedByMailServerAt: accepted?.sentAt ?? null,
    mailServerReply: withheld ? null : (accepted?.serverReply ?? null),
  }
}

// A client user gets a receipt only for a document they may see, re-checked here; the same
// NotFoundError as a missing document keeps other clients' documents indistinguishable.
async function checkActor(db: Db, actor: Actor, documentId: number): Promise<ClientUser | null> {
  if (actor.kind === 'accountant') return null
  const user = await getUser(db, actor.userId)
  if (!(await findVisibleDocument(db, user, documentId))) throw new NotFoundError(`no document with id ${documentId}`)
  return user
}

/** The newest checkpoint, signed now when it does not reach row `lastId` (concurrent callers agree on one). */
export async function checkpointCovering(db: Db, keys: SigningKeys, lastId: number): Promise<Checkpoint> {
  let checkpoint = await latestCheckpoint(db)
  if (!checkpoint || checkpoint.treeSize < lastId) checkpoint = (await createCheckpoint(db, keys, { onlyIfGrown: true })) ?? (await latestCheckpoint(db))
  if (!checkpoint || checkpoint.treeSize < lastId) throw new ConfiError('the access log is empty: there is nothing to prove yet')
  return checkpoint
}

/** Refuses to prove anything to a checkpoint signed by a key the key file no longer holds. */
export function refuseUnheldKey(keys: SigningKeys, checkpoint: Checkpoint): void {
  if (!keys.all.some((k) => k.id === checkpoint.keyId)) {
    throw new ConfiError(`checkpoint ${checkpoint.id} is signed by key ${checkpoint.keyId}, which is not in the signing key file`)
  }
}

/** Each row with its inclusion proof to `checkpoint`; refuses a row the checkpoint does not hold. */
export async function provenRows(db: Db, rows: ChainRow[], checkpoint: Checkpoint): Promise<ReceiptRow[]> {
  const root = Buffer.from(checkpoint.rootHash, 'hex')
  const proven: ReceiptRow[] = []
  for (const row of rows) {
    const proof = await storedInclusionProof(db, row.id - 1, checkpoint.treeSize)
    if (!rootFromInclusionProof(row.id - 1, checkpoint.treeSize, rowLeafHash(row.hash), proof)?.equals(root)) {
      throw new ConfiError(`access-log row ${row.id} does not match checkpoint ${checkpoint.id}: run 'confi docs verify'`)
    }
    proven.push({ ...row.canonical, prev_hash: row.prevHash, hash: row.hash, proof: proof.map((h) => h.toString('hex')) })
  }
  return proven
}

/** How a signed receipt or protocol is filed in the receipts table, and how errors name it. */
export interface StoredAs {
  subject: ReceiptSubject
  documentId: number | null
  deliveryId?: number | null
  uploadId?: number | null
  requestId?: number | null
  /** The log row a protocol rests on. */
  logId?: number | null
  createdBy: string
  /** "the receipt of document 7", "the protocol of upload 3": for the refusal below. */
  label: string
}

type Unsigned<T> = Omit<T, 'signature' | 'id' | 'issuedAt' | 'url'>

/**
 * Signs `body` (a receipt or a protocol) with the firm's current key, verifies the result, and
 * stores it, or returns the one already stored with the same content (the same document, viewer,
 * checkpoint and deliveries; the same act and checkpoint): asking twice gives one (docs/receipts.md).
 */
export async function signAndStore<T extends Receipt | Protocol>(db: Db, keys: SigningKeys, body: Unsigned<T>, row: StoredAs): Promise<T> {
  // What makes two receipts the same: everything but the code, the time and the signature.
  const reuseKey = createHash('sha256').update(canonicalReceiptJson(body)).digest('hex')
  const found = await storedByReuseKey(db, reuseKey)
  if (found) return found as T
  const id = randomToken(16)
  const unsigned = { ...body, id, issuedAt: nowIso(), url: receiptUrl(body.firm.baseUrl, id) }
  const signed = { ...unsigned, signature: { keyId: keys.current.id, value: keys.sign(canonicalReceiptJson(unsigned)) } } as T
  // Only what verifies is issued: a header or a body that the log contradicts is refused here.
  const check = verifyAnyReceipt(signed, keys.all)
  if (!check.ok) throw new ConfiError(`${row.label} would not verify: ${check.problems[0]}; run 'confi docs verify'`)
  await db
    .insertInto('receipts')
    .values({
      public_id: id,
      subject: row.subject,
      document_id: row.documentId,
      delivery_id: row.deliveryId ?? null,
      upload_id: row.uploadId ?? null,
      request_id: row.requestId ?? null,
      log_id: row.logId ?? null,
      checkpoint_id: body.checkpoint.id,
      body: JSON.stringify(signed),
      created_at: signed.issuedAt,
      created_by: row.createdBy,
      reuse_key: reuseKey,
    })
    .onConflict((oc) => oc.column('reuse_key').doNothing())
    .execute()
  // A concurrent request with the same content may have stored its receipt first: that one is the receipt.
  return ((await storedByReuseKey(db, reuseKey)) as T | null) ?? signed
}

/**
 * The firm's stored copy of a receipt or protocol after an erasure redacted values in it, signed
 * again with the current key: the portal's re-check then verifies the copy as it now stands. The
 * copy its holder kept keeps its own signature and still verifies (docs/privacy.md).
 */
export function signedAgain<T extends Receipt | Protocol>(body: T, keys: SigningKeys): T {
  const { signature: _, ...unsigned } = body
  const text = { ...unsigned, publicKey: { id: keys.current.id, publicKey: keys.current.publicKey } }
  return { ...text, signature: { keyId: keys.current.id, value: keys.sign(canonicalReceiptJson(text)) } } as T
}

async function storedByReuseKey(db: Db, reuseKey: string): Promise<AnyReceipt | Protocol | null> {
  const stored = await db.selectFrom('receipts').select('body').where('reuse_key', '=', reuseKey).executeTakeFirst()
  return stored ? parseAnyReceipt(stored.body) : null
}

/**
 * Builds, signs and records the receipt of a document (or of one of its deliveries), proven to
 * the newest checkpoint: every access row of the document in its scope up to that checkpoint, and
 * the document's publication rows. Signs a new checkpoint first when the newest does not cover
 * them, and refuses when the rows no longer match it.
 */
export async function issueReceipt(
  db: Db,
  keys: SigningKeys,
  actor: Actor,
  input: { documentId: number; deliveryId?: number | null },
): Promise<Receipt> {
  const viewer = await checkActor(db, actor, input.documentId)
  const { document, deliveries: allDeliveries } = await documentStatus(db, input.documentId)
  const deliveryId = input.deliveryId ?? null
  if (deliveryId !== null && !allDeliveries.some((d) => d.id === deliveryId)) {
    throw new NotFoundError(`document ${document.id} has no delivery ${deliveryId}: 'confi docs show ${document.id}' lists them`)
  }
  // A client user's receipt holds only their own accesses: each row carries an IP address and a
  // browser, which the client area shows nobody but the firm (docs/decisions.md, "A client user's
  // receipt holds their own accesses").
  const scope = { deliveryId, userId: viewer?.id ?? null }
  // The newest checkpoint, not the oldest that covers the rows: the holder keeps the latest signed
  // head the firm cannot recall (docs/receipts.md#copies-the-firm-cannot-recall).
  const checkpoint = await checkpointCovering(db, keys, await lastDocumentRowId(db, document.id, scope, PUBLICATION_KINDS))
  refuseUnheldKey(keys, checkpoint)
  // Read up to the checkpoint only: rows added meanwhile are outside what it proves.
  const rows = await provenRows(db, await documentRowsOf(db, document.id, { ...scope, throughId: checkpoint.treeSize }), checkpoint)
  const publications = await provenRows(db, await eventRowsOf(db, { documentId: document.id }, PUBLICATION_KINDS, checkpoint.treeSize), checkpoint)
  const firm = await getFirmOptions(db)
  return signAndStore<Receipt>(
    db,
    keys,
    {
      type: 'confi-receipt',
      version: 2,
      firm: { name: firm.firmName, baseUrl: firm.baseUrl },
      client: { id: document.clientId, name: document.clientName, taxId: document.clientTaxId },
      document: {
        id: document.id,
        title: document.title,
        category: document.category,
        competence: document.competence,
        dueDate: document.dueDate,
        amountCents: document.amountCents,
        files: document.attachments.map((a) => ({ id: a.id, name: a.fileName, mediaType: a.mediaType, size: a.size, sha256: a.sha256 })),
      },
      deliveryId,
      userId: scope.userId,
      deliveries: allDeliveries.filter((d) => deliveryId === null || d.id === deliveryId).map((d) => receiptDelivery(d, viewer)),
      publications,
      rowIds: rows.map((r) => Number(r.id)),
      rows,
      checkpoint: { ...checkpoint },
      publicKey: { id: keys.current.id, publicKey: keys.current.publicKey },
    },
    { subject: 'document', documentId: document.id, deliveryId, createdBy: await actorLabel(db, actor), label: `the receipt of document ${document.id}` },
  )
}

/**
 * The portal's re-check of `/comprovantes/<id>`: the receipt (or protocol) as issued still verifies, and the
 * database still holds each of its rows with the same hash.
 */
export async function recheckReceipt(
  db: Db,
  trusted: readonly PublicKeyInfo[],
  publicId: string,
): Promise<{ receipt: AnyReceipt | Protocol; check: ReceiptCheck } | null> {
  if (!/^[A-Za-z0-9_-]{22}$/.test(publicId)) return null
  const row = await db.selectFrom('receipts').select('body').where('public_id', '=', publicId).executeTakeFirst()
  if (!row) return null
  const receipt = parseAnyReceipt(row.body)
  const check = verifyAnyReceipt(receipt, trusted)
  const all = receipt.type === 'confi-protocol' ? [receipt.row] : receipt.version === 2 ? [...receipt.publications, ...receipt.rows] : receipt.rows
  const stored = await rowHashesOf(db, all.map((r) => Number(r.id)))
  for (const r of all) {
    if (stored.get(Number(r.id)) !== r.hash) check.problems.push(`row ${r.id} is no longer in the access log as it was`)
  }
  check.ok = check.problems.length === 0
  return { receipt, check }
}
