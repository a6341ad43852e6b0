import { appendInTransaction } from '../access-log/chain/append.js'
import { defineEventKind } from '../access-log/chain/format-v2.js'
import { scrubAfterErasure, secureDeleteOn } from '../access-log/erase/personal-erase.js'
import type { Actor } from '../actors.js'
import { actorLabel } from '../audit/events.js'
import type { Db } from '../db/database.js'
import { resolveUser } from '../identity/users.js'
import { nowIso } from '../time.js'
import { eraseEverywhere, keptPlaces, type ErasedPerson, type KeptPlace, type KeysOnDemand } from './erasure-places.js'

// Erasing a person (LGPD art. 18 IV and VI; docs/privacy.md, "Erasure"): their account is
// anonymised and their personal values leave every place confi holds them, in one transaction,
// with one person.erased row in the log and one erasures row, both naming no one.

export const PERSON_ERASED = 'person.erased'
defineEventKind(PERSON_ERASED, { document: false, client: false })

/** What an erasure did, or (dry run) would do. */
export interface ErasureReport {
  dryRun: boolean
  userId: number
  /** The erasures row; null on a dry run, or when the person was already erased. */
  erasureId: number | null
  /** The person.erased log row; null as erasureId. */
  logId: number | null
  /** Set when the account had been erased before: nothing was done now. */
  alreadyErasedAt: string | null
  /** Rows changed (or that would change) per place. */
  erased: Record<string, number>
  kept: KeptPlace[]
  /**
   * SQLite: whether the WAL was checkpointed whole after the erasure (false: a reader held it,
   * old pages may linger in the WAL until the next checkpoint). Always true on PostgreSQL.
   */
  scrubbed: boolean
}

/** Thrown inside a dry run's transaction so that it rolls back, carrying what it found. */
class DryRunDone extends Error {
  constructor(readonly report: ErasureReport) {
    super('dry run')
  }
}

// The tables an erasure rewrites, vacuumed afterwards on PostgreSQL (besides the log's own).
const TOUCHED = ['client_users', 'sessions', 'ended_sessions', 'pending_logins', 'password_resets', 'two_factor', 'recovery_codes',
  'login_throttle', 'deliveries', 'outbox', 'reminders_sent', 'request_reminders_sent', 'uploads', 'request_events', 'events',
  'receipts', 'documents', 'requests', 'document_payments', 'document_holds']

/**
 * Erases the person `userRef` (id or username). A dry run performs the whole erasure in a
 * transaction that is then rolled back: the counts are exactly what the erasure would change,
 * and nothing changes. Irreversible otherwise; asking again about an erased account does nothing.
 */
export async function erasePerson(
  db: Db,
  actor: Actor,
  userRef: string,
  options: { dryRun?: boolean; keys?: KeysOnDemand } = {},
): Promise<ErasureReport> {
  const dryRun = options.dryRun ?? false
  const found = await resolveUser(db, userRef)
  const erasedAt = (await db.selectFrom('client_users').select('erased_at').where('id', '=', found.id).executeTakeFirstOrThrow()).erased_at
  if (erasedAt) {
    return { dryRun, userId: found.id, erasureId: null, logId: null, alreadyErasedAt: erasedAt, erased: {}, kept: [], scrubbed: true }
  }
  const by = await actorLabel(db, actor)
  if (!dryRun) await secureDeleteOn(db)
  try {
    const report = await db.transaction().execute(async (trx) => {
      // Read again under the transaction: two erasures of one person cannot both run.
      const row = await trx.selectFrom('client_users').selectAll().where('id', '=', found.id).executeTakeFirstOrThrow()
      const person: ErasedPerson = { id: found.id, clientId: Number(row.client_id), username: row.username, name: row.name, email: row.email }
      const kept = await keptPlaces(trx, person)
      const at = nowIso()
      const erased = await eraseEverywhere(trx, person, at, options.keys)
      const inserted = await trx
        .insertInto('erasures')
        .values({ user_id: person.id, at, by_actor: by, log_id: null, summary: JSON.stringify(erased) })
        .returning('id')
        .executeTakeFirstOrThrow()
      const erasureId = Number(inserted.id)
      const [stamp] = await appendInTransaction(trx, [{ kind: PERSON_ERASED, details: { counts: erased, erasure_id: erasureId } }])
      const logId = Number(stamp[0])
      await trx.updateTable('erasures').set({ log_id: logId }).where('id', '=', erasureId).execute()
      const result: ErasureReport = { dryRun, userId: person.id, erasureId, logId, alreadyErasedAt: null, erased, kept, scrubbed: false }
      if (dryRun) throw new DryRunDone({ ...result, erasureId: null, logId: null, scrubbed: true })
      return result
    })
    report.scrubbed = await scrubAfterErasure(db, TOUCHED)
    return report
  } catch (error) {
    if (error instanceof DryRunDone) return error.report
    throw error
  }
}
