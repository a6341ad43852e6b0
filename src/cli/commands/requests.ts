import type { Command } from 'commander'
import type { DocumentRequest, RequestEvent, RequestTemplate } from '../../core/requests/index.js'
import { countOf } from '../../core/plural.js'
import type { CliContext } from '../context.js'
import { UsageError } from '../errors.js'
import { DEFAULT_TIME_ZONE, formatTime } from '../output.js'
import { requireValue } from '../prompts.js'
import { CATEGORY_HELP, integer, timeZone } from './parse.js'

const STATUS_HELP = 'open, received, accepted, nothing_to_send, cancelled, or rejected (open again after a rejection)'

function printRequests(context: CliContext, requests: DocumentRequest[], empty: string): void {
  context.out.table(
    requests,
    [
      { header: 'ID', value: (r) => r.id },
      { header: 'Client', value: (r) => r.clientName },
      { header: 'Title', value: (r) => r.title },
      { header: 'Category', value: (r) => r.category },
      { header: 'Competence', value: (r) => r.competence },
      { header: 'Due', value: (r) => r.dueDate },
      { header: 'Status', value: (r) => (r.rejection ? 'open (rejected)' : r.status) },
    ],
    empty,
  )
}

function printRequest(context: CliContext, request: DocumentRequest, history: RequestEvent[] | null, tz: string): void {
  context.out.record([
    ['Request', request.id],
    ['Client', `${request.clientName} (${request.clientTaxId})`],
    ['Title', request.title],
    ['Category', request.category],
    ['Competence', request.competence],
    ['Due', request.dueDate],
    ['Note', request.note],
    ['Status', request.status],
    ['Rejected because', request.rejection ? (request.rejection.reason ?? '(no reason given)') : null],
    ['Template', request.templateId],
  ])
  if (!history) return
  context.out.line('')
  context.out.table(
    history,
    [
      { header: 'When', value: (e) => formatTime(e.at, tz) },
      { header: 'What', value: (e) => e.action },
      { header: 'Who', value: (e) => (e.userName ? `${e.actor} (${e.userName})` : e.actor) },
      { header: 'Upload', value: (e) => e.uploadId },
      { header: 'Note', value: (e) => e.note },
    ],
    'no history',
  )
}

function printTemplates(context: CliContext, templates: RequestTemplate[]): void {
  context.out.table(
    templates,
    [
      { header: 'ID', value: (t) => t.id },
      { header: 'Client', value: (t) => t.clientName ?? '(every client)' },
      { header: 'Title', value: (t) => t.title },
      { header: 'Category', value: (t) => t.category },
      { header: 'Due day', value: (t) => t.dueDay },
      { header: 'Note', value: (t) => t.note },
    ],
    "no request templates: add one with 'confi requests template add'",
  )
}

