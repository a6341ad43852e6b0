/**
 * identity/: who logs in to the client area. users.ts owns the user records (validation, lookups)
 * and their lifecycle after creation (activate, disable, enable, role); registration.ts creates
 * users, authentication.ts checks logins and session cookies, credentials.ts sets passwords.
 */
import type { Actor } from '../actors.js'
import { describeClient, getClient } from '../clients/clients.js'
import { takeLock, type Db } from '../db/database.js'
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../errors.js'
import { actorLabel, recordEvent } from '../audit/events.js'
import { endUserSessions } from './sessions.js'
import type { ClientUsersTable } from '../db/tables.js'
import { nowIso } from '../time.js'
import { checkPlainText, collapseSpaces } from '../text-input.js'

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


export type UserRow = Omit<ClientUsersTable, 'id' | 'erased_at'> & { id: number }

/**
 * The columns toClientUser reads: what a portal request selects with its session, so the
 * password hash and the other columns no request uses are not sent on every request.
 */
export const CLIENT_USER_COLUMNS = [
  'id',
  'client_id',
  'username',
  'name',
  'email',
  'role',
  'status',
  'origin',
  'created_at',
  'activated_at',
  'activated_by',
  'last_login_at',
] as const

/** A user row as the rest of core sees it. */
export function toClientUser(row: Pick<UserRow, (typeof CLIENT_USER_COLUMNS)[number]>): ClientUser {
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

/** A display name: no control or bidi characters, trimmed, inner spaces collapsed, 1 to 200 characters. */
export function normaliseDisplayName(input: string): string {
  const name = checkPlainText(collapseSpaces(input), 'name')
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

/**
 * Checks, inside the action's transaction, that `actor` may administer the users of `clientId`:
 * an accountant, or an active admin of that same client (re-read now, so a just-disabled admin
 * cannot act on a stale session).
 */
export async function assertUserAdmin(
  trx: Db,
  actor: Actor,
  clientId: number,
): Promise<void> {
  if (actor.kind === 'accountant') return
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
export async function changeUser<T>(
  db: Db,
  actor: Actor,
  userId: number,
  change: (trx: Db, user: ClientUser) => Promise<T>,
): Promise<T> {
  return db.transaction().execute(async (trx) => {
    const found = await getUser(trx, userId)
    await takeLock(trx, `client-users:${found.clientId}`)
    const user = await getUser(trx, userId)
    await assertUserAdmin(trx, actor, user.clientId)
    return change(trx, user)
  })
}

async function activateIn(trx: Db, actor: Actor, userId: number): Promise<ClientUser> {
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
    actor,
    action: 'user.activated',
    clientId: user.clientId,
    userId: user.id,
  })
  return getUser(trx, user.id)
}

/** Activates a pending user; activating an active user changes nothing. */
export async function activateUser(
  db: Db,
  actor: Actor,
  userId: number,
): Promise<ClientUser> {
  return db.transaction().execute((trx) => activateIn(trx, actor, userId))
}

/** Activates several pending users in one transaction: all of them, or none when one is refused. */
export async function activateUsers(
  db: Db,
  actor: Actor,
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
  actor: Actor,
  userId: number,
): Promise<ClientUser> {
  return changeUser(db, actor, userId, async (trx, user) => {
    if (user.status === 'disabled') return user
    await assertNotLastAdmin(trx, user, 'disable')
    await trx
      .updateTable('client_users')
      .set({ status: 'disabled' })
      .where('id', '=', user.id)
      .execute()
    await endUserSessions(trx, user.id)
    await recordEvent(trx, {
      actor,
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
  actor: Actor,
  userId: number,
): Promise<ClientUser> {
  return changeUser(db, actor, userId, async (trx, user) => {
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
        activated_by: user.activatedBy ?? (await actorLabel(trx, actor)),
      })
      .where('id', '=', user.id)
      .execute()
    await recordEvent(trx, {
      actor,
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
  actor: Actor,
  userId: number,
  role: UserRole,
): Promise<ClientUser> {
  const next = parseRole(role)
  return changeUser(db, actor, userId, async (trx, user) => {
    if (user.role === next) return user
    if (next === 'collaborator') await assertNotLastAdmin(trx, user, 'demote')
    await trx.updateTable('client_users').set({ role: next }).where('id', '=', user.id).execute()
    await endUserSessions(trx, user.id)
    await recordEvent(trx, {
      actor,
      action: 'user.role_changed',
      clientId: user.clientId,
      userId: user.id,
      details: { from: user.role, to: next },
    })
    return getUser(trx, user.id)
  })
}
