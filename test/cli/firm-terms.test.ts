import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { acceptTerms } from '../../src/core/identity/terms.js'
import { runCli } from '../helpers/cli.js'
import { useTestDatabase } from '../helpers/db.js'
import { makeClient, makeUser } from '../helpers/factories.js'

const t = useTestDatabase({ firm: true })
const confi = (args: string[]) => runCli(args, { env: t.env, cwd: t.dir })
const file = (name: string, content: string | Buffer) => {
  writeFileSync(join(t.dir, name), content)
  return name
}

describe('confi firm terms (docs/rules.md#terms-and-consent)', () => {
  it('publishes, says when the text is the same, shows and lists the versions', async () => {
    const none = await confi(['firm', 'terms', 'show'])
    expect(none).toMatchObject({ code: 0, stdout: '' })
    expect(none.stderr).toContain('no terms published: confi firm terms set termos.md')
    expect(JSON.parse((await confi(['firm', 'terms', 'show', '--json'])).stdout)).toBeNull()

    const set = await confi(['firm', 'terms', 'set', file('termos-v1.md', '# Termos\n\nVersão 1.\n')])
    expect(set.code).toBe(0)
    expect(set.stdout).toMatch(/^Published terms version 1 \(sha256 [0-9a-f]{64}\): client users accept it at their next request\.\n$/)
    const same = await confi(['firm', 'terms', 'set', file('copia.md', '# Termos\r\n\r\nVersão 1.\r\n'), '--json'])
    expect(JSON.parse(same.stdout)).toMatchObject({ published: false, id: 1, sourceName: 'termos-v1.md' })
    expect((await confi(['firm', 'terms', 'set', 'copia.md'])).stdout).toContain('copia.md is the same text as the current terms, version 1')

    const client = await makeClient(t.db, t.key)
    const ana = await makeUser(t.db, { clientId: client.id, username: 'ana', role: 'admin' })
    await makeUser(t.db, { clientId: client.id, username: 'bruno', active: true })
    await acceptTerms(t.db, ana, 1, { ip: null, port: null, userAgent: null })
    const show = await confi(['firm', 'terms', 'show'])
    expect(show.stdout).toContain('1 of 2 active users')
    expect(show.stdout).toContain('termos-v1.md')
    const json = JSON.parse((await confi(['firm', 'terms', 'show', '--json'])).stdout)
    expect(json).toMatchObject({ id: 1, activeAccepted: 1, activeUsers: 2, acceptances: 1, publishedBy: expect.stringMatching(/^cli:/) })
    expect(json.body).toBeUndefined()
    expect((await confi(['firm', 'terms', 'show', '--text'])).stdout).toBe('# Termos\n\nVersão 1.\n')

    await confi(['firm', 'terms', 'set', file('termos-v2.md', '# Termos\n\nVersão 2.\n')])
    const list = JSON.parse((await confi(['firm', 'terms', 'list', '--json'])).stdout)
    expect(list.map((v: { id: number; acceptances: number }) => [v.id, v.acceptances])).toEqual([[2, 0], [1, 1]])
    expect((await confi(['firm', 'terms', 'list'])).stdout).toContain('Version')
  })

  it('refuses a missing, empty, binary, huge or non-file argument with exit 1, publishing nothing', async () => {
    const cases: [string, RegExp][] = [
      ['nao-existe.md', /^confi: cannot read .*nao-existe\.md \(ENOENT\): check the path\n$/],
      [file('vazio.md', '\n\n'), /^confi: the terms file is empty/],
      [file('logo.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00])), /^confi: the terms file is not UTF-8 text/],
      [file('dados.bin', Buffer.from('SQLite format 3\u0000\u0010\u0000')), /^confi: the terms file contains control characters, so it is not a text file/],
      [file('enorme.md', Buffer.alloc(300 * 1024, 'a')), /^confi: the terms file has 307200 bytes, more than the 262144 allowed/],
      ['.', /^confi: .* is not a file/],
    ]
    for (const [arg, message] of cases) {
      const result = await confi(['firm', 'terms', 'set', arg])
      expect([arg, result.code]).toEqual([arg, 1])
      expect(result.stderr).toMatch(message)
    }
    expect(await t.db.selectFrom('terms_versions').select('id').execute()).toEqual([])
    expect((await confi(['firm', 'terms', 'set'])).code).toBe(2)
  })
})