/** `confi requests ...`: what the firm asks its clients for (docs/requests.md). */
export function registerRequests(program: Command, context: CliContext): void {
  const requests = program.command('requests').description('ask clients for documents: requests, monthly templates, decisions')
  registerTemplates(requests, context)

  requests
    .command('generate')
    .description("make the month's requests from the templates (run monthly; running it again makes nothing new)")
    .option('--competence <YYYY-MM>', 'the month the requests are about')
    .option('--json', 'print JSON for scripts')
    .addHelpText(
      'after',
      `
Each template makes one request per client it covers, due on its day of the month after the
competência (the month's last day when shorter). A template for every client covers every client
that exists when this runs, group companies included, each with its own request.

Example (cron, 7:00 on the 1st, the previous month's competência):
  0 7 1 * * confi requests generate --competence "$(date -d 'last month' +%Y-%m)"`,
    )
    .action(async (options: { competence?: string; json?: boolean }) => {
      const competence = await requireValue(context, options.competence, '--competence', 'Competência (YYYY-MM)')
      const { generateRequests } = await import('../../core/requests/index.js')
      const result = await generateRequests(await context.db(), context.actor, competence)
      if (options.json) return context.out.json(result)
      context.out.line(`made ${countOf(result.created.length, 'request')} for ${result.competence}; ${result.existing} already existed`)
    })

  requests
    .command('add')
    .description('ask one client for a document, once')
    .option('--client <client>', 'client id or CNPJ/CPF')
    .option('--title <title>', 'what is asked for, e.g. "Contrato social atualizado"')
    .option('--due <YYYY-MM-DD>', 'when the firm needs it')
    .option('--category <category>', CATEGORY_HELP, 'outros')
    .option('--competence <YYYY-MM>', 'the month it is about')
    .option('--note <text>', 'a note the client reads')
    .option('--json', 'print the new request as JSON')
    .addHelpText('after', '\nExample:\n  $ confi requests add --client 11222333000181 --title "Contrato social atualizado" --due 2026-12-10')
    .action(async (options: { client?: string; title?: string; due?: string; category: string; competence?: string; note?: string; json?: boolean }) => {
      const clientRef = await requireValue(context, options.client, '--client', 'Client (id or CNPJ/CPF)')
      const title = await requireValue(context, options.title, '--title', 'Title')
      const due = await requireValue(context, options.due, '--due', 'Due date (YYYY-MM-DD)')
      const { resolveClient } = await import('../../core/clients/index.js')
      const { addRequest } = await import('../../core/requests/index.js')
      const db = await context.db()
      const client = await resolveClient(db, clientRef)
      const request = await addRequest(db, context.actor, {
        clientId: client.id,
        title,
        dueDate: due,
        category: options.category,
        competence: options.competence,
        note: options.note,
      })
      if (options.json) return context.out.json(request)
      context.out.line(`added request ${request.id} for ${client.name}: ${request.title}, due ${request.dueDate}`)
    })

  requests
    .command('list')
    .description('requests, soonest due first')
    .option('--status <status>', STATUS_HELP)
    .option('--client <client>', 'only this client (id or CNPJ/CPF)')
    .option('--due-within <days>', 'due within this many days, overdue ones included, e.g. 3d')
    .option('--competence <YYYY-MM>', 'only this month')
    .option('--json', 'print JSON for scripts')
    .addHelpText('after', '\nExample:\n  $ confi requests list --status open --due-within 3d --json')
    .action(async (options: { status?: string; client?: string; dueWithin?: string; competence?: string; json?: boolean }) => {
      const { listRequests, parseRequestStatus } = await import('../../core/requests/index.js')
      const status = options.status === undefined ? undefined : parseRequestStatus(options.status)
      const db = await context.db()
      let clientId: number | undefined
      if (options.client !== undefined) {
        const { resolveClient } = await import('../../core/clients/index.js')
        clientId = (await resolveClient(db, options.client)).id
      }
      const list = await listRequests(db, { status, clientId, dueWithin: options.dueWithin, competence: options.competence })
      if (options.json) return context.out.json(list)
      printRequests(context, list, 'no requests match')
    })

  requests
    .command('show')
    .description('a request and its history')
    .argument('<id>', 'request id (from confi requests list)')
    .option('--tz <zone>', 'time zone for times', timeZone, DEFAULT_TIME_ZONE)
    .option('--json', 'print JSON for scripts')
    .addHelpText('after', '\nExample:\n  $ confi requests show 12')
    .action(async (ref: string, options: { tz: string; json?: boolean }) => {
      const { getRequest, parseRequestId, requestHistory } = await import('../../core/requests/index.js')
      const db = await context.db()
      const request = await getRequest(db, parseRequestId(ref))
      const history = await requestHistory(db, request.id)
      if (options.json) return context.out.json({ ...request, history })
      printRequest(context, request, history, options.tz)
    })

  requests
    .command('close')
    .description('accept what the client sent (or answered): the request is done')
    .argument('<id>', 'request id')
    .option('--note <text>', 'a note kept in the history')
    .option('--json', 'print the request as JSON')
    .addHelpText('after', '\nExample:\n  $ confi requests close 12')
    .action(async (ref: string, options: { note?: string; json?: boolean }) => {
      const { closeRequest, parseRequestId } = await import('../../core/requests/index.js')
      const request = await closeRequest(await context.db(), context.actor, parseRequestId(ref), { note: options.note })
      if (options.json) return context.out.json(request)
      context.out.line(`request ${request.id} accepted: ${request.title}`)
    })

  requests
    .command('reopen')
    .description("reject what the client sent: the request opens again and the client's people are told why by e-mail")
    .argument('<id>', 'request id')
    .option('--reason <text>', 'why, in words the client reads, e.g. "Extrato ilegível, envie o PDF do banco"')
    .option('--json', 'print the request as JSON')
    .addHelpText('after', '\nExample:\n  $ confi requests reopen 12 --reason "Falta a página 2 do extrato"')
    .action(async (ref: string, options: { reason?: string; json?: boolean }) => {
      const { reopenRequest, parseRequestId } = await import('../../core/requests/index.js')
      const db = await context.db()
      const mail = await mailIfReady(context)
      const result = await reopenRequest(db, context.actor, parseRequestId(ref), { reason: options.reason, mail: mail.firm })
      if (options.json) return context.out.json({ ...result.request, mailedTo: result.mailedTo })
      context.out.line(`request ${result.request.id} is open again: ${result.request.title}`)
      if (mail.firm) {
        const n = result.mailedTo.length
        context.out.note(n === 0 ? 'nobody was e-mailed: no active user of the client who may answer it has an e-mail' : `e-mailed ${countOf(n, 'person', 'people')}`)
      } else context.out.note(`nobody was e-mailed: ${mail.why}`)
    })

  requests
    .command('cancel')
    .description('stop asking for it (a cancelled request takes no answer)')
    .argument('<id>', 'request id')
    .option('--note <text>', 'a note kept in the history')
    .option('--json', 'print the request as JSON')
    .addHelpText('after', '\nExample:\n  $ confi requests cancel 12')
    .action(async (ref: string, options: { note?: string; json?: boolean }) => {
      const { cancelRequest, parseRequestId } = await import('../../core/requests/index.js')
      const request = await cancelRequest(await context.db(), context.actor, parseRequestId(ref), { note: options.note })
      if (options.json) return context.out.json(request)
      context.out.line(`request ${request.id} cancelled: ${request.title}`)
    })
}

