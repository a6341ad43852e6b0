/**
 * Two-factor login (docs/rules.md#two-factor-login): a TOTP secret per user, sealed under the
 * secret key file; ten one-time recovery codes, kept as keyed hashes; the firm's policy of who must
 * have it; the accountant's reset for a lost phone. Codes are checked under the login throttle and
 * each is accepted once.
 */
import { randomBytes } from 'node:crypto'
import { assertAccountant, clientUser, type Actor } from '../actors.js'
import { recordEvent } from '../audit/events.js'
import type { TwoFactorPolicy } from '../clients/firm.js'
import type { Db } from '../db/database.js'
import { ConflictError, ForbiddenError, UnavailableError } from '../errors.js'
import { now, nowIso } from '../time.js'
import type { SecretKey } from '../tokens.js'
import { verifyCurrentPassword } from './credentials.js'
import { reserveSecondFactorCheck, settleAttempt } from './login-throttle.js'
import { inlineHasher, type PasswordHasher } from './passwords.js'
import { keyedHash, seal, unseal } from './sealing.js'
import { endOtherUserSessions, endUserSessions } from './sessions.js'
import { endUserPendingLogins, type PendingLogin } from './pending-logins.js'
import { base32Encode, matchTotp, otpauthUri } from './totp.js'
import { getUser, type ClientUser } from './users.js'

export const RECOVERY_CODE_COUNT = 10
const SECRET_PURPOSE = 'two-factor secret v1'
const RECOVERY_PURPOSE = 'two-factor recovery code v1'
// 160 bits, the HMAC-SHA1 block the RFC 4226 reference secret has.
const SECRET_BYTES = 20

export interface TwoFactorState {
  enabled: boolean
  recoveryCodesLeft: number
}

/** Whether the user has two-factor login on, and how many recovery codes are still unused. */
export async function twoFactorState(db: Db, userId: number): Promise<TwoFactorState> {
  const row = await db.selectFrom('two_factor').select('enabled_at').where('user_id', '=', userId).executeTakeFirst()
  if (!row?.enabled_at) return { enabled: false, recoveryCodesLeft: 0 }
  const left = await db
    .selectFrom('recovery_codes')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_id', '=', userId)
    .where('used_at', 'is', null)
    .executeTakeFirstOrThrow()
  return { enabled: true, recoveryCodesLeft: Number(left.n) }
}

/** Which of these users have two-factor login on: for the lists of users (portal and CLI). */
export async function twoFactorUserIds(db: Db, userIds: readonly number[]): Promise<Set<number>> {
  const on = new Set<number>()
  for (let i = 0; i < userIds.length; i += 500) {
    const rows = await db
      .selectFrom('two_factor')
      .select('user_id')
      .where('user_id', 'in', userIds.slice(i, i + 500))
      .where('enabled_at', 'is not', null)
      .execute()
    for (const row of rows) on.add(Number(row.user_id))
  }
  return on
}

/** Whether the firm's policy makes this user have two-factor login. */
export function twoFactorRequired(policy: TwoFactorPolicy, user: Pick<ClientUser, 'role'>): boolean {
  return policy === 'all' || (policy === 'admins' && user.role === 'admin')
}

/**
 * Whether an open session may do nothing but set two-factor up: the firm's policy covers its
 * user, who has none. Checked on every request, so a policy set while sessions are open counts
 * on their next request, not only at the next login (docs/rules.md#two-factor-login).
 */
export function owesTwoFactorSetup(policy: TwoFactorPolicy, user: Pick<ClientUser, 'role'>, twoFactorOn: boolean): boolean {
  return !twoFactorOn && twoFactorRequired(policy, user)
}

/** What a login owes after the right password: nothing, a code, or setting two-factor up first. */
export async function secondStepFor(db: Db, user: ClientUser, policy: TwoFactorPolicy): Promise<'none' | 'code' | 'setup'> {
  if ((await twoFactorState(db, user.id)).enabled) return 'code'
  return twoFactorRequired(policy, user) ? 'setup' : 'none'
}

const context = (userId: number) => `user:${userId}`

// A secret that does not open was sealed under another secret key file (a database restored
// without its key) or altered: no code can match, and the accountant's reset is the way out.
function openSecret(key: SecretKey, userId: number, sealed: string): Buffer {
  try {
    return unseal(key, SECRET_PURPOSE, context(userId), sealed)
  } catch {
    throw new UnavailableError(
      `the two-factor secret of user ${userId} cannot be opened with this secret key file: 'confi users reset-2fa' turns it off for that user`,
    )
  }
}

/** The secret in the form people type it: base32 in groups of four. */
export function groupedSecret(secret: string): string {
  return secret.match(/.{1,4}/g)!.join(' ')
}

export interface TwoFactorSetup {
  /** Base32, for typing into an app that cannot scan. */
  secret: string
  /** otpauth:// URI for the QR code. */
  uri: string
}

/**
 * Starts (or resumes) setting two-factor up: a new secret, stored sealed and not yet on. Resuming
 * shows the same secret, so a reload does not invalidate what the phone already scanned.
 */
