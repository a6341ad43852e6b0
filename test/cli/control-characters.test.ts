import { describe, expect, it } from 'vitest'
import { addClient } from '../../src/core/clients/clients.js'
import { ValidationError } from '../../src/core/errors.js'
import { addUser } from '../../src/core/identity/registration.js'
import { inlineHasher } from '../../src/core/identity/passwords.js'
import { runCli } from '../helpers/cli.js'
import { useTestDatabase } from '../helpers/db.js'
import { ACCOUNTANT, makeClient } from '../helpers/factories.js'

// docs/rules.md#text-input: controls, bidi overrides and separators refused at input, and any
// already stored shown escaped by the CLI.

const t = useTestDatabase({ firm: true })

const confi = (args: string[]) => runCli(args, { env: t.env, cwd: t.dir })

const NASTY = ['\u001b]0;pwned\u0007', '\u009b', '\u202e', '\u2066', '\u0000']

describe('control characters at input', () => {
  it('refuses them in client names and user names', async () => {
    const client = await makeClient(t.db, t.key, { name: 'Padaria Pão Quente Ltda' })
    for (const bad of NASTY) {
      await expect(addClient(t.db, t.key, ACCOUNTANT, { name: `Padaria${bad}`, taxId: '11222333000181' })).rejects.toThrow(ValidationError)
      await expect(
        addUser(t.db, ACCOUNTANT, { clientId: client.id, username: 'ana', name: `Ana${bad}`, password: 'senha-secreta-1', role: 'admin', active: true }, inlineHasher),
      ).rejects.toThrow(/control character/)
    }
  })

  it('turns line and paragraph separators into plain spaces, like other whitespace', async () => {
    const client = await addClient(t.db, t.key, ACCOUNTANT, { name: 'Padaria\u2028Pão\u2029Quente', taxId: '11222333000181' })
    expect(client.name).toBe('Padaria Pão Quente')
  })

  it('refuses them on the command line with one readable line', async () => {
    const result = await confi(['clients', 'add', '--name', 'Padaria\u001b[2J', '--tax-id', '11222333000181'])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/^confi: .*control character/)
    expect(result.stderr).not.toContain('\u001b')
  })
})

describe('stored control characters at the terminal', () => {
  it('prints them as visible escapes in tables, records and JSON', async () => {
    const client = await makeClient(t.db, t.key, { name: 'Padaria Pão Quente Ltda' })
    // Stored before the checks existed.
    await t.db.updateTable('clients').set({ name: 'Pad\u001b]0;x\u0007aria\u202e' }).where('id', '=', client.id).execute()
    for (const args of [['clients', 'list'], ['clients', 'show', String(client.id)], ['clients', 'list', '--json']]) {
      const result = await confi(args)
      expect(result.code).toBe(0)
      expect(result.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e]/)
      expect(result.stdout).toContain('\\u001b')
    }
    const json = await confi(['clients', 'list', '--json'])
    expect(JSON.parse(json.stdout)[0].name).toBe('Pad\u001b]0;x\u0007aria\u202e')
    // The whole list is written by the database, a page by JavaScript: the same bytes.
    expect((await confi(['clients', 'list', '--limit', '10', '--json'])).stdout).toBe(json.stdout)
  })
})
