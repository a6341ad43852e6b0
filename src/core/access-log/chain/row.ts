import { hash } from 'node:crypto'
import { isIP } from 'node:net'
import { ValidationError } from '../../errors.js'

// A row of the access log: what an access is, its canonical encoding and its hash (docs/access-log.md).

export type AccessChannel = 'portal' | 'email' | 'whatsapp' | 'link'
export type AccessAction = 'view' | 'download'

/** What the portal knows about one access; the log adds the id, time and hashes. */
export interface AccessEntry {
  documentId: number
  attachmentId?: number | null
  clientId: number
  /** The logged-in user, as they are now (kept as they were then); null when nobody logged in. */
  user?: { id: number; username: string; name: string } | null
  channel: AccessChannel
  deliveryId?: number | null
  ip?: string | null
  port?: number | null
  userAgent?: string | null
  action: AccessAction
}

/** One row of the access log (docs/rules.md#data). */
export interface AccessRecord {
  id: number
  at: string
  documentId: number
  attachmentId: number | null
  clientId: number
  userId: number | null
  username: string | null
  userName: string | null
  channel: AccessChannel
  deliveryId: number | null
  ip: string | null
  port: number | null
  userAgent: string | null
  action: AccessAction
  prevHash: string
  hash: string
}

/** The `prev_hash` of the first row: 32 zero bytes in hex. */
export const GENESIS_HASH = '0'.repeat(64)

/** Prefixed to every hashed message, so a row hash can never be confused with another SHA-256 use. */
export const DOMAIN_BYTE = 0x01

/** The fields of a row in canonical order (docs/access-log.md). */
export const CANONICAL_FIELDS = [
  'id',
  'at',
  'document_id',
  'attachment_id',
  'client_id',
  'user_id',
  'username',
  'user_name',
  'channel',
  'delivery_id',
  'ip',
  'port',
  'user_agent',
  'action',
] as const

export type CanonicalRow = Record<(typeof CANONICAL_FIELDS)[number], string | number | null>

/**
 * The canonical encoding of a row: for each field in CANONICAL_FIELDS, 0x00 when null, otherwise
 * 0x01, the length of its UTF-8 text as a 4-byte big-endian integer, then the text (integers in
 * decimal). Length prefixes make the encoding unambiguous whatever the text holds.
 */
export function canonicalEncoding(row: CanonicalRow): Buffer {
  return Buffer.from(encodeInto(row, 0, 0))
}

// Written straight into one reused buffer with `head` bytes free before and `tail` after, and
// returned as a view of it valid until the next call: hashing a row is the whole cost of
// `confi docs verify` (docs/performance.md, scale bench); a Buffer per field cost three times as
// much, and a buffer per row with the lengths measured first 10 to 30% more.
let scratch = Buffer.allocUnsafe(4096)

function encodeInto(row: CanonicalRow, head: number, tail: number): Buffer {
  let at = head
  for (const field of CANONICAL_FIELDS) {
    const value = row[field]
    if (value === null || value === undefined) {
      at = room(at, 1 + tail)
      scratch[at++] = 0x00
      continue
    }
    const text = typeof value === 'string' ? value : String(value)
    // At most 3 UTF-8 bytes per UTF-16 unit.
    at = room(at, 5 + 3 * text.length + tail)
    scratch[at] = 0x01
    const length = scratch.write(text, at + 5, 'utf8')
    scratch.writeUInt32BE(length, at + 1)
    at += 5 + length
  }
  return scratch.subarray(0, at + tail)
}

// Grows the scratch buffer to hold `more` bytes after `at`, keeping what is written; returns `at`.
function room(at: number, more: number): number {
  if (at + more <= scratch.length) return at
  const bigger = Buffer.allocUnsafe(Math.max(2 * scratch.length, at + more))
  scratch.copy(bigger, 0, 0, at)
  scratch = bigger
  return at
}

