import { resolve } from 'node:path'
import { Option, type Command } from 'commander'
import { nowIso } from '../../core/time.js'
import type { Document } from '../../core/documents/index.js'
import type { ExportFormat } from '../../core/access-log/index.js'
import type { CliContext } from '../context.js'
import { UsageError } from '../errors.js'
import { formatTime, DEFAULT_TIME_ZONE } from '../output.js'
import { progressLine } from '../progress.js'
import { requireValue } from '../prompts.js'
import { CATEGORY_HELP, integer, timeZone } from './parse.js'
import { registerDocsImport } from './docs-import.js'
import { notificationSender, notifiedNote, registerDocsDelivery, sendDocument, type SendOptions } from './docs-delivery.js'
import { registerDocsHold } from './docs-hold.js'
import { registerDocsProof } from './docs-proof.js'

/** The JSON shape of a document for scripts. */
function documentJson(document: Document) {
  return {
    id: document.id,
    clientId: document.clientId,
    clientName: document.clientName,
    clientTaxId: document.clientTaxId,
    title: document.title,
    category: document.category,
    competence: document.competence,
    dueDate: document.dueDate,
    amountCents: document.amountCents,
    createdAt: document.createdAt,
    createdBy: document.createdBy,
    attachments: document.attachments.map((a) => ({
      id: a.id,
      fileName: a.fileName,
      mediaType: a.mediaType,
      size: a.size,
      sha256: a.sha256,
    })),
  }
}

async function fileStore(context: CliContext) {
  const { createFileStore } = await import('../../core/storage/index.js')
  return createFileStore(context.config())
}

