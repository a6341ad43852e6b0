import { clientUser, type Actor } from '../actors.js'
import type { Db } from '../db/database.js'
import { GoneError, NotFoundError } from '../errors.js'
import { recordEvent } from '../audit/events.js'
import { getFirmOptions } from '../clients/firm.js'
import { inlineHasher, validatePassword, type PasswordHasher } from './passwords.js'
import { endUserSessions } from './sessions.js'
import { endUserPendingLogins } from './pending-logins.js'
import { addSeconds, nowIso } from '../time.js'
import { isTokenShaped, randomToken, sha256Hex } from '../tokens.js'
import { storePasswordHash } from './credentials.js'
import { assertUserAdmin, getUser, type ClientUser } from './users.js'

/** How long a reset link works (docs/rules.md#registration-and-activation). */
export const RESET_TTL_SECONDS = 24 * 60 * 60

export interface PasswordReset {
  /** The one-time token; only its SHA-256 is stored. */
  token: string
  /** `<base URL>/reset/<token>`. */
  url: string
  expiresAt: string
}

/** The reset page people open: `<base URL>/reset/<token>`. */
export function passwordResetUrl(baseUrl: string, token: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/reset/${token}`
}

/**
 * Creates a one-time reset link valid for 24 hours. Earlier unused links of the user stop
 * working, and the user's sessions and half-finished logins end now: whoever asked for a reset
 * suspects the password.
 */
export async function createPasswordReset(
  db: Db,
  actor: Actor,
  userId: number,
): Promise<PasswordReset> {
  const { baseUrl } = await getFirmOptions(db)
  return db.transaction().execute(async (trx) => {
    const user = await getUser(trx, userId)
    await assertUserAdmin(trx, actor, user.clientId)
    return issuePasswordReset(trx, actor, user, baseUrl)
  })
}

/**
 * The body of createPasswordReset, inside the caller's transaction, for an actor already checked
 * (also used when a user is created with their link: registration.ts).
 */
export async function issuePasswordReset(
  trx: Db,
  actor: Actor,
  user: Pick<ClientUser, 'id' | 'clientId'>,
  baseUrl: string,
): Promise<PasswordReset> {
  const token = randomToken(32)
  const at = nowIso()
  const expiresAt = addSeconds(at, RESET_TTL_SECONDS)
  await trx
    .updateTable('password_resets')
    .set({ used_at: at })
    .where('user_id', '=', user.id)
    .where('used_at', 'is', null)
    .execute()
  await trx
    .insertInto('password_resets')
    .values({
      user_id: user.id,
      token_hash: sha256Hex(token),
      created_at: at,
      expires_at: expiresAt,
    })
    .execute()
  await endUserSessions(trx, user.id)
  await endUserPendingLogins(trx, user.id)
  await recordEvent(trx, {
    actor,
    action: 'user.reset_link_created',
    clientId: user.clientId,
    userId: user.id,
    details: { expiresAt },
  })
  return { token, url: passwordResetUrl(baseUrl, token), expiresAt }
}

async function findResetRow(db: Db, token: string) {
  if (!isTokenShaped(token)) return undefined
  return db
    .selectFrom('password_resets')
    .selectAll()
    .where('token_hash', '=', sha256Hex(token))
    .executeTakeFirst()
}

/** The user a reset token is for, when it is known, unused and unexpired; otherwise null. */
export async function findPasswordReset(
  db: Db,
  token: string,
): Promise<{ userId: number; username: string } | null> {
  const row = await findResetRow(db, token)
  if (!row || row.used_at !== null || row.expires_at <= nowIso()) return null
  const user = await getUser(db, Number(row.user_id))
  return { userId: user.id, username: user.username }
}

/**
 * Sets a new password through a reset token. The token is consumed atomically (only one of two
 * racing requests wins); the user's sessions end.
 */
export async function resetPasswordWithToken(
  db: Db,
  token: string,
  newPassword: string,
  hasher: PasswordHasher = inlineHasher,
): Promise<ClientUser> {
  validatePassword(newPassword)
  const row = await findResetRow(db, token)
  if (!row) throw new NotFoundError('this password reset link is not valid: ask for a new one')
  const { bcryptCost } = await getFirmOptions(db)
  const passwordHash = await hasher.hash(newPassword, bcryptCost)
  return db.transaction().execute(async (trx) => {
    const at = nowIso()
    const consumed = await trx
      .updateTable('password_resets')
      .set({ used_at: at })
      .where('id', '=', row.id)
      .where('used_at', 'is', null)
      .where('expires_at', '>', at)
      .executeTakeFirst()
    if (Number(consumed.numUpdatedRows) !== 1) {
      throw new GoneError(
        'this password reset link was already used or has expired: ask for a new one',
      )
    }
    const user = await getUser(trx, Number(row.user_id))
    // Stores the hash and ends every session of the user.
    await storePasswordHash(trx, user.id, passwordHash)
    await recordEvent(trx, {
      actor: clientUser(user.id),
      action: 'user.password_reset',
      clientId: user.clientId,
      userId: user.id,
    })
    return user
  })
}
