import { join } from 'node:path'
import type { Command } from 'commander'
import type { CliContext } from '../context.js'
import { UsageError } from '../main.js'
import { redactTokens } from '../../core/tokens.js'

/** Parses --port: a whole number from 0 to 65535. */
export function parsePort(value: string): number {
  const port = Number(value)
  if (!/^\d{1,5}$/.test(value) || port > 65535) throw new UsageError(`--port '${value}' is not a port: use 0 to 65535`)
  return port
}

/** Builds everything the portal needs from the CLI context and serves until SIGTERM/SIGINT. */
export async function servePortal(
  context: CliContext,
  options: { port: number; host: string; onListening?: (url: string) => void | Promise<void> },
): Promise<void> {
  const [{ startPortal }, { createPasswordPool }, { createAccessLogWriter }, { createDiskFileStore }] = await Promise.all([
    import('../../portal/server.js'),
    import('../../core/identity/password-pool.js'),
    import('../../core/access-log/log.js'),
    import('../../core/storage/file-store.js'),
  ])
  const db = await context.db()
  const config = context.config()
  const key = context.secretKey()
  const hasher = createPasswordPool(2)
  const accessLog = createAccessLogWriter(db)
  const stderr = context.deps.stderr
  const server = await startPortal(
    {
      db,
      key,
      config,
      hasher,
      accessLog,
      store: createDiskFileStore(join(config.dataDir, 'files')),
      logger: {
        error(message, error) {
          const detail = error instanceof Error ? (config.debug ? error.stack : error.message) : ''
          stderr.write(redactTokens(`confi: ${message}${detail ? `: ${detail}` : ''}\n`))
        },
      },
    },
    options,
  )
  context.deps.stdout.write(`confi: portal at ${server.url}\n`)
  await options.onListening?.(server.url)
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGTERM', stop)
      process.off('SIGINT', stop)
      context.deps.stdout.write('confi: stopping the portal\n')
      resolve()
    }
    process.once('SIGTERM', stop)
    process.once('SIGINT', stop)
  })
  await server.close()
  await accessLog.flush()
  await hasher.close()
}

/** `confi serve [--port 3000] [--host 127.0.0.1]`. */
export function registerServe(program: Command, context: CliContext): void {
  program
    .command('serve')
    .description('serve the client portal (Área do Cliente) until SIGTERM or Ctrl-C')
    .option('--port <port>', 'TCP port (0 picks a free one)', '3000')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .action(async (options: { port: string; host: string }) => {
      await servePortal(context, { port: parsePort(options.port), host: options.host })
    })
}
