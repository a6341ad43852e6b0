import { Option, type Command } from 'commander'
import type { InboxUpload } from '../../core/uploads/index.js'
import { countOf } from '../../core/plural.js'
import type { CliContext } from '../context.js'
import { DEFAULT_TIME_ZONE, formatTime } from '../output.js'
import { CATEGORY_HELP, integer, timeZone } from './parse.js'

// `confi inbox`: what clients sent the firm from the portal (docs/uploads.md).

function jsonOf(upload: InboxUpload) {
  return {
    id: upload.id,
    createdAt: upload.createdAt,
    clientId: upload.clientId,
    clientName: upload.clientName,
    clientTaxId: upload.clientTaxId,
    requestId: upload.requestId,
    requestTitle: upload.requestTitle,
    category: upload.category,
    note: upload.note,
    status: upload.status,
    statusNote: upload.statusNote,
    statusAt: upload.statusAt,
    statusBy: upload.statusBy,
    sender: upload.sender,
    files: upload.files,
  }
}

export function registerInbox(program: Command, context: CliContext): void {
  const inbox = program.command('inbox').description('what clients sent the firm from the portal')

  inbox
    .command('list')
    .description('uploads, newest first')
    .option('--since <date>', 'sent on or after this date (YYYY-MM-DD, in --tz)')
    .option('--client <client>', 'only this client (id or CNPJ/CPF)')
    .addOption(new Option('--status <status>', 'only this status').choices(['received', 'accepted', 'rejected']))
    .option('--limit <n>', 'how many (1 to 1000)', integer('--limit', 1), 100)
    .option('--tz <zone>', 'time zone for dates', timeZone, DEFAULT_TIME_ZONE)
    .option('--json', 'print JSON for scripts')
    .addHelpText('after', '\nExample:\n  $ confi inbox list --since 2026-12-01 --status received')
    .action(async (options: { since?: string; client?: string; status?: 'received' | 'accepted' | 'rejected'; limit: number; tz: string; json?: boolean }) => {
      const { listInbox, formatSize, FISCAL_MODEL_NAMES } = await import('../../core/uploads/index.js')
      const { formatAmount } = await import('../../core/documents/index.js')
      const { resolveClient, formatTaxId } = await import('../../core/clients/index.js')
      const { parseTimeBound } = await import('../../core/access-log/index.js')
      const db = await context.db()
      const uploads = await listInbox(db, {
        since: options.since ? parseTimeBound(options.since, options.tz, 'since') : undefined,
        clientId: options.client ? (await resolveClient(db, options.client)).id : undefined,
        status: options.status,
        limit: options.limit,
      })
      if (options.json) return context.out.json(uploads.map(jsonOf))
      context.out.table(uploads, [
        { header: 'ID', value: (u) => u.id },
        { header: 'Sent', value: (u) => formatTime(u.createdAt, options.tz) },
        { header: 'Client', value: (u) => `${formatTaxId(u.clientTaxId)} ${u.clientName}` },
        { header: 'Request', value: (u) => (u.requestId === null ? '' : `${u.requestId} ${u.requestTitle}`) },
        { header: 'Category', value: (u) => u.category ?? '' },
        { header: 'Files', value: (u) => `${u.files.length} (${formatSize(u.files.reduce((n, f) => n + f.size, 0))})` },
        { header: 'NF-e', value: (u) => u.files.filter((f) => f.fiscal).length || '' },
        { header: 'Status', value: (u) => u.status },
      ])
      // What each XML said when it arrived: the note's fields, or why it was kept as a plain file.
      const xml = uploads.flatMap((u) => u.files.filter((f) => f.fiscal || f.note).map((f) => ({ upload: u.id, ...f })))
      if (xml.length === 0) return
      context.out.line('')
      context.out.table(xml, [
        { header: 'Upload', value: (f) => f.upload },
        { header: 'File', value: (f) => f.name },
        { header: 'Model', value: (f) => (f.fiscal ? FISCAL_MODEL_NAMES[f.fiscal.model] : '') },
        { header: 'Access key', value: (f) => f.fiscal?.key ?? '' },
        { header: 'Issuer', value: (f) => (f.fiscal ? formatTaxId(f.fiscal.issuer) : '') },
        { header: 'Recipient', value: (f) => (f.fiscal?.recipient ? formatTaxId(f.fiscal.recipient) : '') },
        { header: 'Issued', value: (f) => f.fiscal?.issued_on ?? '' },
        { header: 'Total', value: (f) => (f.fiscal ? formatAmount(f.fiscal.total_cents) : '') },
        { header: 'Note', value: (f) => f.note ?? '' },
      ])
    })

  inbox
    .command('get')
    .description('write the files of an upload into a folder (this download is logged)')
    .argument('<id>', 'upload id', integer('<id>', 1))
    .requiredOption('--output <dir>', 'folder to write the files into (created if missing; existing files are kept)')
    .option('--json', 'print JSON for scripts')
    .addHelpText('after', '\nExample:\n  $ confi inbox get 42 --output ~/recebidos/')
    .action(async (id: number, options: { output: string; json?: boolean }) => {
      const { saveUploadFiles } = await import('../../core/uploads/index.js')
      const { createFileStore } = await import('../../core/storage/index.js')
      const { upload, paths } = await saveUploadFiles(await context.db(), createFileStore(context.config()), context.actor, id, options.output)
      if (options.json) return context.out.json({ id: upload.id, files: paths })
      for (const path of paths) context.out.line(path)
    })

  inbox
    .command('accept')
    .description('accept an upload, filing it under a category; the client is told by e-mail')
    .argument('<id>', 'upload id', integer('<id>', 1))
    .requiredOption('--category <category>', CATEGORY_HELP)
    .option('--json', 'print JSON for scripts')
    .addHelpText('after', '\nExample:\n  $ confi inbox accept 42 --category contabil')
    .action(async (id: number, options: { category: string; json?: boolean }) => {
      const { acceptUpload } = await import('../../core/uploads/index.js')
      const { upload, mails } = await acceptUpload(await context.db(), context.actor, id, options.category)
      if (options.json) return context.out.json({ ...jsonOf(upload), emailsQueued: mails })
      context.out.line(`accepted upload ${upload.id} (${upload.category}); ${countOf(mails, 'e-mail')} queued`)
    })

  inbox
    .command('reject')
    .description('reject an upload, saying why; its request reopens and the client is told by e-mail')
    .argument('<id>', 'upload id', integer('<id>', 1))
    .requiredOption('--reason <text>', 'what is wrong and what to send instead (the client reads it)')
    .option('--json', 'print JSON for scripts')
    .addHelpText('after', '\nExample:\n  $ confi inbox reject 42 --reason "Extrato ilegível, envie o PDF do banco"')
    .action(async (id: number, options: { reason: string; json?: boolean }) => {
      const { rejectUpload } = await import('../../core/uploads/index.js')
      const { upload, mails } = await rejectUpload(await context.db(), context.actor, id, options.reason)
      if (options.json) return context.out.json({ ...jsonOf(upload), emailsQueued: mails })
      context.out.line(`rejected upload ${upload.id}; ${countOf(mails, 'e-mail')} queued`)
    })
}
