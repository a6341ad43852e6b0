import { Option, type Command } from 'commander'
import { ValidationError } from '../../core/errors.js'
import type { CliContext } from '../context.js'
import { formatTime, DEFAULT_TIME_ZONE } from '../output.js'
import { integer, timeZone } from './parse.js'

/** The mail transport of CONFI_SMTP_URL, or a one-line refusal saying how to configure it. */
export async function smtpTransport(context: CliContext) {
  const { smtpSettingsFromEnv, requireSmtp, createSmtpTransport } = await import('../../core/mail/index.js')
  return createSmtpTransport(requireSmtp(smtpSettingsFromEnv(context.deps.env)))
}

/** `confi outbox run|list|retry`: the e-mails the firm sends. */
export function registerOutbox(program: Command, context: CliContext): void {
  const outbox = program.command('outbox').description('the e-mails queued, sent and failed')

  outbox
    .command('run')
    .description('send every e-mail that is due, then exit (for cron; confi serve does this continuously)')
    .option('--json', 'print JSON for scripts')
    .addHelpText('after', '\nExample (cron, every 5 minutes):\n  */5 * * * * confi outbox run')
    .action(async (options: { json?: boolean }) => {
      const { runOutbox } = await import('../../core/mail/index.js')
      const db = await context.db()
      const transport = await smtpTransport(context)
      try {
        const result = await runOutbox(db, transport)
        if (options.json) return context.out.json(result)
        context.out.line(`sent ${result.sent}, queued ${result.queued}, failed ${result.failed}`)
      } finally {
        transport.close()
      }
    })

  outbox
    .command('list')
    .description('list e-mails, newest first')
    .addOption(new Option('--status <status>', 'only this status').choices(['queued', 'sent', 'failed']))
    .option('--doc <doc>', 'only e-mails about this document (id)', integer('--doc', 1))
    .option('--limit <n>', 'how many (1 to 1000)', integer('--limit', 1), 100)
    .option('--tz <zone>', 'time zone for times', timeZone, DEFAULT_TIME_ZONE)
    .option('--json', 'print JSON for scripts')
    .addHelpText('after', '\nExample:\n  $ confi outbox list --status failed')
    .action(async (options: { status?: 'queued' | 'sent' | 'failed'; doc?: number; limit: number; tz: string; json?: boolean }) => {
      const { listOutbox } = await import('../../core/mail/index.js')
      const entries = await listOutbox(await context.db(), {
        status: options.status,
        documentId: options.doc,
        limit: options.limit,
      })
      if (options.json) return context.out.json(entries)
      context.out.table(
        entries,
        [
          { header: 'ID', value: (e) => e.id },
          { header: 'Status', value: (e) => e.status },
          { header: 'Kind', value: (e) => e.kind },
          { header: 'Doc', value: (e) => e.documentId },
          { header: 'To', value: (e) => e.recipient },
          { header: 'Attempts', value: (e) => e.attempts },
          { header: 'When', value: (e) => formatTime(e.sentAt ?? (e.status === 'queued' ? e.nextAttemptAt : e.createdAt), options.tz) },
          { header: 'Server reply', value: (e) => e.serverReply ?? e.lastError },
        ],
        options.status ? `no ${options.status} e-mails` : 'no e-mails yet',
      )
    })

  outbox
    .command('retry')
    .description('queue a failed e-mail again, due now (a sent one is never sent twice)')
    .argument('<id>', 'outbox id (from confi outbox list)')
    .addHelpText('after', '\nExample:\n  $ confi outbox retry 12 && confi outbox run')
    .action(async (ref: string) => {
      const { retryOutbox } = await import('../../core/mail/index.js')
      if (!/^\d{1,15}$/.test(ref)) throw new ValidationError(`'${ref}' is not an outbox id: see 'confi outbox list'`)
      const entry = await retryOutbox(await context.db(), context.actor, Number(ref))
      context.out.line(`queued message ${entry.id} to ${entry.recipient} again; 'confi outbox run' sends it`)
    })
}