/** The firm ready to e-mail, or why not (a rejection is still recorded without its e-mail). */
async function mailIfReady(context: CliContext) {
  const { requireMailReady, smtpSettingsFromEnv } = await import('../../core/mail/index.js')
  const { ConfiError } = await import('../../core/errors.js')
  try {
    return { firm: await requireMailReady(await context.db(), smtpSettingsFromEnv(context.deps.env)), why: null }
  } catch (e) {
    if (!(e instanceof ConfiError)) throw e
    return { firm: null, why: e.message }
  }
}

function registerTemplates(requests: Command, context: CliContext): void {
  const template = requests.command('template').description('recurring requests, one per month (competência)')

  template
    .command('add')
    .description('ask one client, or every client, for the same document every month')
    .option('--client <client>', 'client id or CNPJ/CPF')
    .option('--all-clients', 'every client existing when the month is generated')
    .option('--title <title>', 'what is asked for, e.g. "Extrato bancário"')
    .option('--day <n>', 'due on this day of the month after the competência (1 to 31)', integer('--day', 1))
    .option('--category <category>', CATEGORY_HELP)
    .option('--note <text>', 'a note the client reads')
    .option('--json', 'print the template as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  $ confi requests template add --client 11222333000181 --title "Extrato bancário" --day 5 --category contabil\n' +
        '  $ confi requests template add --all-clients --title "Notas fiscais de entrada" --day 5 --category fiscal',
    )
    .action(async (options: { client?: string; allClients?: boolean; title?: string; day?: number; category?: string; note?: string; json?: boolean }) => {
      if (options.client !== undefined && options.allClients) throw new UsageError('give either --client or --all-clients, not both')
      if (options.client === undefined && !options.allClients) throw new UsageError('missing required option --client (or --all-clients)')
      const title = await requireValue(context, options.title, '--title', 'Title')
      if (options.day === undefined) throw new UsageError('missing required option --day')
      const category = await requireValue(context, options.category, '--category', `Category (${CATEGORY_HELP})`)
      const { addTemplate } = await import('../../core/requests/index.js')
      const db = await context.db()
      let clientId: number | null = null
      if (options.client !== undefined) {
        const { resolveClient } = await import('../../core/clients/index.js')
        clientId = (await resolveClient(db, options.client)).id
      }
      const added = await addTemplate(db, context.actor, { clientId, title, dueDay: options.day, category, note: options.note })
      if (options.json) return context.out.json(added)
      context.out.line(`added request template ${added.id}: ${added.title} for ${added.clientName ?? 'every client'}, due on day ${added.dueDay}`)
    })

  template
    .command('list')
    .description('the templates in use')
    .option('--json', 'print JSON for scripts')
    .action(async (options: { json?: boolean }) => {
      const { listTemplates } = await import('../../core/requests/index.js')
      const templates = await listTemplates(await context.db())
      if (options.json) return context.out.json(templates)
      printTemplates(context, templates)
    })

  template
    .command('remove')
    .description('stop a template (the requests it made stay)')
    .argument('<id>', 'template id (from confi requests template list)')
    .option('--json', 'print the removed template as JSON')
    .action(async (ref: string, options: { json?: boolean }) => {
      const { parseTemplateId, removeTemplate } = await import('../../core/requests/index.js')
      const removed = await removeTemplate(await context.db(), context.actor, parseTemplateId(ref))
      if (options.json) return context.out.json(removed)
      context.out.line(`removed request template ${removed.id}: ${removed.title}`)
    })
}
