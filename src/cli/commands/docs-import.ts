import { join, relative, resolve } from 'node:path'
import type { Command } from 'commander'
import { ConfiError } from '../../core/errors.js'
import type { ImportReport, ImportRow, QueueItem } from '../../core/import/index.js'
import type { CliContext } from '../context.js'
import { notificationSender, notifiedNote } from './docs-delivery.js'
import { formatTime, DEFAULT_TIME_ZONE } from '../output.js'
import { progressLine } from '../progress.js'
import { CATEGORY_HELP, timeZone } from './parse.js'

interface ImportOptions {
  dryRun?: boolean
  json?: boolean
  notify?: boolean
  category?: string
  title?: string
  client?: string
}

/** MM/YYYY as guides write it. */
function competenceText(competence: string | null | undefined): string {
  return competence ? `${competence.slice(5)}/${competence.slice(0, 4)}` : ''
}

function outcomeText(row: ImportRow): string {
  if (row.outcome === 'added' || row.outcome === 'duplicate') return row.outcome
  const item = row.queueItemId === null ? '' : row.outcome === 'queued' ? ` (item ${row.queueItemId})` : ` (queued as item ${row.queueItemId})`
  return `${row.outcome}: ${row.reason}${item}`
}

/** `confi docs import` and `confi docs queue …` (docs/decisions.md, "Bulk import"). */
export function registerDocsImport(docs: Command, context: CliContext): void {
  docs
    .command('import')
    .description('read PDF guides, recognise each one and file it under its client')
    .argument('<paths...>', 'PDF files or folders (read recursively)')
    .option('--dry-run', 'show what would be filed where; write nothing')
    .option('--json', 'print the report as JSON for scripts')
    .option('--notify', "e-mail a portal link to the client's people for each new document (needs CONFI_SMTP_URL)")
    .option('--category <category>', `override the recognised category: ${CATEGORY_HELP}`)
    .option('--title <title>', 'override the recognised title of every document')
    .option('--client <client>', 'file every file, whole, under this client (id or CNPJ/CPF)')
    .addHelpText(
      'after',
      `
Outcomes: added, duplicate (already filed for that client), queued: <why> (see
'confi docs queue list'), unreadable: <why>, skipped: <why>. Exit 0 when the import ran,
1 when no file could be read at all.

Examples:
  $ confi docs import ~/guias/2026-11/ --dry-run
  $ confi docs import ~/guias/2026-11/ --notify
  $ confi docs import ~/guias/2026-11/ --json > relatorio.json`,
    )
    .action(async (paths: string[], options: ImportOptions) => {
      const { importFiles } = await import('../../core/import/index.js')
      const { resolveClient } = await import('../../core/clients/index.js')
      const { createDiskFileStore } = await import('../../core/storage/index.js')
      const db = await context.db()
      // Checked before anything is filed, on a dry run too: the preview of a cron job's command
      // says whether its e-mails could go out (docs/decisions.md, "Import --notify").
      const notify = options.notify ? await notificationSender(context) : undefined
      const clientId = options.client ? (await resolveClient(db, options.client)).id : undefined
      const store = createDiskFileStore(join(context.config().dataDir, 'files'))
      const progress = options.json ? null : progressLine(context.deps.stderr, { unit: 'files', rateUnit: 'pages' })
      const report = await importFiles(db, store, context.actor, paths.map((p) => resolve(context.deps.cwd, p)), {
        dryRun: options.dryRun,
        clientId,
        title: options.title,
        category: options.category,
        onProgress: progress ? (p) => progress.update(p.filesDone, p.filesTotal, p.pagesDone) : undefined,
        notify,
      })
      progress?.done()
      await printReport(context, report, options, report.notified)

      if (report.files === 0) throw new ConfiError(`no files found in ${paths.join(', ')}: give PDF files or folders holding them`)
      if (report.readFiles === 0) {
        throw new ConfiError(`nothing could be read: none of the ${report.files} files is a readable PDF (see the report above)`)
      }
    })
  registerQueue(docs, context)
}

