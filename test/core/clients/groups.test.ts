import { describe, expect, it } from 'vitest'
import { getClient, listClientPage } from '../../../src/core/clients/clients.js'
import { ConflictError } from '../../../src/core/errors.js'
import { addGroupMembers, getGroup, removeGroupMembers } from '../../../src/core/clients/groups.js'
import { useTestDatabase } from '../../helpers/db.js'
import { ACCOUNTANT, eventActions, makeClient } from '../../helpers/factories.js'

const t = useTestDatabase({ firm: true })

async function heads(): Promise<(number | null)[]> {
  const rows = await t.db.selectFrom('clients').select('group_head_id').orderBy('id').execute()
  return rows.map((r) => r.group_head_id)
}

describe('company groups', () => {
  it('adds and removes members on the head', async () => {
    const head = await makeClient(t.db, t.key, { name: 'Matriz', taxId: '11222333000181' })
    const filial = await makeClient(t.db, t.key, { name: 'Filial', taxId: '12ABC34501DE35' })
    const other = await makeClient(t.db, t.key)
    const group = await addGroupMembers(t.db, ACCOUNTANT, head.id, [filial.id, other.id, filial.id])
    expect(group.head.id).toBe(head.id)
    expect(group.members.map((m) => m.id)).toEqual([filial.id, other.id])
    expect((await getClient(t.db, filial.id)).groupHeadId).toBe(head.id)
    // Adding an existing member again changes nothing.
    await addGroupMembers(t.db, ACCOUNTANT, head.id, [filial.id])
    const after = await removeGroupMembers(t.db, ACCOUNTANT, head.id, [other.id])
    expect(after.members.map((m) => m.id)).toEqual([filial.id])
    expect(await eventActions(t.db, head.id)).toEqual([
      'client.added',
      'group.members_added',
      'group.members_removed',
    ])
  })

  it('marks the heads on a page of the client list, whichever page their members are on', async () => {
    const member = await makeClient(t.db, t.key)
    const head = await makeClient(t.db, t.key)
    const lone = await makeClient(t.db, t.key)
    const laterHead = await makeClient(t.db, t.key)
    const laterMember = await makeClient(t.db, t.key)
    await addGroupMembers(t.db, ACCOUNTANT, head.id, [member.id])
    await addGroupMembers(t.db, ACCOUNTANT, laterHead.id, [laterMember.id])
    const first = await listClientPage(t.db, { limit: 3 })
    expect(first.clients.map((c) => c.id)).toEqual([member.id, head.id, lone.id])
    expect([...first.headIds]).toEqual([head.id])
    const second = await listClientPage(t.db, { limit: 3, afterId: first.nextAfterId ?? undefined })
    expect([...second.headIds]).toEqual([laterHead.id])
  })

  it('refuses a client as its own member', async () => {
    const head = await makeClient(t.db, t.key, { name: 'Matriz', taxId: '11222333000181' })
    await expect(addGroupMembers(t.db, ACCOUNTANT, head.id, [head.id])).rejects.toThrow(
      '11.222.333/0001-81 (Matriz) cannot be a member of its own group',
    )
  })

  it('refuses a client already in another group, naming both', async () => {
    const a = await makeClient(t.db, t.key, { name: 'Matriz A', taxId: '11222333000181' })
    const b = await makeClient(t.db, t.key, { name: 'Matriz B' })
    const filial = await makeClient(t.db, t.key, { name: 'Filial', taxId: '12ABC34501DE35' })
    await addGroupMembers(t.db, ACCOUNTANT, a.id, [filial.id])
    await expect(addGroupMembers(t.db, ACCOUNTANT, b.id, [filial.id])).rejects.toThrow(
      /12\.ABC\.345\/01DE-35 \(Filial\) already belongs to the group of 11\.222\.333\/0001-81 \(Matriz A\)/,
    )
  })

  it('refuses a head as a member, and a member as a head', async () => {
    const a = await makeClient(t.db, t.key, { name: 'Matriz A' })
    const b = await makeClient(t.db, t.key, { name: 'Matriz B' })
    const filial = await makeClient(t.db, t.key, { name: 'Filial' })
    await addGroupMembers(t.db, ACCOUNTANT, a.id, [filial.id])
    await expect(addGroupMembers(t.db, ACCOUNTANT, b.id, [a.id])).rejects.toThrow(
      /\(Matriz A\) heads its own group/,
    )
    await expect(addGroupMembers(t.db, ACCOUNTANT, filial.id, [b.id])).rejects.toThrow(
      /\(Filial\) is a member of the group of .*\(Matriz A\), so it cannot head a group/,
    )
  })

  it('applies nothing when one member of many is refused', async () => {
    const a = await makeClient(t.db, t.key)
    const b = await makeClient(t.db, t.key)
    const c = await makeClient(t.db, t.key)
    const taken = await makeClient(t.db, t.key)
    await addGroupMembers(t.db, ACCOUNTANT, b.id, [taken.id])
    const before = await heads()
    await expect(addGroupMembers(t.db, ACCOUNTANT, a.id, [c.id, taken.id])).rejects.toThrow(
      ConflictError,
    )
    expect(await heads()).toEqual(before)
    await expect(removeGroupMembers(t.db, ACCOUNTANT, b.id, [taken.id, c.id])).rejects.toThrow(
      /is not a member of the group of/,
    )
    expect(await heads()).toEqual(before)
  })

  it('holds the rules when two group changes race', async () => {
    const a = await makeClient(t.db, t.key)
    const b = await makeClient(t.db, t.key)
    // A adds B while B adds A: only one can win, never a cycle.
    const results = await Promise.allSettled([
      addGroupMembers(t.db, ACCOUNTANT, a.id, [b.id]),
      addGroupMembers(t.db, ACCOUNTANT, b.id, [a.id]),
    ])
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    expect((await heads()).filter((h) => h !== null)).toHaveLength(1)
  })

  it('shows an empty group for a client that heads none', async () => {
    const a = await makeClient(t.db, t.key)
    expect((await getGroup(t.db, a.id)).members).toEqual([])
  })
})
