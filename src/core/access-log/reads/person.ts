import { sql } from 'kysely'
import type { Db } from '../../db/database.js'
import { chainRowOf, wideRows, type ChainRow } from './rows.js'

// One person's rows of the log, for `confi privacy find` and `privacy export` (docs/privacy.md):
// the rows of their accounts (user_id) and the rows of deliveries sent to their e-mail
// (delivery_id). Each source is read through its own index (access_log_user, access_log_delivery)
// so a person's 100,000 rows in a log of 10 million take seconds, never a scan of the log.

/** Whose rows: accounts by id, and deliveries to the person's addresses by id. */
export interface LogPerson {
  userIds: readonly number[]
  deliveryIds: readonly number[]
}

/** How many rows a person has in the log, how many of them are format 1, and the first and last dates. */
export interface LogFootprint {
  rows: number
  format1: number
  first: string | null
  last: string | null
}

type Source = { column: 'user_id' | 'delivery_id'; id: number; notUsers: readonly number[] }

// A delivery's rows that a listed account made are already counted with that account.
function sourcesOf(person: LogPerson): Source[] {
  return [
    ...person.userIds.map((id) => ({ column: 'user_id' as const, id, notUsers: [] })),
    ...person.deliveryIds.map((id) => ({ column: 'delivery_id' as const, id, notUsers: person.userIds })),
  ]
}

function excludeUsers<Q extends { where: (...args: never[]) => Q }>(query: Q, notUsers: readonly number[]): Q {
  if (notUsers.length === 0) return query
  const q = query as unknown as { where: (e: unknown) => Q }
  return q.where(sql<boolean>`(a.user_id IS NULL OR a.user_id NOT IN (${sql.join(notUsers.map((id) => sql`${id}`))}))`)
}

/** The person's rows counted, with their first and last times. */
export async function personLogFootprint(db: Db, person: LogPerson): Promise<LogFootprint> {
  const total: LogFootprint = { rows: 0, format1: 0, first: null, last: null }
  for (const source of sourcesOf(person)) {
    const row = await excludeUsers(
      db
        .selectFrom('access_log as a')
        .select([
          sql<number>`count(*)`.as('n'),
          sql<number>`sum(case when a.format = 1 then 1 else 0 end)`.as('v1'),
          sql<number | null>`min(a.id)`.as('first_id'),
          sql<number | null>`max(a.id)`.as('last_id'),
        ])
        .where(`a.${source.column}`, '=', source.id),
      source.notUsers,
    ).executeTakeFirstOrThrow()
    if (Number(row.n) === 0) continue
    total.rows += Number(row.n)
    total.format1 += Number(row.v1 ?? 0)
    // Ids grow with time (appends are serialised), so the first and last ids date the span.
    const [first, last] = await Promise.all([atOf(db, Number(row.first_id)), atOf(db, Number(row.last_id))])
    if (first !== null && (total.first === null || first < total.first)) total.first = first
    if (last !== null && (total.last === null || last > total.last)) total.last = last
  }
  return total
}

async function atOf(db: Db, id: number): Promise<string | null> {
  const row = await db.selectFrom('access_log').select('at').where('id', '=', id).executeTakeFirst()
  return row?.at ?? null
}

/**
 * The person's rows as a receipt carries them (values and salts beside each commitment), in
 * batches of `batchSize`, source by source and in id order within each: constant memory.
 */
export async function* personLogRows(db: Db, person: LogPerson, batchSize = 1000): AsyncGenerator<ChainRow[]> {
  for (const source of sourcesOf(person)) {
    let after = 0
    for (;;) {
      const rows = (await excludeUsers(
        wideRows(db).where(`a.${source.column}`, '=', source.id).where('a.id', '>', after).orderBy('a.id').limit(batchSize),
        source.notUsers,
      ).execute()) as Record<string, unknown>[]
      if (rows.length === 0) break
      yield rows.map(chainRowOf)
      after = Number(rows[rows.length - 1].id)
      if (rows.length < batchSize) break
    }
  }
}

/** The deliveries a person's accounts opened documents through (a WhatsApp or link delivery names no account). */
export async function deliveriesOpenedBy(db: Db, userIds: readonly number[]): Promise<number[]> {
  if (userIds.length === 0) return []
  const rows = await db
    .selectFrom('access_log')
    .select('delivery_id')
    .distinct()
    .where('user_id', 'in', [...userIds])
    .where('delivery_id', 'is not', null)
    .execute()
  return rows.map((r) => Number(r.delivery_id)).sort((a, b) => a - b)
}

/** The tables a person's log rows live in, for catalogues that name each place (docs/privacy.md). */
export const PERSON_LOG_TABLES = 'access_log + access_log_personal'