async function printReport(context: CliContext, report: ImportReport, options: ImportOptions, notified: number | undefined): Promise<void> {
  const { formatTaxId } = await import('../../core/clients/index.js')
  const { formatAmount } = await import('../../core/documents/index.js')
  const counts = new Map<string, number>()
  for (const row of report.rows) counts.set(row.outcome, (counts.get(row.outcome) ?? 0) + 1)
  const summary = Object.fromEntries(['added', 'duplicate', 'queued', 'unreadable', 'skipped'].map((k) => [k, counts.get(k) ?? 0]))
  if (options.json) {
    context.out.json({ dryRun: Boolean(options.dryRun), files: report.files, summary, notified, rows: report.rows })
    return
  }
  context.out.table(
    report.rows,
    [
      { header: 'File', value: (r) => relative(context.deps.cwd, r.file) || r.file },
      { header: 'Pages', value: (r) => r.pages },
      { header: 'Client', value: (r) => (r.clientTaxId ? `${formatTaxId(r.clientTaxId)} ${r.clientName}` : '') },
      { header: 'Type', value: (r) => r.title },
      { header: 'Competência', value: (r) => competenceText(r.competence) },
      { header: 'Due', value: (r) => r.dueDate },
      { header: 'Amount', value: (r) => (r.amountCents === null ? '' : formatAmount(r.amountCents)) },
      { header: 'Outcome', value: outcomeText },
    ],
    'no files to import',
  )
  const parts = Object.entries(summary).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`)
  if (options.dryRun) context.out.note(`dry run, nothing was written: ${parts.join(', ')}`)
  else if (parts.length > 0) context.out.note(parts.join(', '))
  if (!options.dryRun && notified !== undefined) context.out.note(notifiedNote(notified))
  if (!options.dryRun && summary.queued + summary.unreadable > 0) context.out.note("see what could not be filed: 'confi docs queue list'")
}

function queueJson(item: QueueItem) {
  const { storageKey: _key, ...rest } = item
  return rest
}

function registerQueue(docs: Command, context: CliContext): void {
  const queue = docs.command('queue').description('imported files that could not be filed: list, assign, drop')
  queue
    .command('list')
    .description('list the import queue, oldest first')
    .option('--tz <zone>', 'time zone for times', timeZone, DEFAULT_TIME_ZONE)
    .option('--json', 'print JSON for scripts')
    .addHelpText('after', '\nExample:\n  $ confi docs queue list')
    .action(async (options: { tz: string; json?: boolean }) => {
      const { listQueue } = await import('../../core/import/index.js')
      const { formatTaxId } = await import('../../core/clients/index.js')
      const { formatAmount } = await import('../../core/documents/index.js')
      const items = await listQueue(await context.db())
      if (options.json) return context.out.json(items.map(queueJson))
      context.out.table(
        items,
        [
          { header: 'Item', value: (q) => q.id },
          { header: 'File', value: (q) => q.fileName },
          { header: 'Pages', value: (q) => q.pages },
          { header: 'Reason', value: (q) => q.reason },
          { header: 'Recognised', value: (q) => (q.recognised.hasText ? q.recognised.title : '') },
          { header: 'Tax id', value: (q) => (q.recognised.taxId ? formatTaxId(q.recognised.taxId) : '') },
          { header: 'Amount', value: (q) => (q.recognised.amountCents == null ? '' : formatAmount(q.recognised.amountCents)) },
          { header: 'Queued', value: (q) => formatTime(q.createdAt, options.tz) },
        ],
        'the import queue is empty',
      )
    })

  queue
    .command('assign')
    .description('file a queued item as a document of a client')
    .argument('<item>', 'queue item number (from docs queue list)')
    .requiredOption('--client <client>', 'client id or CNPJ/CPF')
    .option('--title <title>', 'title clients see (default: the recognised one)')
    .option('--category <category>', CATEGORY_HELP)
    .option('--competence <YYYY-MM>', 'the month the document refers to')
    .option('--due <YYYY-MM-DD>', 'due date')
    .option('--notify', "e-mail a portal link to the client's people (needs CONFI_SMTP_URL)")
    .option('--json', 'print the new document as JSON')
    .addHelpText('after', '\nExample:\n  $ confi docs queue assign 3 --client 11222333000181 --title "DARF IRPJ 3T/2026"')
    .action(
      async (
        ref: string,
        options: { client: string; title?: string; category?: string; competence?: string; due?: string; notify?: boolean; json?: boolean },
      ) => {
        const { assignQueueItem } = await import('../../core/import/index.js')
        const { resolveClient, formatTaxId } = await import('../../core/clients/index.js')
        const { createDiskFileStore } = await import('../../core/storage/index.js')
        const db = await context.db()
        const client = await resolveClient(db, options.client)
        const notify = options.notify ? await notificationSender(context) : undefined
        const store = createDiskFileStore(join(context.config().dataDir, 'files'))
        const assigned = await assignQueueItem(db, store, context.actor, ref, {
          clientId: client.id,
          title: options.title,
          category: options.category,
          competence: options.competence,
          dueDate: options.due,
          notify,
        })
        const { item, document } = assigned
        const notified = notify ? assigned.notified : undefined
        if (options.json) return context.out.json({ item: item.id, documentId: document?.id ?? null, duplicate: document === null, notified })
        if (!document) return context.out.line(`queue item ${item.id} was already filed for ${formatTaxId(client.taxId)} ${client.name}: removed from the queue`)
        context.out.line(`filed queue item ${item.id} as document ${document.id} for ${formatTaxId(client.taxId)} ${client.name}: ${document.title}`)
        if (notified !== undefined) context.out.note(notifiedNote(notified))
      },
    )

  queue
    .command('drop')
    .description('remove an item from the queue without filing it')
    .argument('<item>', 'queue item number (from docs queue list)')
    .addHelpText('after', '\nExample:\n  $ confi docs queue drop 4')
    .action(async (ref: string) => {
      const { dropQueueItem } = await import('../../core/import/index.js')
      const item = await dropQueueItem(await context.db(), context.actor, ref)
      context.out.line(`dropped queue item ${item.id} (${item.fileName}, pages ${item.pages})`)
    })
}
