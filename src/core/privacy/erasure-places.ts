import { sql } from 'kysely'
import { erasePersonalFieldsOf, format1RowsOf, type IdRange } from '../access-log/erase/personal-erase.js'
import { backendOf, type Db } from '../db/database.js'
import type { Database } from '../db/tables.js'
import type { SigningKeys } from '../proof/keys.js'
import { signedAgain } from '../proof/receipts.js'
import type { Protocol } from '../proof/protocol-format.js'
import type { Receipt } from '../proof/receipt-format.js'
import { usernameKey } from '../identity/users.js'

// Every place an erasure reaches (docs/privacy.md, "Erasure"), one step each, run inside the
// erasure's transaction. Each step returns how many rows it changed.

/** The person being erased, as the account holds them before the erasure. */
/** The firm's signing keys, loaded only when a stored receipt is redacted (a database may have none). */
export type KeysOnDemand = () => Promise<SigningKeys>

export interface ErasedPerson {
  id: number
  clientId: number
  username: string
  name: string
  email: string | null
}

/** The neutral form an erased person's username, and every mention of them, becomes. */
export const erasedName = (userId: number): string => `removido-${userId}`

/** An erased account's display name. */
export const ERASED_DISPLAY_NAME = 'Pessoa removida'

/** The body a message to an erased person is left with: the row still says what was sent when. */
export const ERASED_BODY = '[conteúdo apagado: destinatário removido (LGPD)]'

/** Where something was kept, how much, and why (what the law requires). */
export interface KeptPlace {
  place: string
  /** Absent when the place is not counted row by row. */
  rows?: number
  why: string
  ranges?: IdRange[]
}

// The columns holding an actor label (`cli:…`, `user:<username>`): a client user's label is
// renamed to the neutral form. Found by searching schema.sql for *_by and actor columns.
const ACTOR_COLUMNS: readonly [keyof Database, string][] = [
  ['documents', 'created_by'],
  ['deliveries', 'created_by'],
  ['outbox', 'created_by'],
  ['receipts', 'created_by'],
  ['import_queue', 'created_by'],
  ['client_users', 'activated_by'],
  ['request_templates', 'created_by'],
  ['requests', 'created_by'],
  ['uploads', 'status_by'],
  ['request_events', 'actor'],
  ['document_payments', 'marked_by'],
  ['document_holds', 'held_by'],
  ['document_holds', 'released_by'],
  ['terms_versions', 'published_by'],
  ['erasures', 'by_actor'],
  ['events', 'actor'],
]

// Free text in which anyone (the firm, a mail server, a message) may have written the person's
// name, username or e-mail: each mention is replaced by the neutral form.
const FREE_TEXT: readonly [keyof Database, string][] = [
  ['events', 'details'],
  ['outbox', 'subject'],
  ['outbox', 'body_text'],
  ['outbox', 'body_html'],
  ['outbox', 'last_error'],
  ['outbox', 'server_reply'],
  ['uploads', 'status_note'],
  ['requests', 'note'],
  ['request_events', 'note'],
  ['document_holds', 'reason'],
]

const htmlEscaped = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')

/**
 * The texts that identify the person in free text, longest first (so "Ana Souza" goes before a
 * username "ana" inside it), each as written and HTML-escaped. A username is searched for only
 * when it is distinctive (6 characters or more, or with a `.`/`@`): a short one would also match
 * unrelated words; it still leaves every actor label, where it is matched exactly.
 */
export function mentionsOf(person: ErasedPerson): string[] {
  const distinctive = person.username.length >= 6 || /[.@]/.test(person.username)
  const raw = [person.name, person.email ?? '', distinctive ? person.username : ''].filter((t) => t.trim().length >= 3)
  const all = new Set(raw.flatMap((t) => [t, htmlEscaped(t)]))
  return [...all].sort((a, b) => b.length - a.length)
}

const ref = (table: string, column: string) => sql.ref(`${table}.${column}`)

/** Renames `user:<username>` to `user:removido-<id>` in every actor column. */
async function renameActor(trx: Db, person: ErasedPerson): Promise<number> {
  let n = 0
  for (const [table, column] of ACTOR_COLUMNS) {
    const result = await sql`update ${sql.table(table)} set ${sql.ref(column)} = ${`user:${erasedName(person.id)}`}
      where ${sql.ref(column)} = ${`user:${person.username}`}`.execute(trx)
    n += Number(result.numAffectedRows ?? 0)
  }
  return n
}

/**
 * Replaces each mention of the person in the free-text columns: one UPDATE (one scan) per table,
 * every column and mention in it, so a large outbox is read once, not once per mention.
 */
