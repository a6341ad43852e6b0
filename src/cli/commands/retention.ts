import type { Command } from 'commander'
import type { CliContext } from '../context.js'
import { countOf } from '../../core/plural.js'

// `confi retention show|run`: how long documents and the log's personal fields are kept, and the
// nightly run that applies it (docs/privacy.md, "Retention").

export function registerRetention(program: Command, context: CliContext): void {
  const retention = program.command('retention').description('how long documents and access-log personal fields are kept, and the run that applies it')

  retention
    .command('show')
    .description('the retention policy per category, with its legal basis')
    .option('--json', 'print JSON for scripts')
    .addHelpText('after', '\nExamples:\n  $ confi retention show\n  $ confi firm set --retention fiscal=5y,pessoal=10y,contabil=10y,societario=forever,outros=5y --log-retention 5y')
    .action(async (options: { json?: boolean }) => {
      const { showRetention } = await import('../../core/retention/index.js')
      const shown = await showRetention(await context.db())
      if (options.json) return context.out.json(shown)
      for (const c of shown.categories) {
        context.out.line(`${c.category}: ${c.period === 'forever' ? 'kept forever' : c.period}`)
        context.out.line(`  ${c.basis}`)
      }
      context.out.line(`counted from ${shown.countedFrom}`)
      context.out.line(`access-log personal fields: ${shown.log.period}`)
      context.out.line(`  ${shown.log.basis}`)
    })

  retention
    .command('run')
    .description('expire documents past their retention (files deleted, tombstone kept) and the log\'s old personal fields; safe to run from cron')
    .option('--dry-run', 'only say what would expire; change nothing')
    .option('--json', 'print JSON for scripts')
    .addHelpText('after', '\nExamples:\n  $ confi retention run --dry-run\n  $ confi retention run --json   # from cron, every night')
    .action(async (options: { dryRun?: boolean; json?: boolean }) => {
      const { runRetention } = await import('../../core/retention/index.js')
      const { createFileStore } = await import('../../core/storage/index.js')
      const result = await runRetention(await context.db(), createFileStore(context.config()), context.actor, {
        dryRun: options.dryRun,
      })
      if (options.json) return context.out.json(result)
      const would = result.dryRun ? 'would expire' : 'expired'
      context.out.line(`${would} ${countOf(result.expired, 'document')} (retention measured to ${result.today})`)
      for (const d of result.documents) context.out.line(`  document ${d.id}: ${d.title} (${d.category} ${d.period} from ${d.countedFrom})`)
      if (result.documents.length < result.expired) context.out.line(`  … and ${result.expired - result.documents.length} more (--json lists the first ${result.documents.length})`)
      const f = result.files
      context.out.line(`files: ${f.deleted} ${result.dryRun ? 'to delete' : 'deleted'} (${f.bytesDeleted} bytes), ${f.stillUsed} kept (still used by a live document, upload or import), ${f.recent} kept until the next run (stored again moments ago)`)
      if (result.keptHeld > 0) context.out.line(`kept under legal hold: ${countOf(result.keptHeld, 'document')} (confi docs release <id>)`)
      if (result.keptQueued > 0) context.out.line(`kept until their queued e-mails go: ${countOf(result.keptQueued, 'document')}`)
      context.out.line(`access log: personal fields of ${countOf(result.log.rows, 'row')} before ${result.log.before.slice(0, 10)} ${result.dryRun ? 'to erase' : 'erased'}`)
      if (result.log.format1Rows > 0) {
        context.out.line(`  ${countOf(result.log.format1Rows, 'format-1 row')} before it hold their values inside the hashed row and cannot be erased (docs/privacy.md)`)
      }
    })
}
