import type { Command } from 'commander'
import type { ErasureReport } from '../../core/privacy/index.js'
import type { CliContext } from '../context.js'
import { UsageError } from '../errors.js'

// `confi privacy erase` (docs/privacy.md, "Erasure"): irreversible, so a terminal asks for the
// username to be typed and a script must say --yes.

interface EraseOptions {
  user: string
  dryRun?: boolean
  yes?: boolean
  json?: boolean
}

export function registerPrivacyErase(privacy: Command, context: CliContext): void {
  privacy
    .command('erase')
    .description("erase a person: anonymise their account and clear their personal values everywhere (irreversible)")
    .requiredOption('--user <username|id>', 'the client user to erase')
    .option('--dry-run', 'show what would be erased and what is kept and why; change nothing')
    .option('--yes', 'erase without asking (needed when not at a terminal)')
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      `
Keeps what the law requires and says why: the company's files, the access log's hashed rows (the
values and salts of format-2 rows are erased; format-1 rows are listed by id and stay until the
log's retention ends).

Examples:
  confi privacy erase --user bruno.lima --dry-run
  confi privacy erase --user bruno.lima --yes --json`,
    )
    .action(async (options: EraseOptions) => {
      const { erasePerson } = await import('../../core/privacy/index.js')
      const db = await context.db()
      if (!options.dryRun && !options.yes) {
        if (!context.interactive) throw new UsageError('erasing a person cannot be undone: add --yes to erase from a script (or --dry-run to see what would be erased)')
        const { resolveUser } = await import('../../core/identity/index.js')
        const user = await resolveUser(db, options.user)
        const preview = await erasePerson(db, context.actor, options.user, { dryRun: true })
        printReport(context, preview)
        if (preview.alreadyErasedAt) return
        const { input } = await import('@inquirer/prompts')
        const typed = await input({ message: `This cannot be undone. Type the username (${user.username}) to erase this person` })
        if (typed.trim() !== user.username) throw new UsageError('not erased: the username typed does not match')
      }
      const report = await erasePerson(db, context.actor, options.user, { dryRun: options.dryRun, keys: () => context.signingKeys() })
      if (options.json) return context.out.json(report)
      printReport(context, report)
    })
}

function printReport(context: CliContext, report: ErasureReport): void {
  const out = context.out
  if (report.alreadyErasedAt) {
    out.line(`user ${report.userId} was already erased on ${report.alreadyErasedAt}: nothing to do`)
    return
  }
  out.line(
    report.dryRun
      ? `dry run: erasing user ${report.userId} would change (nothing was changed):`
      : `erased user ${report.userId} (erasure ${report.erasureId}, log row ${report.logId}):`,
  )
  for (const [place, n] of Object.entries(report.erased)) if (n > 0) out.line(`  ${place.replace(/_/g, ' ')}: ${n}`)
  out.line('kept, and why:')
  for (const k of report.kept) {
    const ranges = k.ranges?.length ? ` (rows ${k.ranges.map((r) => (r.first === r.last ? `${r.first}` : `${r.first}-${r.last}`)).join(', ')})` : ''
    out.line(`  ${k.place}${k.rows === undefined ? '' : `: ${k.rows}`}${ranges}: ${k.why}`)
  }
  if (!report.dryRun && !report.scrubbed) {
    out.note('note: another connection kept the database from checkpointing its WAL; old pages may stay in it until the next checkpoint (stop confi serve and run the command again, or wait)')
  }
}
