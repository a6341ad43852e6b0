import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

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
