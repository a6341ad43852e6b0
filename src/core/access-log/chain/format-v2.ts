import { hash, randomFillSync } from 'node:crypto'
import { ValidationError } from '../../errors.js'
import type { AccessLogPersonalTable, AccessLogTable } from '../../db/tables.js'
import { PERSONAL_FIELDS, type AccessEntry, type CanonicalRow, type CanonicalRowV1, type CanonicalRowV2, type PersonalField } from './row.js'

// Format v2 of the access log (docs/access-log.md, "Format v2"): every row has a kind, and its
// personal fields are committed, not embedded. The row in access_log (append-only) holds each
// personal field's commitment SHA-256(salt ‖ value); the value and its salt go to
// access_log_personal, beside it, where an erasure can clear them while the chain, the tree and
// every checkpoint still verify.

/** What the firm causes to a document: it becomes visible, changes, or is withdrawn. */
export type DocumentEventKind = 'document.published' | 'document.changed' | 'document.removed'

/** One file of a published document, as its `details` list it. */
export interface PublishedFile {
  attachment_id: number
  name: string
  media_type: string
  size: number
  sha256: string
}

/** The `details` of document.published and document.changed: the document as it now is. */
export interface DocumentDetails {
  title: string
  category: string
  competence: string | null
  due_date: string | null
  amount_cents: number | null
  files: PublishedFile[]
}

/** An event of the firm's about a document, written in the transaction that causes it. */
export interface DocumentEventEntry {
  kind: DocumentEventKind
  documentId: number
  clientId: number
  /** The document as it now is (published, changed); for document.removed, why, or null. */
  details: DocumentDetails | { reason: string | null }
}

/**
 * Any other event (docs/access-log.md, "Kinds"): what a client's user or the firm did, e.g. an
 * upload received or a guide marked paid. Who did it and from where are personal fields, so
 * they are committed like an access's; everything else it records goes in `details`.
 */
export interface EventEntry {
  kind: string
  documentId?: number | null
  clientId?: number | null
  user?: { id: number; username: string; name: string } | null
  channel?: 'portal' | null
  ip?: string | null
  port?: number | null
  userAgent?: string | null
  /** The e-mail or phone of a recipient the event names. */
  recipient?: string | null
  details: object
}

/** Whatever the log records: an access (view, download) or an event with a kind. */
export type LogEntry = AccessEntry | DocumentEventEntry | EventEntry

/**
 * The format new access rows are written in. Events (document.published...) exist only in format
 * 2; accesses stay in format 1 until the writers switch (docs/decisions.md, "Access log v2").
 */
export type AccessFormat = 1 | 2

export const isAccessEntry = (entry: LogEntry): entry is AccessEntry => !('kind' in entry)

/** A row of access_log as it is inserted (ids given explicitly: each hash covers its id). */
export type StoredRow = Omit<AccessLogTable, 'id' | 'format'> & { id: number; format: number }
/** A row of access_log_personal: the values and salts of one row's personal fields. */
export type PersonalRow = { [K in keyof AccessLogPersonalTable]: AccessLogPersonalTable[K] }

/**
 * JSON with object keys sorted (RFC 8785 for what `details` holds: strings, integers, null,
 * arrays and objects): the same document always gives the same text, whose bytes the row hash covers.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value)
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
}

/** The commitment to a personal value: SHA-256(salt ‖ UTF-8 text of the value), in hex. */
export function commitmentOf(saltHex: string, value: string | number): string {
  const text = typeof value === 'string' ? value : String(value)
  // Salt and value written into one reused buffer, hashed through a view kept per length: docs
  // verify checks five of these a row, and a view made per call cost a fifth of each.
  const most = saltHex.length / 2 + 3 * text.length
  if (most > message.length) {
    message = Buffer.allocUnsafe(Math.max(most, 2 * message.length))
    views = []
  }
  const salt = message.write(saltHex, 0, 'hex')
  // A salt that is not whole hex digits (a tampered one) is hashed as Buffer.from reads it.
  if (salt * 2 !== saltHex.length) return hash('sha256', Buffer.concat([Buffer.from(saltHex, 'hex'), Buffer.from(text, 'utf8')]), 'hex')
  const length = salt + message.write(text, salt, 'utf8')
  return hash('sha256', (views[length] ??= message.subarray(0, length)), 'hex')
}

let message = Buffer.allocUnsafe(1024)
let views: Buffer[] = []

/** Bytes of each salt: 128 bits, so a value cannot be found by trying candidates against its commitment. */
export const SALT_BYTES = 16

// Salts are cut from a block of CSPRNG output filled 256 at a time: one call per 256 salts
// instead of one per field of every row on the append path; each byte is used once.
const pool = Buffer.alloc(SALT_BYTES * 256)
let poolAt = pool.length

