import { assertAccountant, type Actor } from '../actors.js'
import { normaliseEmail } from '../clients/email-address.js'
import type { Db } from '../db/database.js'
import { ConflictError, NotFoundError, ValidationError } from '../errors.js'
import { actorLabel, recordEvent } from '../audit/events.js'
import { getFirmOptions } from '../clients/firm.js'
import { parseBrazilianPhone } from '../clients/phone.js'
import { getDocument, type Document } from '../documents/documents.js'
import type { DeliveriesTable } from '../db/tables.js'
import { nowIso } from '../time.js'
import { deriveToken, isTokenShaped, sha256Hex, type SecretKey } from '../tokens.js'

export type DeliveryChannel = 'email' | 'whatsapp' | 'link'
export const DELIVERY_CHANNELS: readonly DeliveryChannel[] = ['email', 'whatsapp', 'link']

/** A document sent through a channel (docs/rules.md#data); its token is derived, never stored. */
export interface Delivery {
  id: number
  documentId: number
  channel: DeliveryChannel
  recipient: string | null
  createdAt: string
  createdBy: string
  expiresAt: string | null
  revokedAt: string | null
}

export interface NewDelivery {
  documentId: number
  channel: DeliveryChannel | string
  recipient?: string | null
  /** UTC ISO 8601; absent: the link does not expire. */
  expiresAt?: string | null
}

/** Whether a delivery's link works now: revoked wins over expired (docs/rules.md#document-links-and-login). */
export type DeliveryStatus = 'active' | 'expired' | 'revoked'

/** The status of a delivery at `now` (UTC ISO; default: this moment), for every adapter. */
export function deliveryStatus(delivery: Pick<Delivery, 'expiresAt' | 'revokedAt'>, now = nowIso()): DeliveryStatus {
  if (delivery.revokedAt) return 'revoked'
  if (delivery.expiresAt && Date.parse(delivery.expiresAt) <= Date.parse(now)) return 'expired'
  return 'active'
}

/** What a delivery token leads to; expected "no" answers are values, not exceptions. */
export type DeliveryResolution =
  | { status: 'ok'; delivery: Delivery; document: Document }
  | { status: 'expired' | 'revoked'; delivery: Delivery }
  | { status: 'unknown' }

/** Throws unless `value` is one of the delivery channels. */
export function parseChannel(value: string): DeliveryChannel {
  const channel = value.trim().toLowerCase()
  if ((DELIVERY_CHANNELS as readonly string[]).includes(channel)) return channel as DeliveryChannel
  throw new ValidationError(`unknown channel '${value}': use email, whatsapp or link`)
}

/** Seconds in a duration such as `30d`, `12h` or `90m`. */
export function parseDuration(value: string): number {
  const match = /^(\d{1,6})([dhm])$/.exec(value.trim().toLowerCase())
  const amount = match ? Number(match[1]) : 0
  if (!match || amount <= 0) {
    throw new ValidationError(
      `duration '${value}' is not valid: use a whole number of days, hours or minutes, such as 30d, 12h or 90m`,
    )
  }
  return amount * { d: 86_400, h: 3_600, m: 60 }[match[2] as 'd' | 'h' | 'm']
}

function parseRecipient(channel: DeliveryChannel, value: string | null | undefined): string | null {
  const recipient = value?.trim() ?? ''
  if (recipient === '') return null
  if (channel === 'email') return normaliseEmail(recipient)
  // Stored as E.164 (docs/decisions.md, "Brazilian phone numbers").
  if (channel === 'whatsapp') return parseBrazilianPhone(recipient)
  if (recipient.length > 320) throw new ValidationError('the recipient is too long (over 320 characters)')
  return recipient
}

/** The delivery's token: HMAC of its id under the secret key (docs/rules.md#portal-security), 256 bits, url-safe. */
export function deliveryToken(key: SecretKey, deliveryId: number): string {
  return deriveToken(key, 'delivery', deliveryId)
}

