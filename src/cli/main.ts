import { userInfo } from 'node:os'
import { createProgram } from './program.js'
import type { CliDeps } from './context.js'
import { EXIT_OK, reportError } from './errors.js'

function osUser(): string {
  try {
    return userInfo().username
  } catch {
    return 'unknown'
  }
}

/** Runs the CLI with `argv` (without node and script); returns the exit code. */
export async function run(argv: string[], deps: CliDeps): Promise<number> {
  const { program, context } = await createProgram(deps, argv)
  try {
    await program.parseAsync(argv, { from: 'user' })
    return EXIT_OK
  } catch (error) {
    return reportError(error, deps)
  } finally {
    await context.close().catch(() => {})
  }
}

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
