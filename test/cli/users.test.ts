import { describe, expect, it } from 'vitest'
import { findPasswordReset } from '../../src/core/identity/password-resets.js'
import { formatTaxId } from '../../src/core/clients/tax-id.js'
import { authenticate } from '../../src/core/identity/authentication.js'
import { listUsers } from '../../src/core/identity/users.js'
import { runCli, runConfi } from '../helpers/cli.js'
import { useTestDatabase } from '../helpers/db.js'
import { makeClient, makeUser, memoHasher, PASSWORD } from '../helpers/factories.js'
import { snapshot } from '../helpers/snapshot.js'

const t = useTestDatabase({ firm: true })

const confi = (args: string[], stdin?: string) => runCli(args, { env: t.env, stdin })
// Real processes, for the rules that must hold between them.
const confiProcess = (args: string[]) => runConfi(args, { env: t.env })

async function expectRefused(
  args: string[],
  code: number,
  stderr: RegExp,
  stdin?: string,
): Promise<void> {
  const before = await snapshot(t.db)
  const result = await confi(args, stdin)
  expect(result.code, result.stderr).toBe(code)
  expect(result.stdout).toBe('')
  expect(result.stderr).toMatch(stderr)
  expect(result.stderr.trim().split('\n')).toHaveLength(1)
  expect(await snapshot(t.db)).toEqual(before)
}

describe('confi users add', () => {
  it('applies the first-user rule and takes the password from stdin', async () => {
    const client = await makeClient(t.db, t.key, { taxId: '11222333000181' })
    const ana = await confi(
      [
        'users',
        'add',
        '--client',
        '11.222.333/0001-81',
        '--username',
        'ana',
        '--name',
        'Ana Lima',
        '--password-stdin',
        '--json',
      ],
      `${PASSWORD}\n`,
    )
    expect(ana.code, ana.stderr).toBe(0)
    expect(JSON.parse(ana.stdout)).toMatchObject({
      clientId: client.id,
      username: 'ana',
      role: 'admin',
      status: 'active',
      origin: 'cli',
      passwordResetUrl: null,
    })
    expect((await authenticate(t.db, 'ana', PASSWORD, memoHasher)).outcome).toBe('ok')
    const bruno = await confi([
      'users',
      'add',
      '--client',
      String(client.id),
      '--username',
      'bruno',
      '--name',
      'Bruno',
    ])
    expect(bruno.stdout).toMatch(/^added user 2: bruno \(Bruno\), collaborator, pending\n/)
    const carla = await confi(
      [
        'users',
        'add',
        '--client',
        '1',
        '--username',
        'carla',
        '--name',
        'Carla',
        '--role',
        'admin',
        '--active',
        '--password-stdin',
      ],
      PASSWORD,
    )
    expect(carla.stdout).toContain('carla (Carla), admin, active')
  })

  it('in a script without a password, creates the user and prints a one-time reset link', async () => {
    await makeClient(t.db, t.key)
    const result = await confi([
      'users',
      'add',
      '--client',
      '1',
      '--username',
      'ana',
      '--name',
      'Ana',
    ])
    expect(result.code).toBe(0)
    const url = result.stdout.match(
      /password link \(one use, until [\d-]+ [\d:]+\): (http:\/\/localhost:3000\/reset\/(\S+))/,
    )
    expect(url).not.toBeNull()
    expect(await findPasswordReset(t.db, url![2])).toMatchObject({ username: 'ana' })
  })

  it('refuses bad input and leaves the database unchanged', async () => {
    await makeClient(t.db, t.key)
    await makeUser(t.db, { clientId: 1, username: 'ana' })
    await expectRefused(
      ['users', 'add', '--client', '1', '--username', 'ANA', '--name', 'X'],
      1,
      /^confi: username 'ANA' is already taken/,
    )
    await expectRefused(
      ['users', 'add', '--client', '1', '--username', 'b c', '--name', 'X'],
      1,
      /username 'b c' has characters that are not allowed/,
    )
    await expectRefused(
      ['users', 'add', '--client', '1', '--username', 'bia', '--name', 'X', '--password-stdin'],
      1,
      /the password is too short \(5 bytes\): use at least 8/,
      'curta\n',
    )
    await expectRefused(
      ['users', 'add', '--client', '1', '--username', 'bia', '--name', 'X', '--password-stdin'],
      1,
      /the password is too long \(80 bytes\): use at most 72/,
      `${'x'.repeat(80)}\n`,
    )
    await expectRefused(
      ['users', 'add', '--client', '1', '--username', 'bia', '--name', 'X', '--password-stdin'],
      2,
      /stdin was empty/,
    )
    await expectRefused(
      ['users', 'add', '--client', '7', '--username', 'bia', '--name', 'X'],
      1,
      /no client '7'/,
    )
    await expectRefused(
      ['users', 'add', '--client', '1', '--username', 'bia'],
      2,
      /missing required option --name/,
    )
    await expectRefused(
      ['users', 'add', '--client', '1', '--username', 'bia', '--name', 'X', '--role', 'owner'],
      2,
      /Allowed choices are admin, collaborator/,
    )
  })

  it('keeps the first-user rule across 8 concurrent processes: exactly one admin', async () => {
    await makeClient(t.db, t.key)
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        confiProcess([
          'users',
          'add',
          '--client',
          '1',
          '--username',
          `pessoa${i}`,
          '--name',
          `Pessoa ${i}`,
          '--json',
        ]),
      ),
    )
    for (const r of results) expect(r.code, r.stderr).toBe(0)
    const users = await listUsers(t.db)
    expect(users).toHaveLength(8)
    expect(users.filter((u) => u.role === 'admin' && u.status === 'active')).toHaveLength(1)
    expect(users.filter((u) => u.role === 'collaborator' && u.status === 'pending')).toHaveLength(7)
  })
})

