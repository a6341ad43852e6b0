import { mkdtempSync, rmSync } from 'node:fs'
import { accountant } from '../../src/core/actors.js'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { findClientByLoginToken } from '../../src/core/clients/clients.js'
import { openDatabase, type OpenDatabase } from '../../src/core/db/database.js'
import { setFirmOptions } from '../../src/core/clients/firm.js'
import { registerUser } from '../../src/core/identity/registration.js'
import { runConfi } from '../helpers/cli.js'
import { memoHasher, PASSWORD } from '../helpers/factories.js'

// The session of issue 2, from an empty folder; the two registrations in the middle are what the
// portal does when people open the printed login link.
describe('the example session, from an empty folder', () => {
  let dir: string
  let open: OpenDatabase | undefined
  const confi = (...args: string[]) => runConfi(args, { cwd: dir })

  beforeAll(() => {
    // The session relies on the default ./confi.db of the working folder.
    delete process.env.CONFI_DB
    delete process.env.CONFI_DATA_DIR
    delete process.env.CONFI_SECRET_FILE
    dir = mkdtempSync(join(tmpdir(), 'confi-session-'))
  })
  afterAll(async () => {
    await open?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('runs end to end with the default ./confi.db', async () => {
    const init = await confi(
      'init',
      '--firm-name',
      'Contabilidade Exemplo',
      '--base-url',
      'http://localhost:3000',
    )
    expect(init.code, init.stderr).toBe(0)
    expect(init.stdout).toContain(join(dir, 'confi.db'))

    expect(
      (
        await confi(
          'clients',
          'add',
          '--name',
          'Padaria Pão Quente Ltda',
          '--tax-id',
          '11.222.333/0001-81',
        )
      ).code,
    ).toBe(0)
    expect(
      (
        await confi(
          'clients',
          'add',
          '--name',
          'Pão Quente Filial',
          '--tax-id',
          '12.ABC.345/01DE-35',
        )
      ).code,
    ).toBe(0)
    const group = await confi('clients', 'group', '11222333000181', '--add', '12ABC34501DE35')
    expect(group.code, group.stderr).toBe(0)
    expect(group.stdout).toContain('member 2: 12.ABC.345/01DE-35 Pão Quente Filial')

    const link = await confi('clients', 'link', '11222333000181')
    expect(link.code).toBe(0)
    const match = link.stdout.match(/^http:\/\/localhost:3000\/area\/([A-Za-z0-9_-]{43})\n$/)
    expect(match).not.toBeNull()

    open = await openDatabase({ kind: 'sqlite', path: join(dir, 'confi.db') })
    await setFirmOptions(open.db, accountant('cli:test'), { bcryptCost: 10 })
    const client = await findClientByLoginToken(open.db, match![1])
    expect(client?.taxId).toBe('11222333000181')
    for (const username of ['ana', 'bruno']) {
      await registerUser(
        open.db,
        {
          clientId: client!.id,
          username,
          name: username,
          password: PASSWORD,
          origin: 'login_link',
          ip: null,
        },
        memoHasher,
      )
    }

    const pending = await confi('users', 'list', '--status', 'pending', '--json')
    expect(JSON.parse(pending.stdout)).toEqual([
      expect.objectContaining({
        username: 'bruno',
        role: 'collaborator',
        status: 'pending',
        origin: 'login_link',
      }),
    ])
    const activate = await confi('users', 'activate', 'bruno')
    expect(activate).toMatchObject({ code: 0, stderr: '' })
    expect(activate.stdout).toBe('activated bruno (bruno), collaborator, active\n')
    expect(
      JSON.parse((await confi('users', 'list', '--status', 'pending', '--json')).stdout),
    ).toEqual([])
  })
})