/** A fresh random salt (CSPRNG), in hex. */
export function freshSalt(): string {
  if (poolAt + SALT_BYTES > pool.length) {
    randomFillSync(pool)
    poolAt = 0
  }
  const salt = pool.toString('hex', poolAt, poolAt + SALT_BYTES)
  pool.fill(0, poolAt, poolAt + SALT_BYTES)
  poolAt += SALT_BYTES
  return salt
}

/**
 * The kinds of event rows and what each needs; with 'view' and 'download' (accesses), every kind
 * a row of format 2 may have. A later kind is added here and described in docs/access-log.md
 * ("Adding a kind"); the table holds kinds as text, so no schema version is needed for one.
 */
const EVENT_KINDS: Readonly<Record<string, { document: boolean; client: boolean }>> = {
  'document.published': { document: true, client: true },
  'document.changed': { document: true, client: true },
  'document.removed': { document: true, client: true },
}

/** Declares a kind of event row (a module that writes it calls this once, at load). */
export function defineEventKind(kind: string, needs: { document: boolean; client: boolean }): void {
  if (!/^[a-z_]+\.[a-z_]+$/.test(kind) || kind in EVENT_KINDS) throw new Error(`bad or repeated event kind '${kind}'`)
  ;(EVENT_KINDS as Record<string, { document: boolean; client: boolean }>)[kind] = needs
}

function isId(value: unknown): boolean {
  return Number.isSafeInteger(value) && (value as number) > 0
}

/** Refuses an event that is not of a declared kind or lacks the document or client it needs. */
export function checkEventEntry(entry: DocumentEventEntry | EventEntry): void {
  const needs = EVENT_KINDS[entry.kind]
  if (!needs) throw new ValidationError(`bad kind '${entry.kind}'`)
  if (needs.document && !isId(entry.documentId)) throw new ValidationError(`${entry.kind} needs a document id`)
  if (needs.client && !isId(entry.clientId)) throw new ValidationError(`${entry.kind} needs a client id`)
  if (entry.details === null || typeof entry.details !== 'object' || Array.isArray(entry.details)) {
    throw new ValidationError(`${entry.kind} needs its details as an object`)
  }
}

/** The personal values of an access or event, by field (null: the field has no value). */
function personalValuesOf(entry: AccessEntry | EventEntry): Record<PersonalField, string | number | null> {
  return {
    username: entry.user?.username ?? null,
    user_name: entry.user?.name ?? null,
    ip: entry.ip ?? null,
    port: entry.port ?? null,
    user_agent: entry.userAgent ?? null,
    recipient: ('recipient' in entry ? entry.recipient : null) ?? null,
  }
}

/** The commitment columns of a row, one per personal field (null: the field has no value). */
type Commitments = Pick<
  StoredRow,
  'username_commitment' | 'user_name_commitment' | 'ip_commitment' | 'port_commitment' | 'user_agent_commitment' | 'recipient_commitment'
>

// The objects of the append path are written out as literals, never spread or keyed by computed
// names: `{ ...template, ... }` and `row[\`${field}_salt\`] = ...` made objects V8 keeps as
// dictionaries, 40 µs of CPU (most of it garbage collection) a row, in either format
// (docs/performance.md, "Format 2's cost").
const saltFor = (value: string | number | null): string | null => (value === null ? null : freshSalt())
const commitmentFor = (salt: string | null, value: string | number | null): string | null =>
  salt === null || value === null ? null : commitmentOf(salt, value)

/** Each personal value's commitment, and the row of values and salts kept beside the log row. */
function commitPersonal(entry: AccessEntry | EventEntry, id: number): { commitments: Commitments; personal: PersonalRow | null } {
  const values = personalValuesOf(entry)
  const personal: PersonalRow = {
    id,
    username: values.username as string | null,
    username_salt: saltFor(values.username),
    user_name: values.user_name as string | null,
    user_name_salt: saltFor(values.user_name),
    ip: values.ip as string | null,
    ip_salt: saltFor(values.ip),
    port: values.port as number | null,
    port_salt: saltFor(values.port),
    user_agent: values.user_agent as string | null,
    user_agent_salt: saltFor(values.user_agent),
    recipient: values.recipient as string | null,
    recipient_salt: saltFor(values.recipient),
  }
  const commitments: Commitments = {
    username_commitment: commitmentFor(personal.username_salt, personal.username),
    user_name_commitment: commitmentFor(personal.user_name_salt, personal.user_name),
    ip_commitment: commitmentFor(personal.ip_salt, personal.ip),
    port_commitment: commitmentFor(personal.port_salt, personal.port),
    user_agent_commitment: commitmentFor(personal.user_agent_salt, personal.user_agent),
    recipient_commitment: commitmentFor(personal.recipient_salt, personal.recipient),
  }
  const any = PERSONAL_FIELDS.some((field) => values[field] !== null)
  return { commitments, personal: any ? personal : null }
}

