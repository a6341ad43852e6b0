import { sql, type ExpressionBuilder } from 'kysely'
import { assertAccountant, type Actor } from '../actors.js'
import { CATEGORIES, type Category } from '../categories.js'
import { appendInTransaction } from '../access-log/chain/append.js'
import { defineEventKind, type EventEntry } from '../access-log/chain/format-v2.js'
import { expirePersonalFields } from '../access-log/erase/personal-erase.js'
import { recordEvent } from '../audit/events.js'
import { getFirmOptions } from '../clients/firm.js'
import { formatPeriod, monthsOf, parseLogRetention, parseRetentionPolicy, type RetentionPolicy } from '../clients/retention-policy.js'
import type { Db } from '../db/database.js'
import type { Database } from '../db/tables.js'
import type { FileStore } from '../storage/file-store.js'
import { storageKeyOf } from '../storage/file-store.js'
import { localDate, nowIso } from '../time.js'
import { countedFromYear, firstKeptYear, monthsBefore } from './policy.js'

// `confi retention run` (docs/privacy.md, "How a run works"). Per batch of documents: in one
// transaction, mark each expired one (expired_at, expired_reason: the row and its attachments'
// names, sizes and hashes are the tombstone) and append its document.expired row; after the
// commit, delete from the store each file no live row uses. A crash between the two leaves files
// without rows (garbage), never a row without its file: an expired document keeps
// files_removed_at NULL until its files are dealt with, and every run collects those first.

defineEventKind('document.expired', { document: true, client: true })

/**
 * Erases the personal fields of access-log rows written before `before` (an ISO time), or counts
 * them when `dryRun`; `format1Rows`: rows before it that hold their values inside the hashed row,
 * which no erasure can reach (docs/privacy.md).
 */
export type LogFieldExpiry = (db: Db, options: { before: string; dryRun: boolean }) => Promise<{ rows: number; format1Rows: number }>

const expireLogPersonalFields: LogFieldExpiry = async (db, options) => {
  const result = await expirePersonalFields(db, options)
  return { rows: result.erased, format1Rows: result.format1.rows }
}

export interface RetentionRunOptions {
  dryRun?: boolean
  /** The firm's day the periods are measured to (default: today in São Paulo). */
  today?: string
  /** The log's personal-field expiry (default: the access log's own, expirePersonalFields). */
  expireLogFields?: LogFieldExpiry
  /** A file stored or found again by an upload this recently stays until a later run (default one day). */
  graceMs?: number
  /** Documents per transaction (default 500). */
  batchSize?: number
  /** How many expired documents the result lists (default 1,000; the counts are always whole). */
  listLimit?: number
}

export interface ExpiredDocument {
  id: number
  clientId: number
  title: string
  category: Category
  period: string
  countedFrom: string
  files: { attachmentId: number; sha256: string; size: number }[]
}

export interface RetentionRunResult {
  dryRun: boolean
  today: string
  /** Documents expired by this run (or that would be, in a dry run). */
  expired: number
  documents: ExpiredDocument[]
  /** Expired by age but kept: under a legal hold, or an e-mail about them still queued. */
  keptHeld: number
  keptQueued: number
  files: {
    /** Removed from the store (or that would be). */
    deleted: number
    /** Kept: a live document, an upload or the import queue still uses the same bytes. */
    stillUsed: number
    /** Kept until a later run: stored again moments ago, its new row may not be committed yet. */
    recent: number
    /** Already gone (a run interrupted after deleting). */
    absent: number
    bytesDeleted: number
  }
  /** Personal fields of the access log: the rows erased (or, dry, to erase) before `before`. */
  log: { before: string; rows: number; format1Rows: number }
}

type Eb = ExpressionBuilder<Database, 'documents'>

// A document's date is before Jan 1 of `year` (policy.ts): its competência, its due date, and,
// when it has neither, its filing time all fall in an earlier year.
function datedBefore(eb: Eb, year: number) {
  const jan1 = `${year}-01-01`
  return eb.and([
    eb.or([eb('documents.competence', 'is', null), eb('documents.competence', '<', String(year))]),
    eb.or([eb('documents.due_date', 'is', null), eb('documents.due_date', '<', jan1)]),
    eb.or([eb('documents.competence', 'is not', null), eb('documents.due_date', 'is not', null), eb('documents.created_at', '<', jan1)]),
  ])
}

function expiredByAge(eb: Eb, policy: RetentionPolicy, today: string) {
  const parts = CATEGORIES.flatMap((category) => {
    const year = firstKeptYear(policy[category], today)
    return year === null ? [] : [eb.and([eb('documents.category', '=', category), datedBefore(eb, year)])]
  })
  return parts.length === 0 ? sql<boolean>`1 = 0` : eb.or(parts)
}

