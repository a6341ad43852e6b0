import { Option, type Command } from 'commander'
import type { FirmOptions, FirmOptionsPatch } from '../../core/clients/index.js'
import { countOf } from '../../core/plural.js'
import type { CliContext } from '../context.js'
import { UsageError } from '../errors.js'
import { integer } from './parse.js'
import { registerFirmTerms } from './firm-terms.js'

function printFirm(context: CliContext, firm: FirmOptions): void {
  context.out.record([
    ['Firm name', firm.firmName],
    ['Base URL', firm.baseUrl],
    ['Require login', firm.requireLogin ? 'on' : 'off'],
    ['Bcrypt cost', firm.bcryptCost],
    ['Session idle', countOf(firm.sessionIdleMinutes, 'minute')],
    ['Session absolute', countOf(firm.sessionAbsoluteHours, 'hour')],
    ['Mail from', firm.mailFrom ?? "not set: confi firm set --mail-from 'Nome <avisos@escritorio.com.br>'"],
    ['Phone', firm.phone],
    ['Reminder days', firm.reminderDays.join(',')],
    ['Contact e-mail', firm.contactEmail],
    ['Require 2FA', firm.require2fa],
    ['Inbox e-mail', firm.inboxEmail ?? 'not set: confi firm set --inbox-email recebidos@escritorio.com.br'],
    ['Upload limits', `${firm.uploadMaxMb} MB a file, ${countOf(firm.uploadMaxFiles, 'file')} an upload`],
    ['Retention', firm.retention],
    ['Log retention', firm.logRetention],
  ])
}

/** `confi firm show|set`: the firm's options. */
export function registerFirm(program: Command, context: CliContext): void {
  const firm = program.command('firm').description("show or change the firm's options")
  registerFirmTerms(firm, context)

  firm
    .command('show')
    .description("show the firm's options")
    .option('--json', 'print JSON for scripts')
    .addHelpText('after', '\nExample:\n  $ confi firm show --json')
    .action(async (options: { json?: boolean }) => {
      const { getFirmOptions } = await import('../../core/clients/index.js')
      const current = await getFirmOptions(await context.db())
      if (options.json) context.out.json(current)
      else printFirm(context, current)
    })

  firm
    .command('set')
    .description("change the firm's options; only the options given change")
    .option('--name <name>', 'firm name')
    .option('--base-url <url>', 'portal address used in printed links')
    .addOption(
      new Option('--require-login <value>', 'default for clients set to inherit').choices([
        'on',
        'off',
      ]),
    )
    .option(
      '--bcrypt-cost <n>',
      'password hashing cost, 10 to 15 (default 11)',
      integer('--bcrypt-cost'),
    )
    .option(
      '--session-idle-minutes <n>',
      'portal sessions end after this idle time',
      integer('--session-idle-minutes'),
    )
    .option(
      '--session-absolute-hours <n>',
      'portal sessions end this long after login',
      integer('--session-absolute-hours'),
    )
    .option('--mail-from <sender>', 'sender of the e-mails, "Nome <avisos@escritorio.com.br>"')
    .option('--phone <phone>', "the firm's phone, shown in e-mails and on pending pages")
    .option('--reminder-days <days>', 'days before a due date on which reminders go out (default 3,1,0)')
    .option('--email <address>', "the firm's contact e-mail shown to clients ('' clears it)")
    .addOption(
      new Option('--require-2fa <who>', 'who must use two-factor login: admins (client administrators) or all client users; they set it up at their next login').choices(['off', 'admins', 'all']),
    )
    .option('--inbox-email <address>', "where e-mails about what clients send go ('' clears it)")
    .option('--upload-max-mb <n>', 'largest file a client may send, 1 to 500 MB (default 25)', integer('--upload-max-mb', 1))
    .option('--upload-max-files <n>', 'most files in one upload, 1 to 100 (default 20)', integer('--upload-max-files', 1))
    .option('--retention <policy>', 'how long each category is kept: fiscal=5y,pessoal=10y,contabil=10y,societario=forever,outros=5y (see confi retention show)')
    .option('--log-retention <period>', "how long the access log's personal fields are kept, 6m or more (default 5y)")
    .option('--json', 'print the options as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  $ confi firm set --base-url https://portal.contabilidade.com.br --require-login on\n  $ confi firm set --mail-from "Contabilidade Exemplo <avisos@escritorio.com.br>" --phone "+55 11 3333-4444" --reminder-days 3,1,0\n' +
        '  $ confi firm set --email contato@contabilidade.com.br --require-2fa admins\n' +
        '  $ confi firm set --inbox-email recebidos@escritorio.com.br --upload-max-mb 50 --upload-max-files 30\n' +
        '  $ confi firm set --retention fiscal=5y,pessoal=10y,contabil=10y,societario=forever,outros=5y --log-retention 5y',
    )
    .action(async (options: Record<string, string | number | boolean | undefined>) => {
      const patch: FirmOptionsPatch = {
        firmName: options.name as string | undefined,
        baseUrl: options.baseUrl as string | undefined,
        requireLogin:
          options.requireLogin === undefined ? undefined : options.requireLogin === 'on',
        bcryptCost: options.bcryptCost as number | undefined,
        sessionIdleMinutes: options.sessionIdleMinutes as number | undefined,
        sessionAbsoluteHours: options.sessionAbsoluteHours as number | undefined,
        mailFrom: options.mailFrom as string | undefined,
        phone: options.phone as string | undefined,
        reminderDays: options.reminderDays as string | undefined,
        contactEmail: options.email as string | undefined,
        require2fa: options.require2fa as FirmOptionsPatch['require2fa'],
        inboxEmail: options.inboxEmail as string | undefined,
        uploadMaxMb: options.uploadMaxMb as number | undefined,
        uploadMaxFiles: options.uploadMaxFiles as number | undefined,
        retention: options.retention as string | undefined,
        logRetention: options.logRetention as string | undefined,
      }
      if (Object.values(patch).every((v) => v === undefined)) {
        throw new UsageError(
          "firm set: give at least one option to change, e.g. --base-url URL (see 'confi firm set --help')",
        )
      }
      const { setFirmOptions } = await import('../../core/clients/index.js')
      const updated = await setFirmOptions(await context.db(), context.actor, patch)
      if (options.json) context.out.json(updated)
      else printFirm(context, updated)
    })
}
