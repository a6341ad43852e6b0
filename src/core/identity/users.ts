import type { Actor } from '../actors.js'
import { describeClient, getClient, normaliseEmail } from '../clients/clients.js'
import { takeLock, type Db } from '../db/database.js'
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  ThrottledError,
  ValidationError,
} from '../errors.js'
import { actorLabel, recordEvent } from '../audit/events.js'
import { getFirmOptions } from '../clients/firm.js'
import {
  reserveLoginAttempt,
  reservePasswordCheck,
  settleAttempt,
  type AttemptReservation,
} from './login-throttle.js'
import {
  DUMMY_HASH,
  hashCost,
  inlineHasher,
  validatePassword,
  type PasswordHasher,
} from './passwords.js'
import { endUserSessions, liveSession, sessionTokenHash, type Session, type SessionPolicy } from './sessions.js'
import type { ClientUsersTable } from '../db/tables.js'
import { nowIso } from '../time.js'
import { checkPlainText } from '../text-input.js'

export type UserRole = 'admin' | 'collaborator'
export type UserStatus = 'pending' | 'active' | 'disabled'
export type UserOrigin = 'login_link' | 'document_link' | 'portal_admin' | 'cli'

export const USER_ROLES: readonly UserRole[] = ['admin', 'collaborator']
export const USER_STATUSES: readonly UserStatus[] = ['pending', 'active', 'disabled']

/** A person of a client company who logs in to the client area (docs/rules.md#data). */
export interface ClientUser {
  id: number
  clientId: number
  username: string
  name: string
  email: string | null
  role: UserRole
  status: UserStatus
  origin: UserOrigin
  createdAt: string
  activatedAt: string | null
  /** The actor label of whoever activated the account (`cli:…`, `user:…`, or `first-user`). */
  activatedBy: string | null
  lastLoginAt: string | null
}

type UserRow = Omit<ClientUsersTable, 'id'> & { id: number }

function toClientUser(row: UserRow): ClientUser {
  return {
    id: Number(row.id),
    clientId: Number(row.client_id),
    username: row.username,
    name: row.name,
    email: row.email,
    role: row.role,
    status: row.status,
    origin: row.origin,
    createdAt: row.created_at,
    activatedAt: row.activated_at,
    activatedBy: row.activated_by,
    lastLoginAt: row.last_login_at,
  }
}

const USERNAME_CHARS = /^[\p{L}\p{N}._@-]+$/u

/** The key usernames are compared by: NFKC, then lower case ("Bruno" and "bruno" are one). */
export function usernameKey(username: string): string {
  return username.normalize('NFKC').toLowerCase()
}

/** Checks a username (3–64 letters, digits, `.` `_` `-` `@`); returns it NFKC-normalised. */
export function validateUsername(input: string): string {
  const username = input.trim().normalize('NFKC')
  const length = [...username].length
  if (length < 3 || length > 64) {
    throw new ValidationError(
      `username '${input}' has ${length} characters: use 3 to 64 (letters, digits, . _ - @)`,
      { reason: 'username_invalid' },
    )
  }
  if (!USERNAME_CHARS.test(username)) {
    throw new ValidationError(
      `username '${input}' has characters that are not allowed: use only letters, digits, . _ - @ (no spaces)`,
      { reason: 'username_invalid' },
    )
  }
  return username
}

function normaliseDisplayName(input: string): string {
  const name = checkPlainText(input.trim().replace(/\s+/g, ' '), 'name')
  if (name === '' || name.length > 200) {
    throw new ValidationError(`name '${name}' must have 1 to 200 characters`, {
      reason: 'name_invalid',
    })
  }
  return name
}

/** Checks a role from input. */
export function parseRole(value: string): UserRole {
  const role = value.trim().toLowerCase()
  if ((USER_ROLES as readonly string[]).includes(role)) return role as UserRole
  throw new ValidationError(`role '${value}' is not valid: use admin or collaborator`)
}

/** Checks a status from input. */
export function parseStatus(value: string): UserStatus {
  const status = value.trim().toLowerCase()
  if ((USER_STATUSES as readonly string[]).includes(status)) return status as UserStatus
  throw new ValidationError(`status '${value}' is not valid: use pending, active or disabled`)
}

