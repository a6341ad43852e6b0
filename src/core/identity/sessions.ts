import type { Db } from '../db/database.js'
import { addSeconds, now, nowIso } from '../time.js'
import { randomToken, sha256Hex } from '../tokens.js'

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

/** Creates a session; returns the 256-bit token for the cookie (only its SHA-256 is stored). */
export async function createSession(
  db: Db,
  input: { userId: number; scope: SessionScope; ip?: string | null; userAgent?: string | null },
  policy: SessionPolicy,
): Promise<{ token: string; session: Session }> {
  const token = randomToken(32)
  const createdAt = nowIso()
  const expiresAt = addSeconds(createdAt, policy.absoluteHours * 3600)
  const row = await db
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
    await db.deleteFrom('sessions').where('id', '=', row.id).execute()
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

/** Ends every session of a user (disable, role change, password change); call inside the change's transaction. */
export async function endUserSessions(trx: Db, userId: number): Promise<void> {
  await trx.deleteFrom('sessions').where('user_id', '=', userId).execute()
}

/** Removes sessions past their absolute expiry (housekeeping; expired sessions never open anything). */
export async function purgeExpiredSessions(db: Db): Promise<number> {
  const result = await db.deleteFrom('sessions').where('expires_at', '<=', nowIso()).executeTakeFirst()
  return Number(result.numDeletedRows)
}
