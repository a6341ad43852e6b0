import { Command } from 'commander'
import { CliContext, type CliDeps } from './context.js'
import { confiVersion } from './version.js'

type Register = (program: Command, context: CliContext) => void

/**
 * The top-level commands in the order `confi --help` lists them, each with the module that
 * registers it. A command's module loads only when the program needs it, so `confi clients list`
 * reads and compiles neither the other commands nor what they import (docs/performance.md, "CLI
 * start-up").
 */
export const COMMANDS: ReadonlyArray<readonly [name: string, load: () => Promise<Register>]> = [
  ['init', async () => (await import('./commands/init.js')).registerInit],
  ['firm', async () => (await import('./commands/firm.js')).registerFirm],
  ['clients', async () => (await import('./commands/clients.js')).registerClients],
  ['users', async () => (await import('./commands/users.js')).registerUsers],
  ['docs', async () => (await import('./commands/docs.js')).registerDocs],
  ['backup', async () => (await import('./commands/backup.js')).registerBackup],
  ['serve', async () => (await import('./commands/serve.js')).registerServe],
  ['demo', async () => (await import('./commands/demo.js')).registerDemo],
  ['outbox', async () => (await import('./commands/outbox.js')).registerOutbox],
  ['reminders', async () => (await import('./commands/reminders.js')).registerReminders],
  ['requests', async () => (await import('./commands/requests.js')).registerRequests],
  ['keys', async () => (await import('./commands/keys.js')).registerKeys],
  ['receipts', async () => (await import('./commands/receipts.js')).registerReceipts],
  ['inbox', async () => (await import('./commands/inbox.js')).registerInbox],
  ['privacy', async () => (await import('./commands/privacy.js')).registerPrivacy],
  ['retention', async () => (await import('./commands/retention.js')).registerRetention],
  ['maintenance', async () => (await import('./commands/maintenance.js')).registerMaintenance],
]

/**
 * Builds the `confi` program for `argv` (without node and script); `main.ts` runs it, tests can
 * run it in-process.
 */
export async function createProgram(
  deps: CliDeps,
  argv: readonly string[],
): Promise<{ program: Command; context: CliContext }> {
  const program = new Command('confi')
  const context = new CliContext(deps, () => program.opts<{ db?: string; color?: boolean }>())
  program
    .description('confi: the client area of an accounting firm, from the terminal')
    .version(confiVersion(), '-V, --version', 'print the version of confi')
    .option('--db <path>', 'SQLite database file (default: $CONFI_DB or ./confi.db)')
    .option('--no-color', 'plain output without colours (also NO_COLOR)')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => deps.stdout.write(text),
      writeErr: (text) => deps.stderr.write(text),
    })
    .addHelpText(
      'after',
      `
Examples:
  $ confi init --firm-name "Contabilidade Exemplo" --base-url http://localhost:3000
  $ confi clients add --name "Padaria Pão Quente Ltda" --tax-id 11.222.333/0001-81
  $ confi clients link 11222333000181
  $ confi users list --status pending --json`,
    )
  // When the first word names a command, commander runs that command and never looks at its
  // siblings, so only it is built. Anything else (no word, `help`, a global option first, a typo)
  // builds them all: help lists every command and a typo is answered with the nearest one.
  const named = COMMANDS.find(([name]) => name === argv[0])
  const registers = await Promise.all((named ? [named] : COMMANDS).map(([, load]) => load()))
  for (const register of registers) register(program, context)
  pointErrorsToHelp(program)
  return { program, context }
}

/** `confi docs log` for the `log` command: the words a person types to reach it. */
function commandPath(command: Command): string {
  const names: string[] = []
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name())
  return names.join(' ')
}

// docs/rules.md#command-line: every error is one line `confi: <message>`. Commander's text can span two lines (the
// "Did you mean" suggestion) and does not say which command failed, so each command gets its own
// outputError naming its help.
function pointErrorsToHelp(command: Command): void {
  const path = commandPath(command)
  command.configureOutput({
    ...command.configureOutput(),
    outputError: (text, write) => {
      const message = text
        .trim()
        .replace(/\s*\n\s*/g, ' ')
        .replace(/^error: /, '')
        .replace(/\.$/, '')
      write(`confi: ${message}; see '${path} --help'\n`)
    },
  })
  for (const sub of command.commands) pointErrorsToHelp(sub)
}
