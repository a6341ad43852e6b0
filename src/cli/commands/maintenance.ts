import type { Command } from 'commander'
import type { CliContext } from '../context.js'

/** `confi maintenance prune`: removes expired sessions, links, half logins and throttle rows. */
export function registerMaintenance(program: Command, context: CliContext): void {
  const maintenance = program.command('maintenance').description('housekeeping for cron jobs')
  maintenance
    .command('prune')
    .description('delete expired sessions, used or expired reset links, half-finished two-factor logins and old throttle rows')
    .option('--json', 'print the counts as JSON')
    .addHelpText(
      'after',
      `
confi serve also prunes every hour; this command is for installations without a running portal.

Example (cron, every night at 3:00):
  0 3 * * *  confi maintenance prune`,
    )
    .action(async (options: { json?: boolean }) => {
      const { pruneExpired, prunedTotal } = await import('../../core/ops/index.js')
      const result = await pruneExpired(await context.db())
      if (options.json) return context.out.json(result)
      context.out.line(
        `pruned ${prunedTotal(result)} rows: ${result.sessions} sessions, ${result.passwordResets} reset links, ` +
          `${result.pendingLogins} two-factor logins, ${result.throttleRows} throttle rows, ${result.endedSessions} ended-session notes`,
      )
    })
}
