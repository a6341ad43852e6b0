import { beforeEach, describe, expect, it } from 'vitest'
import { displayWidth } from '../../src/cli/output.js'
import { runCli } from '../helpers/cli.js'
import { useTestDatabase } from '../helpers/db.js'
import { makeClient } from '../helpers/factories.js'

const t = useTestDatabase({ firm: true })
beforeEach(async () => {
  await makeClient(t.db, t.key, { name: 'Padaria Pão Quente Ltda' })
})

/** Runs confi in-process; stdout is a terminal unless `tty` is false. */
const confi = (args: string[], options: { env?: Record<string, string>; tty?: boolean } = {}) =>
  runCli(args, { env: { ...t.env, ...options.env }, cwd: t.dir, tty: options.tty ?? true })

const ESC = '\u001b['

describe('colour', () => {
  it('colours a terminal, and --no-color, NO_COLOR or a pipe turn it off', async () => {
    const coloured = await confi(['clients', 'list'])
    expect(coloured.code, coloured.stderr).toBe(0)
    expect(coloured.stdout).toContain(ESC)
    for (const plain of [
      await confi(['--no-color', 'clients', 'list']),
      await confi(['clients', 'list', '--no-color']),
      await confi(['clients', 'list'], { env: { NO_COLOR: '1' } }),
      await confi(['clients', 'list'], { tty: false }),
    ]) {
      expect(plain.code, plain.stderr).toBe(0)
      expect(plain.stdout).toContain('Padaria Pão Quente Ltda')
      expect(plain.stdout).not.toContain(ESC)
    }
    expect((await confi(['firm', 'show'])).stdout).toContain(`${ESC}1mFirm name`)
    expect((await confi(['--no-color', 'firm', 'show'])).stdout).toMatch(/^Firm name +Contabilidade Teste\n/)
  })
})

describe('usage errors', () => {
  it('are one line `confi: <message>` naming the help of the command, and exit 2', async () => {
    const cases: [string[], RegExp][] = [
      [['docs', 'log', '--limit', '3'], /^confi: unknown option '--limit' \(Did you mean --client\?\); see 'confi docs log --help'$/],
      [['docs', 'lgo'], /^confi: unknown command 'lgo' \(Did you mean log\?\); see 'confi docs --help'$/],
      [['clientes'], /^confi: unknown command 'clientes' \(Did you mean clients\?\); see 'confi --help'$/],
      [['--colour'], /^confi: unknown option '--colour'.*; see 'confi --help'$/],
      [['docs', 'send', '1'], /^confi: required option '--channel <channel>' not specified; see 'confi docs send --help'$/],
      [['docs', 'send', '1', '--channel', 'fax'], /^confi: option '--channel <channel>' argument 'fax' is invalid.*; see 'confi docs send --help'$/],
      [['docs', 'show'], /^confi: missing required argument 'doc'; see 'confi docs show --help'$/],
      [['clients', 'list', '--limit', '0'], /^confi: .*--limit takes a whole number of at least 1, not '0'; see 'confi clients list --help'$/],
      [['clients', 'list', '--after', 'x'], /^confi: .*--after takes a whole number, not 'x'; see 'confi clients list --help'$/],
      [['clients', 'require-login', '1', 'maybe'], /^confi: command-argument value 'maybe' is invalid.*; see 'confi clients require-login --help'$/],
      [['users', 'list', '--status', 'gone'], /; see 'confi users list --help'$/],
      [['clients', 'show', '1', '2'], /^confi: too many arguments.*; see 'confi clients show --help'$/],
    ]
    for (const [args, message] of cases) {
      const result = await confi(args)
      expect([args, result.code, result.stdout]).toEqual([args, 2, ''])
      expect(result.stderr.endsWith('\n')).toBe(true)
      const lines = result.stderr.slice(0, -1).split('\n')
      expect(lines, args.join(' ')).toHaveLength(1)
      expect(lines[0]).toMatch(message)
    }
  })
})

describe('tables', () => {
  it('measure what a terminal shows: accents one column, CJK two', () => {
    expect(displayWidth('Padaria Pão')).toBe(11)
    expect(displayWidth('Pa\u0303o')).toBe(3)
    expect(displayWidth('中文 Ltda')).toBe(9)
  })
})