/** `confi docs ...`: documents, their delivery links and the access log. */
export function registerDocs(program: Command, context: CliContext): void {
  const docs = program.command('docs').description('documents, delivery links and the access log')

  docs
    .command('add')
    .description('add a document with one or more files for a client')
    .argument('<files...>', 'the files to attach (PDF, XML, images, spreadsheets...)')
    .option('--client <client>', 'client id or CNPJ/CPF')
    .option('--title <title>', 'title clients see, e.g. "DAS 10/2026"')
    .option('--category <category>', CATEGORY_HELP)
    .option('--competence <YYYY-MM>', 'the month the document refers to')
    .option('--due <YYYY-MM-DD>', 'due date (for tax guides)')
    .option('--notify', "e-mail a portal link to the client's people (needs CONFI_SMTP_URL)")
    .option('--json', 'print the new document as JSON')
    .addHelpText(
      'after',
      `\nExample:\n  $ confi docs add --client 12ABC34501DE35 --title "DAS 10/2026" --category fiscal \\\n      --competence 2026-10 --due 2026-11-20 das-2026-10.pdf recibo.pdf`,
    )
    .action(
      async (
        files: string[],
        options: { client?: string; title?: string; category?: string; competence?: string; due?: string; notify?: boolean; json?: boolean },
      ) => {
        const clientRef = await requireValue(context, options.client, '--client', 'Client (id or CNPJ/CPF)')
        const title = await requireValue(context, options.title, '--title', 'Title')
        const category = await requireValue(context, options.category, '--category', `Category (${CATEGORY_HELP})`)
        const { resolveClient, formatTaxId } = await import('../../core/clients/index.js')
        const { fileDocument } = await import('../../core/mail/index.js')
        const db = await context.db()
        const client = await resolveClient(db, clientRef)
        const notify = options.notify ? await notificationSender(context) : undefined
        const { document, notified } = await fileDocument(
          db,
          await fileStore(context),
          context.actor,
          {
            clientId: client.id,
            title,
            category,
            competence: options.competence,
            dueDate: options.due,
            files: files.map((path) => ({ path: resolvePath(context, path) })),
          },
          { notify },
        )
        if (options.json) return context.out.json({ ...documentJson(document), notified: notify ? notified : undefined })
        context.out.line(
          `added document ${document.id} for ${formatTaxId(client.taxId)} ${client.name}: ${document.title} (${document.attachments.length} file${document.attachments.length === 1 ? '' : 's'})`,
        )
        if (notify) context.out.note(notifiedNote(notified))
      },
    )

  docs
    .command('list')
    .description('list documents, newest first')
    .option('--client <client>', 'only this client (id or CNPJ/CPF)')
    .option('--category <category>', CATEGORY_HELP)
    .option('--competence <YYYY-MM>', 'only this month')
    .option('--limit <n>', 'how many (1 to 500)', integer('--limit'), 50)
    .option('--after <cursor>', 'continue after the page that printed this cursor')
    .option('--tz <zone>', 'time zone for times', timeZone, DEFAULT_TIME_ZONE)
    .option('--json', 'print JSON for scripts')
    .addHelpText('after', '\nExample:\n  $ confi docs list --client 12ABC34501DE35 --competence 2026-10 --json')
    .action(
      async (options: {
        client?: string
        category?: string
        competence?: string
        limit: number
        after?: string
        tz: string
        json?: boolean
      }) => {
        const { listDocuments, formatAmount } = await import('../../core/documents/index.js')
        const { resolveClient, formatTaxId } = await import('../../core/clients/index.js')
        const db = await context.db()
        const clientIds = options.client ? [(await resolveClient(db, options.client)).id] : 'all'
        const page = await listDocuments(db, {
          clientIds,
          category: options.category,
          competence: options.competence,
          after: options.after,
          limit: options.limit,
        })
        if (options.json) context.out.json(page.items.map(documentJson))
        else {
          context.out.table(
            page.items,
            [
              { header: 'ID', value: (d) => d.id },
              { header: 'Client', value: (d) => `${formatTaxId(d.clientTaxId)} ${d.clientName}` },
              { header: 'Title', value: (d) => d.title },
              { header: 'Category', value: (d) => d.category },
              { header: 'Competence', value: (d) => d.competence },
              { header: 'Due', value: (d) => d.dueDate },
              { header: 'Amount', value: (d) => (d.amountCents === null ? '' : formatAmount(d.amountCents)) },
              { header: 'Files', value: (d) => d.attachments.length },
              { header: 'Added', value: (d) => formatTime(d.createdAt, options.tz) },
            ],
            "no documents: add one with 'confi docs add --client CLIENT --title T --category C FILE'",
          )
        }
        if (page.nextCursor) context.out.note(`more documents: add --after ${page.nextCursor}`)
      },
    )

  docs
    .command('show')
    .description('show a document, its files and its delivery links')
    .argument('<doc>', 'document id')
    .option('--tz <zone>', 'time zone for times', timeZone, DEFAULT_TIME_ZONE)
    .option('--json', 'print JSON for scripts')
    .addHelpText('after', '\nExample:\n  $ confi docs show 7')
    .action(async (ref: string, options: { tz: string; json?: boolean }) => {
      const { resolveDocument, formatAmount } = await import('../../core/documents/index.js')
      const { listDeliveries, deliveryStatus, deliveryToken, deliveryUrl } = await import('../../core/delivery/index.js')
      const { formatTaxId, getFirmOptions } = await import('../../core/clients/index.js')
      const db = await context.db()
      const document = await resolveDocument(db, ref)
      const deliveries = await listDeliveries(db, document.id)
      const { baseUrl } = await getFirmOptions(db)
      const key = context.secretKey()
      const now = nowIso()
      const links = deliveries.map((d) => ({
        ...d,
        status: deliveryStatus(d, now),
        url: deliveryUrl(baseUrl, deliveryToken(key, d.id)),
      }))
      if (options.json) return context.out.json({ ...documentJson(document), deliveries: links })
      context.out.record([
        ['ID', document.id],
        ['Client', `${formatTaxId(document.clientTaxId)} ${document.clientName}`],
        ['Title', document.title],
        ['Category', document.category],
        ['Competence', document.competence],
        ['Due', document.dueDate],
        ['Amount', document.amountCents === null ? '' : formatAmount(document.amountCents)],
        ['Added', `${formatTime(document.createdAt, options.tz)} by ${document.createdBy}`],
      ])
      context.out.line()
      context.out.table(document.attachments, [
        { header: 'File ID', value: (a) => a.id },
        { header: 'Name', value: (a) => a.fileName },
        { header: 'Type', value: (a) => a.mediaType },
        { header: 'Bytes', value: (a) => a.size },
        { header: 'SHA-256', value: (a) => a.sha256.slice(0, 16) },
      ])
      context.out.line()
      context.out.table(
        links,
        [
          { header: 'Delivery', value: (d) => d.id },
          { header: 'Channel', value: (d) => d.channel },
          { header: 'To', value: (d) => d.recipient },
          { header: 'Status', value: (d) => d.status },
          { header: 'Expires', value: (d) => formatTime(d.expiresAt, options.tz) },
          { header: 'URL', value: (d) => (d.status === 'active' ? d.url : '') },
        ],
        `no delivery links yet: 'confi docs send ${document.id} --channel link'`,
      )
    })

  docs
    .command('send')
    .description('send a document: queue an e-mail, print a WhatsApp link, or print a plain link')
    .argument('<doc>', 'document id')
    .addOption(new Option('--channel <channel>', 'how it is sent').choices(['email', 'whatsapp', 'link']).makeOptionMandatory())
    .option('--to <recipient>', 'e-mail address or phone number it goes to')
    .option('--expires <duration>', 'the link stops working after this: 30d, 12h or 90m')
    .option('--json', 'print JSON for scripts')
    .addHelpText(
      'after',
      '\nExample:\n  $ confi docs send 7 --channel email --to financeiro@cliente.com.br --expires 30d   # queued, then sent\n  $ confi docs send 7 --channel whatsapp --to "(11) 98765-4321"   # prints a wa.me link',
    )
    .action((ref: string, options: SendOptions) => sendDocument(context, ref, options))

  docs
    .command('revoke')
    .description('revoke a delivery link: it stops working at once')
    .argument('<delivery>', 'delivery id (printed by docs send and docs show)')
    .addHelpText('after', '\nExample:\n  $ confi docs revoke 12')
    .action(async (ref: string) => {
      const { resolveDeliveryRef, revokeDelivery } = await import('../../core/delivery/index.js')
      const db = await context.db()
      const delivery = await revokeDelivery(db, context.actor, (await resolveDeliveryRef(db, ref)).id)
      context.out.line(`revoked delivery ${delivery.id} of document ${delivery.documentId}`)
    })

  registerPaid(docs, context)
  registerLog(docs, context)
  registerDocsImport(docs, context)
  registerDocsDelivery(docs, context)
  registerDocsProof(docs, context)
  registerDocsHold(docs, context)
}

