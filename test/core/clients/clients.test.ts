import { describe, expect, it } from 'vitest'
import {
  addClient,
  editClient,
  effectiveRequireLogin,
  findClientByLoginToken,
  listClientPage,
  listClients,
  listClientsByIds,
  loginLinkToken,
  loginLinkUrl,
  resolveClient,
  rotateLoginLink,
  setClientRequireLogin,
} from '../../../src/core/clients/clients.js'
import { ConflictError, NotFoundError, ValidationError } from '../../../src/core/errors.js'
import { setFirmOptions } from '../../../src/core/clients/firm.js'
import { addGroupMembers } from '../../../src/core/clients/groups.js'
import { isTokenShaped } from '../../../src/core/tokens.js'
import { useTestDatabase } from '../../helpers/db.js'
import { ACCOUNTANT, eventActions, makeClient } from '../../helpers/factories.js'

const t = useTestDatabase({ firm: true })

describe('clients', () => {
  it('adds a client with a normalised tax id and an event', async () => {
    const client = await addClient(t.db, t.key, ACCOUNTANT, {
      name: '  Padaria  Pão Quente Ltda ',
      taxId: '11.222.333/0001-81',
      email: 'contato@padaria.com.br',
    })
    expect(client).toMatchObject({
      name: 'Padaria Pão Quente Ltda',
      taxId: '11222333000181',
      email: 'contato@padaria.com.br',
      requireLogin: 'inherit',
      groupHeadId: null,
      loginLinkVersion: 1,
    })
    expect(await eventActions(t.db, client.id)).toEqual(['client.added'])
  })

  it('refuses invalid and duplicate tax ids and leaves nothing behind', async () => {
    await makeClient(t.db, t.key, { taxId: '11222333000181' })
    await expect(makeClient(t.db, t.key, { taxId: '11.222.333/0001-82' })).rejects.toThrow(
      ValidationError,
    )
    const duplicate = makeClient(t.db, t.key, { taxId: '11.222.333/0001-81' })
    await expect(duplicate).rejects.toThrow(ConflictError)
    await expect(makeClient(t.db, t.key, { taxId: '11.222.333/0001-81' })).rejects.toThrow(
      /11\.222\.333\/0001-81 already belongs to client 1/,
    )
    await expect(makeClient(t.db, t.key, { email: 'not-an-email' })).rejects.toThrow(/e-mail/)
    await expect(makeClient(t.db, t.key, { name: '  ' })).rejects.toThrow(/name/)
    expect(await listClients(t.db)).toHaveLength(1)
  })

  it('resolves a client by id or by tax id in any formatting', async () => {
    const a = await makeClient(t.db, t.key, { taxId: '12.ABC.345/01DE-35' })
    expect((await resolveClient(t.db, String(a.id))).id).toBe(a.id)
    expect((await resolveClient(t.db, '12abc34501de35')).id).toBe(a.id)
    expect((await resolveClient(t.db, '12.ABC.345/01DE-35')).id).toBe(a.id)
    await expect(resolveClient(t.db, '999')).rejects.toThrow(NotFoundError)
    await expect(resolveClient(t.db, '11.222.333/0001-81')).rejects.toThrow(/11\.222\.333\/0001-81/)
  })

  it('edits fields, refusing a tax id of another client', async () => {
    const a = await makeClient(t.db, t.key)
    const b = await makeClient(t.db, t.key)
    const edited = await editClient(t.db, ACCOUNTANT, a.id, { name: 'Novo Nome', email: null })
    expect(edited).toMatchObject({ name: 'Novo Nome', email: null })
    await expect(editClient(t.db, ACCOUNTANT, a.id, { taxId: b.taxId })).rejects.toThrow(
      ConflictError,
    )
    expect((await resolveClient(t.db, String(a.id))).taxId).toBe(a.taxId)
    expect(await eventActions(t.db, a.id)).toEqual(['client.added', 'client.edited'])
  })

  it('lists and searches clients', async () => {
    await makeClient(t.db, t.key, { name: 'Padaria Pão Quente', taxId: '11222333000181' })
    await makeClient(t.db, t.key, { name: 'Oficina' })
    expect((await listClients(t.db)).map((c) => c.name)).toEqual(['Padaria Pão Quente', 'Oficina'])
    expect((await listClients(t.db, { search: 'padaria' })).map((c) => c.name)).toEqual([
      'Padaria Pão Quente',
    ])
    expect((await listClients(t.db, { search: '11.222.333' })).map((c) => c.name)).toEqual([
      'Padaria Pão Quente',
    ])
  })
})

