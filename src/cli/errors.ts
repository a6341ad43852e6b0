import { CommanderError } from 'commander'
import { ConfiError, type Remedy } from '../core/errors.js'
import { escapeUnsafe } from '../core/text-input.js'
import type { CliDeps } from './context.js'

/** Exit codes of docs/rules.md#command-line: 0 success, 1 refused by a rule or not found, 2 usage. */
export const EXIT_OK = 0
export const EXIT_REFUSED = 1
export const EXIT_USAGE = 2

/** A command line that is malformed in a way commander cannot see (exit 2). */
export class UsageError extends Error {}

// Core says what is wrong in its own words; the CLI says which flag or variable set it.
const REMEDIES: Record<Remedy, string> = {
  database_location: 'set by --db or CONFI_DB',
  state_file: 'set by --state',
  output_file: 'set by --output',
  due_within: 'set by --due-within',
  overdue_for: 'set by --overdue-for',
  mail_from: 'set by --mail-from',
  recipient: 'set by --to',
  first_user: 'drop --role/--active, or use --role admin --active',
}

/** The `confi: ...` text of a refusal from core, with the flag that fixes it when core names one. */
export function refusalMessage(error: ConfiError): string {
  return error.remedy ? `${error.message} (${REMEDIES[error.remedy]})` : error.message
}

/** The one place where errors become exit codes and `confi: <message>` lines. */
export function reportError(error: unknown, deps: CliDeps): number {
  if (error instanceof CommanderError) {
    // Commander has already printed its message through outputError.
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT_OK
    if (error.code === 'commander.help') return EXIT_OK
    return EXIT_USAGE
  }
  if (error instanceof UsageError) {
    deps.stderr.write(`confi: ${escapeUnsafe(error.message)}\n`)
    return EXIT_USAGE
  }
  if (error instanceof ConfiError) {
    deps.stderr.write(`confi: ${escapeUnsafe(refusalMessage(error))}\n`)
    if (deps.env.CONFI_DEBUG === '1') deps.stderr.write(`${error.stack}\n`)
    return EXIT_REFUSED
  }
  const message = error instanceof Error ? error.message : String(error)
  deps.stderr.write(`confi: unexpected error: ${message} (set CONFI_DEBUG=1 for details)\n`)
  if (deps.env.CONFI_DEBUG === '1' && error instanceof Error) deps.stderr.write(`${error.stack}\n`)
  return EXIT_REFUSED
}