/** `docs paid` and `docs unpaid`: the firm marks a guide paid, or takes the mark back. */
function registerPaid(docs: Command, context: CliContext): void {
  docs
    .command('paid')
    .description('mark a guide (a document with a due date) paid: it leaves the pending list and its reminders stop')
    .argument('<doc>', 'document id')
    .option('--on <YYYY-MM-DD>', 'the day it was paid (default: today)')
    .option('--proof <upload>', "the client's upload holding the bank's proof (id)", integer('--proof', 1))
    .option('--json', 'print the mark as JSON')
    .addHelpText('after', '\nExample:\n  $ confi docs paid 7 --on 2026-12-18\n  $ confi docs unpaid 7   # marked by mistake')
    .action(async (ref: string, options: { on?: string; proof?: number; json?: boolean }) => {
      const { resolveDocument, markPaid } = await import('../../core/documents/index.js')
      const db = await context.db()
      const document = await resolveDocument(db, ref)
      const mark = await markPaid(db, context.actor, document.id, { paidOn: options.on, proofUploadId: options.proof })
      if (options.json) return context.out.json(mark)
      const proof = mark.proofUploadId === null ? '' : ` (proof: upload ${mark.proofUploadId})`
      context.out.line(`marked document ${document.id} (${document.title}) paid on ${mark.paidOn}${proof}`)
    })

  docs
    .command('unpaid')
    .description("take back a guide's paid mark: it is pending again")
    .argument('<doc>', 'document id')
    .addHelpText('after', '\nExample:\n  $ confi docs unpaid 7')
    .action(async (ref: string) => {
      const { resolveDocument, unmarkPaid } = await import('../../core/documents/index.js')
      const db = await context.db()
      const document = await resolveDocument(db, ref)
      await unmarkPaid(db, context.actor, document.id)
      context.out.line(`document ${document.id} (${document.title}) is no longer marked paid`)
    })
}

function resolvePath(context: CliContext, path: string): string {
  return resolve(context.deps.cwd, path)
}

