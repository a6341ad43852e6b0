import { spawn, type ChildProcess } from 'node:child_process'
import { chromium, type Browser } from 'playwright-core'
import { afterAll, beforeAll } from 'vitest'
import { confiBin } from './cli.js'
import type { TestDatabase } from './db.js'
import { createPortalWorld, type PortalWorld } from './portal.js'

const CHROMIUM = process.env.CONFI_CHROMIUM ?? '/usr/bin/chromium'

/** Debian's headless Chromium, with the flags that keep it off the closed network. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  })
}

export interface RunningServe {
  process: ChildProcess
  /** Everything the server printed so far. */
  output(): string
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>
}

/**
 * Spawns the built `confi serve` with `args` and waits until its output matches `ready`; returns
 * the server and the first capture group of that match.
 */
export async function startServe(
  env: Record<string, string>,
  options: { args?: string[]; ready?: RegExp; timeoutMs?: number } = {},
): Promise<{ serve: RunningServe; match: RegExpExecArray }> {
  const child = spawn(process.execPath, [confiBin, 'serve', ...(options.args ?? ['--port', '0'])], {
    env: { ...process.env, ...env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  const ready = options.ready ?? /portal at (http:\/\/\S+)/
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk
      const found = ready.exec(out)
      if (found) resolve(found)
    })
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
    child.once('exit', (code) => reject(new Error(`confi serve exited ${code}: ${out}`)))
    setTimeout(() => reject(new Error(`confi serve did not start: ${out}`)), options.timeoutMs ?? 15_000)
  })
  const serve: RunningServe = {
    process: child,
    output: () => out,
    async stop() {
      if (child.exitCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    },
  }
  return { serve, match }
}

export interface ServedPortal {
  t: TestDatabase
  baseUrl: string
  browser: Browser
}

/**
 * For one browser test file: a portal world that `setup` fills, served by the built `confi serve`,
 * and a Chromium to drive it; all three stopped after the file.
 */
export function useServedPortal(setup: (w: PortalWorld) => Promise<void>): ServedPortal {
  const served = {} as ServedPortal
  let serve: RunningServe | undefined
  beforeAll(async () => {
    const w = await createPortalWorld()
    served.t = w.t
    await setup(w)
    const started = await startServe(w.t.env)
    serve = started.serve
    served.baseUrl = started.match[1]
    served.browser = await launchChromium()
  }, 60_000)
  afterAll(async () => {
    await served.browser?.close()
    await serve?.stop()
    await served.t?.close()
  })
  return served
}
