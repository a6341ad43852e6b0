import { sql, type Kysely, type RawBuilder } from 'kysely'
import { PERSON_LOG_TABLES } from '../access-log/reads/person.js'
import type { Db } from '../db/database.js'

// The catalogue of every place confi holds something of a person (docs/privacy.md, "Where a
// person appears"): its name, its table, how the person is matched there and which columns never
// leave confi (secrets and token digests). `privacy find` counts each place, `privacy export`
// writes each place's rows and `privacy erase` walks the same list: one source, so a place added
// here is found, exported and erased alike.

/** How the person was named on the command line or in the portal. */
export type PersonKey = 'user' | 'email' | 'cpf'

/** A person as confi knows them: the accounts, addresses and CPF that identify them. */
export interface Person {
  key: PersonKey
  /** The key's value, normalised (a username, an e-mail address, a CPF's 11 digits). */
  value: string
  /** Their accounts (client_users): one for --user, every account with the address for --email. */
  userIds: number[]
  /** The usernames of those accounts, as the audit's actor names them (`user:<username>`). */
  usernames: string[]
  /** Their e-mail addresses, lower-cased: the --email given, or the accounts' addresses. */
  emails: string[]
  /** The CPF (11 digits) for --cpf, else null: no account holds a CPF. */
  cpf: string | null
  /** Clients whose tax id is the CPF: a natural person who is the firm's client. */
  cpfClientIds: number[]
  /** The clients their accounts belong to (context: a company is not the person). */
  employerIds: number[]
  /** Deliveries to their addresses: their log rows (accesses through the link) are the person's. */
  mailedDeliveryIds: number[]
  /**
   * Deliveries their accounts opened a document through (a WhatsApp or link delivery names a
   * phone or no one): listed as context; their other rows are other people's.
   */
  openedDeliveryIds: number[]
}

/** One place a person may appear. */
export interface Place {
  name: string
  table: string
  /** What it is, in pt-BR, for resumo.html. */
  label: string
  /** How the person is matched there. */
  match: string
  /** 'person': the rows are about the person; 'context': the rows name what the person's rows refer to. */
  holds: 'person' | 'context'
  /** The column that dates a row, for first/last. */
  dateColumn: string | null
  /** Columns never shown or exported: password hashes, token digests, sealed secrets, store keys. */
  hidden: readonly string[]
  /** The condition on the table's rows, or null when this person cannot appear there. */
  where(person: Person): RawBuilder<boolean> | null
}

const list = (values: readonly (number | string)[]) => sql.join(values.map((v) => sql`${v}`))
const ids = (column: string, values: readonly number[]) =>
  values.length === 0 ? null : sql<boolean>`${sql.ref(column)} IN (${list(values)})`
const addresses = (column: string, values: readonly string[]) =>
  values.length === 0 ? null : sql<boolean>`lower(${sql.ref(column)}) IN (${list(values)})`
const either = (...parts: (RawBuilder<boolean> | null)[]) => {
  const present = parts.filter((p): p is RawBuilder<boolean> => p !== null)
  return present.length === 0 ? null : sql<boolean>`(${sql.join(present, sql` OR `)})`
}
const byUser = (person: Person) => ids('user_id', person.userIds)

