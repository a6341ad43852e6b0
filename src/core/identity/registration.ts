/**
 * Creating client users: registration through a login or document link, and `users add` by an
 * accountant or a client's admin. Both go through one first-user rule (newUserStanding).
 */
import { clientUser, type Actor } from '../actors.js'
import { describeClient, getClient, type Client } from '../clients/clients.js'
import { normaliseEmail } from '../clients/email-address.js'
import { getFirmOptions } from '../clients/firm.js'
import { takeLock, type Db } from '../db/database.js'
import { ConflictError } from '../errors.js'
import { actorLabel, recordEvent } from '../audit/events.js'
import { hashNewPassword } from './credentials.js'
import { reserveRegistrationAttempt } from './login-throttle.js'
import { issuePasswordReset, type PasswordReset } from './password-resets.js'
import { inlineHasher, validatePassword, type PasswordHasher } from './passwords.js'
import {
  assertUserAdmin,
  getUser,
  normaliseDisplayName,
  usernameKey,
  validateUsername,
  type ClientUser,
  type UserOrigin,
  type UserRole,
  type UserStatus,
} from './users.js'
import { nowIso } from '../time.js'
import { registrationConsent } from './terms.js'

/**
 * Whether client `clientId` has any user yet, of any status: if not, whoever registers next
 * becomes its admin (newUserStanding), and its login link offers "Criar conta" first.
 */
export async function hasUsers(trx: Db, clientId: number): Promise<boolean> {
  const row = await trx
    .selectFrom('client_users')
    .select('id')
    .where('client_id', '=', clientId)
    .limit(1)
    .executeTakeFirst()
  return row !== undefined
}

/** What a new user starts as. */
export interface Standing {
  role: UserRole
  status: UserStatus
  /** Whether the user is the client's first one. */
  first: boolean
}

/**
 * The first-user rule (docs/rules.md#registration-and-activation), for registration and for
 * `users add` alike: a client's first user becomes its active admin; a later one gets the role
 * and activation asked for, else collaborator and `laterActive`. Asking a first user to be
 * anything but an active admin is refused. Call inside the transaction holding the client's
 * users lock, so two racing creations cannot both be first.
 */
export async function newUserStanding(
  trx: Db,
  client: Client,
  username: string,
  asked: { role?: UserRole; active?: boolean },
  laterActive: boolean,
): Promise<Standing> {
  const first = !(await hasUsers(trx, client.id))
  const role = asked.role ?? (first ? 'admin' : 'collaborator')
  const active = asked.active ?? (first || laterActive)
  if (first && (role !== 'admin' || !active)) {
    throw new ConflictError(
      `'${username}' would be the first user of ${describeClient(client)}, and a client's first user must be an active admin`,
      { reason: 'first_user_must_be_admin', remedy: 'first_user' },
    )
  }
  return { role, status: active ? 'active' : 'pending', first }
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
  /** The address the registration came from, counted by the registration throttle. */
  ip: string | null
  port?: number | null
  userAgent?: string | null
  /** The terms version whose "Li e concordo" the person ticked, or null (terms.ts, registrationConsent). */
  termsId?: number | null
}

/**
 * Creates an account through a login or document link. The attempt is counted by the
 * registration throttle first (docs/rules.md#portal-security), accepted or refused, since every
 * one may cost a hash or probe a username: a ThrottledError when this address is over its
 * limit. The client's first user becomes its active admin, every later one a pending
 * collaborator, also when registrations race.
 */