export async function startTwoFactorSetup(db: Db, key: SecretKey, user: ClientUser, issuer: string): Promise<TwoFactorSetup> {
  const row = await db.selectFrom('two_factor').selectAll().where('user_id', '=', user.id).executeTakeFirst()
  if (row?.enabled_at) throw new ConflictError('two-factor login is already on', { reason: 'two_factor_on' })
  let secret: Buffer
  if (row) {
    secret = openSecret(key, user.id, row.secret_sealed)
  } else {
    secret = randomBytes(SECRET_BYTES)
    const sealed = seal(key, SECRET_PURPOSE, context(user.id), secret)
    // A parallel start may have inserted first: keep whichever row is there.
    await db.insertInto('two_factor').values({ user_id: user.id, secret_sealed: sealed }).onConflict((oc) => oc.column('user_id').doNothing()).execute()
    return startTwoFactorSetup(db, key, user, issuer)
  }
  const text = base32Encode(secret)
  return { secret: text, uri: otpauthUri({ issuer, account: user.username, secret: text }) }
}

function newRecoveryCode(): string {
  const text = base32Encode(randomBytes(7)).slice(0, 10).toLowerCase()
  return `${text.slice(0, 5)}-${text.slice(5)}`
}

function recoveryHash(key: SecretKey, userId: number, code: string): string {
  return keyedHash(key, RECOVERY_PURPOSE, `${userId}:${code.toLowerCase().replace(/[^a-z0-9]/g, '')}`)
}

/**
 * Runs `check` under the second-factor throttle: a wrong answer (false) stays counted and throws
 * a ForbiddenError; a right one clears the count.
 */
async function underThrottle(db: Db, input: { userId: number; ip: string | null }, check: () => Promise<boolean>): Promise<void> {
  const reservation = await reserveSecondFactorCheck(db, input)
  let right: boolean
  try {
    right = await check()
  } catch (error) {
    await settleAttempt(db, reservation, 'abandoned')
    throw error
  }
  if (!right) throw new ForbiddenError('the code is wrong or was already used', { reason: 'wrong_code' })
  await settleAttempt(db, reservation, 'succeeded')
}

/**
 * Who is turning two-factor on: a signed-in user, with the current password (a session alone,
 * perhaps taken from an unlocked computer, must not bind someone else's phone to the account) and
 * the session that stays open; or a login that owes the set-up, whose password was just checked.
 */
export type TwoFactorSetupProof = { password: string; sessionId: number } | { pendingLogin: PendingLogin }

async function checkSetupProof(db: Db, userId: number, proof: TwoFactorSetupProof, hasher: PasswordHasher): Promise<void> {
  if ('password' in proof) {
    await verifyCurrentPassword(db, userId, proof.password, hasher)
    return
  }
  const live = await db
    .selectFrom('pending_logins')
    .select('id')
    .where('id', '=', proof.pendingLogin.id)
    .where('user_id', '=', userId)
    .where('expires_at', '>', nowIso())
    .executeTakeFirst()
  if (!live) throw new ForbiddenError('the login that owed this set-up has ended: log in again')
}

/**
 * Turns two-factor on with the first code from the app, after the proof above; every other
 * session of the user ends (they were opened without the second factor). Returns the recovery
 * codes, in clear this once (only their keyed hashes are stored). Throttled like any code check.
 */
export async function confirmTwoFactorSetup(
  db: Db,
  key: SecretKey,
  input: { userId: number; code: string; ip: string | null; proof: TwoFactorSetupProof },
  hasher: PasswordHasher = inlineHasher,
): Promise<string[]> {
  const row = await db.selectFrom('two_factor').selectAll().where('user_id', '=', input.userId).executeTakeFirst()
  if (!row) throw new ConflictError('two-factor set-up was not started', { reason: 'two_factor_off' })
  if (row.enabled_at) throw new ConflictError('two-factor login is already on', { reason: 'two_factor_on' })
  await checkSetupProof(db, input.userId, input.proof, hasher)
  const secret = openSecret(key, input.userId, row.secret_sealed)
  let step: number | null = null
  await underThrottle(db, input, async () => {
    step = matchTotp(secret, normalisedDigits(input.code), now())
    return step !== null
  })
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode)
  await db.transaction().execute(async (trx) => {
    const updated = await trx
      .updateTable('two_factor')
      .set({ enabled_at: nowIso(), last_step: step! })
      .where('user_id', '=', input.userId)
      .where('enabled_at', 'is', null)
      .executeTakeFirst()
    if (Number(updated.numUpdatedRows) !== 1) throw new ConflictError('two-factor login is already on', { reason: 'two_factor_on' })
    await trx.deleteFrom('recovery_codes').where('user_id', '=', input.userId).execute()
    await trx
      .insertInto('recovery_codes')
      .values(codes.map((code) => ({ user_id: input.userId, code_hash: recoveryHash(key, input.userId, code), used_at: null })))
      .execute()
    const { proof } = input
    if ('sessionId' in proof) await endOtherUserSessions(trx, input.userId, proof.sessionId)
    else await endUserSessions(trx, input.userId)
    const user = await getUser(trx, input.userId)
    await recordEvent(trx, { actor: clientUser(user.id), action: 'user.two_factor_enabled', clientId: user.clientId, userId: user.id })
  })
  return codes
}

