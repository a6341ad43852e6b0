import { PassThrough, Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { COMMANDS, createProgram } from '../../src/cli/program.js'
import { runCli } from '../helpers/cli.js'

function deps() {
  return {
    env: { NO_COLOR: '1' },
    cwd: process.cwd(),
    stdin: Readable.from([]),
    stdout: new PassThrough(),
    stderr: new PassThrough(),
    actor: 'cli:test',
  }
}

const names = (argv: string[]) =>
  createProgram(deps(), argv).then(({ program }) => program.commands.map((c) => c.name()))

describe('the program builds only the command its first word names (docs/performance.md)', () => {
  it('each entry of COMMANDS registers exactly the command of its name', async () => {
    for (const [name, load] of COMMANDS) {
      const { Command } = await import('commander')
      const program = new Command('confi')
      ;(await load())(program, (await createProgram(deps(), [name])).context)
      expect(program.commands.map((c) => c.name())).toEqual([name])
    }
  })

  it('builds every command, in help order, when the first word is no command', async () => {
    const all = COMMANDS.map(([name]) => name)
    for (const argv of [[], ['help'], ['--help'], ['client'], ['--db', 'x.db', 'clients']]) {
      expect(await names(argv)).toEqual(all)
    }
  })

  it('builds the named command alone', async () => {
    expect(await names(['clients', 'list', '--json'])).toEqual(['clients'])
    expect(await names(['docs'])).toEqual(['docs'])
  })

  it('answers help, usage errors and typos as the whole program does', async () => {
    const help = await runCli(['--help'])
    expect(help.code).toBe(0)
    for (const [name] of COMMANDS) expect(help.stdout).toContain(`  ${name} `)
    const typo = await runCli(['client', 'list'])
    expect(typo.stderr).toContain('(Did you mean clients?)')
    const sub = await runCli(['clients', 'lst'])
    expect(sub.code).toBe(typo.code)
    expect(sub.stderr).toContain("see 'confi clients --help'")
    expect((await runCli(['clients', '--help'])).stdout).toContain('Usage: confi clients')
  })
})
