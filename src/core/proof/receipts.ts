import { accessLogHash, CANONICAL_FIELDS } from '../access-log/chain/row.js'
import { commitmentMismatches } from '../access-log/chain/format-v2.js'
import type { Actor } from '../actors.js'
import { actorLabel } from '../audit/events.js'
import type { Db } from '../db/database.js'
import { getFirmOptions } from '../clients/firm.js'
import { documentStatus, type DeliveryTimeline } from '../delivery/timeline.js'
import { findVisibleDocument } from '../documents/access.js'
import { getUser } from '../identity/users.js'
import { ConfiError, NotFoundError, ValidationError } from '../errors.js'
import { nowIso } from '../time.js'
import { randomToken } from '../tokens.js'
import { latestCheckpoint, type Checkpoint } from '../access-log/checkpoints/checkpoints.js'
import { documentRowsOf, rowHashesOf } from '../access-log/reads/rows.js'
import { checkpointText, createCheckpoint } from './checkpoints.js'
import { verifySignature, type PublicKeyInfo, type SigningKeys } from './keys.js'
import { rootFromInclusionProof, rowLeafHash, storedInclusionProof } from '../access-log/tree/merkle.js'

// Receipts ("comprovantes"): a document's deliveries and accesses, with everything a third party
// needs to check them offline — the rows in canonical form, an inclusion proof for each to a
// signed checkpoint, and the public key (docs/receipts.md).

/** One access-log row as it is hashed (the canonical fields), plus its chain and proof. */
/** (For a row of format 2, also its format, kind, commitments and the salts of its values: reads/rows.ts, WideRow.) */
export type ReceiptRow = Record<(typeof CANONICAL_FIELDS)[number], string | number | null> & {
  format?: number | null
  [field: string]: unknown
  prev_hash: string
  hash: string
  /** Inclusion proof of leaf id - 1 in the checkpoint's tree, leaf side first, hex. */
  proof: string[]
}

export interface ReceiptDelivery {
  id: number
  channel: string
  recipient: string | null
  createdAt: string
  expiresAt: string | null
  revokedAt: string | null
  /** When the mail server accepted the delivery's first e-mail (outbox status 'sent'); else null. */
  acceptedByMailServerAt: string | null
  /** The mail server's reply to that e-mail (e.g. `250 2.0.0 Ok: queued as …`); else null. */
  mailServerReply: string | null
}

export interface Receipt {
  type: 'confi-receipt'
  version: 1
  id: string
  issuedAt: string
  url: string
  firm: { name: string; baseUrl: string }
  client: { name: string; taxId: string }
  document: {
    id: number
    title: string
    category: string
    competence: string | null
    dueDate: string | null
    files: { id: number; name: string; mediaType: string; size: number; sha256: string }[]
  }
  deliveryId: number | null
  deliveries: ReceiptDelivery[]
  rows: ReceiptRow[]
  checkpoint: Omit<Checkpoint, 'id'> & { id: number }
  publicKey: { id: string; publicKey: string }
}

