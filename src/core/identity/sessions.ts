import type { Expression, ExpressionBuilder, SqlBool } from 'kysely'
import type { Db } from '../db/database.js'
import type { Database } from '../db/tables.js'
import { addSeconds, now, nowIso } from '../time.js'
import { randomToken, sha256Hex } from '../tokens.js'

/** Why a session ended before its user logged out: said on the next page (docs/decisions.md, "Why a session ended"). */
export type SessionEndReason = 'user_changed' | 'password_changed' | 'expired'

// How long the reason is remembered: past it, a stale cookie just gets "Sua sessão terminou".
const REMEMBER_ENDED_MS = 14 * 24 * 3_600_000

/** 'area' opens the client area; 'delivery' only delivery links of the user's own client. */
export type SessionScope = 'area' | 'delivery'

export interface Session {
  id: number
  userId: number
  scope: SessionScope
  createdAt: string
  lastSeenAt: string
  expiresAt: string
}

/** Session lifetimes, from the firm options. */
export interface SessionPolicy {
  idleMinutes: number
  absoluteHours: number
}

// last_seen_at is refreshed at most this often, so a burst of requests does not write per request.
const TOUCH_INTERVAL_MS = 60_000

/**
 * Creates a session; returns the 256-bit token for the cookie (only its SHA-256 is stored). A
 * session is a completed login, so the user's last login moves here, not at the password: a
 * password without its second factor changes nothing the user sees (docs/rules.md#two-factor-login).
 */