async function replaceMentions(trx: Db, person: ErasedPerson): Promise<number> {
  let n = 0
  const marker = erasedName(person.id)
  const mentions = mentionsOf(person)
  if (mentions.length === 0) return 0
  const tables = [...new Set(FREE_TEXT.map(([table]) => table))]
  for (const table of tables) {
    const columns = FREE_TEXT.filter(([t]) => t === table).map(([, column]) => column)
    const replaced = (column: string) => mentions.reduce((expr, m) => sql`replace(${expr}, ${m}, ${marker})`, sql`${sql.ref(column)}`)
    const sets = sql.join(columns.map((c) => sql`${sql.ref(c)} = ${replaced(c)}`))
    // strpos/instr: a plain substring test, where LIKE would read `_` and `%` in a name as wildcards.
    const any = sql.join(columns.flatMap((c) => mentions.map((m) => sql`${position(trx, ref(table, c), m)} > 0`)), sql` or `)
    const result = await sql`update ${sql.table(table)} set ${sets} where ${any}`.execute(trx)
    n += Number(result.numAffectedRows ?? 0)
  }
  return n
}

function position(trx: Db, column: ReturnType<typeof ref>, text: string) {
  return backendOf(trx) === 'postgres' ? sql`strpos(${column}, ${text})` : sql`instr(${column}, ${text})`
}

const lowerEquals = (column: string, value: string) => sql<boolean>`lower(${sql.ref(column)}) = lower(${value})`

/** Erases the person everywhere; returns the count per place. */
export async function eraseEverywhere(trx: Db, person: ErasedPerson, at: string, keys?: KeysOnDemand): Promise<Record<string, number>> {
  const counts: Record<string, number> = {}
  const marker = erasedName(person.id)
  const deliveryIds = person.email
    ? (await trx.selectFrom('deliveries').select('id').where(lowerEquals('recipient', person.email)).execute()).map((d) => Number(d.id))
    : []
  counts.access_log_rows = await erasePersonalFieldsOf(trx, { userId: person.id, deliveryIds })
  counts.receipts = await redactReceipts(trx, person, deliveryIds, keys)
  if (deliveryIds.length > 0) {
    const r = await trx.updateTable('deliveries').set({ recipient: marker }).where('id', 'in', deliveryIds).executeTakeFirst()
    counts.deliveries = Number(r.numUpdatedRows)
  }
  if (person.email) {
    const r = await trx
      .updateTable('outbox')
      .set((eb) => ({
        recipient: marker,
        body_text: ERASED_BODY,
        body_html: `<p>${htmlEscaped(ERASED_BODY)}</p>`,
        // A message not yet sent never will be: its recipient is gone.
        status: sql`case when ${eb.ref('status')} = 'queued' then 'failed' else ${eb.ref('status')} end`,
        last_error: sql`case when ${eb.ref('status')} = 'queued' then ${'not sent: the recipient was erased (LGPD)'} else ${eb.ref('last_error')} end`,
        lease_owner: null,
        lease_until: null,
      }))
      .where(lowerEquals('recipient', person.email))
      .executeTakeFirst()
    counts.outbox_messages = Number(r.numUpdatedRows)
    for (const table of ['reminders_sent', 'request_reminders_sent'] as const) {
      const s = await trx.updateTable(table).set({ recipient: marker }).where(lowerEquals('recipient', person.email)).executeTakeFirst()
      counts[table] = Number(s.numUpdatedRows)
    }
  }
  counts.upload_notes = Number((await trx.updateTable('uploads').set({ note: null }).where('user_id', '=', person.id).where('note', 'is not', null).executeTakeFirst()).numUpdatedRows)
  counts.request_event_notes = Number(
    (await trx.updateTable('request_events').set({ note: null }).where('user_id', '=', person.id).where('note', 'is not', null).executeTakeFirst()).numUpdatedRows,
  )
  counts.actor_labels = await renameActor(trx, person)
  counts.mentions = await replaceMentions(trx, person)
  for (const table of ['sessions', 'ended_sessions', 'pending_logins', 'password_resets', 'two_factor', 'recovery_codes'] as const) {
    counts[table] = Number((await trx.deleteFrom(table).where('user_id', '=', person.id).executeTakeFirst()).numDeletedRows)
  }
  counts.login_throttle = await forgetThrottleKeys(trx, person)
  const account = await trx
    .updateTable('client_users')
    .set({ username: marker, username_key: marker, name: ERASED_DISPLAY_NAME, email: null, password_hash: null, status: 'disabled', erased_at: at })
    .where('id', '=', person.id)
    .executeTakeFirst()
  counts.account = Number(account.numUpdatedRows)
  return counts
}

// The throttle keys that name the user (login-throttle.ts: user:, pair:, known:, device: with the
// username key); the per-network keys name no one and expire by themselves.
async function forgetThrottleKeys(trx: Db, person: ErasedPerson): Promise<number> {
  const key = usernameKey(person.username)
  const prefixes = ['pair:', 'known:', 'device:'].map((p) => `${p}${key}|`)
  const r = await trx
    .deleteFrom('login_throttle')
    .where((eb) =>
      eb.or([eb('throttle_key', '=', `user:${key}`), ...prefixes.map((p) => eb(sql`substr(throttle_key, 1, ${p.length})`, '=', p))]),
    )
    .executeTakeFirst()
  return Number(r.numDeletedRows)
}

type ReceiptRowJson = Record<string, unknown>
const PERSONAL = ['username', 'user_name', 'ip', 'port', 'user_agent', 'recipient']

