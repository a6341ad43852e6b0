import { normaliseEmail } from './email-address.js'
import { sql, type SqlBool } from 'kysely'
import { assertAccountant, type Actor } from '../actors.js'
import type { Db } from '../db/database.js'
import { ConflictError, NotFoundError, ValidationError } from '../errors.js'
import { recordEvent } from '../audit/events.js'
import { getFirmOptions } from './firm.js'
import type { ClientsTable } from '../db/tables.js'
import { formatTaxId, normaliseTaxId, stripTaxId } from './tax-id.js'
import { nowIso } from '../time.js'
import { deriveToken, isTokenShaped, sha256Hex, type SecretKey } from '../tokens.js'
import { checkPlainText, collapseSpaces } from '../text-input.js'

export type RequireLogin = 'inherit' | 'on' | 'off'
export const REQUIRE_LOGIN_VALUES: readonly RequireLogin[] = ['inherit', 'on', 'off']

/** A client company of the firm (docs/rules.md#data). */
export interface Client {
  id: number
  name: string
  /** Normalised: 14 or 11 characters, no punctuation, upper case. */
  taxId: string
  email: string | null
  requireLogin: RequireLogin
  groupHeadId: number | null
  loginLinkVersion: number
  createdAt: string
  updatedAt: string
}

type ClientRow = Omit<ClientsTable, 'id'> & { id: number }

