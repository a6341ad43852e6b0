import type { Checkpoint } from '../access-log/checkpoints/checkpoints.js'
import { ValidationError } from '../errors.js'
import { canonicalReceiptJson } from './canonical-json.js'
import type { ReceiptRow } from './receipt-format.js'

// The protocolo de envio (docs/receipts.md, "Protocolo de envio"): the client's signed proof of
// what it sent the firm — an upload, a "nada a enviar", a guide marked paid. One log row proves
// the act (who, when, from where, the files' SHA-256s); the firm's signature over the whole binds
// what the row does not hold: file names, the note, the request's title, the company, the firm.

/** What a protocol is about, and the log row kind that proves it. */
export const PROTOCOL_KINDS = {
  upload: 'upload.received',
  nothing_to_send: 'request.nothing_to_send',
  paid: 'document.paid',
} as const

export type ProtocolSubject = keyof typeof PROTOCOL_KINDS

/**
 * The personal fields of the act's row a protocol leaves out when its holder is not the person who
 * acted: where and with what they acted from (docs/receipts.md, "Values withheld from a colleague").
 * Who acted (name, username) stays: colleagues see it in the portal, and the protocol proves it.
 */
export const WITHHELD_FIELDS = ['ip', 'port', 'user_agent', 'recipient'] as const

/** Why values are withheld; the only reason of version 1: the holder is not the person who acted. */
export const WITHHELD_REASON = 'another_person'

/** The row's values left out of this copy (value and salt null, commitment kept), signed with the rest. */
export interface ProtocolWithheld {
  /** Which, in WITHHELD_FIELDS order; never empty (no `withheld` at all when nothing is). */
  fields: (typeof WITHHELD_FIELDS)[number][]
  reason: typeof WITHHELD_REASON
}

export interface ProtocolFile {
  id: number
  name: string
  mediaType: string
  size: number
  sha256: string
}

/** A protocolo de envio, signed whole by the firm's key like a receipt of version 2. */
export interface Protocol {
  type: 'confi-protocol'
  version: 1
  id: string
  issuedAt: string
  url: string
  subject: ProtocolSubject
  firm: { name: string; baseUrl: string }
  /** The company the act is for: a group company when a group head's user sent. */
  client: { id: number; name: string; taxId: string }
  /** The note the person typed (an upload's, or why there is nothing to send); null for a paid mark. */
  note: string | null
  /** The upload and its files, in file id order (subject upload); else null. */
  upload: { id: number; category: string | null; files: ProtocolFile[] } | null
  /** The request answered (an upload's, when it answers one; a "nada a enviar"'s); else null. */
  request: { id: number; title: string; competence: string | null } | null
  /** The guide marked paid, and the mark (subject paid); else null. */
  payment: {
    document: { id: number; title: string; competence: string | null; dueDate: string | null; amountCents: number | null }
    paidOn: string
    by: 'client' | 'firm'
    proofUploadId: number | null
  } | null
  /** The log row of the act (upload.received, request.nothing_to_send, document.paid) with its proof. */
  row: ReceiptRow
  /** Present only when values of the row are left out of this copy for its holder. */
  withheld?: ProtocolWithheld
  checkpoint: Checkpoint
  publicKey: { id: string; publicKey: string }
  signature: { keyId: string; value: string }
}

/**
 * The fields a protocol's `withheld` names, whatever its shape: for wording only (a listed field is
 * never shown as a value); the verifier judges the list itself.
 */
export function withheldFields(protocol: Pick<Protocol, 'withheld'>): ReadonlySet<string> {
  const fields = (protocol.withheld as { fields?: unknown } | null | undefined)?.fields
  return new Set(Array.isArray(fields) ? fields.filter((f): f is string => typeof f === 'string') : [])
}

/** What a protocol's signature covers: its canonical JSON without `signature`. */
export function protocolSignedText(protocol: Omit<Protocol, 'signature'> & { signature?: unknown }): string {
  const { signature: _, ...body } = protocol
  return canonicalReceiptJson(body)
}

/** Whether parsed JSON claims to be a protocol (then parseProtocol checks its shape). */
export function isProtocolJson(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'confi-protocol'
}

/** A parsed protocol, refused when its shape is not one. */
export function parseProtocol(value: unknown): Protocol {
  const v = value as Partial<Protocol>
  const known = v?.type === 'confi-protocol' && v.version === 1 && typeof v.subject === 'string' && v.subject in PROTOCOL_KINDS
  if (!known || !v.row || typeof v.row !== 'object' || !v.checkpoint || typeof v.checkpoint !== 'object') {
    throw new ValidationError('not a confi protocolo de envio (version 1)')
  }
  if (!v.signature || !v.client || !v.firm || typeof v.id !== 'string') {
    throw new ValidationError('not a confi protocolo de envio: it lacks its signature, client, firm or code')
  }
  return v as Protocol
}
