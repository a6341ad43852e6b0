import type { CANONICAL_FIELDS } from '../access-log/chain/row.js'
import type { Checkpoint } from '../access-log/checkpoints/checkpoints.js'
import { ValidationError } from '../errors.js'
import { canonicalReceiptJson } from './canonical-json.js'

// The receipt's JSON (docs/receipts.md, "Receipt format"): version 2 is signed whole by the
// firm's key; version 1 (issued before) signed nothing but its rows' checkpoint, and still
// verifies for what it proves.

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
  /** Null for a link, and in a client user's receipt for a delivery to someone else (recipientWithheld). */
  recipient: string | null
  /** True when a client user's receipt leaves out another person's address (and the mail server's reply). */
  recipientWithheld?: boolean
  createdAt: string
  expiresAt: string | null
  revokedAt: string | null
  /** When the mail server accepted the delivery's first e-mail (outbox status 'sent'); else null. */
  acceptedByMailServerAt: string | null
  /** The mail server's reply to that e-mail (e.g. `250 2.0.0 Ok: queued as …`); else null. */
  mailServerReply: string | null
}

export interface ReceiptFile {
  id: number
  name: string
  mediaType: string
  size: number
  sha256: string
}

interface ReceiptCommon {
  type: 'confi-receipt'
  id: string
  issuedAt: string
  url: string
  firm: { name: string; baseUrl: string }
  deliveryId: number | null
  deliveries: ReceiptDelivery[]
  rows: ReceiptRow[]
  checkpoint: Checkpoint
  publicKey: { id: string; publicKey: string }
}

/** A receipt issued before version 2: only its rows and checkpoint are signed. */
export interface ReceiptV1 extends ReceiptCommon {
  version: 1
  client: { name: string; taxId: string }
  document: { id: number; title: string; category: string; competence: string | null; dueDate: string | null; files: ReceiptFile[] }
}

/** A receipt of version 2: the whole body is signed (docs/receipts.md). */
export interface Receipt extends ReceiptCommon {
  version: 2
  client: { id: number; name: string; taxId: string }
  document: {
    id: number
    title: string
    category: string
    competence: string | null
    dueDate: string | null
    amountCents: number | null
    files: ReceiptFile[]
  }
  /** Whose accesses: one client user's, or null for everyone's (the firm's receipt). */
  userId: number | null
  /** The document.published row and any later document.changed of the document, up to the checkpoint. */
  publications: ReceiptRow[]
  /** The ids of every access row of the document in this receipt's scope up to the checkpoint. */
  rowIds: number[]
  /** The firm's Ed25519 signature over the canonical JSON of everything else (canonical-json.ts). */
  signature: { keyId: string; value: string }
}

export type AnyReceipt = Receipt | ReceiptV1

/** The kinds of row that say what a document is: its publication, and each change after it. */
export const PUBLICATION_KINDS = ['document.published', 'document.changed'] as const

/** The address of the page where the portal re-checks a receipt. */
export function receiptUrl(baseUrl: string, id: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/comprovantes/${id}`
}

/** What a version-2 receipt's signature covers: the canonical JSON of the receipt without `signature`. */
export function receiptSignedText(receipt: Omit<Receipt, 'signature'> & { signature?: unknown }): string {
  const { signature: _, ...body } = receipt
  return canonicalReceiptJson(body)
}

/** Parses a receipt's JSON text, refusing what is not one. */
export function parseReceipt(text: string): AnyReceipt {
  let value: Partial<AnyReceipt>
  try {
    value = JSON.parse(text) as Partial<AnyReceipt>
  } catch {
    throw new ValidationError('not a receipt: the JSON cannot be read')
  }
  const known = value?.type === 'confi-receipt' && (value.version === 1 || value.version === 2)
  if (!known || !Array.isArray(value.rows) || !value.checkpoint || typeof value.checkpoint !== 'object') {
    throw new ValidationError('not a confi receipt (version 1 or 2)')
  }
  if (value.version === 2) {
    const v = value as Partial<Receipt>
    if (!Array.isArray(v.publications) || !Array.isArray(v.rowIds) || !v.signature || !v.document || !v.client || !v.firm) {
      throw new ValidationError('not a confi receipt: a version-2 receipt lacks its publications, row list, signature or header')
    }
  }
  return value as AnyReceipt
}
