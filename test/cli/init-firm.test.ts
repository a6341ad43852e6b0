import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runCli, runConfi } from '../helpers/cli.js'

let dir: string
let env: Record<string, string>
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'confi-cli-'))
  env = { CONFI_DB: join(dir, 'confi.db') }
})
afterEach(() => {
  rmSync(dir, { recursive: true, force: true })
})

describe('confi init', () => {
  it('creates the database, a 0600 secret key and the firm options; is idempotent', async () => {
    const first = await runConfi(
      ['init', '--firm-name', 'Contabilidade Exemplo', '--base-url', 'http://localhost:3000/'],
      { env },
    )
    expect(first).toMatchObject({ code: 0, stderr: '' })
    expect(first.stdout).toContain(`created the database ${join(dir, 'confi.db')}`)
    expect(first.stdout).toContain('created the secret key file')
    expect(first.stdout).toContain(
      'created the firm options: Contabilidade Exemplo, http://localhost:3000',
    )
    const keyFile = join(dir, 'confi-data', 'secret.key')
    expect(statSync(keyFile).mode & 0o777).toBe(0o600)

    const again = await runConfi(['init'], { env })
    expect(again.code).toBe(0)
    expect(again.stdout).toContain('kept the secret key file')
    expect(again.stdout).toContain('the firm options were already set')

    const show = await runConfi(['firm', 'show', '--json'], { env })
    expect(JSON.parse(show.stdout)).toMatchObject({
      firmName: 'Contabilidade Exemplo',
      baseUrl: 'http://localhost:3000',
      requireLogin: false,
      bcryptCost: 11,
    })
  })

  it('refuses a bad base URL before creating anything', async () => {
    const result = await runConfi(['init', '--base-url', 'localhost:3000'], { env })
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(
      /^confi: 'localhost:3000' is not a valid base URL: it must start with http/,
    )
    expect(existsSync(join(dir, 'confi.db'))).toBe(false)
  })

  it('tells to run init when the database is missing', async () => {
    const result = await runConfi(['clients', 'list'], { env })
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/confi init/)
  })
})

describe('confi firm', () => {
  it('sets options, refusing bad values with exit 1 and usage errors with exit 2', async () => {
    await runCli(['init'], { env })
    const set = await runCli(
      ['firm', 'set', '--require-login', 'on', '--bcrypt-cost', '12', '--json'],
      { env },
    )
    expect(set.code).toBe(0)
    expect(JSON.parse(set.stdout)).toMatchObject({ requireLogin: true, bcryptCost: 12 })
    const bad = await runCli(['firm', 'set', '--bcrypt-cost', '9'], { env })
    expect(bad).toMatchObject({ code: 1, stdout: '' })
    expect(bad.stderr).toBe(
      'confi: bcrypt cost 9 is out of range: use a whole number from 10 to 15 (default 11)\n',
    )
    expect((await runCli(['firm', 'set'], { env })).code).toBe(2)
    expect((await runCli(['firm', 'set', '--require-login', 'maybe'], { env })).code).toBe(2)
    expect((await runCli(['firm', 'set', '--bcrypt-cost', 'x'], { env })).code).toBe(2)
    const show = await runCli(['firm', 'show'], { env })
    expect(show.stdout).toMatch(/Require login\s+on/)
    expect(show.stdout).toMatch(/Bcrypt cost\s+12/)
  })

  it('sets and clears the firm contact and the two-factor policy', async () => {
    await runConfi(['init'], { env })
    const set = await runConfi(['firm', 'set', '--phone', '(11) 3333-4444', '--email', 'contato@escritorio.com.br', '--require-2fa', 'admins', '--json'], { env })
    expect(set.code).toBe(0)
    expect(JSON.parse(set.stdout)).toMatchObject({ phone: '+551133334444', contactEmail: 'contato@escritorio.com.br', require2fa: 'admins' })
    const bad = await runConfi(['firm', 'set', '--email', 'sem-arroba'], { env })
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/^confi: 'sem-arroba' is not a valid e-mail address/)
    expect((await runConfi(['firm', 'set', '--require-2fa', 'some'], { env })).code).toBe(2)
    const cleared = await runConfi(['firm', 'set', '--email', '', '--json'], { env })
    expect(JSON.parse(cleared.stdout).contactEmail).toBeNull()
  })

  it('has an example in every help text', async () => {
    for (const command of [['init'], ['firm', 'show'], ['firm', 'set']]) {
      const help = await runCli([...command, '--help'])
      expect(help.code).toBe(0)
      expect(help.stdout).toMatch(/Example/)
    }
  })
})