export async function createSession(
  db: Db,
  input: { userId: number; scope: SessionScope; ip?: string | null; userAgent?: string | null },
  policy: SessionPolicy,
): Promise<{ token: string; session: Session }> {
  const token = randomToken(32)
  const createdAt = nowIso()
  const expiresAt = addSeconds(createdAt, policy.absoluteHours * 3600)
  const write = async (trx: Db) => {
    await trx
      .updateTable('client_users')
      // The login before this one stays readable: the client area counts what is new since then.
      .set((eb) => ({ previous_login_at: eb.ref('last_login_at'), last_login_at: createdAt }))
      .where('id', '=', input.userId)
      .execute()
    return trx
      .insertInto('sessions')
      .values({
        token_hash: sha256Hex(token),
        user_id: input.userId,
        scope: input.scope,
        created_at: createdAt,
        last_seen_at: createdAt,
        expires_at: expiresAt,
        ip: input.ip ?? null,
        user_agent: input.userAgent?.slice(0, 500) ?? null,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
  }
  const row = db.isTransaction ? await write(db) : await db.transaction().execute(write)
  const session: Session = {
    id: Number(row.id),
    userId: input.userId,
    scope: input.scope,
    createdAt,
    lastSeenAt: createdAt,
    expiresAt,
  }
  return { token, session }
}

/** The stored form of a cookie token (its SHA-256), or null for a token no session can have. */
export function sessionTokenHash(token: string): string | null {
  if (!token || token.length > 100) return null
  return sha256Hex(token)
}

/** A sessions row as read by a lookup. */
export interface SessionRow {
  id: number
  user_id: number
  scope: SessionScope
  created_at: string
  last_seen_at: string
  expires_at: string
}

/** The live session of a cookie token, or null when unknown or expired (idle or absolute). */
export async function lookupSession(
  db: Db,
  token: string,
  policy: Pick<SessionPolicy, 'idleMinutes'>,
): Promise<Session | null> {
  const tokenHash = sessionTokenHash(token)
  if (!tokenHash) return null
  const row = await db
    .selectFrom('sessions')
    .select(['id', 'user_id', 'scope', 'created_at', 'last_seen_at', 'expires_at'])
    .where('token_hash', '=', tokenHash)
    .executeTakeFirst()
  return row ? liveSession(db, row, policy) : null
}

/**
 * The rule every lookup applies to a row it read: past its absolute or idle expiry the session is
 * deleted and counts as none; otherwise `last_seen_at` is refreshed (at most once a minute).
 */
export async function liveSession(
  db: Db,
  row: SessionRow,
  policy: Pick<SessionPolicy, 'idleMinutes'>,
): Promise<Session | null> {
  const current = now().getTime()
  const idleLimit = Date.parse(row.last_seen_at) + policy.idleMinutes * 60_000
  if (current >= Date.parse(row.expires_at) || current >= idleLimit) {
    await endSessionsWhere(db, 'expired', (eb) => eb('id', '=', row.id))
    return null
  }
  let lastSeenAt = row.last_seen_at
  if (current - Date.parse(row.last_seen_at) >= TOUCH_INTERVAL_MS) {
    lastSeenAt = new Date(current).toISOString()
    await db.updateTable('sessions').set({ last_seen_at: lastSeenAt }).where('id', '=', row.id).execute()
  }
  return {
    id: Number(row.id),
    userId: Number(row.user_id),
    scope: row.scope,
    createdAt: row.created_at,
    lastSeenAt,
    expiresAt: row.expires_at,
  }
}

/** Deletes the session of a cookie token (logout); unknown tokens are ignored. */
export async function deleteSession(db: Db, token: string): Promise<void> {
  if (!token) return
  await db.deleteFrom('sessions').where('token_hash', '=', sha256Hex(token)).execute()
}

/**
 * Ends every session of a user (disable, role change, password change), remembering why; call
 * inside the change's transaction.
 */
export async function endUserSessions(trx: Db, userId: number, reason: SessionEndReason = 'user_changed'): Promise<void> {
  await endSessionsWhere(trx, reason, (eb) => eb('user_id', '=', userId))
}

/** Ends every session of a user but `keepSessionId` (the browser making the change); inside its transaction. */
export async function endOtherUserSessions(trx: Db, userId: number, keepSessionId: number, reason: SessionEndReason = 'user_changed'): Promise<void> {
  await endSessionsWhere(trx, reason, (eb) => eb.and([eb('user_id', '=', userId), eb('id', '!=', keepSessionId)]))
}

/** Which sessions a change ends, as a condition on the sessions table. */
type SessionFilter = (eb: ExpressionBuilder<Database, 'sessions'>) => Expression<SqlBool>

/** Deletes the sessions a filter selects, first writing why each ended to `ended_sessions`; returns how many. */
async function endSessionsWhere(db: Db, reason: SessionEndReason, filter: SessionFilter): Promise<number> {
  const endedAt = nowIso()
  const forgetAt = new Date(Date.parse(endedAt) + REMEMBER_ENDED_MS).toISOString()
  await db
    .insertInto('ended_sessions')
    .columns(['token_hash', 'user_id', 'reason', 'ended_at', 'forget_at'])
    .expression(
      db
        .selectFrom('sessions')
        .select((eb) => ['token_hash', 'user_id', eb.val(reason).as('reason'), eb.val(endedAt).as('ended_at'), eb.val(forgetAt).as('forget_at')])
        .where(filter),
    )
    // Two requests can find the same session expired at once: the first one's row stands.
    .onConflict((oc) => oc.column('token_hash').doNothing())
    .execute()
  const deleted = await db.deleteFrom('sessions').where(filter).executeTakeFirst()
  return Number(deleted.numDeletedRows)
}

/** Why the session of a cookie token ended, if it ended within the last two weeks; null otherwise. */
export async function endedSessionReason(db: Db, token: string): Promise<SessionEndReason | null> {
  const tokenHash = sessionTokenHash(token)
  if (!tokenHash) return null
  const row = await db.selectFrom('ended_sessions').select('reason').where('token_hash', '=', tokenHash).executeTakeFirst()
  return row?.reason ?? null
}

/**
 * Ends the sessions past their absolute expiry or idle since `idleSince`, remembering 'expired' for
 * each (housekeeping: expired sessions never open anything); returns how many.
 */
export async function endExpiredSessions(db: Db, limits: { at: string; idleSince: string }): Promise<number> {
  const expired: SessionFilter = (eb) => eb.or([eb('expires_at', '<=', limits.at), eb('last_seen_at', '<=', limits.idleSince)])
  return db.transaction().execute((trx) => endSessionsWhere(trx, 'expired', expired))
}