/** The public URL of a delivery token. */
export function deliveryUrl(baseUrl: string, token: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/d/${token}`
}

function toDelivery(row: Omit<DeliveriesTable, 'id'> & { id: number }): Delivery {
  return {
    id: Number(row.id),
    documentId: Number(row.document_id),
    channel: row.channel,
    recipient: row.recipient,
    createdAt: row.created_at,
    createdBy: row.created_by,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
  }
}

/** Sends a document through a channel: records the delivery and returns its token and URL. */
export async function createDelivery(
  db: Db,
  key: SecretKey,
  actor: Actor,
  input: NewDelivery,
): Promise<{ delivery: Delivery; token: string; url: string }> {
  const id = await db.transaction().execute(async (trx) => (await insertDelivery(trx, key, actor, input)).id)
  const delivery = await getDelivery(db, id)
  const token = deliveryToken(key, id)
  const { baseUrl } = await getFirmOptions(db)
  return { delivery, token, url: deliveryUrl(baseUrl, token) }
}

/**
 * Checks and records a delivery inside the caller's transaction (so an e-mail can be queued in
 * the same one); returns its id and document.
 */
export async function insertDelivery(
  trx: Db,
  key: SecretKey,
  actor: Actor,
  input: NewDelivery,
): Promise<{ id: number; document: Document }> {
  assertAccountant(actor, 'create deliveries')
  const channel = parseChannel(input.channel)
  const recipient = parseRecipient(channel, input.recipient)
  const createdAt = nowIso()
  if (input.expiresAt && !(Date.parse(input.expiresAt) > Date.parse(createdAt))) {
    throw new ValidationError(`the expiry ${input.expiresAt} is not in the future`)
  }
  const createdBy = await actorLabel(trx, actor)
  const document = await getDocument(trx, input.documentId)
  const row = await trx
    .insertInto('deliveries')
    .values({
      document_id: document.id,
      channel,
      recipient,
      token_digest: null,
      created_at: createdAt,
      created_by: createdBy,
      expires_at: input.expiresAt ?? null,
      revoked_at: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  const deliveryId = Number(row.id)
  // The token depends on the id, known only after the insert; the digest lands in the same
  // transaction, so no delivery is ever visible without it.
  await trx
    .updateTable('deliveries')
    .set({ token_digest: sha256Hex(deliveryToken(key, deliveryId)) })
    .where('id', '=', deliveryId)
    .execute()
  await recordEvent(trx, {
    actor,
    action: 'delivery.created',
    clientId: document.clientId,
    details: { deliveryId, documentId: document.id, channel, recipient },
  })
  return { id: deliveryId, document }
}

/** The delivery with this id; NotFoundError otherwise. */
export async function getDelivery(db: Db, id: number): Promise<Delivery> {
  const row = await db.selectFrom('deliveries').selectAll().where('id', '=', id).executeTakeFirst()
  if (!row) throw new NotFoundError(`no delivery with id ${id}: see 'confi docs show DOC'`)
  return toDelivery(row)
}

/** A delivery from a reference typed by a person (its id). */
export async function resolveDeliveryRef(db: Db, ref: string): Promise<Delivery> {
  const value = ref.trim()
  if (!/^\d{1,15}$/.test(value)) {
    throw new ValidationError(`'${ref}' is not a delivery id: give the number 'confi docs send' printed`)
  }
  return getDelivery(db, Number(value))
}

/** The deliveries of a document, oldest first. */
export async function listDeliveries(db: Db, documentId: number): Promise<Delivery[]> {
  const rows = await db
    .selectFrom('deliveries')
    .selectAll()
    .where('document_id', '=', documentId)
    .orderBy('id')
    .execute()
  return rows.map(toDelivery)
}

/** Revokes a delivery: its link stops working at once. Revoking twice is refused. */
export async function revokeDelivery(db: Db, actor: Actor, id: number): Promise<Delivery> {
  assertAccountant(actor, 'revoke deliveries')
  await db.transaction().execute(async (trx) => {
    const delivery = await getDelivery(trx, id)
    if (delivery.revokedAt) {
      throw new ConflictError(`delivery ${id} was already revoked at ${delivery.revokedAt}`)
    }
    await trx
      .updateTable('deliveries')
      .set({ revoked_at: nowIso() })
      .where('id', '=', id)
      .execute()
    const document = await getDocument(trx, delivery.documentId)
    await recordEvent(trx, {
      actor,
      action: 'delivery.revoked',
      clientId: document.clientId,
      details: { deliveryId: id, documentId: document.id },
    })
  })
  return getDelivery(db, id)
}

/** What a token from a URL leads to: the document, or why not (expired, revoked, unknown). */
export async function resolveDelivery(db: Db, token: string): Promise<DeliveryResolution> {
  if (!isTokenShaped(token)) return { status: 'unknown' }
  // Looked up by the token's SHA-256: the database never holds the token, and an index lookup on
  // a digest reveals nothing useful through timing.
  const row = await db
    .selectFrom('deliveries')
    .selectAll()
    .where('token_digest', '=', sha256Hex(token))
    .executeTakeFirst()
  if (!row) return { status: 'unknown' }
  const delivery = toDelivery(row)
  const status = deliveryStatus(delivery)
  if (status !== 'active') return { status, delivery }
  return { status: 'ok', delivery, document: await getDocument(db, delivery.documentId) }
}
