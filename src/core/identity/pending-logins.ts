/**
 * Half-finished logins (docs/rules.md#two-factor-login): the password was right but a second
 * factor, or its set-up, is still owed. A short-lived row keyed by the SHA-256 of a cookie token;
 * it opens nothing itself and becomes a session only through the second step.
 */
import type { Db } from '../db/database.js'
import { addSeconds, now, nowIso } from '../time.js'
import { randomToken, sha256Hex } from '../tokens.js'
import type { SessionScope } from './sessions.js'

/** Time to type a code; setting up (installing an app, scanning) gets longer. */
export const PENDING_LOGIN_SECONDS = { code: 5 * 60, setup: 15 * 60 } as const

export interface PendingLogin {
  id: number
  userId: number
  scope: SessionScope
  /** Where the login was going (a same-origin path), or null for the default. */
  nextPath: string | null
  expiresAt: string
}

/** Records a half-finished login; returns the 256-bit token for the cookie (only its hash is kept). */
export async function createPendingLogin(
  db: Db,
  input: { userId: number; scope: SessionScope; nextPath?: string | null; step: keyof typeof PENDING_LOGIN_SECONDS },
): Promise<{ token: string; pending: PendingLogin }> {
  const token = randomToken(32)
  const createdAt = nowIso()
  const expiresAt = addSeconds(createdAt, PENDING_LOGIN_SECONDS[input.step])
  const row = await db
    .insertInto('pending_logins')
    .values({
      token_hash: sha256Hex(token),
      user_id: input.userId,
      scope: input.scope,
      next_path: input.nextPath ?? null,
      created_at: createdAt,
      expires_at: expiresAt,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  const pending = { id: Number(row.id), userId: input.userId, scope: input.scope, nextPath: input.nextPath ?? null, expiresAt }
  return { token, pending }
}

/** The live half-finished login of a cookie token; an expired one is deleted and counts as none. */
export async function lookupPendingLogin(db: Db, token: string): Promise<PendingLogin | null> {
  if (!token || token.length > 100) return null
  const row = await db.selectFrom('pending_logins').selectAll().where('token_hash', '=', sha256Hex(token)).executeTakeFirst()
  if (!row) return null
  if (now().getTime() >= Date.parse(row.expires_at)) {
    await endPendingLogin(db, Number(row.id))
    return null
  }
  return { id: Number(row.id), userId: Number(row.user_id), scope: row.scope, nextPath: row.next_path, expiresAt: row.expires_at }
}

/**
 * Ends a half-finished login (finished, abandoned or refused). True only for the call that removed
 * it, so two requests finishing the same login in parallel get one session between them.
 */
export async function endPendingLogin(db: Db, id: number): Promise<boolean> {
  const result = await db.deleteFrom('pending_logins').where('id', '=', id).executeTakeFirst()
  return Number(result.numDeletedRows) === 1
}

/**
 * Ends every half-finished login of a user: when the password they proved changes (a reset, a
 * change, an admin's new password) or the second factor is reset, inside that transaction.
 */
export async function endUserPendingLogins(trx: Db, userId: number): Promise<void> {
  await trx.deleteFrom('pending_logins').where('user_id', '=', userId).execute()
}
