/**
 * The firm's terms of use and privacy notice (docs/rules.md#terms-and-consent): published versions,
 * and each user's "Li e concordo" to one. The newest version is the one every user must have
 * accepted before reaching anything; each acceptance is a terms.accepted row of the access log,
 * written in the transaction that stores it.
 */
import { createHash } from 'node:crypto'
import { appendInTransaction } from '../access-log/chain/append.js'
import { defineEventKind, type EventEntry } from '../access-log/chain/format-v2.js'
import type { Actor } from '../actors.js'
import { actorLabel, recordEvent } from '../audit/events.js'
import { takeLock, type Db } from '../db/database.js'
import { ConflictError, ValidationError } from '../errors.js'
import { hasUnsafeCharacters } from '../text-input.js'
import { nowIso } from '../time.js'
import type { ClientUser } from './users.js'

// The acceptance is the user's act about their own account: it names the client the user belongs to.
defineEventKind('terms.accepted', { document: false, client: true })

/** Largest terms file accepted: a long privacy notice is some 50 KB of text. */
export const MAX_TERMS_BYTES = 256 * 1024

/** One published version of the terms. */
export interface TermsVersion {
  id: number
  sha256: string
  body: string
  sourceName: string | null
  publishedAt: string
  publishedBy: string
}

/** Where an acceptance came from: committed in its log row, never in its details. */
export interface ConsentOrigin {
  ip: string | null
  port: number | null
  userAgent: string | null
}

type TermsRow = { id: number; sha256: string; body: string; source_name: string | null; published_at: string; published_by: string }

function versionOf(row: TermsRow): TermsVersion {
  return {
    id: Number(row.id),
    sha256: row.sha256,
    body: row.body,
    sourceName: row.source_name,
    publishedAt: row.published_at,
    publishedBy: row.published_by,
  }
}

/**
 * The text of a terms file as it is stored and hashed: valid UTF-8 Markdown text, not empty, at
 * most MAX_TERMS_BYTES, without control characters (a binary file has them). A byte-order mark is
 * dropped, line ends become \n, the text is in Unicode NFC and ends with one newline, so the same
 * text saved by another editor is the same version (docs/rules.md#terms-and-consent).
 */
export function termsText(bytes: Uint8Array): string {
  if (bytes.length > MAX_TERMS_BYTES) {
    throw new ValidationError(`the terms file has ${bytes.length} bytes, more than the ${MAX_TERMS_BYTES} allowed: publish the text alone, as Markdown`)
  }
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw new ValidationError('the terms file is not UTF-8 text: save it as UTF-8 Markdown (.md)')
  }
  text = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n')
  // Tabs and newlines are text; a NUL or other control character means a binary file, and a bidi
  // or invisible character would make the page read otherwise than the text hashed (docs/rules.md#text-input).
  const found = text.split('\n').find((line) => hasUnsafeCharacters(line.replace(/\t/g, ' ')))
  if (found !== undefined) {
    const what = /[\u0000-\u0008\u000e-\u001f]/.test(found) ? 'control characters, so it is not a text file' : 'an invisible control or bidi character'
    throw new ValidationError(`the terms file contains ${what}: save it as UTF-8 Markdown (.md) without them`)
  }
  text = text.normalize('NFC').trimEnd()
  if (text.trim() === '') throw new ValidationError('the terms file is empty: write the terms of use and privacy notice in it')
  return `${text}\n`
}

/** The SHA-256 of a stored terms text (its UTF-8 bytes), in hex. */
export function termsSha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex')
}

async function latestRow(db: Db): Promise<TermsRow | undefined> {
  return db.selectFrom('terms_versions').selectAll().orderBy('id', 'desc').limit(1).executeTakeFirst()
}

/** The version users must have accepted now (the newest), or null when the firm published none. */
export async function currentTerms(db: Db): Promise<TermsVersion | null> {
  const row = await latestRow(db)
  return row ? versionOf(row) : null
}

/**
 * Publishes a new version of the terms from a file's bytes; every user accepts it at their next
 * request. The same text as the current version publishes nothing (`published: false`), so a
 * repeated command or a cron job does not ask everyone again.
 */
export async function publishTerms(
  db: Db,
  actor: Actor,
  input: { bytes: Uint8Array; sourceName?: string | null },
): Promise<{ version: TermsVersion; published: boolean }> {
  const body = termsText(input.bytes)
  const sha256 = termsSha256(body)
  return db.transaction().execute(async (trx) => {
    await takeLock(trx, 'terms')
    const current = await latestRow(trx)
    if (current && current.sha256 === sha256) return { version: versionOf(current), published: false }
    const row = await trx
      .insertInto('terms_versions')
      .values({
        sha256,
        body,
        source_name: input.sourceName?.slice(0, 200) ?? null,
        published_at: nowIso(),
        published_by: await actorLabel(trx, actor),
      })
      .returningAll()
      .executeTakeFirstOrThrow()
    const version = versionOf(row)
    await recordEvent(trx, { actor, action: 'terms.published', details: { terms_id: version.id, sha256 } })
    return { version, published: true }
  })
}