function normalisedDigits(code: string): string {
  return code.replace(/[\s-]/g, '')
}

// A TOTP code is accepted once: last_step only moves forward, and only one request moves it.
async function acceptTotp(db: Db, key: SecretKey, userId: number, code: string): Promise<boolean> {
  const row = await db.selectFrom('two_factor').selectAll().where('user_id', '=', userId).executeTakeFirst()
  if (!row?.enabled_at) return false
  const secret = openSecret(key, userId, row.secret_sealed)
  const step = matchTotp(secret, code, now(), Number(row.last_step))
  if (step === null) return false
  const moved = await db
    .updateTable('two_factor')
    .set({ last_step: step })
    .where('user_id', '=', userId)
    .where('last_step', '<', step)
    .executeTakeFirst()
  return Number(moved.numUpdatedRows) === 1
}

async function acceptRecoveryCode(db: Db, key: SecretKey, userId: number, code: string): Promise<boolean> {
  const used = await db
    .updateTable('recovery_codes')
    .set({ used_at: nowIso() })
    .where('user_id', '=', userId)
    .where('code_hash', '=', recoveryHash(key, userId, code))
    .where('used_at', 'is', null)
    .executeTakeFirst()
  if (Number(used.numUpdatedRows) !== 1) return false
  const user = await getUser(db, userId)
  await recordEvent(db, { actor: clientUser(userId), action: 'user.recovery_code_used', clientId: user.clientId, userId })
  return true
}

/**
 * Checks the second factor of a login (or of turning two-factor off): six digits are a TOTP code,
 * anything else a recovery code. Each is accepted once; wrong ones are throttled per user and
 * per network. A ForbiddenError (reason wrong_code) when wrong, a ThrottledError when waiting.
 */
export async function verifySecondFactor(
  db: Db,
  key: SecretKey,
  input: { userId: number; code: string; ip: string | null },
): Promise<'totp' | 'recovery'> {
  const code = input.code.trim()
  if (!code || code.length > 64) throw new ForbiddenError('the code is wrong or was already used', { reason: 'wrong_code' })
  const digits = normalisedDigits(code)
  const kind = /^\d{6}$/.test(digits) ? 'totp' : 'recovery'
  await underThrottle(db, input, () =>
    kind === 'totp' ? acceptTotp(db, key, input.userId, digits) : acceptRecoveryCode(db, key, input.userId, code),
  )
  return kind
}

async function removeTwoFactor(trx: Db, userId: number): Promise<void> {
  await trx.deleteFrom('two_factor').where('user_id', '=', userId).execute()
  await trx.deleteFrom('recovery_codes').where('user_id', '=', userId).execute()
}

/**
 * The user turns two-factor off, proving it with the current password or a code. Refused while
 * the firm's policy requires it for this user: the next login would only ask to set it up again.
 */
export async function disableTwoFactor(
  db: Db,
  key: SecretKey,
  input: { user: ClientUser; policy: TwoFactorPolicy; password?: string; code?: string; ip: string | null },
  hasher: PasswordHasher = inlineHasher,
): Promise<void> {
  const { user } = input
  if (twoFactorRequired(input.policy, user)) {
    throw new ConflictError('the firm requires two-factor login for this user', { reason: 'two_factor_required' })
  }
  if (!(await twoFactorState(db, user.id)).enabled) throw new ConflictError('two-factor login is off', { reason: 'two_factor_off' })
  if (input.password) await verifyCurrentPassword(db, user.id, input.password, hasher)
  else await verifySecondFactor(db, key, { userId: user.id, code: input.code ?? '', ip: input.ip })
  await db.transaction().execute(async (trx) => {
    await removeTwoFactor(trx, user.id)
    await recordEvent(trx, { actor: clientUser(user.id), action: 'user.two_factor_disabled', clientId: user.clientId, userId: user.id })
  })
}

/**
 * The accountant turns two-factor off for a user who lost the phone: secret, recovery codes,
 * half-finished logins and sessions go, and an event is written. A user with nothing to reset is
 * a ConflictError, so a typo in the username is not mistaken for success.
 */
export async function resetTwoFactor(db: Db, actor: Actor, userId: number): Promise<ClientUser> {
  assertAccountant(actor, "reset a user's two-factor login")
  return db.transaction().execute(async (trx) => {
    const user = await getUser(trx, userId)
    const row = await trx.selectFrom('two_factor').select('enabled_at').where('user_id', '=', userId).executeTakeFirst()
    if (!row) {
      throw new ConflictError(`'${user.username}' has no two-factor login: there is nothing to reset`, { reason: 'two_factor_off' })
    }
    await removeTwoFactor(trx, userId)
    await endUserPendingLogins(trx, userId)
    await endUserSessions(trx, userId)
    await recordEvent(trx, {
      actor,
      action: 'user.two_factor_reset',
      clientId: user.clientId,
      userId,
      details: { wasOn: row.enabled_at !== null },
    })
    return user
  })
}