/** The user with this id; NotFoundError otherwise. */
export async function getUser(db: Db, id: number): Promise<ClientUser> {
  const row = await db
    .selectFrom('client_users')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst()
  if (!row) throw new NotFoundError(`no user with id ${id}`)
  return toClientUser(row)
}

/**
 * The live session of a cookie token and its user as they are now, read in one query: what every
 * portal request starts with, so a disabled user or an ended session counts on the very next
 * request. Null when the token is unknown, the session expired or the user no longer exists;
 * the caller decides what a disabled or pending user may do.
 */
export async function lookupSessionUser(
  db: Db,
  token: string,
  policy: Pick<SessionPolicy, 'idleMinutes'>,
): Promise<{ session: Session; user: ClientUser } | null> {
  const tokenHash = sessionTokenHash(token)
  if (!tokenHash) return null
  const row = await db
    .selectFrom('sessions')
    .innerJoin('client_users', 'client_users.id', 'sessions.user_id')
    .selectAll('client_users')
    .select([
      'sessions.id as session_id',
      'sessions.scope as session_scope',
      'sessions.created_at as session_created_at',
      'sessions.last_seen_at as session_last_seen_at',
      'sessions.expires_at as session_expires_at',
    ])
    .where('sessions.token_hash', '=', tokenHash)
    .executeTakeFirst()
  if (!row) return null
  const session = await liveSession(
    db,
    {
      id: row.session_id,
      user_id: row.id,
      scope: row.session_scope,
      created_at: row.session_created_at,
      last_seen_at: row.session_last_seen_at,
      expires_at: row.session_expires_at,
    },
    policy,
  )
  return session ? { session, user: toClientUser(row) } : null
}

/** Finds a user by username (case-insensitive, NFKC), or null. */
export async function findUserByUsername(db: Db, username: string): Promise<ClientUser | null> {
  const row = await db
    .selectFrom('client_users')
    .selectAll()
    .where('username_key', '=', usernameKey(username.trim()))
    .executeTakeFirst()
  return row ? toClientUser(row) : null
}

/** Finds a user by id or username; NotFoundError naming the reference. */
export async function resolveUser(db: Db, ref: string): Promise<ClientUser> {
  const value = ref.trim()
  // A username may be all digits ("12345"): prefer the username, then the id.
  const byName = await findUserByUsername(db, value)
  if (byName) return byName
  if (/^\d{1,10}$/.test(value)) {
    const row = await db
      .selectFrom('client_users')
      .selectAll()
      .where('id', '=', Number(value))
      .executeTakeFirst()
    if (row) return toClientUser(row)
  }
  throw new NotFoundError(`no user '${ref}': give a user id or username (see 'confi users list')`)
}

export interface UserFilters {
  clientId?: number
  status?: UserStatus
}

/** Users by client and id, optionally filtered by client and status. */
export async function listUsers(db: Db, filters: UserFilters = {}): Promise<ClientUser[]> {
  let query = db.selectFrom('client_users').selectAll().orderBy('client_id').orderBy('id')
  if (filters.clientId !== undefined) query = query.where('client_id', '=', filters.clientId)
  if (filters.status !== undefined) query = query.where('status', '=', filters.status)
  return (await query.execute()).map(toClientUser)
}