/**
 * The firm's stored copies of receipts and protocols lose the person's values: in each format-2
 * row of theirs the values and salts are nulled (the commitments stay, so each row still
 * verifies and shows the fields as erased), and a delivery to them loses its address. With the
 * firm's keys the redacted copy is signed again, so the portal's re-check verifies it; the copy a
 * holder kept is untouched and still verifies offline with its own signature (docs/privacy.md).
 */
async function redactReceipts(trx: Db, person: ErasedPerson, deliveryIds: readonly number[], keys?: KeysOnDemand): Promise<number> {
  const candidates = await trx
    .selectFrom('receipts')
    .select(['id', 'body'])
    .where((eb) =>
      eb.or([
        eb('body', 'like', `%"user_id":${person.id}%`),
        eb('body', 'like', `%"userId":${person.id}%`),
        ...(deliveryIds.length > 0 ? [eb('delivery_id', 'in', [...deliveryIds])] : []),
        ...(person.email ? [eb(sql`lower(body)`, 'like', `%${person.email.toLowerCase().replace(/[%_\\]/g, '')}%`)] : []),
      ]),
    )
    .execute()
  let n = 0
  for (const c of candidates) {
    const body = JSON.parse(c.body) as Record<string, unknown>
    const redacted = redactBody(body, person, deliveryIds)
    if (!redacted) continue
    const stored = keys ? signedAgain(body as unknown as Receipt | Protocol, await keys()) : body
    await trx.updateTable('receipts').set({ body: JSON.stringify(stored) }).where('id', '=', c.id).execute()
    n++
  }
  return n
}

function redactBody(body: Record<string, unknown>, person: ErasedPerson, deliveryIds: readonly number[]): boolean {
  let changed = false
  const rows = [...asRows(body.rows), ...asRows(body.publications), ...asRows(body.row ? [body.row] : [])]
  for (const row of rows) {
    const theirs = Number(row.user_id) === person.id || deliveryIds.includes(Number(row.delivery_id))
    if (!theirs || Number(row.format) !== 2) continue
    for (const f of PERSONAL) {
      if (row[f] == null && row[`${f}_salt`] == null) continue
      row[f] = null
      row[`${f}_salt`] = null
      changed = true
    }
  }
  for (const d of asRows(body.deliveries)) {
    if (person.email && typeof d.recipient === 'string' && d.recipient.toLowerCase() === person.email.toLowerCase()) {
      d.recipient = erasedName(person.id)
      changed = true
    }
  }
  return changed
}

const asRows = (value: unknown): ReceiptRowJson[] => (Array.isArray(value) ? (value as ReceiptRowJson[]) : [])

/** What an erasure keeps of the person, and why. */
export async function keptPlaces(trx: Db, person: ErasedPerson): Promise<KeptPlace[]> {
  const deliveryIds = person.email
    ? (await trx.selectFrom('deliveries').select('id').where(lowerEquals('recipient', person.email)).execute()).map((d) => Number(d.id))
    : []
  const kept: KeptPlace[] = []
  const format1 = await format1RowsOf(trx, { userId: person.id, deliveryIds })
  if (format1.rows > 0) {
    kept.push({
      place: 'access log rows of format 1',
      rows: format1.rows,
      ranges: format1.ranges,
      why: 'written before format 2, they hold the values inside the hashed row: changing them would break the chain; they stay until the log retention erases them (Marco Civil art. 15)',
    })
  }
  const count = async (q: Promise<{ n: number | string | bigint } | undefined>) => Number((await q)?.n ?? 0)
  const files = await count(
    trx
      .selectFrom('upload_files as f')
      .innerJoin('uploads as u', 'u.id', 'f.upload_id')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('u.user_id', '=', person.id)
      .executeTakeFirst(),
  )
  if (files > 0) {
    kept.push({
      place: 'files the person sent (names, hashes, contents)',
      rows: files,
      why: "the company's tax and accounting documents, not the person's: kept for the company's legal obligations (LGPD art. 16 I; CTN art. 195) until their retention ends",
    })
  }
  const terms = await count(trx.selectFrom('terms_acceptances').select((eb) => eb.fn.countAll<number>().as('n')).where('user_id', '=', person.id).executeTakeFirst())
  if (terms > 0) {
    kept.push({ place: 'terms acceptances (version, time)', rows: terms, why: 'proof that consent was given (LGPD art. 8 §2); they name the anonymised account only' })
  }
  if (person.email) {
    const clients = await count(
      trx.selectFrom('clients').select((eb) => eb.fn.countAll<number>().as('n')).where(lowerEquals('email', person.email)).executeTakeFirst(),
    )
    if (clients > 0) {
      kept.push({
        place: "a company's contact e-mail equal to the person's",
        rows: clients,
        why: "the company's address, which the firm set: change it with 'confi clients edit' if it was the person's own",
      })
    }
  }
  kept.push({
    place: 'access log rows (their commitments)',
    why: 'evidence of what was delivered and seen (LGPD art. 7 VI, art. 16 I): the hashed rows, chain and checkpoints stay; only hashes of salted values remain, which no one can link to the person without the erased salts',
  })
  return kept
}