/** The address the receipt's QR code points to, where the portal re-checks it. */
export function receiptUrl(baseUrl: string, id: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/comprovantes/${id}`
}

/** The delivery's e-mail the mail server accepted first (docs/decisions.md, "Accepted by the mail server"). */
function receiptDelivery(d: DeliveryTimeline): ReceiptDelivery {
  const accepted = d.mails.find((mail) => mail.kind === 'delivery' && mail.status === 'sent' && mail.sentAt !== null)
  return {
    id: d.id,
    channel: d.channel,
    recipient: d.recipient,
    createdAt: d.createdAt,
    expiresAt: d.expiresAt,
    revokedAt: d.revokedAt,
    acceptedByMailServerAt: accepted?.sentAt ?? null,
    mailServerReply: accepted?.serverReply ?? null,
  }
}

// A client user gets a receipt only for a document they may see, re-checked here; the same
// NotFoundError as a missing document keeps other clients' documents indistinguishable.
async function checkActor(db: Db, actor: Actor, documentId: number): Promise<number | null> {
  if (actor.kind === 'accountant') return null
  const user = await getUser(db, actor.userId)
  if (!(await findVisibleDocument(db, user, documentId))) throw new NotFoundError(`no document with id ${documentId}`)
  return user.id
}

/**
 * Builds and records the receipt of a document (or of one of its deliveries), proven to the newest
 * checkpoint. Signs a new one first when the newest does not cover the document's last access, and refuses
 * when the rows no longer match it: a receipt is only issued for what verifies.
 */
export async function issueReceipt(
  db: Db,
  keys: SigningKeys,
  actor: Actor,
  input: { documentId: number; deliveryId?: number | null },
): Promise<Receipt> {
  const ownRowsOf = await checkActor(db, actor, input.documentId)
  const { document, deliveries: allDeliveries } = await documentStatus(db, input.documentId)
  const deliveryId = input.deliveryId ?? null
  if (deliveryId !== null && !allDeliveries.some((d) => d.id === deliveryId)) {
    throw new NotFoundError(`document ${document.id} has no delivery ${deliveryId}: 'confi docs show ${document.id}' lists them`)
  }
  // A client user's receipt holds only their own accesses: each row carries an IP address and a
  // browser, which the client area shows nobody but the firm (docs/decisions.md, "A client user's
  // receipt holds their own accesses").
  const rows = await documentRowsOf(db, document.id, { deliveryId, userId: ownRowsOf })
  const lastId = rows.length > 0 ? rows.at(-1)!.id : 0
  // The newest checkpoint, not the oldest that covers the rows: the holder keeps the latest signed
  // head the firm cannot recall (docs/receipts.md#copies-the-firm-cannot-recall).
  let checkpoint = await latestCheckpoint(db)
  if (!checkpoint || checkpoint.treeSize < lastId) checkpoint = await createCheckpoint(db, keys)
  if (!checkpoint || checkpoint.treeSize < lastId) throw new ConfiError('the access log is empty: there is nothing to prove yet')
  const key = keys.all.find((k) => k.id === checkpoint!.keyId)
  if (!key) throw new ConfiError(`checkpoint ${checkpoint.id} is signed by key ${checkpoint.keyId}, which is not in the signing key file`)
  const root = Buffer.from(checkpoint.rootHash, 'hex')
  const receiptRows: ReceiptRow[] = []
  for (const row of rows) {
    const id = row.id
    const proof = await storedInclusionProof(db, id - 1, checkpoint.treeSize)
    if (!rootFromInclusionProof(id - 1, checkpoint.treeSize, rowLeafHash(row.hash), proof)?.equals(root)) {
      throw new ConfiError(`access-log row ${id} does not match checkpoint ${checkpoint.id}: run 'confi docs verify'`)
    }
    receiptRows.push({ ...row.canonical, prev_hash: row.prevHash, hash: row.hash, proof: proof.map((h) => h.toString('hex')) })
  }
  const firm = await getFirmOptions(db)
  const id = randomToken(16)
  const receipt: Receipt = {
    type: 'confi-receipt',
    version: 1,
    id,
    issuedAt: nowIso(),
    url: receiptUrl(firm.baseUrl, id),
    firm: { name: firm.firmName, baseUrl: firm.baseUrl },
    client: { name: document.clientName, taxId: document.clientTaxId },
    document: {
      id: document.id,
      title: document.title,
      category: document.category,
      competence: document.competence,
      dueDate: document.dueDate,
      files: document.attachments.map((a) => ({ id: a.id, name: a.fileName, mediaType: a.mediaType, size: a.size, sha256: a.sha256 })),
    },
    deliveryId,
    deliveries: allDeliveries.filter((d) => deliveryId === null || d.id === deliveryId).map(receiptDelivery),
    rows: receiptRows,
    checkpoint: { ...checkpoint },
    publicKey: { id: key.id, publicKey: key.publicKey },
  }
  await db
    .insertInto('receipts')
    .values({
      public_id: id,
      document_id: document.id,
      delivery_id: deliveryId,
      checkpoint_id: checkpoint.id,
      body: JSON.stringify(receipt),
      created_at: receipt.issuedAt,
      created_by: await actorLabel(db, actor),
    })
    .execute()
  return receipt
}

export interface ReceiptCheck {
  ok: boolean
  /** What fails, one sentence each; empty when ok. */
  problems: string[]
  /** What the receipt proves, when ok. */
  summary: string
}

/** Parses a receipt's JSON text, refusing what is not one. */
export function parseReceipt(text: string): Receipt {
  let value: Partial<Receipt>
  try {
    value = JSON.parse(text) as Partial<Receipt>
  } catch {
    throw new ValidationError('not a receipt: the JSON cannot be read')
  }
  if (value?.type !== 'confi-receipt' || value.version !== 1 || !Array.isArray(value.rows) || !value.checkpoint) {
    throw new ValidationError('not a confi receipt (version 1)')
  }
  return value as Receipt
}

/**
 * Checks a receipt with no database: each row's hash from its fields, each inclusion proof to the
 * checkpoint's root, and the checkpoint's signature under one of `trusted` (the firm's published
 * keys). The key embedded in the receipt is never trusted by itself.
 */
export function verifyReceipt(receipt: Receipt, trusted: readonly PublicKeyInfo[]): ReceiptCheck {
  const problems: string[] = []
  const c = receipt.checkpoint
  const key = trusted.find((k) => k.id === c.keyId)
  if (!key) problems.push(`unknown key: the checkpoint is signed by key ${c.keyId}, which is not among the trusted public keys`)
  else if (!verifySignature(key.publicKey, checkpointText(c), c.signature)) {
    problems.push(`bad signature: checkpoint ${c.id} was not signed by key ${c.keyId} as it stands`)
  }
  const root = Buffer.from(String(c.rootHash), 'hex')
  for (const row of receipt.rows) {
    const id = Number(row.id)
    if (accessLogHash(row, row.prev_hash) !== row.hash) {
      problems.push(`edited row: access-log row ${id} does not match its hash`)
      continue
    }
    // Format 2: each personal value shown must be the one the row's hash committed to.
    const wrong = Number(row.format) === 2 ? commitmentMismatches(row) : []
    if (wrong.length > 0) problems.push(`edited value: the ${wrong.join(', ')} of access-log row ${id} do not match their commitments`)
    const proof = (row.proof ?? []).map((h) => Buffer.from(h, 'hex'))
    if (!rootFromInclusionProof(id - 1, c.treeSize, rowLeafHash(row.hash), proof)?.equals(root)) {
      problems.push(`wrong proof: row ${id} is not proven to be in the checkpoint's tree of ${c.treeSize} rows`)
    }
  }
  const summary =
    `${receipt.rows.length} access${receipt.rows.length === 1 ? '' : 'es'} of document ${receipt.document.id} ` +
    `("${receipt.document.title}", ${receipt.client.name}) are in the access log of ${receipt.firm.name} ` +
    `as signed at ${c.at} (checkpoint ${c.id}, ${c.treeSize} rows, key ${c.keyId})`
  return { ok: problems.length === 0, problems, summary }
}

/**
 * The portal's re-check of `/comprovantes/<id>`: the receipt as issued still verifies, and the
 * database still holds each of its rows with the same hash.
 */
export async function recheckReceipt(
  db: Db,
  trusted: readonly PublicKeyInfo[],
  publicId: string,
): Promise<{ receipt: Receipt; check: ReceiptCheck } | null> {
  if (!/^[A-Za-z0-9_-]{22}$/.test(publicId)) return null
  const row = await db.selectFrom('receipts').select('body').where('public_id', '=', publicId).executeTakeFirst()
  if (!row) return null
  const receipt = parseReceipt(row.body)
  const check = verifyReceipt(receipt, trusted)
  const stored = await rowHashesOf(db, receipt.rows.map((r) => Number(r.id)))
  for (const r of receipt.rows) {
    if (stored.get(Number(r.id)) !== r.hash) check.problems.push(`row ${r.id} is no longer in the access log as it was`)
  }
  check.ok = check.problems.length === 0
  return { receipt, check }
}
