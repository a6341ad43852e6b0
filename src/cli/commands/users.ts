import { Argument, Option, type Command } from 'commander'
import type { Db } from '../../core/db/index.js'
import type { ClientUser, UserRole, UserStatus } from '../../core/identity/index.js'
import type { CliContext } from '../context.js'
import { DEFAULT_TIME_ZONE, formatTime } from '../output.js'
import { promptNewPassword, readPasswordFromStdin, requireValue } from '../prompts.js'
import { timeZone } from './parse.js'

/** The JSON shape of a user for scripts (camelCase; never the password hash). */
function userJson(user: ClientUser) {
  return {
    id: user.id,
    clientId: user.clientId,
    username: user.username,
    name: user.name,
    email: user.email,
    role: user.role,
    status: user.status,
    origin: user.origin,
    createdAt: user.createdAt,
    activatedAt: user.activatedAt,
    activatedBy: user.activatedBy,
    lastLoginAt: user.lastLoginAt,
  }
}

async function resolveAll(db: Db, refs: readonly string[]): Promise<ClientUser[]> {
  const { resolveUser } = await import('../../core/identity/index.js')
  const users: ClientUser[] = []
  for (const ref of refs) users.push(await resolveUser(db, ref))
  return users
}

function describeUser(user: ClientUser): string {
  return `${user.username} (${user.name}), ${user.role}, ${user.status}`
}

