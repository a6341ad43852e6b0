import { existsSync } from 'node:fs'
import type { Command } from 'commander'
import { redactTokens } from '../../core/tokens.js'
import type { CliContext } from '../context.js'
import { UsageError } from '../errors.js'

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
  const [{ startPortal, tuneCollectorForServing }, { createPasswordPool }, { createFileStore }, { pruneExpired, prunedTotal }, { startAccessLogWriter }, { startUploadCommitter }] =
    await Promise.all([
      import('../../portal/server.js'),
      import('../../core/identity/index.js'),
      import('../../core/storage/index.js'),
      import('../../core/ops/index.js'),
      import('../../core/access-log/index.js'),
      import('../../core/uploads/index.js'),
    ])
  tuneCollectorForServing()
  const db = await context.db()
  const config = context.config()
  const key = context.secretKey()
  const hasher = createPasswordPool()
  // On SQLite a thread of its own commits the log, off the event loop (docs/decisions.md).
  const accessLog = startAccessLogWriter(db, config.database)
  // Likewise an upload's rows, whose commit would otherwise stall the uploads still streaming.
  const uploads = startUploadCommitter(db, config.database)
  const stderr = context.deps.stderr
  const logger = {
    error(message: string, error: unknown) {
      const detail = error instanceof Error ? (config.debug ? error.stack : error.message) : ''
      // Error lines never carry a link, session or reset token (docs/security.md).
      stderr.write(redactTokens(`confi: ${message}${detail ? `: ${detail}` : ''}\n`))
    },
  }
  const server = await startPortal(
    {
      db,
      key,
      config,
      hasher,
      accessLog,
      store: createFileStore(config),
      logger,
      commitUpload: uploads.commit,
    },
    options,
  )
  const checkpoints = startCheckpoints(context, db, logger.error)
  context.deps.stdout.write(`confi: portal at ${server.url}\n`)
  const pruning = startHourlyPrune(
    async () => `pruned ${prunedTotal(await pruneExpired(db))} expired rows`,
    (line) => context.deps.stdout.write(line),
  )
  const sender = await startMailSender(context)
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
  clearInterval(pruning)
  await server.close()
  await sender?.stop()
  await accessLog.close()
  await uploads.close()
  await checkpoints.stop()
  await hasher.close()
}

/**
 * Signs the log's head every minute when it grew (CONFI_CHECKPOINT_SECONDS changes the period),
 * and once more on shutdown. The key file is read each time, so `confi keys rotate` takes effect
 * without a restart.
 */
function startCheckpoints(
  context: CliContext,
  db: Awaited<ReturnType<CliContext['db']>>,
  logError: (message: string, error: unknown) => void,
): { stop(): Promise<void> } {
  if (!existsSync(context.config().signingKeyFile)) {
    context.out.note(`confi: no signing key file ${context.config().signingKeyFile}: checkpoints are off until 'confi init' creates it`)
    return { stop: async () => {} }
  }
  const seconds = Number(context.deps.env.CONFI_CHECKPOINT_SECONDS ?? 60)
  const period = Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 60_000
  let running: Promise<unknown> = Promise.resolve()
  const tick = () => {
    running = running.then(async () => {
      try {
        const { createCheckpoint } = await import('../../core/proof/index.js')
        await createCheckpoint(db, await context.signingKeys(), { onlyIfGrown: true })
      } catch (error) {
        logError('cannot write the access-log checkpoint', error)
      }
    })
  }
  const timer = setInterval(tick, period)
  timer.unref()
  return {
    async stop() {
      clearInterval(timer)
      tick()
      await running
    },
  }
}

const PRUNE_EVERY_MS = 3_600_000

// Hourly housekeeping (docs/security.md, "Housekeeping"); a failure is reported and retried next hour.
function startHourlyPrune(prune: () => Promise<string>, write: (line: string) => void): NodeJS.Timeout {
  const timer = setInterval(() => {
    prune().then(
      (summary) => write(`confi: ${summary}\n`),
      (error: unknown) => write(`confi: pruning failed: ${(error as Error).message}\n`),
    )
  }, PRUNE_EVERY_MS)
  timer.unref()
  return timer
}

/** Sends the outbox continuously while the portal runs, when CONFI_SMTP_URL is set. */
async function startMailSender(context: CliContext) {
  const { smtpSettingsFromEnv, createSmtpTransport } = await import('../../core/mail/index.js')
  const settings = smtpSettingsFromEnv(context.deps.env)
  if (!settings) {
    context.deps.stdout.write('confi: e-mail is not configured (CONFI_SMTP_URL): queued e-mails wait\n')
    return null
  }
  const { startSender } = await import('../../core/mail/index.js')
  const stderr = context.deps.stderr
  context.deps.stdout.write(`confi: sending e-mail through ${settings.label}\n`)
  return startSender(await context.db(), createSmtpTransport(settings), {
    intervalMs: Number(context.deps.env.CONFI_OUTBOX_INTERVAL_MS) || undefined,
    onError: (error) => stderr.write(`confi: the e-mail sender failed: ${error instanceof Error ? error.message : String(error)}\n`),
  })
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
