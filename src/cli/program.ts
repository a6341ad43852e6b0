import { Command } from 'commander'
import { CliContext, type CliDeps } from './context.js'
import { registerInit } from './commands/init.js'
import { registerFirm } from './commands/firm.js'
import { registerClients } from './commands/clients.js'
import { registerUsers } from './commands/users.js'
import { registerDocs } from './commands/docs.js'
import { registerBackup } from './commands/backup.js'
import { registerServe } from './commands/serve.js'
import { registerDemo } from './commands/demo.js'
import { registerOutbox } from './commands/outbox.js'
import { registerReminders } from './commands/reminders.js'
import { registerRequests } from './commands/requests.js'
import { registerMaintenance } from './commands/maintenance.js'
import { confiVersion } from './version.js'
import { registerKeys } from './commands/keys.js'
import { registerReceipts } from './commands/receipts.js'
import { registerInbox } from './commands/inbox.js'
import { registerPrivacy } from './commands/privacy.js'
import { registerRetention } from './commands/retention.js'

/** Builds the `confi` program; `main.ts` runs it, tests can run it in-process. */
export function createProgram(deps: CliDeps): { program: Command; context: CliContext } {
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
  registerInit(program, context)
  registerFirm(program, context)
  registerClients(program, context)
  registerUsers(program, context)
  registerDocs(program, context)
  registerBackup(program, context)
  registerServe(program, context)
  registerDemo(program, context)
  registerOutbox(program, context)
  registerReminders(program, context)
  registerRequests(program, context)
  registerKeys(program, context)
  registerReceipts(program, context)
  registerInbox(program, context)
  registerPrivacy(program, context)
  registerRetention(program, context)
  registerMaintenance(program, context)
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