/** `confi users ...`: the people of each client who log in to the client area. */
export function registerUsers(program: Command, context: CliContext): void {
  const users = program
    .command('users')
    .description('client users: the people who log in to the client area')

  users
    .command('list')
    .description('list client users')
    .option('--client <client>', 'only the users of this client (id or CNPJ/CPF)')
    .addOption(
      new Option('--status <status>', 'only users with this status').choices([
        'pending',
        'active',
        'disabled',
      ]),
    )
    .option('--tz <zone>', 'time zone for times', timeZone, DEFAULT_TIME_ZONE)
    .option('--json', 'print JSON for scripts')
    .addHelpText(
      'after',
      '\nExamples:\n  $ confi users list --status pending --json\n  $ confi users list --client 11.222.333/0001-81',
    )
    .action(
      async (options: { client?: string; status?: UserStatus; tz: string; json?: boolean }) => {
        const { listUsers, twoFactorUserIds } = await import('../../core/identity/index.js')
        const { resolveClient, listClientsByIds, formatTaxId } = await import('../../core/clients/index.js')
        const db = await context.db()
        const clientId =
          options.client === undefined ? undefined : (await resolveClient(db, options.client)).id
        const rows = await listUsers(db, { clientId, status: options.status })
        const twoFactor = await twoFactorUserIds(db, rows.map((u) => u.id))
        if (options.json) return context.out.json(rows.map((u) => ({ ...userJson(u), twoFactor: twoFactor.has(u.id) })))
        // Only the clients these users belong to, not the whole client list.
        const owners = await listClientsByIds(db, rows.map((u) => u.clientId))
        const taxIds = new Map(owners.map((c) => [c.id, formatTaxId(c.taxId)]))
        context.out.table(
          rows,
          [
            { header: 'ID', value: (u) => u.id },
            { header: 'Client', value: (u) => taxIds.get(u.clientId) },
            { header: 'Username', value: (u) => u.username },
            { header: 'Name', value: (u) => u.name },
            { header: 'Role', value: (u) => u.role },
            { header: 'Status', value: (u) => u.status },
            { header: '2FA', value: (u) => (twoFactor.has(u.id) ? 'on' : '') },
            { header: 'Origin', value: (u) => u.origin },
            { header: 'Created', value: (u) => formatTime(u.createdAt, options.tz) },
            { header: 'Last login', value: (u) => formatTime(u.lastLoginAt, options.tz) },
          ],
          'no users match',
        )
      },
    )

  users
    .command('add')
    .description("create a user of a client (the client's first user becomes its active admin)")
    .option('--client <client>', 'client id or CNPJ/CPF')
    .option('--username <username>', 'login name: 3 to 64 letters, digits, . _ - @')
    .option('--name <name>', 'display name')
    .option('--email <email>', 'e-mail')
    .addOption(
      new Option('--role <role>', 'role instead of the first-user rule').choices([
        'admin',
        'collaborator',
      ]),
    )
    .option('--active', 'create the user active instead of pending')
    .option('--password-stdin', 'read the password from stdin (first line)')
    .option('--json', 'print the new user as JSON')
    .addHelpText(
      'after',
      `
Without --password-stdin, a terminal asks for the password; a script gets a one-time reset link
instead, so the person sets their own password.

Examples:
  $ confi users add --client 11222333000181 --username ana --name "Ana Lima"
  $ printf %s "$PW" | confi users add --client 11222333000181 --username bruno --name "Bruno" --active --password-stdin`,
    )
    .action(
      async (options: {
        client?: string
        username?: string
        name?: string
        email?: string
        role?: UserRole
        active?: boolean
        passwordStdin?: boolean
        json?: boolean
      }) => {
        const clientRef = await requireValue(
          context,
          options.client,
          '--client',
          'Client (id or CNPJ/CPF)',
        )
        const username = await requireValue(context, options.username, '--username', 'Username')
        const name = await requireValue(context, options.name, '--name', 'Name')
        const { resolveClient } = await import('../../core/clients/index.js')
        const { addUser, addUserWithResetLink, validateUsername, validatePassword } = await import('../../core/identity/index.js')
        const db = await context.db()
        const client = await resolveClient(db, clientRef)
        validateUsername(username)
        let password: string | undefined
        if (options.passwordStdin) password = await readPasswordFromStdin(context.deps.stdin)
        else if (context.interactive) password = await promptNewPassword(context)
        if (password !== undefined) validatePassword(password)
        const input = {
          clientId: client.id,
          username,
          name,
          email: options.email,
          role: options.role,
          active: options.active,
        }
        const { user, reset } =
          password === undefined
            ? await addUserWithResetLink(db, context.actor, input)
            : { user: await addUser(db, context.actor, { ...input, password }), reset: undefined }
        if (options.json) {
          return context.out.json({
            ...userJson(user),
            passwordResetUrl: reset?.url ?? null,
            passwordResetExpiresAt: reset?.expiresAt ?? null,
          })
        }
        context.out.line(`added user ${user.id}: ${describeUser(user)}`)
        if (reset) {
          context.out.line(
            `password link (one use, until ${formatTime(reset.expiresAt)}): ${reset.url}`,
          )
        }
      },
    )

  users
    .command('activate')
    .description('activate pending users (all or none)')
    .argument('<users...>', 'user ids or usernames')
    .addHelpText('after', '\nExample:\n  $ confi users activate bruno carla')
    .action(async (refs: string[]) => {
      const { activateUsers } = await import('../../core/identity/index.js')
      const db = await context.db()
      const found = await resolveAll(db, refs)
      const activated = await activateUsers(
        db,
        context.actor,
        found.map((u) => u.id),
      )
      for (const user of activated) context.out.line(`activated ${describeUser(user)}`)
    })

  users
    .command('disable')
    .description('disable a user: it can open nothing and its sessions end')
    .argument('<user>', 'user id or username')
    .addHelpText('after', '\nExample:\n  $ confi users disable bruno')
    .action(async (ref: string) => {
      const { resolveUser, disableUser } = await import('../../core/identity/index.js')
      const db = await context.db()
      const user = await disableUser(db, context.actor, (await resolveUser(db, ref)).id)
      context.out.line(`disabled ${describeUser(user)}`)
    })

  users
    .command('enable')
    .description('let a disabled user in again')
    .argument('<user>', 'user id or username')
    .addHelpText('after', '\nExample:\n  $ confi users enable bruno')
    .action(async (ref: string) => {
      const { resolveUser, enableUser } = await import('../../core/identity/index.js')
      const db = await context.db()
      const user = await enableUser(db, context.actor, (await resolveUser(db, ref)).id)
      context.out.line(`enabled ${describeUser(user)}`)
    })

  users
    .command('role')
    .description('make a user admin or collaborator (its sessions end)')
    .argument('<user>', 'user id or username')
    .addArgument(new Argument('<role>', 'admin or collaborator').choices(['admin', 'collaborator']))
    .addHelpText('after', '\nExample:\n  $ confi users role bruno admin')
    .action(async (ref: string, role: UserRole) => {
      const { resolveUser, setUserRole } = await import('../../core/identity/index.js')
      const db = await context.db()
      const user = await setUserRole(db, context.actor, (await resolveUser(db, ref)).id, role)
      context.out.line(`${user.username} is now ${user.role}`)
    })

  users
    .command('reset-password')
    .description(
      "print a one-time password link valid for 24 hours, or set the password from stdin; the user's sessions end",
    )
    .argument('<user>', 'user id or username')
    .option(
      '--password-stdin',
      'set this password (first line of stdin) instead of printing a link',
    )
    .option('--json', 'print JSON for scripts')
    .addHelpText(
      'after',
      '\nExamples:\n  $ confi users reset-password bruno\n  $ printf %s "$PW" | confi users reset-password bruno --password-stdin',
    )
    .action(async (ref: string, options: { passwordStdin?: boolean; json?: boolean }) => {
      const { resolveUser, setPassword, createPasswordReset } = await import('../../core/identity/index.js')
      const db = await context.db()
      const user = await resolveUser(db, ref)
      if (options.passwordStdin) {
        const password = await readPasswordFromStdin(context.deps.stdin)
        await setPassword(db, context.actor, user.id, password)
        if (options.json) return context.out.json({ userId: user.id, passwordSet: true })
        return context.out.line(`set the password of ${user.username}; its sessions ended`)
      }
      const reset = await createPasswordReset(db, context.actor, user.id)
      if (options.json)
        return context.out.json({ userId: user.id, url: reset.url, expiresAt: reset.expiresAt })
      context.out.line(reset.url)
      context.out.note(
        `one use, valid until ${formatTime(reset.expiresAt)} (${DEFAULT_TIME_ZONE}); ${user.username}'s sessions ended`,
      )
    })

  users
    .command('reset-2fa')
    .description(
      "turn two-factor login off for a user who lost the phone: its recovery codes are deleted and its sessions end",
    )
    .argument('<user>', 'user id or username')
    .option('--json', 'print JSON for scripts')
    .addHelpText(
      'after',
      `
The user turns it on again under Minha conta, or is led to set it up at the next login when the
firm requires it (confi firm set --require-2fa). An event is written.

Example:
  $ confi users reset-2fa bruno`,
    )
    .action(async (ref: string, options: { json?: boolean }) => {
      const { resolveUser, resetTwoFactor } = await import('../../core/identity/index.js')
      const db = await context.db()
      const user = await resetTwoFactor(db, context.actor, (await resolveUser(db, ref)).id)
      if (options.json) return context.out.json({ userId: user.id, username: user.username, twoFactor: false, sessionsEnded: true })
      context.out.line(`turned two-factor login off for ${user.username}; its recovery codes were deleted and its sessions ended`)
    })
}