describe('search and paging in SQL', () => {
  const names = async (search: string) =>
    (await listClients(t.db, { search })).map((c) => c.name)

  it('matches names case-insensitively, accents included, and tax ids by their start', async () => {
    await makeClient(t.db, t.key, { name: 'PADARIA SÃO JOSÉ LTDA', taxId: '11222333000181' })
    await makeClient(t.db, t.key, { name: 'Açougue São João', taxId: '12ABC34501DE35' })
    await makeClient(t.db, t.key, { name: 'Oficina 100% Mecânica' })
    await makeClient(t.db, t.key, { name: 'Oficina 1000 Peças' })
    await makeClient(t.db, t.key, { name: 'Posto_Central' })
    await makeClient(t.db, t.key, { name: 'Posto Central' })
    expect(await names('padaria')).toEqual(['PADARIA SÃO JOSÉ LTDA'])
    expect(await names('são')).toEqual(['PADARIA SÃO JOSÉ LTDA', 'Açougue São João'])
    expect(await names('SÃO')).toEqual(['PADARIA SÃO JOSÉ LTDA', 'Açougue São João'])
    expect(await names('josé')).toEqual(['PADARIA SÃO JOSÉ LTDA'])
    expect(await names('AÇOUGUE')).toEqual(['Açougue São João'])
    // LIKE wildcards in the search are plain characters.
    expect(await names('100%')).toEqual(['Oficina 100% Mecânica'])
    expect(await names('o_c')).toEqual(['Posto_Central'])
    expect(await names('%')).toEqual(['Oficina 100% Mecânica'])
    expect(await names('11.222.333/0001')).toEqual(['PADARIA SÃO JOSÉ LTDA'])
    expect(await names('12.abc')).toEqual(['Açougue São João'])
    // The start of the tax id, not any part of it.
    expect(await names('333000181')).toEqual([])
  })

  it('pages by id with --limit and --after, and knows group heads beyond the page', async () => {
    const all = []
    for (let i = 0; i < 7; i++) all.push(await makeClient(t.db, t.key))
    await addGroupMembers(t.db, ACCOUNTANT, all[1].id, [all[5].id])
    const first = await listClientPage(t.db, { limit: 3 })
    expect(first.clients.map((c) => c.id)).toEqual(all.slice(0, 3).map((c) => c.id))
    expect([...first.headIds]).toEqual([all[1].id])
    expect(first.nextAfterId).toBe(all[2].id)
    const last = await listClientPage(t.db, { limit: 4, afterId: first.nextAfterId! })
    expect(last.clients.map((c) => c.id)).toEqual(all.slice(3).map((c) => c.id))
    expect(last.nextAfterId).toBeNull()
    expect((await listClientPage(t.db)).clients).toHaveLength(7)
    await expect(listClientPage(t.db, { limit: 0 })).rejects.toThrow(ValidationError)
    const some = await listClientsByIds(t.db, [all[4].id, all[0].id, all[4].id, 999])
    expect(some.map((c) => c.id)).toEqual([all[0].id, all[4].id])
  })
})

describe('login links', () => {
  it('accepts only tokens of our shape before touching the database', () => {
    expect(isTokenShaped('a'.repeat(43))).toBe(true)
    expect(isTokenShaped('a'.repeat(42))).toBe(false)
    expect(isTokenShaped('a'.repeat(44))).toBe(false)
    expect(isTokenShaped(`${'a'.repeat(42)}=`)).toBe(false)
  })

  it('derives a stable url-safe token of 256 bits and finds the client by it', async () => {
    const client = await makeClient(t.db, t.key)
    const token = loginLinkToken(t.key, client)
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(loginLinkToken(t.key, client)).toBe(token)
    expect(loginLinkUrl('http://localhost:3000', token)).toBe(`http://localhost:3000/area/${token}`)
    expect((await findClientByLoginToken(t.db, token))?.id).toBe(client.id)
    expect(await findClientByLoginToken(t.db, `${token.slice(0, -1)}x`)).toBeNull()
    const row = await t.db
      .selectFrom('clients')
      .select('login_link_digest')
      .executeTakeFirstOrThrow()
    expect(JSON.stringify(row)).not.toContain(token)
  })

  it('rotating replaces the link: the old one stops working', async () => {
    const client = await makeClient(t.db, t.key)
    const old = loginLinkToken(t.key, client)
    const rotated = await rotateLoginLink(t.db, t.key, ACCOUNTANT, client.id)
    const fresh = loginLinkToken(t.key, rotated)
    expect(rotated.loginLinkVersion).toBe(2)
    expect(fresh).not.toBe(old)
    expect(await findClientByLoginToken(t.db, old)).toBeNull()
    expect((await findClientByLoginToken(t.db, fresh))?.id).toBe(client.id)
    expect(await eventActions(t.db, client.id)).toContain('client.link_rotated')
  })
})

describe('require login', () => {
  it('uses the client setting, or the firm default on inherit', async () => {
    const client = await makeClient(t.db, t.key)
    expect(await effectiveRequireLogin(t.db, client.id)).toBe(false)
    await setFirmOptions(t.db, ACCOUNTANT, { requireLogin: true })
    expect(await effectiveRequireLogin(t.db, client.id)).toBe(true)
    await setClientRequireLogin(t.db, ACCOUNTANT, client.id, 'off')
    expect(await effectiveRequireLogin(t.db, client.id)).toBe(false)
    await setFirmOptions(t.db, ACCOUNTANT, { requireLogin: false })
    await setClientRequireLogin(t.db, ACCOUNTANT, client.id, 'on')
    expect(await effectiveRequireLogin(t.db, client.id)).toBe(true)
    await expect(
      setClientRequireLogin(t.db, ACCOUNTANT, client.id, 'maybe' as 'on'),
    ).rejects.toThrow(/inherit, on or off/)
  })
})
