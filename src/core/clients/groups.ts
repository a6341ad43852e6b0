import { assertAccountant, type Actor } from '../actors.js'
import { describeClient, getClient, toClient, type Client } from './clients.js'
import { takeLock, type Db } from '../db/database.js'
import { ConflictError, ValidationError } from '../errors.js'
import { recordEvent } from '../audit/events.js'
import { nowIso } from '../time.js'

/** A company group: the head (matriz) and its members (filiais). */
export interface Group {
  head: Client
  members: Client[]
}

/** The group headed by `headId`; members is empty when the client heads no group. */
export async function getGroup(db: Db, headId: number): Promise<Group> {
  const head = await getClient(db, headId)
  const rows = await db
    .selectFrom('clients')
    .selectAll()
    .where('group_head_id', '=', headId)
    .orderBy('id')
    .execute()
  return { head, members: rows.map(toClient) }
}

function uniqueIds(ids: readonly number[]): number[] {
  if (ids.length === 0) throw new ValidationError('give at least one client to add or remove')
  return [...new Set(ids)]
}

// Group changes are rare; one lock for all of them keeps two concurrent changes from building a
// chain (A heads B while B heads C) that each would have refused alone.
const GROUPS_LOCK = 'groups'

/**
 * Makes clients members of `headId`'s group (docs/rules.md#company-groups): at most one group per client, a head
 * is no member, no client is its own member. All or nothing.
 */
export async function addGroupMembers(
  db: Db,
  actor: Actor,
  headId: number,
  memberIds: readonly number[],
): Promise<Group> {
  assertAccountant(actor, 'change groups')
  const ids = uniqueIds(memberIds)
  return db.transaction().execute(async (trx) => {
    await takeLock(trx, GROUPS_LOCK)
    const head = await getClient(trx, headId)
    if (ids.includes(headId)) {
      throw new ConflictError(`${describeClient(head)} cannot be a member of its own group`)
    }
    if (head.groupHeadId !== null) {
      const headOfHead = await getClient(trx, head.groupHeadId)
      throw new ConflictError(
        `${describeClient(head)} is a member of the group of ${describeClient(headOfHead)}, so it cannot head a group; remove it from that group first`,
      )
    }
    const added: number[] = []
    for (const id of ids) {
      const member = await getClient(trx, id)
      if (member.groupHeadId === headId) continue
      await assertCanJoin(trx, member, head)
      added.push(id)
    }
    if (added.length > 0) await moveClients(trx, actor, headId, added, 'added')
    return getGroup(trx, headId)
  })
}

async function assertCanJoin(trx: Db, member: Client, head: Client): Promise<void> {
  if (member.groupHeadId !== null) {
    const other = await getClient(trx, member.groupHeadId)
    throw new ConflictError(
      `${describeClient(member)} already belongs to the group of ${describeClient(other)}; a client belongs to at most one group: remove it there first`,
    )
  }
  const ownMembers = await trx
    .selectFrom('clients')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('group_head_id', '=', member.id)
    .executeTakeFirstOrThrow()
  if (Number(ownMembers.n) > 0) {
    throw new ConflictError(
      `${describeClient(member)} heads its own group, so it cannot be a member of the group of ${describeClient(head)}`,
    )
  }
}

/** Takes clients out of `headId`'s group; each must be a member of it. All or nothing. */
export async function removeGroupMembers(
  db: Db,
  actor: Actor,
  headId: number,
  memberIds: readonly number[],
): Promise<Group> {
  assertAccountant(actor, 'change groups')
  const ids = uniqueIds(memberIds)
  return db.transaction().execute(async (trx) => {
    await takeLock(trx, GROUPS_LOCK)
    const head = await getClient(trx, headId)
    for (const id of ids) {
      const member = await getClient(trx, id)
      if (member.groupHeadId !== headId) {
        throw new ConflictError(
          `${describeClient(member)} is not a member of the group of ${describeClient(head)}`,
        )
      }
    }
    await moveClients(trx, actor, headId, ids, 'removed')
    return getGroup(trx, headId)
  })
}

/** Sets or clears the group head of `ids` and records the change as one event on the head. */
async function moveClients(
  trx: Db,
  actor: Actor,
  headId: number,
  ids: number[],
  change: 'added' | 'removed',
): Promise<void> {
  await trx
    .updateTable('clients')
    .set({ group_head_id: change === 'added' ? headId : null, updated_at: nowIso() })
    .where('id', 'in', ids)
    .execute()
  await recordEvent(trx, {
    actor,
    action: `group.members_${change}`,
    clientId: headId,
    details: { members: ids },
  })
}
