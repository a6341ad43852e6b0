import { resolve } from 'node:path'
import type { Command } from 'commander'
import type { PersonKey, PlaceFootprint } from '../../core/privacy/index.js'
import type { CliContext } from '../context.js'
import { UsageError } from '../errors.js'
import { DEFAULT_TIME_ZONE, formatTime } from '../output.js'
import { timeZone } from './parse.js'

// `confi privacy find` and `confi privacy export` (docs/privacy.md).

interface KeyOptions {
  user?: string
  email?: string
  cpf?: string
}

// Exactly one of the keys that name a person.
function personKey(options: KeyOptions, keys: readonly PersonKey[]): [PersonKey, string] {
  const given = keys.filter((k) => options[k] !== undefined)
  const flags = keys.map((k) => `--${k}`).join(', ')
  if (given.length !== 1) {
    throw new UsageError(given.length === 0 ? `say whom to look for: one of ${flags}` : `give only one of ${flags} (got ${given.map((k) => `--${k}`).join(' and ')})`)
  }
  return [given[0], options[given[0]] as string]
}

function placeJson(place: PlaceFootprint) {
  return {
    name: place.name,
    table: place.table,
    match: place.match,
    holds: place.holds,
    rows: place.rows,
    first: place.first,
    last: place.last,
    ...(place.format1 === undefined ? {} : { format1: place.format1 }),
  }
}

export function registerPrivacyRead(privacy: Command, context: CliContext): void {
  privacy
    .command('find')
    .description('every place a person appears: account, sessions, log rows, uploads, e-mails, terms, audit')
    .option('--user <user>', 'a client user (username or id)')
    .option('--email <address>', 'an e-mail address (accounts, deliveries, e-mails sent)')
    .option('--cpf <cpf>', 'a CPF (a client that is this person, NF-e/CT-e naming it)')
    .option('--tz <zone>', 'time zone for times', timeZone, DEFAULT_TIME_ZONE)
    .option('--json', 'print JSON for scripts')
    .addHelpText('after', '\nExamples:\n  $ confi privacy find --user ana.souza\n  $ confi privacy find --cpf 529.982.247-25 --json')
    .action(async (options: KeyOptions & { tz: string; json?: boolean }) => {
      const [key, value] = personKey(options, ['user', 'email', 'cpf'])
      const { resolvePerson, findPerson } = await import('../../core/privacy/index.js')
      const db = await context.db()
      const person = await resolvePerson(db, key, value)
      const found = await findPerson(db, person)
      if (options.json) {
        return context.out.json({
          key: person.key,
          value: person.value,
          userIds: person.userIds,
          clientIds: person.cpfClientIds,
          places: found.map(placeJson),
        })
      }
      const present = found.filter((f) => f.rows > 0)
      context.out.note(`${person.key} ${person.value}: ${present.length} of ${found.length} places hold something`)
      context.out.table(
        present,
        [
          { header: 'Place', value: (f) => f.name },
          { header: 'Table', value: (f) => f.table },
          { header: 'Rows', value: (f) => (f.format1 ? `${f.rows} (${f.format1} format 1)` : f.rows) },
          { header: 'First', value: (f) => formatTime(f.first, options.tz) },
          { header: 'Last', value: (f) => formatTime(f.last, options.tz) },
        ],
        'nothing held on this person',
      )
    })

  privacy
    .command('export')
    .description("a ZIP of everything held on a person: dados.json and a pt-BR summary resumo.html")
    .option('--user <user>', 'a client user (username or id)')
    .option('--email <address>', 'an e-mail address')
    .requiredOption('--output <file.zip>', 'the ZIP to write (never replaced if it exists)')
    .option('--json', 'print what was written as JSON')
    .addHelpText('after', '\nExamples:\n  $ confi privacy export --user ana.souza --output ana.zip')
    .action(async (options: KeyOptions & { output: string; json?: boolean }) => {
      if (options.cpf !== undefined) throw new UsageError('export takes --user or --email')
      const [key, value] = personKey(options, ['user', 'email'])
      const { resolvePerson, exportPersonToFile } = await import('../../core/privacy/index.js')
      const db = await context.db()
      const person = await resolvePerson(db, key, value)
      const path = resolve(context.deps.cwd, options.output)
      const found = await exportPersonToFile(db, person, { requestedBy: context.actor.label }, path)
      const rows = found.reduce((n, f) => n + f.rows, 0)
      if (options.json) return context.out.json({ output: path, key: person.key, value: person.value, rows, places: found.map(placeJson) })
      context.out.line(`wrote ${path}: ${rows} rows from ${found.filter((f) => f.rows > 0).length} places (dados.json, resumo.html)`)
    })
}
