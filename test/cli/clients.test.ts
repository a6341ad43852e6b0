import { describe, expect, it } from 'vitest'
import { findClientByLoginToken } from '../../src/core/clients/clients.js'
import { runCli } from '../helpers/cli.js'
import { useTestDatabase } from '../helpers/db.js'
import { snapshot } from '../helpers/snapshot.js'

const t = useTestDatabase({ firm: true })

const confi = (args: string[], stdin?: string) => runCli(args, { env: t.env, stdin })

async function expectRefused(args: string[], code: number, stderr: RegExp): Promise<void> {
  const before = await snapshot(t.db)
  const result = await confi(args)
  expect(result.code, result.stderr).toBe(code)
  expect(result.stdout).toBe('')
  expect(result.stderr).toMatch(stderr)
  expect(result.stderr.trim().split('\n')).toHaveLength(1)
  expect(await snapshot(t.db)).toEqual(before)
}

describe('confi clients', () => {
  it('adds, lists, shows and edits clients', async () => {
    const add = await confi([
      'clients',
      'add',
      '--name',
      'Padaria Pão Quente Ltda',
      '--tax-id',
      '11.222.333/0001-81',
    ])
    expect(add).toMatchObject({
      code: 0,
      stdout: 'added client 1: 11.222.333/0001-81 Padaria Pão Quente Ltda\n',
    })
    await confi([
      'clients',
      'add',
      '--name',
      'Filial',
      '--tax-id',
      '12abc34501de35',
      '--email',
      'f@x.com.br',
      '--require-login',
      'on',
    ])
    const list = await confi(['clients', 'list', '--json'])
    expect(JSON.parse(list.stdout)).toEqual([
      expect.objectContaining({
        id: 1,
        name: 'Padaria Pão Quente Ltda',
        taxId: '11222333000181',
        email: null,
        requireLogin: 'inherit',
        groupHeadId: null,
      }),
      expect.objectContaining({
        id: 2,
        name: 'Filial',
        taxId: '12ABC34501DE35',
        email: 'f@x.com.br',
        requireLogin: 'on',
        groupHeadId: null,
      }),
    ])
    const table = await confi(['clients', 'list'])
    expect(table.stdout).toContain('12.ABC.345/01DE-35')
    const show = await confi(['clients', 'show', '12.ABC.345/01DE-35', '--json'])
    expect(JSON.parse(show.stdout)).toMatchObject({
      id: 2,
      effectiveRequireLogin: true,
      memberIds: [],
      userCount: 0,
    })
    const edit = await confi([
      'clients',
      'edit',
      '1',
      '--email',
      'contato@padaria.com.br',
      '--json',
    ])
    expect(JSON.parse(edit.stdout)).toMatchObject({ email: 'contato@padaria.com.br' })
    const requireLogin = await confi(['clients', 'require-login', '11222333000181', 'on'])
    expect(requireLogin.stdout).toContain('require login on (effective: on)')
  })

  it('answers a re-run of the same add quietly (exit 0, nothing recorded); other details under the same CNPJ stay refused', async () => {
    const args = ['clients', 'add', '--name', 'Padaria  Pão Quente', '--tax-id', '11222333000181', '--email', 'Fin@Padaria.com.br']
    expect((await confi(args)).stdout).toBe('added client 1: 11.222.333/0001-81 Padaria Pão Quente\n')
    const before = await snapshot(t.db)
    const again = await confi([...args.slice(0, 5), '11.222.333/0001-81', ...args.slice(6)])
    expect(again).toMatchObject({ code: 0, stderr: '', stdout: 'client already there, nothing changed: 1: 11.222.333/0001-81 Padaria Pão Quente\n' })
    expect(JSON.parse((await confi([...args, '--json'])).stdout)).toMatchObject({ id: 1, name: 'Padaria Pão Quente' })
    expect(await snapshot(t.db)).toEqual(before)
    await expectRefused([...args.slice(0, 6), '--email', 'outro@padaria.com.br'], 1, /^confi: tax id 11\.222\.333\/0001-81 already belongs to client 1/)
    await expectRefused([...args, '--require-login', 'on'], 1, /^confi: tax id 11\.222\.333\/0001-81 already belongs to client 1/)
  })

  it('refuses bad input with one line and leaves the database unchanged', async () => {
    await confi(['clients', 'add', '--name', 'Padaria', '--tax-id', '11222333000181'])
    await expectRefused(
      ['clients', 'add', '--name', 'X', '--tax-id', '11.222.333/0001-81'],
      1,
      /^confi: tax id 11\.222\.333\/0001-81 already belongs to client 1 \(Padaria\)/,
    )
    await expectRefused(
      ['clients', 'add', '--name', 'X', '--tax-id', '11.222.333/0001-80'],
      1,
      /'11\.222\.333\/0001-80' is not a valid CNPJ or CPF: the check digits/,
    )
    await expectRefused(
      ['clients', 'add', '--name', 'X', '--tax-id', '111.111.111-11'],
      1,
      /all characters are the same/,
    )
    await expectRefused(['clients', 'add', '--name', 'X'], 2, /missing required option --tax-id/)
    await expectRefused(
      ['clients', 'add', '--name', 'X', '--tax-id', '52998224725', '--require-login', 'sometimes'],
      2,
      /Allowed choices are inherit, on, off/,
    )
    await expectRefused(
      ['clients', 'add', '--name', 'X', '--tax-id', '52998224725', '--colour'],
      2,
      /unknown option '--colour'/,
    )
    await expectRefused(['clients', 'show', '99'], 1, /^confi: no client '99'/)
    await expectRefused(['clients', 'edit', '1'], 2, /give something to change/)
    await expectRefused(['clients', 'require-login', '1', 'maybe'], 2, /Allowed choices/)
  })

  it('prints the login link again and rotates it', async () => {
    await confi(['clients', 'add', '--name', 'Padaria', '--tax-id', '11222333000181'])
    const link = await confi(['clients', 'link', '11.222.333/0001-81'])
    expect(link.code).toBe(0)
    expect(link.stdout).toMatch(/^http:\/\/localhost:3000\/area\/[A-Za-z0-9_-]{43}\n$/)
    expect((await confi(['clients', 'link', '1'])).stdout).toBe(link.stdout)
    const token = link.stdout.trim().split('/').pop()!
    expect((await findClientByLoginToken(t.db, token))?.id).toBe(1)
    const rotated = await confi(['clients', 'link', '1', '--rotate', '--json'])
    const json = JSON.parse(rotated.stdout)
    expect(json).toMatchObject({ clientId: 1, version: 2 })
    expect(json.url).not.toBe(link.stdout.trim())
    expect(await findClientByLoginToken(t.db, token)).toBeNull()
  })

  it('manages groups with clear refusals', async () => {
    await confi(['clients', 'add', '--name', 'Matriz', '--tax-id', '11222333000181'])
    await confi(['clients', 'add', '--name', 'Filial', '--tax-id', '12ABC34501DE35'])
    await confi(['clients', 'add', '--name', 'Pessoa', '--tax-id', '529.982.247-25'])
    const add = await confi([
      'clients',
      'group',
      '11222333000181',
      '--add',
      '12ABC34501DE35',
      '52998224725',
    ])
    expect(add.code).toBe(0)
    expect(add.stdout).toContain('member 2: 12.ABC.345/01DE-35 Filial')
    expect(add.stdout).toContain('member 3: 529.982.247-25 Pessoa')
    await expectRefused(
      ['clients', 'group', '1', '--add', '1'],
      1,
      /^confi: 11\.222\.333\/0001-81 \(Matriz\) cannot be a member of its own group$/m,
    )
    await expectRefused(
      ['clients', 'group', '2', '--add', '3'],
      1,
      /\(Filial\) is a member of the group of 11\.222\.333\/0001-81 \(Matriz\), so it cannot head a group/,
    )
    await expectRefused(['clients', 'group', '1', '--add', '2', '--remove', '3'], 2, /not both/)
    await expectRefused(['clients', 'group', '1', '--add', '99'], 1, /no client '99'/)
    const show = await confi(['clients', 'group', '1', '--json'])
    expect(JSON.parse(show.stdout).members.map((m: { id: number }) => m.id)).toEqual([2, 3])
    const removed = await confi(['clients', 'group', '1', '--remove', '3'])
    expect(removed.stdout).not.toContain('Pessoa')
    const list = JSON.parse((await confi(['clients', 'list', '--json'])).stdout)
    expect(list.map((c: { groupHeadId: number | null }) => c.groupHeadId)).toEqual([null, 1, null])
  })

  it('has an example in every help text', async () => {
    for (const sub of ['add', 'list', 'show', 'edit', 'link', 'require-login', 'group']) {
      const help = await runCli(['clients', sub, '--help'])
      expect(help.code).toBe(0)
      expect(help.stdout, sub).toMatch(/Examples?:\n  \$ confi clients/)
    }
  })

  it('lists 2,000 clients one line each, pages them and searches in the database', async () => {
    const at = '2026-01-01T00:00:00.000Z'
    await t.db.transaction().execute(async (trx) => {
      for (let i = 1; i <= 2000; i += 500) {
        const rows = Array.from({ length: 500 }, (_, j) => ({
          name: `Empresa ${i + j} Ltda`,
          tax_id: String(10_000_000_000_000 + i + j),
          require_login: 'inherit' as const,
          login_link_version: 1,
          created_at: at,
          updated_at: at,
        }))
        await trx.insertInto('clients').values(rows).execute()
      }
    })
    const table = await confi(['clients', 'list'])
    expect(table.code, table.stderr).toBe(0)
    const lines = table.stdout.trimEnd().split('\n')
    // Top rule, header, rule under it, one line per client, bottom rule.
    expect(lines).toHaveLength(2000 + 4)
    expect(lines.slice(3, -1).every((l, i) => l.startsWith(`│ ${String(i + 1).padEnd(4)} │`))).toBe(true)
    expect(table.stderr).toBe('')

    const ids = (r: { stdout: string }) => JSON.parse(r.stdout).map((c: { id: number }) => c.id)
    const page = await confi(['clients', 'list', '--limit', '3', '--after', '1000', '--json'])
    expect(ids(page)).toEqual([1001, 1002, 1003])
    expect(page.stderr).toBe('more clients: add --after 1003\n')
    const end = await confi(['clients', 'list', '--limit', '5', '--after', '1998', '--json'])
    expect([ids(end), end.stderr]).toEqual([[1999, 2000], ''])
    expect(ids(await confi(['clients', 'list', '--json']))).toHaveLength(2000)

    const search = await confi(['clients', 'list', '--search', 'EMPRESA 199', '--json'])
    expect(ids(search)).toEqual([199, ...Array.from({ length: 10 }, (_, i) => 1990 + i)])
    const searchPage = await confi(['clients', 'list', '--search', 'empresa 199', '--limit', '4', '--after', '199'])
    expect(searchPage.stdout.trimEnd().split('\n')).toHaveLength(4 + 4)
    expect(searchPage.stderr).toBe('more clients: add --after 1993\n')
    const byTaxId = await confi(['clients', 'list', '--search', '10.000.000/0020-0', '--json'])
    expect(ids(byTaxId)).toEqual([2000])
    const none = await confi(['clients', 'list', '--search', 'empresa_1'])
    expect([none.code, none.stdout, none.stderr]).toEqual([0, '', 'no clients match\n'])
  }, 60_000)
})
