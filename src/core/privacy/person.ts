import { sql } from 'kysely'
import { deliveriesOpenedBy, personLogFootprint, type LogFootprint } from '../access-log/reads/person.js'
import { normaliseEmail } from '../clients/email-address.js'
import { stripTaxId, taxIdKind } from '../clients/tax-id.js'
import type { Db } from '../db/database.js'
import { ValidationError } from '../errors.js'
import { resolveUser } from '../identity/users.js'
import { LOG_PLACE, PLACES, placeCount, type Person, type PersonKey } from './footprint.js'

// Who a data subject's request is about (docs/privacy.md): a user, an e-mail address or a CPF,
// turned into the accounts, addresses, clients and deliveries every place is matched by.

/** The person a user, an e-mail address or a CPF names; a NotFoundError when confi knows no such user. */
export async function resolvePerson(db: Db, key: PersonKey, input: string): Promise<Person> {
  if (key === 'user') {
    const user = await resolveUser(db, input)
    const emails = user.email ? [user.email.toLowerCase()] : []
    return withDeliveries(db, {
      key, value: user.username, userIds: [user.id], usernames: [user.username], emails,
      cpf: null, cpfClientIds: [], employerIds: [user.clientId], mailedDeliveryIds: [], openedDeliveryIds: [],
    })
  }
  if (key === 'email') {
    const email = normaliseEmail(input)
    if (email === null) throw new ValidationError('give the e-mail address to look for, e.g. --email ana@empresa.com.br')
    const lower = email.toLowerCase()
    const users = await db
      .selectFrom('client_users')
      .select(['id', 'username', 'client_id'])
      .where(sql<boolean>`lower(email) = ${lower}`)
      .orderBy('id')
      .execute()
    return withDeliveries(db, {
      key, value: email, userIds: users.map((u) => Number(u.id)), usernames: users.map((u) => u.username), emails: [lower],
      cpf: null, cpfClientIds: [], employerIds: [...new Set(users.map((u) => Number(u.client_id)))], mailedDeliveryIds: [], openedDeliveryIds: [],
    })
  }
  const cpf = parseCpf(input)
  const clients = await db.selectFrom('clients').select('id').where('tax_id', '=', cpf).orderBy('id').execute()
  return {
    key, value: cpf, userIds: [], usernames: [], emails: [], cpf,
    cpfClientIds: clients.map((c) => Number(c.id)), employerIds: [], mailedDeliveryIds: [], openedDeliveryIds: [],
  }
}

/** A CPF's 11 digits; a ValidationError for anything else, a CNPJ included (a company is no data subject). */
export function parseCpf(input: string): string {
  const digits = stripTaxId(input)
  const kind = taxIdKind(digits)
  if (kind === 'cpf') return digits
  if (kind === 'cnpj') throw new ValidationError(`'${input}' is a CNPJ, a company's number: give a person's CPF (11 digits)`)
  throw new ValidationError(`'${input}' is not a valid CPF: ${digits.length === 11 ? 'the check digits do not match; check for a typing mistake' : `it has ${digits.length} characters, a CPF has 11 (e.g. 529.982.247-25)`}`)
}

// Deliveries to the person's addresses, and those their accounts opened.
async function withDeliveries(db: Db, person: Person): Promise<Person> {
  const mailed =
    person.emails.length === 0
      ? []
      : await db
          .selectFrom('deliveries')
          .select('id')
          .where(sql<boolean>`lower(recipient) IN (${sql.join(person.emails.map((e) => sql`${e}`))})`)
          .orderBy('id')
          .execute()
  return { ...person, mailedDeliveryIds: mailed.map((d) => Number(d.id)), openedDeliveryIds: await deliveriesOpenedBy(db, person.userIds) }
}

/** Whose log rows are the person's: their accounts' rows and the rows of deliveries to their addresses. */
export const logPersonOf = (person: Person) => ({ userIds: person.userIds, deliveryIds: person.mailedDeliveryIds })

/** One place's count for a person. */
export interface PlaceFootprint {
  name: string
  table: string
  label: string
  match: string
  holds: 'person' | 'context'
  rows: number
  first: string | null
  last: string | null
  /** Only for the access log: how many of its rows are of format 1 (their values cannot be erased). */
  format1?: number
}

/** Where the person appears: every place of the catalogue with its count, first and last dates. */
export async function findPerson(db: Db, person: Person): Promise<PlaceFootprint[]> {
  const found: PlaceFootprint[] = []
  for (const place of PLACES) {
    const count = await placeCount(db, place, person)
    found.push({ name: place.name, table: place.table, label: place.label, match: place.match, holds: place.holds, ...count })
  }
  const log: LogFootprint = await personLogFootprint(db, logPersonOf(person))
  found.push({
    name: LOG_PLACE.name, table: LOG_PLACE.table, label: LOG_PLACE.label, match: LOG_PLACE.match, holds: LOG_PLACE.holds,
    rows: log.rows, first: log.first, last: log.last, format1: log.format1,
  })
  return found
}