/** Maps a `clients` row to the domain object. */
export function toClient(row: ClientRow): Client {
  return {
    id: Number(row.id),
    name: row.name,
    taxId: row.tax_id,
    email: row.email,
    requireLogin: row.require_login,
    groupHeadId: row.group_head_id == null ? null : Number(row.group_head_id),
    loginLinkVersion: Number(row.login_link_version),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

/** "11.222.333/0001-81 (Padaria Pão Quente Ltda)": how messages name a client. */
export function describeClient(client: Pick<Client, 'taxId' | 'name'>): string {
  return `${formatTaxId(client.taxId)} (${client.name})`
}

/** Checks a requireLogin value from input. */
export function parseRequireLogin(value: string): RequireLogin {
  const normalised = value.trim().toLowerCase()
  if ((REQUIRE_LOGIN_VALUES as readonly string[]).includes(normalised))
    return normalised as RequireLogin
  throw new ValidationError(`require-login '${value}' is not valid: use inherit, on or off`)
}

function normaliseName(input: string): string {
  const name = checkPlainText(collapseSpaces(input), 'client name')
  if (name === '' || name.length > 200) {
    throw new ValidationError(`client name '${name}' must have 1 to 200 characters`)
  }
  return name
}

// Ids are small integers; CPFs and CNPJs have 11 or 14 characters. A reference of up to 10
// digits is an id, anything else a tax id, so the two can never be confused.
const ID_REF = /^\d{1,10}$/

/** Finds a client by id or by tax id in any formatting; NotFoundError naming the reference. */
export async function resolveClient(db: Db, ref: string): Promise<Client> {
  const value = ref.trim()
  const row = ID_REF.test(value)
    ? await db.selectFrom('clients').selectAll().where('id', '=', Number(value)).executeTakeFirst()
    : await db
        .selectFrom('clients')
        .selectAll()
        .where('tax_id', '=', stripTaxId(value))
        .executeTakeFirst()
  if (!row) {
    throw new NotFoundError(
      `no client '${ref}': give a client id or its CNPJ/CPF (see 'confi clients list')`,
    )
  }
  return toClient(row)
}

/** The client with this id; NotFoundError otherwise. */
export async function getClient(db: Db, id: number): Promise<Client> {
  const row = await db.selectFrom('clients').selectAll().where('id', '=', id).executeTakeFirst()
  if (!row) throw new NotFoundError(`no client with id ${id}`)
  return toClient(row)
}

async function assertTaxIdFree(trx: Db, taxId: string, exceptId?: number): Promise<void> {
  const other = await trx
    .selectFrom('clients')
    .select(['id', 'name', 'tax_id'])
    .where('tax_id', '=', taxId)
    .executeTakeFirst()
  if (other && Number(other.id) !== exceptId) {
    throw new ConflictError(
      `tax id ${formatTaxId(taxId)} already belongs to client ${other.id} (${other.name}); each CNPJ/CPF is one client`,
    )
  }
}

export interface NewClient {
  name: string
  taxId: string
  email?: string | null
  requireLogin?: RequireLogin
}

/** Adds a client with a fresh login link; refuses an invalid or duplicate tax id. */
export async function addClient(db: Db, key: SecretKey, actor: Actor, input: NewClient): Promise<Client> {
  return (await addClientUnlessThere(db, key, actor, input, false)).client
}

/**
 * addClient for a script that may run again: a client already there with this tax id and exactly
 * these details is answered as it is (`added: false`), changing nothing and recording nothing;
 * other details under the same tax id are still refused (docs/decisions.md, "Idempotent operations
 * answer quietly").
 */
export function addClientOnce(db: Db, key: SecretKey, actor: Actor, input: NewClient): Promise<{ client: Client; added: boolean }> {
  return addClientUnlessThere(db, key, actor, input, true)
}

async function addClientUnlessThere(
  db: Db,
  key: SecretKey,
  actor: Actor,
  input: NewClient,
  sameIsDone: boolean,
): Promise<{ client: Client; added: boolean }> {
  assertAccountant(actor, 'add clients')
  const name = normaliseName(input.name)
  const taxId = normaliseTaxId(input.taxId)
  const email = normaliseEmail(input.email)
  const requireLogin = input.requireLogin ?? 'inherit'
  return db.transaction().execute(async (trx) => {
    if (sameIsDone) {
      const there = await trx.selectFrom('clients').selectAll().where('tax_id', '=', taxId).executeTakeFirst()
      if (there && there.name === name && there.email === email && there.require_login === requireLogin) {
        return { client: toClient(there), added: false }
      }
    }
    await assertTaxIdFree(trx, taxId)
    const at = nowIso()
    const inserted = await trx
      .insertInto('clients')
      .values({
        name,
        tax_id: taxId,
        email,
        require_login: requireLogin,
        login_link_version: 1,
        created_at: at,
        updated_at: at,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
    const id = Number(inserted.id)
    await trx
      .updateTable('clients')
      .set({ login_link_digest: sha256Hex(deriveToken(key, 'login-link', id, 1)) })
      .where('id', '=', id)
      .execute()
    await recordEvent(trx, {
      actor,
      action: 'client.added',
      clientId: id,
      details: { name, taxId },
    })
    return { client: await getClient(trx, id), added: true }
  })
}

export interface ClientFilters {
  /** Matches a part of the name (case-insensitive) or the start of the tax id. */
  search?: string
  /** Only the members of this group head. */
  groupHeadId?: number
  /** Keyset paging: only clients with a greater id. */
  afterId?: number
  /** At most this many clients. */
  limit?: number
}

// LIKE treats % and _ as wildcards; a search for "50%" means the characters.
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`)
}

/** Clients by id, optionally filtered and paged; searched in SQL, on SQLite and PostgreSQL. */
export async function listClients(db: Db, filters: ClientFilters = {}): Promise<Client[]> {
  let query = filteredClients(db, filters)
  if (filters.limit !== undefined) query = query.limit(filters.limit)
  return (await query.execute()).map(toClient)
}

/** The rows of the clients `filters` select (all but its limit), by id, as a Kysely query. */
export function filteredClients(db: Db, filters: Omit<ClientFilters, 'limit'>) {
  let query = db.selectFrom('clients').selectAll().orderBy('id')
  if (filters.groupHeadId !== undefined)
    query = query.where('group_head_id', '=', filters.groupHeadId)
  if (filters.afterId !== undefined) query = query.where('id', '>', filters.afterId)
  const search = filters.search?.trim()
  if (search) {
    const taxPrefix = stripTaxId(search)
    // SQLite's lower() and upper() fold ASCII only: comparing both foldings catches "SÃO" for
    // "são" and "São" for "SÃO", which one folding alone would miss.
    query = query.where((eb) =>
      eb.or([
        sql<SqlBool>`lower(name) LIKE ${`%${escapeLike(search.toLowerCase())}%`} ESCAPE '\\'`,
        sql<SqlBool>`upper(name) LIKE ${`%${escapeLike(search.toUpperCase())}%`} ESCAPE '\\'`,
        ...(taxPrefix === ''
          ? []
          : [sql<SqlBool>`tax_id LIKE ${`${escapeLike(taxPrefix)}%`} ESCAPE '\\'`]),
      ]),
    )
  }
  return query
}

export interface ClientPage {
  clients: Client[]
  /** Ids on this page that head a group (their members may be on other pages). */
  headIds: Set<number>
  /** Give this as `afterId` for the next page; null on the last one. */
  nextAfterId: number | null
}

/** One page of `listClients` and what a listing shows beside it. */
export async function listClientPage(db: Db, filters: ClientFilters = {}): Promise<ClientPage> {
  const limit = filters.limit
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 1)) {
    throw new ValidationError(`limit ${limit} is not valid: give a whole number of at least 1`)
  }
  // One more than asked tells whether there is a next page.
  const rows = await listClients(db, {
    ...filters,
    limit: limit === undefined ? undefined : limit + 1,
  })
  const more = limit !== undefined && rows.length > limit
  const clients = more ? rows.slice(0, limit) : rows
  return { clients, headIds: await headsAmong(db, clients), nextAfterId: more ? clients[clients.length - 1].id : null }
}

// The page is in id order, so one range query on the group-head index finds its heads, however
// long the page (a per-500 IN list cost 20 queries for 10,000 clients: docs/performance.md).
async function headsAmong(db: Db, clients: readonly Client[]): Promise<Set<number>> {
  if (clients.length === 0) return new Set()
  const ids = new Set(clients.map((c) => c.id))
  const heads = await db
    .selectFrom('clients')
    .select('group_head_id')
    .distinct()
    .where('group_head_id', '>=', clients[0].id)
    .where('group_head_id', '<=', clients[clients.length - 1].id)
    .execute()
  return new Set(heads.map((h) => Number(h.group_head_id)).filter((id) => ids.has(id)))
}

// Keeps each IN list far below SQLite's and PostgreSQL's parameter limits.
function chunks<T>(items: readonly T[], size = 500): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/** The clients with these ids (those that exist), by id: for listings of other things. */
export async function listClientsByIds(db: Db, ids: readonly number[]): Promise<Client[]> {
  const clients: Client[] = []
  for (const part of chunks([...new Set(ids)])) {
    const rows = await db.selectFrom('clients').selectAll().where('id', 'in', part).execute()
    clients.push(...rows.map(toClient))
  }
  return clients.sort((a, b) => a.id - b.id)
}

/** Id and name of each of these clients, in the order given, read in one query: for company menus. */
export async function clientNames(db: Db, ids: readonly number[]): Promise<{ id: number; name: string }[]> {
  const names = new Map((await listClientsByIds(db, ids)).map((client) => [client.id, client.name]))
  return ids.flatMap((id) => {
    const name = names.get(id)
    return name === undefined ? [] : [{ id, name }]
  })
}

export interface ClientPatch {
  name?: string
  taxId?: string
  email?: string | null
  requireLogin?: RequireLogin
}

/** Changes a client's name, tax id, e-mail or require-login setting; one event with the changes. */
export async function editClient(
  db: Db,
  actor: Actor,
  id: number,
  patch: ClientPatch,
): Promise<Client> {
  assertAccountant(actor, 'edit clients')
  const name = patch.name === undefined ? undefined : normaliseName(patch.name)
  const taxId = patch.taxId === undefined ? undefined : normaliseTaxId(patch.taxId)
  const email = patch.email === undefined ? undefined : normaliseEmail(patch.email)
  return db.transaction().execute(async (trx) => {
    const before = await getClient(trx, id)
    if (taxId !== undefined) await assertTaxIdFree(trx, taxId, id)
    const next = { name, taxId, email, requireLogin: patch.requireLogin }
    const changes: Record<string, { from: unknown; to: unknown }> = {}
    for (const [field, value] of Object.entries(next) as [keyof typeof next, unknown][]) {
      if (value !== undefined && before[field] !== value)
        changes[field] = { from: before[field], to: value }
    }
    if (Object.keys(changes).length === 0) return before
    await trx
      .updateTable('clients')
      .set({
        name: changes.name ? name : undefined,
        tax_id: changes.taxId ? taxId : undefined,
        email: changes.email ? email : undefined,
        require_login: changes.requireLogin ? patch.requireLogin : undefined,
        updated_at: nowIso(),
      })
      .where('id', '=', id)
      .execute()
    await recordEvent(trx, { actor, action: 'client.edited', clientId: id, details: changes })
    return getClient(trx, id)
  })
}

/** Sets whether the client's documents need a login: on, off, or the firm default. */
export async function setClientRequireLogin(
  db: Db,
  actor: Actor,
  id: number,
  value: RequireLogin,
): Promise<Client> {
  return editClient(db, actor, id, { requireLogin: parseRequireLogin(value) })
}

/** The client's current login-link token, derived from the secret key (never stored). */
export function loginLinkToken(
  key: SecretKey,
  client: Pick<Client, 'id' | 'loginLinkVersion'>,
): string {
  return deriveToken(key, 'login-link', client.id, client.loginLinkVersion)
}

/** The login link people open: `<base URL>/area/<token>`. */
export function loginLinkUrl(baseUrl: string, token: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/area/${token}`
}

/** Replaces the client's login link: the version moves on; the old link stops working at once. */
export async function rotateLoginLink(
  db: Db,
  key: SecretKey,
  actor: Actor,
  clientId: number,
): Promise<Client> {
  assertAccountant(actor, 'replace login links')
  return db.transaction().execute(async (trx) => {
    const before = await getClient(trx, clientId)
    const version = before.loginLinkVersion + 1
    await trx
      .updateTable('clients')
      .set({
        login_link_version: version,
        login_link_digest: sha256Hex(deriveToken(key, 'login-link', clientId, version)),
        updated_at: nowIso(),
      })
      .where('id', '=', clientId)
      .execute()
    await recordEvent(trx, {
      actor,
      action: 'client.link_rotated',
      clientId,
      details: { version },
    })
    return getClient(trx, clientId)
  })
}

/** The client whose current login link carries this token, or null (unknown or rotated away). */
export async function findClientByLoginToken(db: Db, token: string): Promise<Client | null> {
  if (!isTokenShaped(token)) return null
  const row = await db
    .selectFrom('clients')
    .selectAll()
    .where('login_link_digest', '=', sha256Hex(token))
    .executeTakeFirst()
  return row ? toClient(row) : null
}

/** Whether the client's documents need a login: its own setting, or the firm default on inherit. */
export async function effectiveRequireLogin(db: Db, clientId: number): Promise<boolean> {
  const client = await getClient(db, clientId)
  if (client.requireLogin === 'on') return true
  if (client.requireLogin === 'off') return false
  return (await getFirmOptions(db)).requireLogin
}

/** The client's login link as people open it. */
export async function clientLoginLink(db: Db, key: SecretKey, client: Client): Promise<string> {
  const { baseUrl } = await getFirmOptions(db)
  return loginLinkUrl(baseUrl, loginLinkToken(key, client))
}