/** The places of the database tables, in the order find and export list them. */
export const PLACES: readonly Place[] = [
  {
    name: 'account', table: 'client_users', label: 'Conta de acesso', holds: 'person',
    match: 'the account itself (id); --email: every account with that address',
    dateColumn: 'created_at', hidden: ['password_hash', 'username_key'],
    where: (p) => ids('id', p.userIds),
  },
  {
    name: 'employer', table: 'clients', label: 'Empresa da conta', holds: 'context',
    match: 'the client each account belongs to (client_users.client_id)',
    dateColumn: null, hidden: ['login_link_digest', 'login_link_version'],
    where: (p) => ids('id', p.employerIds),
  },
  {
    name: 'client_cpf', table: 'clients', label: 'Cliente pessoa física (CPF)', holds: 'person',
    match: '--cpf: a client whose tax id is that CPF',
    dateColumn: 'created_at', hidden: ['login_link_digest', 'login_link_version'],
    where: (p) => (p.cpf === null ? null : sql<boolean>`tax_id = ${p.cpf}`),
  },
  {
    name: 'documents_cpf', table: 'documents', label: 'Documentos do cliente pessoa física', holds: 'person',
    match: '--cpf: the documents of a client whose tax id is that CPF',
    dateColumn: 'created_at', hidden: [],
    where: (p) => ids('client_id', p.cpfClientIds),
  },
  {
    name: 'visibility', table: 'user_visibility', label: 'O que a conta pode ver', holds: 'person',
    match: 'user_id', dateColumn: null, hidden: [], where: byUser,
  },
  {
    name: 'sessions', table: 'sessions', label: 'Sessões abertas (IP e navegador)', holds: 'person',
    match: 'user_id', dateColumn: 'created_at', hidden: ['token_hash'], where: byUser,
  },
  {
    name: 'ended_sessions', table: 'ended_sessions', label: 'Sessões encerradas', holds: 'person',
    match: 'user_id', dateColumn: 'ended_at', hidden: ['token_hash'], where: byUser,
  },
  {
    name: 'pending_logins', table: 'pending_logins', label: 'Entradas aguardando o segundo fator', holds: 'person',
    match: 'user_id', dateColumn: 'created_at', hidden: ['token_hash'], where: byUser,
  },
  {
    name: 'password_resets', table: 'password_resets', label: 'Pedidos de nova senha', holds: 'person',
    match: 'user_id', dateColumn: 'created_at', hidden: ['token_hash'], where: byUser,
  },
  {
    name: 'two_factor', table: 'two_factor', label: 'Verificação em duas etapas', holds: 'person',
    match: 'user_id', dateColumn: 'enabled_at', hidden: ['secret_sealed', 'last_step'], where: byUser,
  },
  {
    name: 'recovery_codes', table: 'recovery_codes', label: 'Códigos de recuperação', holds: 'person',
    match: 'user_id', dateColumn: 'used_at', hidden: ['code_hash'], where: byUser,
  },
  {
    name: 'terms_acceptances', table: 'terms_acceptances', label: 'Aceites dos termos de uso', holds: 'person',
    match: 'user_id', dateColumn: 'accepted_at', hidden: [], where: byUser,
  },
  {
    name: 'arrivals', table: 'user_arrivals', label: 'Documentos novos ainda não vistos', holds: 'person',
    match: 'user_id', dateColumn: null, hidden: [], where: byUser,
  },
  {
    name: 'uploads', table: 'uploads', label: 'Envios de arquivos', holds: 'person',
    match: 'user_id (who sent it)', dateColumn: 'created_at', hidden: [], where: byUser,
  },
  {
    name: 'upload_files', table: 'upload_files', label: 'Arquivos enviados', holds: 'person',
    match: "files of the person's uploads; --cpf: an NF-e/CT-e read on arrival whose issuer or recipient is the CPF (upload_files.fiscal)",
    dateColumn: null, hidden: ['storage_key'],
    where: (p) =>
      either(
        p.userIds.length === 0 ? null : sql<boolean>`upload_id IN (SELECT id FROM uploads WHERE ${ids('user_id', p.userIds)})`,
        p.cpf === null ? null : sql<boolean>`(fiscal LIKE ${`%"issuer":"${p.cpf}"%`} OR fiscal LIKE ${`%"recipient":"${p.cpf}"%`})`,
      ),
  },
  {
    name: 'request_events', table: 'request_events', label: 'Respostas a solicitações', holds: 'person',
    match: 'user_id (who acted)', dateColumn: 'at', hidden: [], where: byUser,
  },
  {
    name: 'payments', table: 'document_payments', label: 'Guias marcadas como pagas', holds: 'person',
    match: 'user_id (who marked it)', dateColumn: 'marked_at', hidden: [], where: byUser,
  },
  {
    name: 'deliveries', table: 'deliveries', label: 'Envios de documentos (e-mail, WhatsApp, link)', holds: 'person',
    match: "recipient is one of the person's e-mail addresses (any case), or a delivery their account opened a document through (a WhatsApp number is matched only so: no account holds a phone)",
    dateColumn: 'created_at', hidden: ['token_digest'],
    where: (p) => either(addresses('recipient', p.emails), ids('id', p.openedDeliveryIds)),
  },
  {
    name: 'outbox', table: 'outbox', label: 'E-mails enviados', holds: 'person',
    match: "recipient is one of the person's e-mail addresses (any case)",
    dateColumn: 'created_at', hidden: ['lease_owner', 'lease_until', 'body_html'],
    where: (p) => addresses('recipient', p.emails),
  },
  {
    name: 'reminders_sent', table: 'reminders_sent', label: 'Lembretes de vencimento enviados', holds: 'person',
    match: "recipient is one of the person's e-mail addresses", dateColumn: 'created_at', hidden: [],
    where: (p) => addresses('recipient', p.emails),
  },
  {
    name: 'request_reminders_sent', table: 'request_reminders_sent', label: 'Lembretes de solicitações enviados', holds: 'person',
    match: "recipient is one of the person's e-mail addresses", dateColumn: 'created_at', hidden: [],
    where: (p) => addresses('recipient', p.emails),
  },
  {
    name: 'events', table: 'events', label: 'Registro de ações administrativas', holds: 'person',
    match: 'user_id (the account acted on), or actor `user:<username>` (the account acted)',
    dateColumn: 'at', hidden: [],
    where: (p) => either(byUser(p), p.usernames.length === 0 ? null : sql<boolean>`actor IN (${list(p.usernames.map((u) => `user:${u}`))})`),
  },
  {
    name: 'erasures', table: 'erasures', label: 'Eliminações de dados', holds: 'person',
    match: 'user_id (an earlier erasure of the account)', dateColumn: 'at', hidden: [], where: byUser,
  },
]

