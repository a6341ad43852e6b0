import type { Actor } from '../actors.js'
import { CATEGORIES, parseCategory, type Category } from '../categories.js'
import type { Db } from '../db/database.js'
import { preparedQuery } from '../db/prepared.js'
import { ConflictError, ValidationError } from '../errors.js'
import { recordEvent } from '../audit/events.js'
import { assertUserAdmin, getUser, type ClientUser } from './users.js'

/** What an admin hid from a collaborator; nothing hidden means everything the client area shows. */
export interface Visibility {
  hiddenCategories: Category[]
  hiddenCompanyIds: number[]
}

/** What a user may see: the companies whose documents, and the categories. */
export interface VisibleScope {
  clientIds: number[]
  categories: Category[]
}

/** The things hidden from a user (always empty for admins). */
export async function getVisibility(db: Db, userId: number): Promise<Visibility> {
  const rows = await db
    .selectFrom('user_visibility')
    .select(['kind', 'ref'])
    .where('user_id', '=', userId)
    .execute()
  return visibilityOf(rows)
}

/** A visibility from its `user_visibility` rows. */
export function visibilityOf(rows: readonly { kind: string; ref: string }[]): Visibility {
  return {
    hiddenCategories: CATEGORIES.filter((c) =>
      rows.some((r) => r.kind === 'category' && r.ref === c),
    ),
    hiddenCompanyIds: rows
      .filter((r) => r.kind === 'company')
      .map((r) => Number(r.ref))
      .sort((a, b) => a - b),
  }
}

// Every download runs it: compiled once (core/db/prepared.ts).
const groupMembersQuery = preparedQuery(1, (db: Db, clientId: number) =>
  db.selectFrom('clients').select('id').where('group_head_id', '=', clientId).orderBy('id'),
)

/** The companies a client's area shows: itself and, when it heads a group, every member. */
export async function areaClientIds(db: Db, clientId: number): Promise<number[]> {
  const members = await groupMembersQuery(db, clientId)
  return [clientId, ...members.map((m) => Number(m.id))]
}

/**
 * Replaces what a collaborator may not see. Only collaborators have a visibility; only
 * companies of the user's client area can be hidden. Accountant or the client's active admin.
 */
export async function setVisibility(
  db: Db,
  actor: Actor,
  userId: number,
  visibility: Visibility,
): Promise<Visibility> {
  const categories = [...new Set(visibility.hiddenCategories.map((c) => parseCategory(c)))]
  const companyIds = [...new Set(visibility.hiddenCompanyIds)]
  return db.transaction().execute(async (trx) => {
    const user = await getUser(trx, userId)
    await assertUserAdmin(trx, actor, user.clientId)
    if (user.role !== 'collaborator') {
      throw new ConflictError(
        `'${user.username}' is an admin, and admins always see everything: visibility applies to collaborators`,
        { reason: 'visibility_of_admin' },
      )
    }
    const shown = await areaClientIds(trx, user.clientId)
    const stranger = companyIds.find((id) => !shown.includes(id))
    if (stranger !== undefined) {
      throw new ValidationError(
        `company ${stranger} is not part of the client area of '${user.username}' (it shows ${shown.join(', ')})`,
        { reason: 'company_outside_area' },
      )
    }
    await trx.deleteFrom('user_visibility').where('user_id', '=', userId).execute()
    const rows = [
      ...categories.map((ref) => ({ user_id: userId, kind: 'category' as const, ref })),
      ...companyIds.map((id) => ({ user_id: userId, kind: 'company' as const, ref: String(id) })),
    ]
    if (rows.length > 0) await trx.insertInto('user_visibility').values(rows).execute()
    await recordEvent(trx, {
      actor,
      action: 'user.visibility_changed',
      clientId: user.clientId,
      userId,
      details: { hiddenCategories: categories, hiddenCompanyIds: companyIds },
    })
    return getVisibility(trx, userId)
  })
}

/**
 * What `user` may see. Active users: their client and, if it heads a group, every member,
 * minus what is hidden from a collaborator; access never flows from a member up to the head or
 * sideways. Pending users: only their own client (delivery links, docs/rules.md#document-links-and-login; the portal keeps
 * them out of the client area). Disabled users: nothing.
 */
export async function visibleScope(db: Db, user: ClientUser): Promise<VisibleScope> {
  // Re-read the status: a scope must not outlive a disable that happened after login.
  return scopeOfFreshUser(db, await getUser(db, user.id))
}

/**
 * `visibleScope` for a user record read in this same request (the portal reads it with the
 * session), saving a query on every download. Never pass a record kept across requests.
 */
export async function scopeOfFreshUser(db: Db, current: ClientUser): Promise<VisibleScope> {
  if (current.status === 'disabled') return scopeFrom(current, [], visibilityOf([]))
  const members = current.status === 'pending' ? [] : (await groupMembersQuery(db, current.clientId)).map((m) => Number(m.id))
  const visibility = current.role === 'admin' ? visibilityOf([]) : await getVisibility(db, current.id)
  return scopeFrom(current, members, visibility)
}

/**
 * The scope of a user from its client's group members and what is hidden from it, all read in
 * this same request as the user record (the portal reads them with the session, in one
 * statement: core/identity/authentication.ts).
 */
export function scopeFrom(current: ClientUser, memberIds: readonly number[], hidden: Visibility): VisibleScope {
  if (current.status === 'disabled') return { clientIds: [], categories: [] }
  const pending = current.status === 'pending'
  const shown = pending ? [current.clientId] : [current.clientId, ...[...memberIds].sort((a, b) => a - b)]
  // Nobody has vouched for a pending user yet: never the payroll (docs/rules.md#document-links-and-login).
  const allowed = pending ? CATEGORIES.filter((c) => c !== PENDING_HIDDEN_CATEGORY) : CATEGORIES
  if (current.role === 'admin') return { clientIds: shown, categories: [...allowed] }
  return {
    clientIds: shown.filter((id) => !hidden.hiddenCompanyIds.includes(id)),
    categories: allowed.filter((c) => !hidden.hiddenCategories.includes(c)),
  }
}

/** The category a pending user never opens, even through its own client's links. */
export const PENDING_HIDDEN_CATEGORY: Category = 'pessoal'

/** Whether a document of this client and category is inside the scope. */
export function canSee(
  scope: VisibleScope,
  document: { clientId: number; category: string },
): boolean {
  return (
    scope.clientIds.includes(document.clientId) &&
    (scope.categories as readonly string[]).includes(document.category)
  )
}
