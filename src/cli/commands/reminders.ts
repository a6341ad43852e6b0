import type { Command } from 'commander'
import { countOf } from '../../core/plural.js'
import type { CliContext } from '../context.js'

/** `confi reminders run`: reminders before due dates, for cron. */
export function registerReminders(program: Command, context: CliContext): void {
  const reminders = program.command('reminders').description('e-mail reminders before due dates')

  reminders
    .command('run')
    .description("queue today's reminders: documents nobody of the client has opened, and open requests (run daily)")
    .option('--dry-run', 'show what would be queued; queue nothing')
    .option('--json', 'print JSON for scripts')
    .addHelpText(
      'after',
      `
Days before the due date come from 'confi firm set --reminder-days' (default 3,1,0), counted in
America/Sao_Paulo. Each (document, recipient, day) is reminded at most once, so running it twice
a day is harmless. Open requests (confi requests) are reminded 3 days, 1 day and 0 days before
their due date and on the day after it, to the client's people who may answer them, once per
(request, recipient, day), until they are answered. 'confi outbox run' (or a running 'confi serve') sends what it queued.

Example (cron, 7:00 every day):
  0 7 * * * confi reminders run && confi outbox run`,
    )
    .action(async (options: { dryRun?: boolean; json?: boolean }) => {
      const { runReminders, smtpSettingsFromEnv } = await import('../../core/mail/index.js')
      const { runRequestReminders } = await import('../../core/requests/index.js')
      const db = await context.db()
      const smtp = smtpSettingsFromEnv(context.deps.env)
      const result = await runReminders(db, context.secretKey(), context.actor, { dryRun: options.dryRun, smtp })
      const requests = await runRequestReminders(db, context.actor, { dryRun: options.dryRun, smtp, today: result.today })
      if (options.json) return context.out.json({ ...result, requestReminders: requests.reminders, dryRun: Boolean(options.dryRun) })
      context.out.table(
        result.reminders,
        [
          { header: 'Doc', value: (r) => r.documentId },
          { header: 'Title', value: (r) => r.title },
          { header: 'Client', value: (r) => r.clientName },
          { header: 'Due', value: (r) => r.dueDate },
          { header: 'Days left', value: (r) => r.daysBefore },
          { header: 'To', value: (r) => r.recipient },
          { header: 'Outbox', value: (r) => r.outboxId },
        ],
        requests.reminders.length > 0 ? `no document reminders due today (${result.today})` : `no reminders due today (${result.today})`,
      )
      if (requests.reminders.length > 0) {
        context.out.table(requests.reminders, [
          { header: 'Request', value: (r) => r.requestId },
          { header: 'Title', value: (r) => r.title },
          { header: 'Client', value: (r) => r.clientName },
          { header: 'Due', value: (r) => r.dueDate },
          { header: 'Days left', value: (r) => r.daysBefore },
          { header: 'To', value: (r) => r.recipient },
          { header: 'Outbox', value: (r) => r.outboxId },
        ], '')
      }
      const n = result.reminders.length + requests.reminders.length
      if (n > 0) context.out.note(options.dryRun ? `dry run: ${countOf(n, 'reminder')} would be queued` : `queued ${countOf(n, 'reminder')}`)
    })
}