export async function registerUser(
  db: Db,
  input: Registration,
  hasher: PasswordHasher = inlineHasher,
): Promise<ClientUser> {
  await reserveRegistrationAttempt(db, { ip: input.ip })
  const username = validateUsername(input.username)
  const name = normaliseDisplayName(input.name)
  const email = normaliseEmail(input.email)
  // Cheap refusals before the ~100 ms hash, so a refused registration costs no bcrypt work; they
  // are checked again inside the transaction because another registration may race this one.
  validatePassword(input.password)
  await registrationConsent(db, input.termsId)
  await getClient(db, input.clientId)
  await assertUsernameFree(db, username)
  // Hash before the transaction: bcrypt takes ~100 ms and must not hold the write lock.
  const passwordHash = await hashNewPassword(db, input.password, hasher)
  return db.transaction().execute(async (trx) => {
    await takeLock(trx, `client-users:${input.clientId}`)
    const client = await getClient(trx, input.clientId)
    await assertUsernameFree(trx, username)
    const standing = await newUserStanding(trx, client, username, {}, false)
    const user = await insertUser(trx, {
      clientId: input.clientId,
      username,
      name,
      email,
      passwordHash,
      role: standing.role,
      status: standing.status,
      origin: input.origin,
      activatedBy: standing.first ? 'first-user' : null,
    })
    await recordEvent(trx, {
      actor: clientUser(user.id),
      action: 'user.registered',
      clientId: user.clientId,
      userId: user.id,
      details: { role: user.role, status: user.status, origin: user.origin },
    })
    const origin = { ip: input.ip, port: input.port ?? null, userAgent: input.userAgent ?? null }
    await registrationConsent(trx, input.termsId, { user, origin })
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
  /**
   * Where a client admin's "add user" form came from: counted by the registration throttle, since
   * each try probes a username and costs a hash like a registration (docs/security.md, "Throttling").
   */
  ip?: string | null
}

interface CheckedNewUser extends Omit<NewUser, 'password'> {
  email: string | null
  passwordHash: string | null
}

async function checkNewUser(
  db: Db,
  input: NewUser,
  hasher: PasswordHasher,
): Promise<CheckedNewUser> {
  const { password, ip: _ip, ...rest } = input
  return {
    ...rest,
    username: validateUsername(input.username),
    name: normaliseDisplayName(input.name),
    email: normaliseEmail(input.email),
    passwordHash: password === undefined ? null : await hashNewPassword(db, password, hasher),
  }
}

async function addUserIn(trx: Db, actor: Actor, input: CheckedNewUser): Promise<ClientUser> {
  const byAdmin = actor.kind === 'client_user'
  await takeLock(trx, `client-users:${input.clientId}`)
  const client = await getClient(trx, input.clientId)
  await assertUserAdmin(trx, actor, input.clientId)
  await assertUsernameFree(trx, input.username)
  const asked = { role: input.role, active: input.active }
  const standing = await newUserStanding(trx, client, input.username, asked, byAdmin)
  const user = await insertUser(trx, {
    clientId: input.clientId,
    username: input.username,
    name: input.name,
    email: input.email,
    passwordHash: input.passwordHash,
    role: standing.role,
    status: standing.status,
    origin: byAdmin ? 'portal_admin' : 'cli',
    activatedBy: await actorLabel(trx, actor),
  })
  await recordEvent(trx, {
    actor,
    action: 'user.added',
    clientId: user.clientId,
    userId: user.id,
    details: { role: user.role, status: user.status, origin: user.origin },
  })
  return user
}

/**
 * Creates a user as an accountant (origin `cli`: the first-user rule unless role/active are
 * given) or as a client's active admin (origin `portal_admin`: created active).
 */
export async function addUser(
  db: Db,
  actor: Actor,
  input: NewUser,
  hasher: PasswordHasher = inlineHasher,
): Promise<ClientUser> {
  if (actor.kind === 'client_user') await reserveRegistrationAttempt(db, { ip: input.ip ?? null })
  const checked = await checkNewUser(db, input, hasher)
  return db.transaction().execute((trx) => addUserIn(trx, actor, checked))
}

/**
 * Creates a user without a password together with their one-time reset link, in one
 * transaction: either both exist or neither, so no user is left that nobody can log in as.
 */
export async function addUserWithResetLink(
  db: Db,
  actor: Actor,
  input: Omit<NewUser, 'password'>,
): Promise<{ user: ClientUser; reset: PasswordReset }> {
  const checked = await checkNewUser(db, { ...input, password: undefined }, inlineHasher)
  const { baseUrl } = await getFirmOptions(db)
  return db.transaction().execute(async (trx) => {
    const user = await addUserIn(trx, actor, checked)
    const reset = await issuePasswordReset(trx, actor, user, baseUrl)
    return { user, reset }
  })
}