describe('confi users list and status changes', () => {
  it('lists with filters, as a table in the chosen time zone and as JSON', async () => {
    await makeClient(t.db, t.key)
    const other = await makeClient(t.db, t.key)
    await makeUser(t.db, { clientId: 1, username: 'ana' })
    await makeUser(t.db, { clientId: 1, username: 'bruno' })
    await makeUser(t.db, { clientId: other.id, username: 'carla' })
    const pending = await confi(['users', 'list', '--status', 'pending', '--json'])
    const items = JSON.parse(pending.stdout)
    expect(items).toHaveLength(1)
    expect(Object.keys(items[0])).toEqual(
      expect.arrayContaining([
        'id',
        'clientId',
        'username',
        'name',
        'email',
        'role',
        'status',
        'origin',
        'createdAt',
        'activatedAt',
        'lastLoginAt',
      ]),
    )
    expect(items[0]).toMatchObject({ username: 'bruno', status: 'pending', activatedAt: null })
    const byClient = JSON.parse(
      (await confi(['users', 'list', '--client', String(other.id), '--json'])).stdout,
    )
    expect(byClient.map((u: { username: string }) => u.username)).toEqual(['carla'])
    const created = new Date(items[0].createdAt)
    const utc = await confi(['users', 'list', '--tz', 'UTC'])
    expect(utc.stdout).toContain(created.toISOString().slice(0, 16).replace('T', ' '))
    const saoPaulo = await confi(['users', 'list'])
    const local = new Date(created.getTime() - 3 * 3600_000)
      .toISOString()
      .slice(0, 16)
      .replace('T', ' ')
    expect(saoPaulo.stdout).toContain(local)
    // Each row names its own client's tax id (looked up for these users only).
    const row = (username: string) => saoPaulo.stdout.split('\n').find((l) => l.includes(` ${username} `))
    const first = await t.db.selectFrom('clients').select('tax_id').where('id', '=', 1).executeTakeFirstOrThrow()
    expect(row('ana')).toContain(formatTaxId(first.tax_id))
    expect(row('carla')).toContain(formatTaxId(other.taxId))
    expect(saoPaulo.stdout.trimEnd().split('\n')).toHaveLength(3 + 4)
    expect((await confi(['users', 'list', '--tz', 'Mars/Base'])).code).toBe(2)
    const empty = await confi(['users', 'list', '--status', 'disabled'])
    expect(empty).toMatchObject({ code: 0, stdout: '' })
  })

  it('activates, disables, enables and changes roles, refusing the last admin', async () => {
    await makeClient(t.db, t.key, { name: 'Padaria', taxId: '11222333000181' })
    await makeUser(t.db, { clientId: 1, username: 'ana' })
    await makeUser(t.db, { clientId: 1, username: 'bruno' })
    await makeUser(t.db, { clientId: 1, username: 'carla' })
    await expectRefused(['users', 'activate', 'bruno', 'nobody'], 1, /^confi: no user 'nobody'/)
    const activate = await confi(['users', 'activate', 'bruno', '3'])
    expect(activate.stdout).toBe(
      'activated bruno (Pessoa bruno), collaborator, active\nactivated carla (Pessoa carla), collaborator, active\n',
    )
    await expectRefused(
      ['users', 'disable', 'ana'],
      1,
      /^confi: cannot disable 'ana': it is the last active admin of 11\.222\.333\/0001-81 \(Padaria\); make another user admin first$/m,
    )
    await expectRefused(['users', 'role', 'ana', 'collaborator'], 1, /cannot demote 'ana'/)
    await expectRefused(
      ['users', 'role', 'ana', 'boss'],
      2,
      /Allowed choices are admin, collaborator/,
    )
    expect((await confi(['users', 'disable', 'carla'])).stdout).toBe(
      'disabled carla (Pessoa carla), collaborator, disabled\n',
    )
    await expectRefused(
      ['users', 'activate', 'carla'],
      1,
      /'carla' is disabled, not pending: use 'confi users enable carla'/,
    )
    expect((await confi(['users', 'enable', 'carla'])).stdout).toContain('enabled carla')
    expect((await confi(['users', 'role', 'bruno', 'admin'])).stdout).toBe('bruno is now admin\n')
    expect((await confi(['users', 'role', 'ana', 'collaborator'])).code).toBe(0)
    // The factory acts as 'cli:test'; the CLI as 'cli:<os user>'.
    const events = await t.db
      .selectFrom('events')
      .select(['actor', 'action'])
      .where('actor', '!=', 'cli:test')
      .where('action', 'like', 'user.%')
      .orderBy('id')
      .execute()
    expect(events.every((e) => /^cli:/.test(e.actor))).toBe(true)
    expect(events.map((e) => e.action)).toEqual([
      'user.activated',
      'user.activated',
      'user.disabled',
      'user.enabled',
      'user.role_changed',
      'user.role_changed',
    ])
  })

  it('resets passwords by link or from stdin', async () => {
    await makeClient(t.db, t.key)
    await makeUser(t.db, { clientId: 1, username: 'ana' })
    const link = await confi(['users', 'reset-password', 'ana'])
    expect(link.code).toBe(0)
    expect(link.stdout).toMatch(/^http:\/\/localhost:3000\/reset\/[A-Za-z0-9_-]{43}\n$/)
    expect(link.stderr).toMatch(/one use, valid until/)
    expect(await findPasswordReset(t.db, link.stdout.trim().split('/').pop()!)).not.toBeNull()
    const set = await confi(
      ['users', 'reset-password', 'ana', '--password-stdin'],
      'nova-senha-forte\n',
    )
    expect(set.code, set.stderr).toBe(0)
    expect((await authenticate(t.db, 'ana', 'nova-senha-forte', memoHasher)).outcome).toBe('ok')
    await expectRefused(
      ['users', 'reset-password', 'ana', '--password-stdin'],
      1,
      /too short/,
      'abc\n',
    )
    await expectRefused(['users', 'reset-password', 'zé'], 1, /no user 'zé'/)
  })

  it('has an example in every help text', async () => {
    for (const sub of ['list', 'add', 'activate', 'disable', 'enable', 'role', 'reset-password']) {
      const help = await runCli(['users', sub, '--help'])
      expect(help.code).toBe(0)
      expect(help.stdout, sub).toMatch(/Examples?:\n  \$ /)
    }
  })
})