/** hash = SHA-256(DOMAIN_BYTE ‖ canonical encoding ‖ previous hash as 32 bytes), in hex. */
export function accessLogHash(row: CanonicalRow, prevHash: string): string {
  return accessLogDigest(row, prevHash).toString('hex')
}

/** accessLogHash as its 32 bytes (the verification threads hash them again as a tree leaf). */
export function accessLogDigest(row: CanonicalRow, prevHash: string): Buffer {
  const message = encodeInto(row, 1, 32)
  message[0] = DOMAIN_BYTE
  const tail = message.length - 32
  // A previous hash that is not 64 hex digits (a tampered row) is hashed as Buffer.from reads it.
  if (message.write(prevHash, tail, 'hex') === 32) return hash('sha256', message, 'buffer')
  return hash('sha256', Buffer.concat([message.subarray(0, tail), Buffer.from(prevHash, 'hex')]), 'buffer')
}

const CHANNELS: readonly string[] = ['portal', 'email', 'whatsapp', 'link']
const ACTIONS: readonly string[] = ['view', 'download']

function isId(value: unknown): boolean {
  return Number.isSafeInteger(value) && (value as number) > 0
}

// Checked before the batch, so one malformed entry cannot fail the other requests' rows.
export function checkEntry(entry: AccessEntry): void {
  if (!isId(entry.documentId) || !isId(entry.clientId)) {
    throw new ValidationError('an access needs a document id and a client id')
  }
  if (entry.attachmentId != null && !isId(entry.attachmentId)) throw new ValidationError('bad attachment id')
  if (entry.deliveryId != null && !isId(entry.deliveryId)) throw new ValidationError('bad delivery id')
  if (entry.user && !isId(entry.user.id)) throw new ValidationError('bad user id')
  if (!CHANNELS.includes(entry.channel)) throw new ValidationError(`bad channel '${entry.channel}'`)
  if (!ACTIONS.includes(entry.action)) throw new ValidationError(`bad action '${entry.action}'`)
  if (entry.port != null && !(Number.isInteger(entry.port) && entry.port >= 0 && entry.port <= 65535)) {
    throw new ValidationError(`bad port ${entry.port}`)
  }
  // Only addresses are recorded (the export writes this column as is, with nothing to escape).
  if (entry.ip != null && isIP(entry.ip) === 0) throw new ValidationError(`bad IP address '${entry.ip}'`)
}

/** What the log adds to an entry: its id, time and hashes (the commit thread sends only these back). */
export type RowStamp = [id: number, at: string, prevHash: string, hash: string]

/** The row an entry becomes with its stamp. */
export function recordOf(entry: AccessEntry, [id, at, prevHash, hash]: RowStamp): AccessRecord {
  return {
    id,
    at,
    documentId: entry.documentId,
    attachmentId: entry.attachmentId ?? null,
    clientId: entry.clientId,
    userId: entry.user?.id ?? null,
    username: entry.user?.username ?? null,
    userName: entry.user?.name ?? null,
    channel: entry.channel,
    deliveryId: entry.deliveryId ?? null,
    ip: entry.ip ?? null,
    port: entry.port ?? null,
    userAgent: entry.userAgent ?? null,
    action: entry.action,
    prevHash,
    hash,
  }
}

/** The canonical row an entry becomes as row `id`, logged at `at`. */
export function canonicalRowOf(entry: AccessEntry, id: number, at: string): CanonicalRow {
  return {
    id,
    at,
    document_id: entry.documentId,
    attachment_id: entry.attachmentId ?? null,
    client_id: entry.clientId,
    user_id: entry.user?.id ?? null,
    username: entry.user?.username ?? null,
    user_name: entry.user?.name ?? null,
    channel: entry.channel,
    delivery_id: entry.deliveryId ?? null,
    ip: entry.ip ?? null,
    port: entry.port ?? null,
    user_agent: entry.userAgent ?? null,
    action: entry.action,
  }
}
