import { describe, expect, it } from 'vitest'
import { CATEGORIES } from '../../../src/core/categories.js'
import { ConflictError, ForbiddenError, ValidationError } from '../../../src/core/errors.js'
import { addGroupMembers, removeGroupMembers } from '../../../src/core/clients/groups.js'
import { disableUser, setUserRole } from '../../../src/core/identity/users.js'
import { canSee, getVisibility, setVisibility, visibleScope } from '../../../src/core/identity/visibility.js'
import { useTestDatabase } from '../../helpers/db.js'
import { ACCOUNTANT, makeClient, makeUser } from '../../helpers/factories.js'

const t = useTestDatabase({ firm: true })

async function group() {
  const head = await makeClient(t.db, t.key, { name: 'Matriz' })
  const filialA = await makeClient(t.db, t.key, { name: 'Filial A' })
  const filialB = await makeClient(t.db, t.key, { name: 'Filial B' })
  await addGroupMembers(t.db, ACCOUNTANT, head.id, [filialA.id, filialB.id])
  return { head, filialA, filialB }
}

describe('visible scope', () => {
  it('head users see the whole group; member users only their own company', async () => {
    const { head, filialA, filialB } = await group()
    const headAdmin = await makeUser(t.db, { clientId: head.id })
    const memberAdmin = await makeUser(t.db, { clientId: filialA.id })
    expect(await visibleScope(t.db, headAdmin)).toEqual({
      clientIds: [head.id, filialA.id, filialB.id],
      categories: [...CATEGORIES],
    })
    const memberScope = await visibleScope(t.db, memberAdmin)
    expect(memberScope.clientIds).toEqual([filialA.id])
    expect(canSee(memberScope, { clientId: head.id, category: 'fiscal' })).toBe(false)
    expect(canSee(memberScope, { clientId: filialB.id, category: 'fiscal' })).toBe(false)
    expect(canSee(memberScope, { clientId: filialA.id, category: 'fiscal' })).toBe(true)
  })

  it('collaborators lose what an admin hid; admins always see everything', async () => {
    const { head, filialA, filialB } = await group()
    const admin = await makeUser(t.db, { clientId: head.id })
    const collaborator = await makeUser(t.db, { clientId: head.id, active: true })
    await setVisibility(t.db, { kind: 'client_user', userId: admin.id }, collaborator.id, {
      hiddenCategories: ['pessoal'],
      hiddenCompanyIds: [filialB.id],
    })
    expect(await getVisibility(t.db, collaborator.id)).toEqual({
      hiddenCategories: ['pessoal'],
      hiddenCompanyIds: [filialB.id],
    })
    const scope = await visibleScope(t.db, collaborator)
    expect(scope.clientIds).toEqual([head.id, filialA.id])
    expect(scope.categories).toEqual(['fiscal', 'contabil', 'societario', 'outros'])
    expect(canSee(scope, { clientId: filialA.id, category: 'pessoal' })).toBe(false)
    expect(canSee(scope, { clientId: filialB.id, category: 'fiscal' })).toBe(false)

    await setUserRole(t.db, ACCOUNTANT, collaborator.id, 'admin')
    expect((await visibleScope(t.db, collaborator)).clientIds).toEqual([
      head.id,
      filialA.id,
      filialB.id,
    ])
    // Demoting again brings back what the admin had hidden, rather than silently lifting it.
    await setUserRole(t.db, ACCOUNTANT, collaborator.id, 'collaborator')
    expect(await visibleScope(t.db, collaborator)).toEqual(scope)
  })

  it('pending users reach only their own client; disabled users nothing', async () => {
    const { head } = await group()
    const admin = await makeUser(t.db, { clientId: head.id })
    const pending = await makeUser(t.db, { clientId: head.id })
    expect((await visibleScope(t.db, pending)).clientIds).toEqual([head.id])
    const active = await makeUser(t.db, { clientId: head.id, active: true })
    await disableUser(t.db, ACCOUNTANT, active.id)
    expect(await visibleScope(t.db, active)).toEqual({ clientIds: [], categories: [] })
    expect((await visibleScope(t.db, admin)).clientIds).toHaveLength(3)
  })

  it('keeps a hidden company hidden when it leaves the group and comes back', async () => {
    const { head, filialA, filialB } = await group()
    await makeUser(t.db, { clientId: head.id })
    const collaborator = await makeUser(t.db, { clientId: head.id, active: true })
    await setVisibility(t.db, ACCOUNTANT, collaborator.id, {
      hiddenCategories: [],
      hiddenCompanyIds: [filialB.id],
    })
    await removeGroupMembers(t.db, ACCOUNTANT, head.id, [filialB.id])
    expect((await visibleScope(t.db, collaborator)).clientIds).toEqual([head.id, filialA.id])
    await addGroupMembers(t.db, ACCOUNTANT, head.id, [filialB.id])
    expect((await visibleScope(t.db, collaborator)).clientIds).toEqual([head.id, filialA.id])
    expect((await getVisibility(t.db, collaborator.id)).hiddenCompanyIds).toEqual([filialB.id])
  })
})

describe('setVisibility', () => {
  it('refuses admins as targets, strangers as actors and companies outside the area', async () => {
    const { head, filialA } = await group()
    const outsider = await makeClient(t.db, t.key)
    const admin = await makeUser(t.db, { clientId: head.id })
    const collaborator = await makeUser(t.db, { clientId: head.id, active: true })
    const memberAdmin = await makeUser(t.db, { clientId: filialA.id })
    const peer = await makeUser(t.db, { clientId: head.id, active: true })
    const none = { hiddenCategories: [], hiddenCompanyIds: [] }
    await expect(setVisibility(t.db, ACCOUNTANT, admin.id, none)).rejects.toThrow(ConflictError)
    await expect(
      setVisibility(t.db, { kind: 'client_user', userId: memberAdmin.id }, collaborator.id, none),
    ).rejects.toThrow(ForbiddenError)
    await expect(
      setVisibility(t.db, { kind: 'client_user', userId: peer.id }, collaborator.id, none),
    ).rejects.toThrow(ForbiddenError)
    await expect(
      setVisibility(t.db, ACCOUNTANT, collaborator.id, {
        hiddenCategories: [],
        hiddenCompanyIds: [outsider.id],
      }),
    ).rejects.toThrow(ValidationError)
    await expect(
      setVisibility(t.db, ACCOUNTANT, collaborator.id, {
        hiddenCategories: ['nope' as 'fiscal'],
        hiddenCompanyIds: [],
      }),
    ).rejects.toThrow(/unknown category/)
    expect(await getVisibility(t.db, collaborator.id)).toEqual(none)
  })
})
