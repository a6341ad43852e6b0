import { spawn } from 'node:child_process'
import { userInfo } from 'node:os'
import { PassThrough, Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { run } from '../../src/cli/main.js'

export const confiBin = fileURLToPath(new URL('../../bin/confi', import.meta.url))

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

export interface RunConfiOptions {
  env?: Record<string, string>
  stdin?: string
  cwd?: string
  /** The umask the process starts with, as a careless cron environment may set (e.g. 0o000). */
  umask?: number
  /**
   * Run under a pseudo-terminal (util-linux `script`), as a person at a terminal would: `stdout`
   * is then what the terminal showed, both streams together, and `stderr` is empty.
   */
  terminal?: boolean
  /** Send standard output to this file, as `> file` does (relative to `cwd`). */
  stdoutFile?: string
}

/** Spawns the built bin/confi, as a user or a cron job would, and collects what it printed. */
export function runConfi(args: string[], options: RunConfiOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...options.env }
    delete env.CONFI_DEBUG
    if (!options.env?.DATABASE_URL) delete env.DATABASE_URL
    if (options.terminal) env.TERM = 'dumb'
    const [command, ...commandArgs] = commandLine(args, options)
    const child = spawn(command, commandArgs, {
      env,
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (options.terminal ? (stdout += d) : (stderr += d)))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }))
    child.stdin.end(options.stdin ?? '')
  })
}

/** The process to spawn: node and bin/confi, through a shell line when the options need one. */
function commandLine(args: string[], options: RunConfiOptions): string[] {
  const confi = [process.execPath, confiBin, ...args]
  if (options.umask === undefined && !options.terminal && options.stdoutFile === undefined) return confi
  const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`
  const umask = options.umask === undefined ? '' : `umask ${options.umask.toString(8).padStart(3, '0')}; `
  const redirect = options.stdoutFile === undefined ? '' : ` > ${quote(options.stdoutFile)}`
  const line = `${umask}exec ${confi.map(quote).join(' ')}${redirect}`
  return options.terminal ? ['script', '-qec', line, '/dev/null'] : ['sh', '-c', line]
}

/**
 * Runs confi in this process through `run(argv, deps)`, with the same environment, input and
 * result as `runConfi`: fast, for every test that is not about the process itself (start-up,
 * signals, exit of a killed run, file modes, a terminal).
 */
export async function runCli(
  args: string[],
  options: {
    env?: Record<string, string>
    stdin?: string
    cwd?: string
    /** Standard output is (true) or is not (false) a terminal. */
    tty?: boolean
  } = {},
): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...options.env }
  delete env.CONFI_DEBUG
  if (!options.env?.DATABASE_URL) delete env.DATABASE_URL
  // With `tty` given, the test is about the terminal: NO_COLOR comes only from its own env.
  if (options.tty !== undefined && options.env?.NO_COLOR === undefined) delete env.NO_COLOR
  const stdout = Object.assign(new PassThrough(), { isTTY: options.tty ?? false })
  const stderr = new PassThrough()
  let out = ''
  let err = ''
  stdout.setEncoding('utf8').on('data', (d: string) => (out += d))
  stderr.setEncoding('utf8').on('data', (d: string) => (err += d))
  const code = await run(args, {
    env,
    cwd: options.cwd ?? process.cwd(),
    stdin: Readable.from(options.stdin ? [options.stdin] : []),
    stdout,
    stderr,
    // As bin/confi does, so a test can tell the command's events from the factories' 'cli:test'.
    actor: `cli:${userInfo().username}`,
  })
  return { code, stdout: out, stderr: err }
}