/** A version with how many users accepted it: all of them, and the active ones. */
export interface TermsSummary extends Omit<TermsVersion, 'body'> {
  bytes: number
  acceptances: number
  activeAccepted: number
}

/** Every published version, newest first, with its acceptance counts. */
export async function listTerms(db: Db): Promise<TermsSummary[]> {
  const rows = await db
    .selectFrom('terms_versions as tv')
    .leftJoin('terms_acceptances as ta', 'ta.terms_id', 'tv.id')
    .leftJoin('client_users as u', 'u.id', 'ta.user_id')
    .select(['tv.id', 'tv.sha256', 'tv.body', 'tv.source_name', 'tv.published_at', 'tv.published_by'])
    .select((eb) => [
      eb.fn.count<number>('ta.user_id').as('acceptances'),
      eb.fn.count<number>(eb.case().when('u.status', '=', 'active').then(1).end()).as('active_accepted'),
    ])
    .groupBy(['tv.id', 'tv.sha256', 'tv.body', 'tv.source_name', 'tv.published_at', 'tv.published_by'])
    .orderBy('tv.id', 'desc')
    .execute()
  return rows.map(({ body, acceptances, active_accepted, ...row }) => {
    const { body: _body, ...version } = versionOf({ ...row, body })
    return { ...version, bytes: Buffer.byteLength(body, 'utf8'), acceptances: Number(acceptances), activeAccepted: Number(active_accepted) }
  })
}

/** How many client users are active: the ones a version's acceptance count is measured against. */
export async function activeUserCount(db: Db): Promise<number> {
  const row = await db.selectFrom('client_users').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'active').executeTakeFirstOrThrow()
  return Number(row.n)
}

/**
 * Records user `user`'s acceptance of version `termsId` inside the caller's transaction: the
 * terms_acceptances row and its terms.accepted log row commit together. Only the current version
 * can be accepted (a version published while the person read the old one: ConflictError
 * 'terms_changed'); accepting it again changes nothing.
 */
export async function acceptTermsIn(trx: Db, user: Pick<ClientUser, 'id' | 'clientId' | 'username' | 'name'>, termsId: number, origin: ConsentOrigin): Promise<void> {
  const current = await latestRow(trx)
  if (!current || Number(current.id) !== termsId) {
    throw new ConflictError(`terms version ${termsId} is not the current one: read the current terms and accept them`, { reason: 'terms_changed' })
  }
  const inserted = await trx
    .insertInto('terms_acceptances')
    .values({ user_id: user.id, terms_id: termsId, accepted_at: nowIso(), log_id: null })
    .onConflict((oc) => oc.columns(['user_id', 'terms_id']).doNothing())
    .returning('user_id')
    .executeTakeFirst()
  if (!inserted) return
  const entry: EventEntry = {
    kind: 'terms.accepted',
    clientId: user.clientId,
    user: { id: user.id, username: user.username, name: user.name },
    channel: 'portal',
    ip: origin.ip,
    port: origin.port,
    userAgent: origin.userAgent,
    details: { terms_id: termsId, sha256: current.sha256 },
  }
  const [stamp] = await appendInTransaction(trx, [entry])
  await trx.updateTable('terms_acceptances').set({ log_id: stamp[0] }).where('user_id', '=', user.id).where('terms_id', '=', termsId).execute()
}

/** The portal's "Li e concordo" of a logged-in user, in its own transaction (see acceptTermsIn). */
export async function acceptTerms(db: Db, user: ClientUser, termsId: number, origin: ConsentOrigin): Promise<void> {
  await db.transaction().execute((trx) => acceptTermsIn(trx, user, termsId, origin))
}

/**
 * A registration's consent: with terms published, the person must have ticked "Li e concordo"
 * for the current version (`termsId`, the version the form showed) or nothing is created.
 * Call before the password hash (cheap refusal) with no user, and inside the registration's
 * transaction with the new user, which records the acceptance.
 */
export async function registrationConsent(
  db: Db,
  termsId: number | null | undefined,
  user?: { user: Pick<ClientUser, 'id' | 'clientId' | 'username' | 'name'>; origin: ConsentOrigin },
): Promise<void> {
  const current = await latestRow(db)
  if (!current) return
  if (termsId == null) {
    throw new ValidationError('the terms of use and privacy notice must be accepted to create an account', { reason: 'terms_not_accepted' })
  }
  if (user) await acceptTermsIn(db, user.user, termsId, user.origin)
  else if (Number(current.id) !== termsId) {
    throw new ConflictError(`terms version ${termsId} is not the current one: read the current terms and accept them`, { reason: 'terms_changed' })
  }
}
