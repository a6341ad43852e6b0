import { userInfo } from 'node:os'
import { CommanderError } from 'commander'
import { ConfiError } from '../core/errors.js'
import { createProgram } from './program.js'
import type { CliDeps } from './context.js'
import { escapeUnsafe } from '../core/text-input.js'

/** Exit codes of docs/rules.md#command-line: 0 success, 1 refused by a rule or not found, 2 usage. */
export const EXIT_OK = 0
export const EXIT_REFUSED = 1
export const EXIT_USAGE = 2

function osUser(): string {
  try {
    return userInfo().username
  } catch {
    return 'unknown'
  }
}

/** Runs the CLI with `argv` (without node and script); returns the exit code. */
export async function run(argv: string[], deps: CliDeps): Promise<number> {
  const { program, context } = createProgram(deps)
  try {
    await program.parseAsync(argv, { from: 'user' })
    return EXIT_OK
  } catch (error) {
    return reportError(error, deps)
  } finally {
    await context.close().catch(() => {})
  }
}

/** The one place where errors become exit codes and `confi: <message>` lines. */
function reportError(error: unknown, deps: CliDeps): number {
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
    deps.stderr.write(`confi: ${escapeUnsafe(error.message)}\n`)
    if (deps.env.CONFI_DEBUG === '1') deps.stderr.write(`${error.stack}\n`)
    return EXIT_REFUSED
  }
  const message = error instanceof Error ? error.message : String(error)
  deps.stderr.write(`confi: unexpected error: ${message} (set CONFI_DEBUG=1 for details)\n`)
  if (deps.env.CONFI_DEBUG === '1' && error instanceof Error) deps.stderr.write(`${error.stack}\n`)
  return EXIT_REFUSED
}

/** A command line that is malformed in a way commander cannot see (exit 2). */
export class UsageError extends Error {}

/** Entry point of bin/confi. */
export async function main(): Promise<void> {
  const code = await run(process.argv.slice(2), {
    env: process.env,
    cwd: process.cwd(),
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    actor: `cli:${osUser()}`,
  })
  process.exitCode = code
}
