import { Argument, Option, type Command } from 'commander'
import type { Client, ClientPatch, RequireLogin } from '../../core/clients/index.js'
import type { Db } from '../../core/db/index.js'
import type { CliContext } from '../context.js'
import { UsageError } from '../errors.js'
import { formatTime, DEFAULT_TIME_ZONE } from '../output.js'
import { requireValue } from '../prompts.js'
import { integer, timeZone } from './parse.js'

const REQUIRE_LOGIN = ['inherit', 'on', 'off']

async function resolveAll(db: Db, refs: readonly string[]): Promise<Client[]> {
  const { resolveClient } = await import('../../core/clients/index.js')
  const clients: Client[] = []
  for (const ref of refs) clients.push(await resolveClient(db, ref))
  return clients
}

interface ListOptions {
  search?: string
  limit?: number
  after?: number
  json?: boolean
}

/** `confi clients ...`: the firm's client companies, their login links and groups. */
export function registerClients(program: Command, context: CliContext): void {
  const clients = program
    .command('clients')
    .description('client companies, their login links and groups')

  clients
    .command('add')
    .description('add a client company')
    .option('--name <name>', 'company name (razão social)')
    .option('--tax-id <id>', 'CNPJ or CPF, with or without punctuation')
    .option('--email <email>', 'contact e-mail')
    .addOption(
      new Option('--require-login <value>', 'documents need a login')
        .choices(REQUIRE_LOGIN)
        .default('inherit'),
    )
    .option('--json', 'print the new client as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  $ confi clients add --name "Padaria Pão Quente Ltda" --tax-id 11.222.333/0001-81',
    )
    .action(
      async (options: {
        name?: string
        taxId?: string
        email?: string
        requireLogin: RequireLogin
        json?: boolean
      }) => {
        const name = await requireValue(
          context,
          options.name,
          '--name',
          'Company name (razão social)',
        )
        const taxId = await requireValue(context, options.taxId, '--tax-id', 'CNPJ or CPF')
        const { addClientOnce, clientJson, formatTaxId } = await import('../../core/clients/index.js')
        const db = await context.db()
        const { client, added } = await addClientOnce(db, context.secretKey(), context.actor, {
          name,
          taxId,
          email: options.email,
          requireLogin: options.requireLogin,
        })
        if (options.json) return context.out.json(clientJson(client))
        const what = added ? 'added client' : 'client already there, nothing changed:'
        context.out.line(`${what} ${client.id}: ${formatTaxId(client.taxId)} ${client.name}`)
      },
    )

  clients
    .command('list')
    .description('list the client companies, by id')
    .option('--search <text>', 'only clients whose name contains this, or whose CNPJ/CPF starts so')
    .option('--limit <n>', 'at most this many (default: all)', integer('--limit', 1))
    .option('--after <id>', 'only clients after this id (the next page)', integer('--after'))
    .option('--json', 'print JSON for scripts')
    .addHelpText(
      'after',
      '\nExamples:\n  $ confi clients list --search padaria --json' +
        '\n  $ confi clients list --limit 100 --after 200',
    )
    .action(async (options: ListOptions) => {
      const { listClientPage, clientJson, clientListJson, formatTaxId } = await import('../../core/clients/index.js')
      const filters = { search: options.search, afterId: options.after }
      // The whole list as JSON is written by the database (core/clients/client-json.ts); a page
      // needs to know whether more follow.
      if (options.json && options.limit === undefined) {
        return context.out.jsonBytes(await clientListJson(await context.db(), filters))
      }
      const page = await listClientPage(await context.db(), { ...filters, limit: options.limit })
      if (options.json) context.out.json(page.clients.map(clientJson))
      else {
        context.out.table(
          page.clients,
          [
            { header: 'ID', value: (c) => c.id },
            { header: 'CNPJ/CPF', value: (c) => formatTaxId(c.taxId) },
            { header: 'Name', value: (c) => c.name },
            { header: 'E-mail', value: (c) => c.email },
            { header: 'Login', value: (c) => c.requireLogin },
            {
              header: 'Group',
              value: (c) =>
                c.groupHeadId !== null
                  ? `member of ${c.groupHeadId}`
                  : page.headIds.has(c.id)
                    ? 'head'
                    : '',
            },
          ],
          options.search || options.after !== undefined
            ? 'no clients match'
            : "no clients yet: add one with 'confi clients add --name NAME --tax-id CNPJ'",
        )
      }
      if (page.nextAfterId !== null) {
        context.out.note(`more clients: add --after ${page.nextAfterId}`)
      }
    })

  clients
    .command('show')
    .description('show one client, its group and its users')
    .argument('<client>', 'client id or CNPJ/CPF')
    .option('--tz <zone>', 'time zone for times', timeZone, DEFAULT_TIME_ZONE)
    .option('--json', 'print JSON for scripts')
    .addHelpText('after', '\nExample:\n  $ confi clients show 11.222.333/0001-81')
    .action(async (ref: string, options: { tz: string; json?: boolean }) => {
      const {
        resolveClient,
        getGroup,
        effectiveRequireLogin,
        formatTaxId,
        describeClient,
        getClient,
        clientJson,
      } = await import('../../core/clients/index.js')
      const { listUsers } = await import('../../core/identity/index.js')
      const db = await context.db()
      const client = await resolveClient(db, ref)
      const group = await getGroup(db, client.id)
      const head = client.groupHeadId === null ? null : await getClient(db, client.groupHeadId)
      const users = await listUsers(db, { clientId: client.id })
      const effective = await effectiveRequireLogin(db, client.id)
      if (options.json) {
        return context.out.json({
          ...clientJson(client),
          effectiveRequireLogin: effective,
          memberIds: group.members.map((m) => m.id),
          userCount: users.length,
        })
      }
      const count = (status: string) => users.filter((u) => u.status === status).length
      context.out.record([
        ['ID', client.id],
        ['Name', client.name],
        ['CNPJ/CPF', formatTaxId(client.taxId)],
        ['E-mail', client.email],
        ['Require login', `${client.requireLogin} (${effective ? 'on' : 'off'})`],
        ['Member of', head ? describeClient(head) : ''],
        ['Members', group.members.map(describeClient).join('; ')],
        [
          'Users',
          `${count('active')} active, ${count('pending')} pending, ${count('disabled')} disabled`,
        ],
        ['Link version', client.loginLinkVersion],
        ['Created', formatTime(client.createdAt, options.tz)],
        ['Updated', formatTime(client.updatedAt, options.tz)],
      ])
    })

  clients
    .command('edit')
    .description("change a client's name, tax id, e-mail or require-login setting")
    .argument('<client>', 'client id or CNPJ/CPF')
    .option('--name <name>', 'new company name')
    .option('--tax-id <id>', 'new CNPJ or CPF')
    .option('--email <email>', "new e-mail ('' removes it)")
    .addOption(
      new Option('--require-login <value>', 'documents need a login').choices(REQUIRE_LOGIN),
    )
    .option('--json', 'print the client as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  $ confi clients edit 11222333000181 --email financeiro@padaria.com.br',
    )
    .action(async (ref: string, options: ClientPatch & { json?: boolean }) => {
      const patch: ClientPatch = {
        name: options.name,
        taxId: options.taxId,
        email: options.email,
        requireLogin: options.requireLogin,
      }
      if (Object.values(patch).every((v) => v === undefined)) {
        throw new UsageError(
          'clients edit: give something to change: --name, --tax-id, --email or --require-login',
        )
      }
      const { resolveClient, editClient, clientJson, formatTaxId } = await import('../../core/clients/index.js')
      const db = await context.db()
      const client = await editClient(db, context.actor, (await resolveClient(db, ref)).id, patch)
      if (options.json) return context.out.json(clientJson(client))
      context.out.line(`updated client ${client.id}: ${formatTaxId(client.taxId)} ${client.name}`)
    })

  clients
    .command('link')
    .description("print the client's login link; --rotate replaces it (the old one stops working)")
    .argument('<client>', 'client id or CNPJ/CPF')
    .option('--rotate', 'replace the link with a new one')
    .option('--json', 'print JSON for scripts')
    .addHelpText(
      'after',
      '\nExamples:\n  $ confi clients link 11222333000181\n  $ confi clients link 11222333000181 --rotate',
    )
    .action(async (ref: string, options: { rotate?: boolean; json?: boolean }) => {
      const { resolveClient, rotateLoginLink, clientLoginLink } = await import('../../core/clients/index.js')
      const db = await context.db()
      const key = context.secretKey()
      let client = await resolveClient(db, ref)
      if (options.rotate) client = await rotateLoginLink(db, key, context.actor, client.id)
      const url = await clientLoginLink(db, key, client)
      if (options.json)
        return context.out.json({ clientId: client.id, version: client.loginLinkVersion, url })
      context.out.line(url)
      if (options.rotate) context.out.note('the previous login link no longer works')
    })

  clients
    .command('require-login')
    .description(
      "set whether the client's documents need a login: on, off, or the firm default (inherit)",
    )
    .argument('<client>', 'client id or CNPJ/CPF')
    .addArgument(new Argument('<value>', 'on, off or inherit').choices(REQUIRE_LOGIN))
    .addHelpText('after', '\nExample:\n  $ confi clients require-login 11222333000181 on')
    .action(async (ref: string, value: RequireLogin) => {
      const {
        resolveClient,
        setClientRequireLogin,
        effectiveRequireLogin,
        formatTaxId,
      } = await import('../../core/clients/index.js')
      const db = await context.db()
      const client = await setClientRequireLogin(
        db,
        context.actor,
        (await resolveClient(db, ref)).id,
        value,
      )
      const effective = (await effectiveRequireLogin(db, client.id)) ? 'on' : 'off'
      context.out.line(
        `${formatTaxId(client.taxId)} ${client.name}: require login ${value} (effective: ${effective})`,
      )
    })

  clients
    .command('group')
    .description(
      'show a company group, or add and remove its members (set on the head, the matriz)',
    )
    .argument('<head>', 'the head client: id or CNPJ/CPF')
    .option('--add <clients...>', 'clients to make members')
    .option('--remove <clients...>', 'members to take out')
    .option('--json', 'print JSON for scripts')
    .addHelpText(
      'after',
      '\nExamples:\n  $ confi clients group 11222333000181 --add 12ABC34501DE35\n  $ confi clients group 11222333000181 --remove 12ABC34501DE35\n  $ confi clients group 11222333000181',
    )
    .action(async (ref: string, options: { add?: string[]; remove?: string[]; json?: boolean }) => {
      if (options.add && options.remove) {
        throw new UsageError('clients group: use --add or --remove, not both in one command')
      }
      const {
        resolveClient,
        getGroup,
        addGroupMembers,
        removeGroupMembers,
        describeClient,
        formatTaxId,
        clientJson,
      } = await import('../../core/clients/index.js')
      const db = await context.db()
      const head = await resolveClient(db, ref)
      let group = await getGroup(db, head.id)
      if (options.add) {
        const members = await resolveAll(db, options.add)
        group = await addGroupMembers(
          db,
          context.actor,
          head.id,
          members.map((m) => m.id),
        )
      } else if (options.remove) {
        const members = await resolveAll(db, options.remove)
        group = await removeGroupMembers(
          db,
          context.actor,
          head.id,
          members.map((m) => m.id),
        )
      }
      if (options.json) {
        return context.out.json({
          head: clientJson(group.head),
          members: group.members.map(clientJson),
        })
      }
      context.out.line(`group of ${describeClient(group.head)}`)
      if (group.head.groupHeadId !== null) {
        context.out.line(
          `  (this client is itself a member of the group of client ${group.head.groupHeadId})`,
        )
      }
      if (group.members.length === 0) context.out.line('  no members')
      for (const m of group.members)
        context.out.line(`  member ${m.id}: ${formatTaxId(m.taxId)} ${m.name}`)
    })
}