interface LogOptions {
  client?: string
  doc?: string
  user?: string
  since?: string
  until?: string
  afterId?: number
  format: ExportFormat
  output?: string
  state?: string
  tz: string
  header?: boolean
  excel?: boolean
}

function registerLog(docs: Command, context: CliContext): void {
  docs
    .command('log')
    .description('export the access log (who opened which document, when, through which channel)')
    .option('--client <client>', 'only this client (id or CNPJ/CPF)')
    .option('--doc <doc>', 'only this document (id)')
    .option('--user <user>', 'only this client user (id or username)')
    .option('--since <time>', "from this date or time (YYYY-MM-DD, 'YYYY-MM-DD HH:MM' in --tz, or ISO 8601)")
    .option('--until <time>', 'up to this date (the whole day) or time, inclusive')
    .option('--after-id <n>', 'only rows with a greater id', integer('--after-id'))
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'csv', 'json', 'ndjson']).default('table'))
    .option('--output <file>', 'write to this file (atomically: complete or not at all)')
    .option('--state <file>', 'incremental export: start after the last id in FILE, then update it')
    .option('--tz <zone>', 'time zone of the table and of dates in --since/--until', timeZone, DEFAULT_TIME_ZONE)
    .option('--header', 'write the CSV header row')
    .option('--no-header', 'leave out the CSV header row')
    .option('--excel', 'CSV for Excel in Portuguese: ";" between cells, UTF-8 mark, CRLF')
    .addHelpText(
      'after',
      `
With --state and no --output, the CSV header is written only on the first run or into an empty
file, so that '>> file.csv' keeps one header; --header or --no-header overrides that.

Examples:
  $ confi docs log --since 2026-11-01 --format csv --output acessos-novembro.csv
  $ confi docs log --format csv --excel --output acessos.csv   # opens right in Excel pt-BR
  $ confi docs log --format ndjson --state /var/lib/confi/export.state >> /srv/acessos.ndjson`,
    )
    .action(async (options: LogOptions) => {
      if (options.state && options.afterId !== undefined) {
        throw new UsageError('--state and --after-id cannot be combined: the state file says where to start')
      }
      if (options.excel && options.format !== 'csv') {
        throw new UsageError('--excel shapes CSV for Excel: use it with --format csv')
      }
      const { resolveClient } = await import('../../core/clients/index.js')
      const { resolveDocument } = await import('../../core/documents/index.js')
      const { resolveUser } = await import('../../core/identity/index.js')
      const { parseTimeBound, exportAccessLog } = await import('../../core/access-log/index.js')
      const open = await context.openDatabase()
      const db = open.db
      const filters = {
        clientId: options.client ? (await resolveClient(db, options.client)).id : undefined,
        documentId: options.doc ? (await resolveDocument(db, options.doc)).id : undefined,
        userId: options.user ? (await resolveUser(db, options.user)).id : undefined,
        since: options.since ? parseTimeBound(options.since, options.tz, 'since') : undefined,
        until: options.until ? parseTimeBound(options.until, options.tz, 'until') : undefined,
        afterId: options.afterId,
      }
      const state = options.state ? resolvePath(context, options.state) : undefined
      const output = options.output ? resolvePath(context, options.output) : undefined
      const stdout = context.deps.stdout as typeof context.deps.stdout & { fd?: number }
      // Not when the rows themselves go to the terminal: the line would land among them.
      const progress = output || !stdout.isTTY ? progressLine(context.deps.stderr, { unit: 'rows', label: 'exporting: ' }) : null
      const result = await exportAccessLog(open, {
        filters,
        format: options.format,
        target: output ? { kind: 'file', path: output } : { kind: 'stream', stream: stdout, fd: stdout.fd },
        timeZone: options.tz,
        // Unset: core leaves it out when a continued export appends to stdout (see --help).
        header: options.header,
        statePath: state,
        excel: options.excel,
        onProgress: progress?.update,
      }).finally(() => progress?.done())
      for (const note of result.notes) context.out.note(note)
      if (output) context.out.note(`exported ${result.rows} rows to ${output}`)
      else if (options.format === 'table' && result.rows === 0) context.out.note('no access-log rows match')
    })
}