async function countUsers(trx: Db, clientId: number): Promise<number> {
  const row = await trx
    .selectFrom('client_users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('client_id', '=', clientId)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

async function assertUsernameFree(trx: Db, username: string): Promise<void> {
  const taken = await trx
    .selectFrom('client_users')
    .select('id')
    .where('username_key', '=', usernameKey(username))
    .executeTakeFirst()
  if (taken) {
    throw new ConflictError(`username '${username}' is already taken: choose another one`, {
      reason: 'username_taken',
    })
  }
}

async function hashFor(db: Db, password: string, hasher: PasswordHasher): Promise<string> {
  validatePassword(password)
  const { bcryptCost } = await getFirmOptions(db)
  return hasher.hash(password, bcryptCost)
}

/**
 * Checks, inside the action's transaction, that `actor` may administer the users of `clientId`:
 * an accountant, or an active admin of that same client (re-read now, so a just-disabled admin
 * cannot act on a stale session).
 */
export async function assertUserAdmin(
  trx: Db,
  actor: Actor | string,
  clientId: number,
): Promise<void> {
  if (typeof actor === 'string' || actor.kind === 'accountant') return
  const row = await trx
    .selectFrom('client_users')
    .select(['client_id', 'role', 'status'])
    .where('id', '=', actor.userId)
    .executeTakeFirst()
  if (
    !row ||
    Number(row.client_id) !== clientId ||
    row.role !== 'admin' ||
    row.status !== 'active'
  ) {
    throw new ForbiddenError('only an active administrator of this client can manage its users', {
      reason: 'admin_required',
    })
  }
}

interface InsertUser {
  clientId: number
  username: string
  name: string
  email: string | null
  passwordHash: string | null
  role: UserRole
  status: UserStatus
  origin: UserOrigin
  activatedBy: string | null
}

async function insertUser(trx: Db, user: InsertUser): Promise<ClientUser> {
  const at = nowIso()
  const inserted = await trx
    .insertInto('client_users')
    .values({
      client_id: user.clientId,
      username: user.username,
      username_key: usernameKey(user.username),
      name: user.name,
      email: user.email,
      password_hash: user.passwordHash,
      role: user.role,
      status: user.status,
      origin: user.origin,
      created_at: at,
      activated_at: user.status === 'active' ? at : null,
      activated_by: user.status === 'active' ? user.activatedBy : null,
      password_changed_at: user.passwordHash ? at : null,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  return getUser(trx, Number(inserted.id))
}

export interface Registration {
  clientId: number
  username: string
  name: string
  email?: string | null
  password: string
  origin: 'login_link' | 'document_link'
}

/**
 * Creates an account through a login or document link. The client's first user becomes its
 * active admin, every later one a pending collaborator, also when registrations race.
 */
export async function registerUser(
  db: Db,
  input: Registration,
  hasher: PasswordHasher = inlineHasher,
): Promise<ClientUser> {
  const username = validateUsername(input.username)
  const name = normaliseDisplayName(input.name)
  const email = normaliseEmail(input.email)
  // Cheap refusals before the ~100 ms hash, so a refused registration costs no bcrypt work; they
  // are checked again inside the transaction because another registration may race this one.
  validatePassword(input.password)
  await getClient(db, input.clientId)
  await assertUsernameFree(db, username)
  // Hash before the transaction: bcrypt takes ~100 ms and must not hold the write lock.
  const passwordHash = await hashFor(db, input.password, hasher)
  return db.transaction().execute(async (trx) => {
    await takeLock(trx, `client-users:${input.clientId}`)
    await getClient(trx, input.clientId)
    await assertUsernameFree(trx, username)
    const first = (await countUsers(trx, input.clientId)) === 0
    const user = await insertUser(trx, {
      clientId: input.clientId,
      username,
      name,
      email,
      passwordHash,
      role: first ? 'admin' : 'collaborator',
      status: first ? 'active' : 'pending',
      origin: input.origin,
      activatedBy: first ? 'first-user' : null,
    })
    await recordEvent(trx, {
      actor: `user:${username}`,
      action: 'user.registered',
      clientId: user.clientId,
      userId: user.id,
      details: { role: user.role, status: user.status, origin: user.origin },
    })
    return user
  })
}

export interface NewUser {
  clientId: number
  username: string
  name: string
  email?: string | null
  /** Omitted: the user has no password until a reset link is used. */
  password?: string
  role?: UserRole
  active?: boolean
}

/**
 * Creates a user as an accountant (origin `cli`: the first-user rule unless role/active are
 * given) or as a client's active admin (origin `portal_admin`: created active).
 */
export async function addUser(
  db: Db,
  actor: Actor | string,
  input: NewUser,
  hasher: PasswordHasher = inlineHasher,
): Promise<ClientUser> {
  const username = validateUsername(input.username)
  const name = normaliseDisplayName(input.name)
  const email = normaliseEmail(input.email)
  const passwordHash =
    input.password === undefined ? null : await hashFor(db, input.password, hasher)
  const byAdmin = typeof actor !== 'string' && actor.kind === 'client_user'
  return db.transaction().execute(async (trx) => {
    await takeLock(trx, `client-users:${input.clientId}`)
    const client = await getClient(trx, input.clientId)
    await assertUserAdmin(trx, actor, input.clientId)
    await assertUsernameFree(trx, username)
    const first = (await countUsers(trx, input.clientId)) === 0
    const role = input.role ?? (first && !byAdmin ? 'admin' : 'collaborator')
    const active = input.active ?? (byAdmin || first)
    if (first && (role !== 'admin' || !active)) {
      throw new ConflictError(
        `'${username}' would be the first user of ${describeClient(client)}, and a client's first user must be an active admin: drop --role/--active or use --role admin --active`,
        { reason: 'first_user_must_be_admin' },
      )
    }
    const label = await actorLabel(trx, actor)
    const user = await insertUser(trx, {
      clientId: input.clientId,
      username,
      name,
      email,
      passwordHash,
      role,
      status: active ? 'active' : 'pending',
      origin: byAdmin ? 'portal_admin' : 'cli',
      activatedBy: label,
    })
    await recordEvent(trx, {
      actor: label,
      action: 'user.added',
      clientId: user.clientId,
      userId: user.id,
      details: { role: user.role, status: user.status, origin: user.origin },
    })
    return user
  })
}

async function otherActiveAdmins(trx: Db, user: ClientUser): Promise<number> {
  const row = await trx
    .selectFrom('client_users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('client_id', '=', user.clientId)
    .where('role', '=', 'admin')
    .where('status', '=', 'active')
    .where('id', '!=', user.id)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

async function assertNotLastAdmin(trx: Db, user: ClientUser, action: string): Promise<void> {
  if (user.role !== 'admin' || user.status !== 'active') return
  if ((await otherActiveAdmins(trx, user)) > 0) return
  const client = await getClient(trx, user.clientId)
  throw new ConflictError(
    `cannot ${action} '${user.username}': it is the last active admin of ${describeClient(client)}; make another user admin first`,
    { reason: 'last_admin' },
  )
}

/**
 * Runs a change to one user in a transaction that holds the client's users lock, after checking
 * the actor may administer that client.
 */
async function changeUser<T>(
  db: Db,
  actor: Actor | string,
  userId: number,
  change: (trx: Db, user: ClientUser, label: string) => Promise<T>,
): Promise<T> {
  return db.transaction().execute(async (trx) => {
    const found = await getUser(trx, userId)
    await takeLock(trx, `client-users:${found.clientId}`)
    const user = await getUser(trx, userId)
    await assertUserAdmin(trx, actor, user.clientId)
    return change(trx, user, await actorLabel(trx, actor))
  })
}

async function activateIn(trx: Db, actor: Actor | string, userId: number): Promise<ClientUser> {
  const found = await getUser(trx, userId)
  await takeLock(trx, `client-users:${found.clientId}`)
  const user = await getUser(trx, userId)
  await assertUserAdmin(trx, actor, user.clientId)
  if (user.status === 'active') return user
  if (user.status === 'disabled') {
    throw new ConflictError(
      `'${user.username}' is disabled, not pending: use 'confi users enable ${user.username}' to let it in again`,
      { reason: 'user_is_disabled' },
    )
  }
  const label = await actorLabel(trx, actor)
  await trx
    .updateTable('client_users')
    .set({ status: 'active', activated_at: nowIso(), activated_by: label })
    .where('id', '=', user.id)
    .execute()
  await recordEvent(trx, {
    actor: label,
    action: 'user.activated',
    clientId: user.clientId,
    userId: user.id,
  })
  return getUser(trx, user.id)
}

/** Activates a pending user; activating an active user changes nothing. */
export async function activateUser(
  db: Db,
  actor: Actor | string,
  userId: number,
): Promise<ClientUser> {
  return db.transaction().execute((trx) => activateIn(trx, actor, userId))
}

/** Activates several pending users in one transaction: all of them, or none when one is refused. */
export async function activateUsers(
  db: Db,
  actor: Actor | string,
  userIds: readonly number[],
): Promise<ClientUser[]> {
  return db.transaction().execute(async (trx) => {
    const users: ClientUser[] = []
    for (const id of new Set(userIds)) users.push(await activateIn(trx, actor, id))
    return users
  })
}

/** Disables a user and ends its sessions; refuses to disable the client's last active admin. */
export async function disableUser(
  db: Db,
  actor: Actor | string,
  userId: number,
): Promise<ClientUser> {
  return changeUser(db, actor, userId, async (trx, user, label) => {
    if (user.status === 'disabled') return user
    await assertNotLastAdmin(trx, user, 'disable')
    await trx
      .updateTable('client_users')
      .set({ status: 'disabled' })
      .where('id', '=', user.id)
      .execute()
    await endUserSessions(trx, user.id)
    await recordEvent(trx, {
      actor: label,
      action: 'user.disabled',
      clientId: user.clientId,
      userId: user.id,
      details: { from: user.status },
    })
    return getUser(trx, user.id)
  })
}

/** Lets a disabled user in again (active); enabling an active user changes nothing. */
export async function enableUser(
  db: Db,
  actor: Actor | string,
  userId: number,
): Promise<ClientUser> {
  return changeUser(db, actor, userId, async (trx, user, label) => {
    if (user.status === 'active') return user
    if (user.status === 'pending') {
      throw new ConflictError(
        `'${user.username}' is pending, not disabled: use 'confi users activate ${user.username}'`,
        { reason: 'user_is_pending' },
      )
    }
    await trx
      .updateTable('client_users')
      .set({
        status: 'active',
        activated_at: user.activatedAt ?? nowIso(),
        activated_by: user.activatedBy ?? label,
      })
      .where('id', '=', user.id)
      .execute()
    await recordEvent(trx, {
      actor: label,
      action: 'user.enabled',
      clientId: user.clientId,
      userId: user.id,
    })
    return getUser(trx, user.id)
  })
}

/** Promotes or demotes a user and ends its sessions; refuses to demote the last active admin. */
export async function setUserRole(
  db: Db,
  actor: Actor | string,
  userId: number,
  role: UserRole,
): Promise<ClientUser> {
  const next = parseRole(role)
  return changeUser(db, actor, userId, async (trx, user, label) => {
    if (user.role === next) return user
    if (next === 'collaborator') await assertNotLastAdmin(trx, user, 'demote')
    await trx.updateTable('client_users').set({ role: next }).where('id', '=', user.id).execute()
    await endUserSessions(trx, user.id)
    await recordEvent(trx, {
      actor: label,
      action: 'user.role_changed',
      clientId: user.clientId,
      userId: user.id,
      details: { from: user.role, to: next },
    })
    return getUser(trx, user.id)
  })
}

export type AuthResult =
  | { outcome: 'ok'; user: ClientUser }
  | { outcome: 'pending'; user: ClientUser }
  | { outcome: 'invalid' }

const dummyHashes = new Map<number, Promise<string>>([[11, Promise.resolve(DUMMY_HASH)]])

// A stand-in hash at the given cost, so a login for an unknown user costs as much as a real one.
function dummyHash(cost: number, hasher: PasswordHasher): Promise<string> {
  let hash = dummyHashes.get(cost)
  if (!hash) {
    hash = hasher.hash('not the password of anyone', cost)
    dummyHashes.set(cost, hash)
    // A refused hash (a full pool) must not stay cached as a rejection for good.
    hash.catch(() => dummyHashes.delete(cost))
  }
  return hash
}

/**
 * Tops a failed check against a hash of cost `from` up to the work of one verify at `to`: bcrypt
 * doubles per cost step, so verifies at from, from+1, …, to-1 add up to one at `to` less one at
 * `from`. Without it a user whose hash predates a cost rise fails faster than an unknown user.
 */
async function equaliseVerifyWork(
  password: string,
  from: number,
  to: number,
  hasher: PasswordHasher,
): Promise<void> {
  for (let cost = from; cost < to; cost++) {
    await hasher.verify(password, await dummyHash(cost, hasher))
  }
}

// The work of one verify at the firm's cost, testing nothing: the unknown-user path.
async function verifyNobody(password: string, cost: number, hasher: PasswordHasher): Promise<void> {
  await hasher.verify(password.slice(0, 72), await dummyHash(cost, hasher))
}

/**
 * Checks a username and password. Unknown user, wrong password, no password and disabled all
 * answer 'invalid' after the same bcrypt work; 'pending' only after the correct password.
 */
export async function authenticate(
  db: Db,
  username: string,
  password: string,
  hasher: PasswordHasher = inlineHasher,
): Promise<AuthResult> {
  const { bcryptCost } = await getFirmOptions(db)
  const key = usernameKey(username.trim())
  // A NUL cannot be in any username, and PostgreSQL refuses it in a query: an unknown user.
  const row = key.includes('\u0000')
    ? undefined
    : await db.selectFrom('client_users').selectAll().where('username_key', '=', key).executeTakeFirst()
  if (!row || !row.password_hash || Buffer.byteLength(password, 'utf8') > 72) {
    await verifyNobody(password, bcryptCost, hasher)
    return { outcome: 'invalid' }
  }
  const matches = await hasher.verify(password, row.password_hash)
  const storedCost = hashCost(row.password_hash)
  if (!matches || row.status === 'disabled') {
    await equaliseVerifyWork(password, storedCost, bcryptCost, hasher)
    return { outcome: 'invalid' }
  }
  const rehash = storedCost < bcryptCost ? await hasher.hash(password, bcryptCost) : undefined
  await db
    .updateTable('client_users')
    .set({ last_login_at: nowIso(), password_hash: rehash })
    .where('id', '=', row.id)
    .execute()
  const user = await getUser(db, Number(row.id))
  return { outcome: user.status === 'active' ? 'ok' : 'pending', user }
}

export type LoginResult = AuthResult | { outcome: 'throttled'; retryAfterSeconds: number }

/**
 * A login under the throttle (docs/rules.md#portal-security): the attempt is reserved (counted as a failure) before
 * the password is verified, so parallel guesses cannot all pass, and given back when it is right.
 * A throttled attempt still does one bcrypt verify without testing the password, so it takes as
 * long as any other failure; a full hashing pool answers 'throttled' too.
 */
export async function authenticateThrottled(
  db: Db,
  input: { username: string; password: string; ip: string | null; device?: string | null },
  hasher: PasswordHasher = inlineHasher,
): Promise<LoginResult> {
  let reservation: AttemptReservation
  try {
    reservation = await reserveLoginAttempt(db, {
      usernameKey: usernameKey(input.username.trim()),
      ip: input.ip,
      device: input.device,
    })
  } catch (error) {
    if (!(error instanceof ThrottledError)) throw error
    const { bcryptCost } = await getFirmOptions(db)
    await verifyNobody(input.password, bcryptCost, hasher).catch((busy) => {
      if (!(busy instanceof ThrottledError)) throw busy
    })
    return { outcome: 'throttled', retryAfterSeconds: error.retryAfterSeconds }
  }
  let result: AuthResult
  try {
    result = await authenticate(db, input.username, input.password, hasher)
  } catch (error) {
    // No verdict (pool full, database error): the attempt tested nothing, so it does not count.
    await settleAttempt(db, reservation, 'abandoned')
    if (error instanceof ThrottledError) {
      return { outcome: 'throttled', retryAfterSeconds: error.retryAfterSeconds }
    }
    throw error
  }
  if (result.outcome !== 'invalid') await settleAttempt(db, reservation, 'succeeded')
  return result
}

async function storePassword(trx: Db, userId: number, passwordHash: string): Promise<void> {
  await trx
    .updateTable('client_users')
    .set({ password_hash: passwordHash, password_changed_at: nowIso() })
    .where('id', '=', userId)
    .execute()
  await endUserSessions(trx, userId)
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
  const row = await db
    .selectFrom('client_users')
    .select(['password_hash', 'username', 'client_id'])
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
  const passwordHash = await hashFor(db, next, hasher)
  await db.transaction().execute(async (trx) => {
    await storePassword(trx, userId, passwordHash)
    await recordEvent(trx, {
      actor: `user:${row.username}`,
      action: 'user.password_changed',
      clientId: Number(row.client_id),
      userId,
    })
  })
}

/** Sets a user's password for them (accountant or the client's admin); their sessions end. */
export async function setPassword(
  db: Db,
  actor: Actor | string,
  userId: number,
  password: string,
  hasher: PasswordHasher = inlineHasher,
): Promise<ClientUser> {
  const passwordHash = await hashFor(db, password, hasher)
  return changeUser(db, actor, userId, async (trx, user, label) => {
    await storePassword(trx, user.id, passwordHash)
    await recordEvent(trx, {
      actor: label,
      action: 'user.password_set',
      clientId: user.clientId,
      userId: user.id,
    })
    return user
  })
}

/** Used by password resets: stores an already hashed password and ends sessions. */
export { storePassword as storePasswordHash }