/**
 * The v2 row `entry` becomes as row `id`, logged at `at` (without its hashes), and its personal
 * row, or null when it has no personal value. A field without a value has no commitment and no salt.
 */
export function storedRowOf(
  entry: LogEntry,
  id: number,
  at: string,
  accessFormat: AccessFormat = 2,
): { row: Omit<StoredRow, 'prev_hash' | 'hash'>; personal: PersonalRow | null } {
  if (isAccessEntry(entry) && accessFormat === 1) return { row: v1RowOf(entry, id, at), personal: null }
  // A document event has no user or personal field: it is the firm's act.
  const access = isAccessEntry(entry) ? entry : null
  const event = access ? null : (entry as EventEntry)
  const { commitments, personal } = commitPersonal(access ?? event!, id)
  return {
    row: {
      id,
      at,
      format: 2,
      kind: access ? access.action : event!.kind,
      document_id: entry.documentId ?? null,
      attachment_id: access?.attachmentId ?? null,
      client_id: entry.clientId ?? null,
      user_id: (access ?? event!).user?.id ?? null,
      username: null,
      user_name: null,
      channel: access ? access.channel : (event!.channel ?? null),
      delivery_id: access?.deliveryId ?? null,
      ip: null,
      port: null,
      user_agent: null,
      action: access ? access.action : null,
      details: access ? null : canonicalJson(event!.details),
      username_commitment: commitments.username_commitment,
      user_name_commitment: commitments.user_name_commitment,
      ip_commitment: commitments.ip_commitment,
      port_commitment: commitments.port_commitment,
      user_agent_commitment: commitments.user_agent_commitment,
      recipient_commitment: commitments.recipient_commitment,
    },
    personal,
  }
}

/** A format-1 row: the personal values in the row itself, as every release before format 2 wrote. */
function v1RowOf(entry: AccessEntry, id: number, at: string): Omit<StoredRow, 'prev_hash' | 'hash'> {
  return {
    id,
    at,
    format: 1,
    kind: null,
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
    details: null,
    username_commitment: null,
    user_name_commitment: null,
    ip_commitment: null,
    port_commitment: null,
    user_agent_commitment: null,
    recipient_commitment: null,
  }
}

/** The canonical row of a stored one (what its hash covers), in its format. */
export function canonicalOf(row: Omit<StoredRow, 'prev_hash' | 'hash'>): CanonicalRow {
  return row.format === 2 ? canonicalV2(row) : (row as CanonicalRowV1)
}

/** The canonical v2 row of a stored one (what its hash covers). */
export function canonicalV2(row: Omit<StoredRow, 'prev_hash' | 'hash'>): CanonicalRowV2 {
  return {
    format: 2,
    id: row.id,
    at: row.at,
    kind: row.kind,
    document_id: row.document_id,
    attachment_id: row.attachment_id,
    client_id: row.client_id,
    user_id: row.user_id,
    channel: row.channel,
    delivery_id: row.delivery_id,
    details: row.details,
    username_commitment: row.username_commitment,
    user_name_commitment: row.user_name_commitment,
    ip_commitment: row.ip_commitment,
    port_commitment: row.port_commitment,
    user_agent_commitment: row.user_agent_commitment,
    recipient_commitment: row.recipient_commitment,
  }
}

/**
 * The personal fields of a v2 row whose value does not match its commitment (a value or salt
 * changed after the fact). A field whose value and salt were erased is not checked: its
 * commitment stays in the hashed row, and nothing else can be checked against it.
 */
export function commitmentMismatches(row: Record<string, unknown>): PersonalField[] {
  return PERSONAL_FIELDS.filter((field) =>
    personalFieldWrong(
      row[`${field}_commitment`] as string | null | undefined,
      row[field] as string | number | null | undefined,
      row[`${field}_salt`] as string | null | undefined,
    ),
  )
}

/**
 * Whether one personal field of a v2 row is wrong: a value or salt without a commitment, a value
 * without its salt, or a value and salt that do not give the commitment. Null value and salt
 * (never set, or erased) are right.
 */
export function personalFieldWrong(
  commitment: string | null | undefined,
  value: string | number | null | undefined,
  salt: string | null | undefined,
): boolean {
  if (commitment == null) return value != null || salt != null
  if (salt == null) return value != null
  return value == null || commitmentOf(salt, value) !== commitment
}

/** The columns of access_log_personal a verification reads after a row's own, in this order. */
export const PERSONAL_VALUE_COLUMNS = PERSONAL_FIELDS.flatMap((f) => [f, `${f}_salt` as const])