/** The access log: counted and streamed through its own module (src/core/access-log/reads/person.ts). */
export const LOG_PLACE = {
  name: 'log',
  table: PERSON_LOG_TABLES,
  label: 'Registro de acessos e ações (IP, navegador)',
  match:
    "user_id is one of the person's accounts, or delivery_id one of the deliveries to their e-mail addresses; format-1 rows hold the values in the row, format-2 rows beside it with their salts",
  holds: 'person' as const,
} as const

/** Rows of a place for this person (hidden columns removed), oldest first; [] when the person cannot be there. */
export async function placeRows(db: Db, place: Place, person: Person): Promise<Record<string, unknown>[]> {
  const where = place.where(person)
  if (where === null) return []
  const rows = await anyDb(db).selectFrom(place.table).selectAll().where(where).orderBy(sql.raw(orderOf(place))).execute()
  return rows.map((row: Record<string, unknown>) => {
    const shown: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(row)) if (!place.hidden.includes(key)) shown[key] = value
    return shown
  })
}

/** How many rows a place holds of this person, and the first and last dates. */
export async function placeCount(
  db: Db,
  place: Place,
  person: Person,
): Promise<{ rows: number; first: string | null; last: string | null }> {
  const where = place.where(person)
  if (where === null) return { rows: 0, first: null, last: null }
  const date = place.dateColumn === null ? sql`null` : sql.ref(place.dateColumn)
  const row = await anyDb(db)
    .selectFrom(place.table)
    .select([sql<number>`count(*)`.as('n'), sql<string | null>`min(${date})`.as('first'), sql<string | null>`max(${date})`.as('last')])
    .where(where)
    .executeTakeFirstOrThrow()
  return { rows: Number(row.n), first: row.first ?? null, last: row.last ?? null }
}

// Tables without an id column are ordered by what identifies their rows.
function orderOf(place: Place): string {
  const keyed: Record<string, string> = {
    user_visibility: 'kind, ref',
    ended_sessions: 'ended_at',
    two_factor: 'user_id',
    terms_acceptances: 'accepted_at, terms_id',
    user_arrivals: 'document_id',
    document_payments: 'marked_at, document_id',
    reminders_sent: 'created_at, document_id',
    request_reminders_sent: 'created_at, request_id',
  }
  return keyed[place.table] ?? 'id'
}

// The catalogue names its tables as data; Kysely's typed builder cannot follow a table chosen at
// run time, so these two queries go through an untyped view of the same connection.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const anyDb = (db: Db) => db as unknown as Kysely<any>
