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

/** Spawns the built bin/confi, as a user or a cron job would, and collects what it printed. */
export function runConfi(
  args: string[],
  options: { env?: Record<string, string>; stdin?: string; cwd?: string } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...options.env }
    delete env.CONFI_DEBUG
    if (!options.env?.DATABASE_URL) delete env.DATABASE_URL
    const child = spawn(process.execPath, [confiBin, ...args], {
      env,
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }))
    child.stdin.end(options.stdin ?? '')
  })
}

/**
 * Runs confi in this process through `run(argv, deps)`, with the same environment, input and
 * result as `runConfi`: fast, for every test that is not about the process itself (start-up,
 * signals, exit of a killed run).
 */
export async function runCli(
  args: string[],
  options: { env?: Record<string, string>; stdin?: string; cwd?: string } = {},
): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...options.env }
  delete env.CONFI_DEBUG
  if (!options.env?.DATABASE_URL) delete env.DATABASE_URL
  const stdout = new PassThrough()
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
