import { spawn, type ChildProcess } from 'node:child_process'
import { chromium, type Browser } from 'playwright-core'
import { confiBin } from './cli.js'

const CHROMIUM = process.env.CONFI_CHROMIUM ?? '/usr/bin/chromium'

/** Starts `confi serve --port 0` on the test database; resolves with the process and its URL. */
export async function startServe(env: Record<string, string>): Promise<{ server: ChildProcess; baseUrl: string }> {
  const server = spawn(process.execPath, [confiBin, 'serve', '--port', '0'], {
    env: { ...process.env, ...env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const baseUrl = await new Promise<string>((resolve, reject) => {
    let out = ''
    server.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk
      const match = /portal at (http:\/\/\S+)/.exec(out)
      if (match) resolve(match[1])
    })
    server.stderr!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
    server.once('exit', (code) => reject(new Error(`confi serve exited ${code}: ${out}`)))
    setTimeout(() => reject(new Error(`confi serve did not start: ${out}`)), 15_000)
  })
  return { server, baseUrl }
}

/** Stops a served portal and waits for it to exit. */
export async function stopServe(server: ChildProcess | undefined): Promise<void> {
  if (!server || server.exitCode !== null) return
  const exited = new Promise((resolve) => server.once('exit', resolve))
  server.kill('SIGTERM')
  await exited
}

/** Debian's headless Chromium with the flags every browser test uses. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  })
}
