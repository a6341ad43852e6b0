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

/** The fields of a v1 row in canonical order (docs/access-log.md). */
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

/**
 * The personal fields of a row. A v2 row's hash covers each one's commitment; the values and their
 * salts live in access_log_personal, which an erasure may clear (docs/access-log.md, "Format v2").
 */
export const PERSONAL_FIELDS = ['username', 'user_name', 'ip', 'port', 'user_agent', 'recipient'] as const
export type PersonalField = (typeof PERSONAL_FIELDS)[number]

/** The commitment columns of a v2 row, one per personal field, in canonical order. */
const COMMITMENT_COLUMNS = [
  'username_commitment',
  'user_name_commitment',
  'ip_commitment',
  'port_commitment',
  'user_agent_commitment',
  'recipient_commitment',
] as const

/** The fields of a v2 row in canonical order (docs/access-log.md, "Format v2"). */
export const CANONICAL_FIELDS_V2 = [
  'id',
  'at',
  'kind',
  'document_id',
  'attachment_id',
  'client_id',
  'user_id',
  'channel',
  'delivery_id',
  'details',
  ...COMMITMENT_COLUMNS,
] as const

/** The columns a v2 row adds to access_log, stored after `prev_hash` and `hash`. */
export const V2_COLUMNS = [
  'format',
  'kind',
  'details',
  ...COMMITMENT_COLUMNS,
] as const

type Scalar = string | number | null
export type CanonicalRowV1 = Record<(typeof CANONICAL_FIELDS)[number], Scalar> & { format?: 1 | number | null }
export type CanonicalRowV2 = Record<(typeof CANONICAL_FIELDS_V2)[number], Scalar> & { format: 2 }
/** A row as it is hashed: its `format` (1 when absent) chooses the encoding. */
export type CanonicalRow = CanonicalRowV1 | CanonicalRowV2

/** The first byte of a v2 row's hashed message: the format, never a v1 row's 0x01. */
export const DOMAIN_BYTE_V2 = 0x02

const isV2 = (row: CanonicalRow): row is CanonicalRowV2 => row.format != null && Number(row.format) === 2

/**
 * The canonical encoding of a row: for each field of its format's list in order, 0x00 when null,
 * otherwise 0x01, the length of its UTF-8 text as a 4-byte big-endian integer, then the text
 * (integers in decimal). Length prefixes make the encoding unambiguous whatever the text holds.
 */
export function canonicalEncoding(row: CanonicalRow): Buffer {
  return Buffer.from(scratch.subarray(0, encodeInto(valuesOf(row), 0, 0)))
}

// A row's canonical fields in its format's order.
function valuesOf(row: CanonicalRow): unknown[] {
  const values = row as Record<string, unknown>
  return (isV2(row) ? CANONICAL_FIELDS_V2 : CANONICAL_FIELDS).map((field) => values[field])
}

// Written straight into one reused buffer with `head` bytes free before and `tail` after; returns
// the length written before the tail: hashing a row is the whole cost of `confi docs verify`
// (docs/performance.md, scale bench); a Buffer per field cost three times as much, and a buffer
// per row with the lengths measured first 10 to 30% more. The fields are `values[0]` to
// `values[count - 1]`: a verification thread hashes the row it read as positional values without
// making an object of it (docs/performance.md, "Format 2's cost").
let scratch = Buffer.allocUnsafe(4096)
// Views of scratch's first n bytes, by n: a view made per row was a tenth of verify's time
// (docs/performance.md, "bench:log:formats"). Emptied whenever scratch grows.
let views: Buffer[] = []

function encodeInto(values: readonly unknown[], head: number, tail: number, count = values.length): number {
  let to = head
  for (let i = 0; i < count; i++) {
    const value = values[i]
    if (value === null || value === undefined) {
      to = room(to, 1 + tail)
      scratch[to++] = 0x00
      continue
    }
    const text = typeof value === 'string' ? value : String(value)
    // At most 3 UTF-8 bytes per UTF-16 unit.
    to = room(to, 5 + 3 * text.length + tail)
    scratch[to] = 0x01
    const length = text.length <= SHORT ? writeShort(text, to + 5) : scratch.write(text, to + 5, 'utf8')
    scratch[to + 1] = length >>> 24
    scratch[to + 2] = (length >>> 16) & 0xff
    scratch[to + 3] = (length >>> 8) & 0xff
    scratch[to + 4] = length & 0xff
    to += 5 + length
  }
  return to
}

// Most fields of a row are short and ASCII (ids, the time, channel, action, an IP): copied by
// hand they skip Buffer.write's checks and native call, a fifth of the encoding's CPU
// (docs/performance.md, "Verify, second pass"); anything else goes to Buffer.write as before.
const SHORT = 48

function writeShort(text: string, at: number): number {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code >= 0x80) return scratch.write(text, at, 'utf8')
    scratch[at + i] = code
  }
  return text.length
}

// Grows the scratch buffer to hold `more` bytes after `at`, keeping what is written; returns `at`.
function room(at: number, more: number): number {
  if (at + more <= scratch.length) return at
  const bigger = Buffer.allocUnsafe(Math.max(2 * scratch.length, at + more))
  scratch.copy(bigger, 0, 0, at)
  scratch = bigger
  views = []
  return at
}

// The message's first byte, the canonical fields from 1 on and the previous hash after them.
function hashMessage(domain: number, tail: number, prevHash: string): string {
  scratch[0] = domain
  // A previous hash that is not 64 hex digits (a tampered row) is hashed as Buffer.from reads it.
  if (scratch.write(prevHash, tail, 32, 'hex') === 32) {
    return hash('sha256', (views[tail + 32] ??= scratch.subarray(0, tail + 32)), 'hex')
  }
  return hash('sha256', Buffer.concat([scratch.subarray(0, tail), Buffer.from(prevHash, 'hex')]), 'hex')
}

/**
 * v1: hash = SHA-256(0x01 ‖ canonical v1 ‖ previous hash as 32 bytes); v2: the same with 0x02 and
 * the v2 fields. In hex (node:crypto's hex output costs a fifth of a Buffer's).
 */
export function accessLogHash(row: CanonicalRow, prevHash: string): string {
  return hashMessage(isV2(row) ? DOMAIN_BYTE_V2 : DOMAIN_BYTE, encodeInto(valuesOf(row), 1, 32), prevHash)
}

/**
 * accessLogHash of a row as the database gives it, chained to its own prev_hash; its id and port
 * taken as numbers (PostgreSQL returns bigints as text). Reads the fields by name, copying nothing.
 */
export function storedRowHash(row: Readonly<Record<string, unknown>> & { prev_hash: string }): string {
  const v2 = row.format != null && Number(row.format) === 2
  const values = (v2 ? CANONICAL_FIELDS_V2 : CANONICAL_FIELDS).map((field) =>
    field === 'id' ? Number(row.id) : field === 'port' ? (row.port == null ? null : Number(row.port)) : row[field],
  )
  return hashMessage(v2 ? DOMAIN_BYTE_V2 : DOMAIN_BYTE, encodeInto(values, 1, 32), row.prev_hash)
}

/**
 * accessLogHash of a row read as positional values, without making an object of it: its canonical
 * fields of its format at 0 to `count - 1`, in canonical order, and its prev_hash at `count`
 * (the verification threads' statements, verify/chunk-rows.ts).
 */
export function positionalHash(v: readonly unknown[], v2: boolean, count: number): string {
  return hashMessage(v2 ? DOMAIN_BYTE_V2 : DOMAIN_BYTE, encodeInto(v, 1, 32, count), v[count] as string)
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
