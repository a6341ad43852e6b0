import type { Command } from 'commander'
import type { CliContext } from '../context.js'
import { formatTime } from '../output.js'

// `confi docs hold|release`: legal holds, which retention respects (docs/privacy.md, "Holds").

export function registerDocsHold(docs: Command, context: CliContext): void {
  docs
    .command('hold')
    .description('put a document under a legal hold: retention never deletes it until released')
    .argument('<doc>', 'document id')
    .requiredOption('--reason <text>', 'why it is held, e.g. "Fiscalização 2026"')
    .option('--json', 'print JSON for scripts')
    .addHelpText('after', '\nExample:\n  $ confi docs hold 7 --reason "Fiscalização 2026"')
    .action(async (ref: string, options: { reason: string; json?: boolean }) => {
      const { holdDocument, resolveDocument } = await import('../../core/documents/index.js')
      const db = await context.db()
      const hold = await holdDocument(db, context.actor, (await resolveDocument(db, ref)).id, options.reason)
      if (options.json) return context.out.json(hold)
      context.out.line(`document ${hold.documentId} held: ${hold.reason} (release with: confi docs release ${hold.documentId})`)
    })

  docs
    .command('release')
    .description("end a document's legal hold: retention applies to it again")
    .argument('<doc>', 'document id')
    .option('--json', 'print JSON for scripts')
    .addHelpText('after', '\nExample:\n  $ confi docs release 7')
    .action(async (ref: string, options: { json?: boolean }) => {
      const { releaseDocument, resolveDocument } = await import('../../core/documents/index.js')
      const db = await context.db()
      const hold = await releaseDocument(db, context.actor, (await resolveDocument(db, ref)).id)
      if (options.json) return context.out.json(hold)
      context.out.line(`document ${hold.documentId} released (held since ${formatTime(hold.heldAt, 'America/Sao_Paulo')}: ${hold.reason})`)
    })
}