const held = (eb: Eb) =>
  eb.exists(eb.selectFrom('document_holds').select('document_holds.id').whereRef('document_holds.document_id', '=', 'documents.id').where('document_holds.released_at', 'is', null))
const queued = (eb: Eb) =>
  eb.exists(eb.selectFrom('outbox').select('outbox.id').whereRef('outbox.document_id', '=', 'documents.id').where('outbox.status', '=', 'queued'))

/** Applies the firm's retention policy (docs/privacy.md); `dryRun` changes nothing. */
export async function runRetention(db: Db, store: FileStore, actor: Actor, options: RetentionRunOptions = {}): Promise<RetentionRunResult> {
  assertAccountant(actor, 'run retention')
  const firm = await getFirmOptions(db)
  const policy = parseRetentionPolicy(firm.retention)
  const today = options.today ?? localDate()
  const dryRun = options.dryRun ?? false
  const batchSize = options.batchSize ?? 500
  const listLimit = options.listLimit ?? 1000
  const graceMs = options.graceMs ?? 24 * 3600 * 1000
  const logBefore = `${monthsBefore(today, monthsOf(parseLogRetention(firm.logRetention)))}T00:00:00.000Z`
  const result: RetentionRunResult = {
    dryRun,
    today,
    expired: 0,
    documents: [],
    keptHeld: 0,
    keptQueued: 0,
    files: { deleted: 0, stillUsed: 0, recent: 0, absent: 0, bytesDeleted: 0 },
    log: { before: logBefore, rows: 0, format1Rows: 0 },
  }
  const collect = (ids: number[]) => collectFiles(db, store, ids, { dryRun, graceMs, files: result.files })

  // Garbage of an earlier run that stopped between its commit and its deletions.
  if (!dryRun) {
    for (let after = 0; ; ) {
      const pending = await db
        .selectFrom('documents')
        .select('id')
        .where('expired_at', 'is not', null)
        .where('files_removed_at', 'is', null)
        .where('id', '>', after)
        .orderBy('id')
        .limit(batchSize)
        .execute()
      if (pending.length === 0) break
      after = Number(pending[pending.length - 1].id)
      await collect(pending.map((r) => Number(r.id)))
    }
  }

  const kept = await db
    .selectFrom('documents')
    .select((eb) => [
      eb.fn.countAll<number>().filterWhere(held(eb)).as('held'),
      eb.fn.countAll<number>().filterWhere((e) => e.and([e.not(held(e)), queued(e)])).as('queued'),
    ])
    .where('expired_at', 'is', null)
    .where((eb) => expiredByAge(eb, policy, today))
    .where((eb) => eb.or([held(eb), queued(eb)]))
    .executeTakeFirstOrThrow()
  result.keptHeld = Number(kept.held)
  result.keptQueued = Number(kept.queued)

  for (let after = 0; ; ) {
    const batch = await db
      .selectFrom('documents')
      .select(['id', 'client_id', 'title', 'category', 'competence', 'due_date', 'created_at'])
      .where('expired_at', 'is', null)
      .where('id', '>', after)
      .where((eb) => expiredByAge(eb, policy, today))
      .where((eb) => eb.not(held(eb)))
      .where((eb) => eb.not(queued(eb)))
      .orderBy('id')
      .limit(batchSize)
      .execute()
    if (batch.length === 0) break
    after = Number(batch[batch.length - 1].id)
    const expired = dryRun ? await describe(db, batch, policy) : await expireBatch(db, batch, policy)
    result.expired += expired.length
    for (const document of expired) if (result.documents.length < listLimit) result.documents.push(document)
    await collect(expired.map((d) => d.id))
  }

  Object.assign(result.log, await (options.expireLogFields ?? expireLogPersonalFields)(db, { before: logBefore, dryRun }))
  if (!dryRun && (result.expired > 0 || result.files.deleted > 0 || result.log.rows > 0)) {
    const details = { expired: result.expired, filesDeleted: result.files.deleted, bytesDeleted: result.files.bytesDeleted, logRows: result.log.rows }
    await recordEvent(db, { actor, action: 'retention.run', details })
  }
  return result
}

type Candidate = { id: number; client_id: number; title: string; category: Category; competence: string | null; due_date: string | null; created_at: string }

