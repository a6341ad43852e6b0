/** Passwords of client users: hashing a new one, the user's own change, an admin's set. */
import { clientUser, type Actor } from '../actors.js'
import { getFirmOptions } from '../clients/firm.js'
import type { Db } from '../db/database.js'
import { ForbiddenError, NotFoundError } from '../errors.js'
import { recordEvent } from '../audit/events.js'
import { reservePasswordCheck, settleAttempt } from './login-throttle.js'
import { inlineHasher, validatePassword, type PasswordHasher } from './passwords.js'
import { endUserSessions } from './sessions.js'
import { endUserPendingLogins } from './pending-logins.js'
import { changeUser, type ClientUser } from './users.js'
import { nowIso } from '../time.js'

/** Checks a new password and hashes it at the firm's bcrypt cost. */
export async function hashNewPassword(db: Db, password: string, hasher: PasswordHasher): Promise<string> {
  validatePassword(password)
  const { bcryptCost } = await getFirmOptions(db)
  return hasher.hash(password, bcryptCost)
}

/** Stores an already hashed password and ends the user's sessions and half-finished logins (also used by resets). */
export async function storePasswordHash(trx: Db, userId: number, passwordHash: string): Promise<void> {
  await trx
    .updateTable('client_users')
    .set({ password_hash: passwordHash, password_changed_at: nowIso() })
    .where('id', '=', userId)
    .execute()
  await endUserSessions(trx, userId, 'password_changed')
  await endUserPendingLogins(trx, userId)
}

/**
 * Checks a signed-in user's current password before a change that needs it (new password, turning
 * two-factor off), throttled per user: a ForbiddenError when wrong, a ThrottledError after repeated
 * wrong ones. Returns the user's client id.
 */
export async function verifyCurrentPassword(
  db: Db,
  userId: number,
  current: string,
  hasher: PasswordHasher = inlineHasher,
): Promise<number> {
  const row = await db
    .selectFrom('client_users')
    .select(['password_hash', 'client_id'])
    .where('id', '=', userId)
    .executeTakeFirst()
  if (!row) throw new NotFoundError(`no user with id ${userId}`)
  // Reserved before the verify, like a login: a hijacked session must not guess the password.
  const reservation = await reservePasswordCheck(db, userId)
  let matches: boolean
  try {
    matches = row.password_hash ? await hasher.verify(current, row.password_hash) : false
  } catch (error) {
    await settleAttempt(db, reservation, 'abandoned')
    throw error
  }
  if (!matches) {
    throw new ForbiddenError('the current password is wrong', { reason: 'wrong_current_password' })
  }
  await settleAttempt(db, reservation, 'succeeded')
  return Number(row.client_id)
}

/**
 * The user changes their own password (asks for the current one, throttled per user: a
 * ThrottledError after repeated wrong ones); all their sessions end.
 */
export async function changePassword(
  db: Db,
  userId: number,
  current: string,
  next: string,
  hasher: PasswordHasher = inlineHasher,
): Promise<void> {
  validatePassword(next)
  const clientId = await verifyCurrentPassword(db, userId, current, hasher)
  const passwordHash = await hashNewPassword(db, next, hasher)
  await db.transaction().execute(async (trx) => {
    await storePasswordHash(trx, userId, passwordHash)
    await recordEvent(trx, {
      actor: clientUser(userId),
      action: 'user.password_changed',
      clientId,
      userId,
    })
  })
}

/** Sets a user's password for them (accountant or the client's admin); their sessions end. */
export async function setPassword(
  db: Db,
  actor: Actor,
  userId: number,
  password: string,
  hasher: PasswordHasher = inlineHasher,
): Promise<ClientUser> {
  const passwordHash = await hashNewPassword(db, password, hasher)
  return changeUser(db, actor, userId, async (trx, user) => {
    await storePasswordHash(trx, user.id, passwordHash)
    await recordEvent(trx, {
      actor,
      action: 'user.password_set',
      clientId: user.clientId,
      userId: user.id,
    })
    return user
  })
}