async function describe(db: Db, batch: Candidate[], policy: RetentionPolicy): Promise<ExpiredDocument[]> {
  const files = await db
    .selectFrom('attachments')
    .select(['id', 'document_id', 'sha256', 'size'])
    .where('document_id', 'in', batch.map((d) => Number(d.id)))
    .orderBy('id')
    .execute()
  return batch.map((d) => ({
    id: Number(d.id),
    clientId: Number(d.client_id),
    title: d.title,
    category: d.category,
    period: formatPeriod(policy[d.category]),
    countedFrom: `${countedFromYear(d)}-01-01`,
    files: files.filter((f) => Number(f.document_id) === Number(d.id)).map((f) => ({ attachmentId: Number(f.id), sha256: f.sha256, size: Number(f.size) })),
  }))
}

const reasonOf = (d: ExpiredDocument): string => `retention: ${d.category} ${d.period} counted from ${d.countedFrom}`

// One transaction: the rows become tombstones and their document.expired rows join the log, or neither.
async function expireBatch(db: Db, batch: Candidate[], policy: RetentionPolicy): Promise<ExpiredDocument[]> {
  return db.transaction().execute(async (trx) => {
    const described = await describe(trx, batch, policy)
    const at = nowIso()
    const byReason = new Map<string, number[]>()
    for (const d of described) byReason.set(reasonOf(d), [...(byReason.get(reasonOf(d)) ?? []), d.id])
    const done = new Set<number>()
    for (const [reason, ids] of byReason) {
      // Still live and unheld now, inside the transaction: a hold taken since the batch was read wins.
      const rows = await trx
        .updateTable('documents')
        .set({ expired_at: at, expired_reason: reason })
        .where('id', 'in', ids)
        .where('expired_at', 'is', null)
        .where((eb) => eb.not(held(eb as unknown as Eb)))
        .returning('id')
        .execute()
      for (const row of rows) done.add(Number(row.id))
    }
    const expired = described.filter((d) => done.has(d.id))
    const entries: EventEntry[] = expired.map((d) => ({
      kind: 'document.expired',
      documentId: d.id,
      clientId: d.clientId,
      details: {
        reason: 'retention',
        category: d.category,
        period: d.period,
        counted_from: d.countedFrom,
        files: d.files.map((f) => ({ attachment_id: f.attachmentId, sha256: f.sha256, size: f.size })),
      },
    }))
    if (entries.length > 0) await appendInTransaction(trx, entries)
    return expired
  })
}

/**
 * Deletes the files of expired documents `ids` that nothing live uses (the store keeps identical
 * bytes once: a live document, an upload or the import queue may share them), then marks the
 * documents whose files are dealt with. A dry run only counts.
 */
async function collectFiles(
  db: Db,
  store: FileStore,
  ids: number[],
  options: { dryRun: boolean; graceMs: number; files: RetentionRunResult['files'] },
): Promise<void> {
  if (ids.length === 0) return
  const attachments = await db.selectFrom('attachments').select(['document_id', 'sha256', 'size']).where('document_id', 'in', ids).execute()
  const hashes = [...new Set(attachments.map((a) => a.sha256))]
  const used = new Set<string>()
  if (hashes.length > 0) {
    const live = await db
      .selectFrom('attachments')
      .innerJoin('documents', 'documents.id', 'attachments.document_id')
      .select('attachments.sha256')
      .where('attachments.sha256', 'in', hashes)
      .where('documents.expired_at', 'is', null)
      // In a dry run the batch is still live: its own rows do not keep its files.
      .where('documents.id', 'not in', ids)
      .union(db.selectFrom('upload_files').select('sha256').where('sha256', 'in', hashes))
      .union(db.selectFrom('import_queue').select('sha256').where('sha256', 'in', hashes))
      .execute()
    for (const row of live) used.add(row.sha256)
  }
  const size = new Map(attachments.map((a) => [a.sha256, Number(a.size)]))
  const waiting = new Set<string>()
  for (const sha256 of hashes) {
    if (used.has(sha256)) {
      options.files.stillUsed += 1
      continue
    }
    const outcome = options.dryRun ? ((await store.stat(storageKeyOf(sha256))) ? 'deleted' : 'absent') : await store.delete(storageKeyOf(sha256), { unlessNewerThanMs: options.graceMs })
    if (outcome === 'recent') waiting.add(sha256)
    options.files[outcome] += 1
    if (outcome === 'deleted') options.files.bytesDeleted += size.get(sha256) ?? 0
  }
  if (options.dryRun) return
  const done = ids.filter((id) => !attachments.some((a) => Number(a.document_id) === id && waiting.has(a.sha256)))
  if (done.length > 0) await db.updateTable('documents').set({ files_removed_at: nowIso() }).where('id', 'in', done).execute()
}
