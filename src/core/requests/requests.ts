import { assertAccountant, type Actor } from '../actors.js'
import { parseCategory, type Category } from '../categories.js'
import { actorLabel } from '../audit/events.js'
import type { Db } from '../db/database.js'
import type { RequestEventsTable, RequestStatus } from '../db/tables.js'
import { parseDueWithin } from '../delivery/follow-up.js'
import { parseCompetence, parseDueDate } from '../documents/documents.js'
import { ConflictError, NotFoundError, ValidationError } from '../errors.js'
import { checkPlainText, collapseSpaces, trimSpaces } from '../text-input.js'
import { addDays, localDate, nowIso } from '../time.js'

// What the firm asks a client for (docs/requests.md): one request names a client, a title, a
// category, an optional competência, a due date and an optional note, and carries its history in
// request_events. The states and the moves between them are REQUEST_MOVES, in one place.

export type { RequestStatus } from '../db/tables.js'
export const REQUEST_STATUSES: readonly RequestStatus[] = ['open', 'received', 'accepted', 'nothing_to_send', 'cancelled']
export type RequestEventAction = RequestEventsTable['action']

/** A request of the firm's to a client. */
export interface DocumentRequest {
  id: number
  clientId: number
  clientName: string
  clientTaxId: string
  templateId: number | null
  title: string
  category: Category
  competence: string | null
  dueDate: string
  note: string | null
  status: RequestStatus
  /** When the request is open again because the firm rejected the last answer: when and why. */
  rejection: { at: string; reason: string | null } | null
  createdAt: string
  createdBy: string
  updatedAt: string
}

/** One step of a request's history. */
export interface RequestEvent {
  id: number
  at: string
  action: RequestEventAction
  /** `cli:<os user>` for the firm, `user:<username>` for a client's user. */
  actor: string
  userId: number | null
  /** The name of the client's user who acted, when one did. */
  userName: string | null
  uploadId: number | null
  note: string | null
}

/**
 * The moves a request may make, by what causes them: each names the statuses it starts from and
 * the status it leads to (docs/requests.md, "States"). Anything else is refused as a conflict.
 */
export const REQUEST_MOVES = {
  received: { from: ['open', 'received', 'nothing_to_send'], to: 'received' },
  nothing_to_send: { from: ['open'], to: 'nothing_to_send' },
  accepted: { from: ['open', 'received', 'nothing_to_send'], to: 'accepted' },
  rejected: { from: ['received', 'nothing_to_send', 'accepted'], to: 'open' },
  cancelled: { from: ['open', 'received', 'nothing_to_send'], to: 'cancelled' },
} as const satisfies Record<string, { from: readonly RequestStatus[]; to: RequestStatus }>
export type RequestMove = keyof typeof REQUEST_MOVES

/** Whether a request in this status still takes a move (files arriving, "nothing to send"...). */
export function allowsMove(status: RequestStatus, move: RequestMove): boolean {
  return (REQUEST_MOVES[move].from as readonly RequestStatus[]).includes(status)
}

const STATUS_WORDS: Record<RequestStatus, string> = {
  open: 'open (waiting for the client)',
  received: 'received (files arrived)',
  accepted: 'accepted',
  nothing_to_send: 'answered "nothing to send"',
  cancelled: 'cancelled',
}

const MOVE_WORDS: Record<RequestMove, string> = {
  received: 'take files for it',
  nothing_to_send: 'be answered "nothing to send" (only an open request can)',
  accepted: 'be accepted',
  rejected: 'be reopened (only a received, answered or accepted one can)',
  cancelled: 'be cancelled',
}

export function parseRequestStatus(value: string): RequestStatus | 'rejected' {
  const status = value.trim().toLowerCase()
  if ((REQUEST_STATUSES as readonly string[]).includes(status) || status === 'rejected') return status as RequestStatus
  throw new ValidationError(`unknown request status '${value}': use one of ${REQUEST_STATUSES.join(', ')} or rejected`)
}

/** A request's title: 1 to 200 characters, no control characters. */
export function parseRequestTitle(value: string): string {
  const title = checkPlainText(collapseSpaces(value), 'title')
  if (title === '' || title.length > 200) {
    throw new ValidationError(`the title must have 1 to 200 characters, not ${title.length}`)
  }
  return title
}

/** The longest note or reason a request's step takes. */
export const MAX_REQUEST_NOTE_CHARS = 1000

/** An optional free text (a note, a reason): null when empty, at most MAX_REQUEST_NOTE_CHARS characters. */
export function parseNote(value: string | null | undefined, what = 'note'): string | null {
  if (value === null || value === undefined) return null
  const note = checkPlainText(trimSpaces(value.replace(/\r\n?/g, '\n')).replace(/\n/g, ' '), what)
  if (note === '') return null
  if (note.length > MAX_REQUEST_NOTE_CHARS) {
    throw new ValidationError(`the ${what} must have at most ${MAX_REQUEST_NOTE_CHARS} characters, not ${note.length}`)
  }
  return note
}

/** A request id typed by a person. */
export function parseRequestId(ref: string | number): number {
  const value = String(ref).trim()
  if (!/^\d{1,10}$/.test(value) || Number(value) > 2_147_483_647) {
    throw new ValidationError(`'${ref}' is not a request id: give the number shown by 'confi requests list'`)
  }
  return Number(value)
}

/** The requests with their client's name and tax id, for a query to narrow. */
export function selectRequests(db: Db) {
  return db
    .selectFrom('requests')
    .innerJoin('clients', 'clients.id', 'requests.client_id')
    .selectAll('requests')
    .select(['clients.name as client_name', 'clients.tax_id as client_tax_id'])
}

type RequestRow = Awaited<ReturnType<ReturnType<typeof selectRequests>['executeTakeFirstOrThrow']>>

/** The firm's last rejection of each open request reopened by one (its latest event), by request id. */
async function rejectionsOf(db: Db, rows: RequestRow[]): Promise<Map<number, { at: string; reason: string | null }>> {
  const open = rows.filter((r) => r.status === 'open').map((r) => Number(r.id))
  const out = new Map<number, { at: string; reason: string | null }>()
  for (let i = 0; i < open.length; i += 500) {
    const ids = open.slice(i, i + 500)
    const latest = await db
      .selectFrom('request_events')
      .select(['request_id', 'action', 'at', 'note'])
      .where('request_id', 'in', ids)
      .where('id', 'in', (eb) =>
        eb.selectFrom('request_events as e').select((e) => e.fn.max('e.id').as('id')).where('e.request_id', 'in', ids).groupBy('e.request_id'),
      )
      .execute()
    for (const row of latest) {
      if (row.action === 'rejected') out.set(Number(row.request_id), { at: row.at, reason: row.note })
    }
  }
  return out
}

function toRequest(row: RequestRow, rejections: Map<number, { at: string; reason: string | null }>): DocumentRequest {
  const id = Number(row.id)
  return {
    id,
    clientId: Number(row.client_id),
    clientName: row.client_name,
    clientTaxId: row.client_tax_id,
    templateId: row.template_id === null ? null : Number(row.template_id),
    title: row.title,
    category: row.category,
    competence: row.competence,
    dueDate: row.due_date,
    note: row.note,
    status: row.status,
    rejection: rejections.get(id) ?? null,
    createdAt: row.created_at,
    createdBy: row.created_by,
    updatedAt: row.updated_at,
  }
}

/** Requests read as domain objects, with their rejections. */
export async function toRequests(db: Db, rows: RequestRow[]): Promise<DocumentRequest[]> {
  const rejections = await rejectionsOf(db, rows)
  return rows.map((row) => toRequest(row, rejections))
}

/** One request; NotFoundError when there is none with this id. */
export async function getRequest(db: Db, id: number): Promise<DocumentRequest> {
  const row = await selectRequests(db).where('requests.id', '=', id).executeTakeFirst()
  if (!row) throw new NotFoundError(`no request with id ${id}: see 'confi requests list'`)
  return (await toRequests(db, [row]))[0]
}

/** A request's history, oldest first. */
export async function requestHistory(db: Db, id: number): Promise<RequestEvent[]> {
  const rows = await db
    .selectFrom('request_events')
    .leftJoin('client_users', 'client_users.id', 'request_events.user_id')
    .selectAll('request_events')
    .select('client_users.name as user_name')
    .where('request_events.request_id', '=', id)
    .orderBy('request_events.id')
    .execute()
  return rows.map((row) => ({
    id: Number(row.id),
    at: row.at,
    action: row.action,
    actor: row.actor,
    userId: row.user_id === null ? null : Number(row.user_id),
    userName: row.user_name ?? null,
    uploadId: row.upload_id === null ? null : Number(row.upload_id),
    note: row.note,
  }))
}

export interface NewRequest {
  clientId: number
  title: string
  dueDate: string
  category?: Category | string
  competence?: string | null
  note?: string | null
}

/** Adds a request by hand (`confi requests add`): open, with its 'created' event. */
export async function addRequest(db: Db, actor: Actor, input: NewRequest): Promise<DocumentRequest> {
  assertAccountant(actor, 'ask clients for documents')
  const title = parseRequestTitle(input.title)
  const category = parseCategory(input.category ?? 'outros')
  const competence = input.competence ? parseCompetence(input.competence) : null
  const dueDate = parseDueDate(input.dueDate)
  const note = parseNote(input.note)
  const id = await db.transaction().execute(async (trx) => {
    const client = await trx.selectFrom('clients').select('id').where('id', '=', input.clientId).executeTakeFirst()
    if (!client) throw new NotFoundError(`no client with id ${input.clientId}: see 'confi clients list'`)
    const createdBy = await actorLabel(trx, actor)
    const at = nowIso()
    const row = await trx
      .insertInto('requests')
      .values({
        client_id: input.clientId,
        template_id: null,
        title,
        category,
        competence,
        due_date: dueDate,
        note,
        status: 'open',
        created_at: at,
        created_by: createdBy,
        updated_at: at,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
    await insertRequestEvent(trx, { requestId: Number(row.id), action: 'created', actor: createdBy, at })
    return Number(row.id)
  })
  return getRequest(db, id)
}

/** Appends one step to a request's history. */
export async function insertRequestEvent(
  trx: Db,
  event: { requestId: number; action: RequestEventAction; actor: string; at?: string; userId?: number | null; uploadId?: number | null; note?: string | null },
): Promise<void> {
  await trx
    .insertInto('request_events')
    .values({
      request_id: event.requestId,
      at: event.at ?? nowIso(),
      action: event.action,
      actor: event.actor,
      user_id: event.userId ?? null,
      upload_id: event.uploadId ?? null,
      note: event.note ?? null,
    })
    .execute()
}

/**
 * Moves request `id` (read inside `trx`) by `move` and records the step; refuses a move its
 * current status does not allow with a ConflictError that says what the status is.
 */
export async function moveRequest(
  trx: Db,
  id: number,
  move: RequestMove,
  step: { actor: string; userId?: number | null; uploadId?: number | null; note?: string | null },
): Promise<DocumentRequest> {
  const request = await getRequest(trx, id)
  const rule = REQUEST_MOVES[move]
  if (!allowsMove(request.status, move)) {
    throw new ConflictError(`request ${id} is ${STATUS_WORDS[request.status]}: it cannot ${MOVE_WORDS[move]}`)
  }
  const at = nowIso()
  // Compare-and-set on the status read above: of two concurrent moves, the second finds it changed.
  const result = await trx
    .updateTable('requests')
    .set({ status: rule.to, updated_at: at })
    .where('id', '=', id)
    .where('status', '=', request.status)
    .executeTakeFirst()
  if (Number(result.numUpdatedRows) !== 1) throw new ConflictError(`request ${id} changed meanwhile: look at it again with 'confi requests show ${id}'`)
  await insertRequestEvent(trx, { requestId: id, action: move, at, ...step })
  return { ...request, status: rule.to, updatedAt: at, rejection: move === 'rejected' ? { at, reason: step.note ?? null } : null }
}

export interface RequestQuery {
  status?: RequestStatus | 'rejected'
  clientId?: number
  /** `3d`: due within this many days from today, overdue ones included. */
  dueWithin?: string
  competence?: string
  today?: string
}

/** Requests, soonest due first; `rejected` means open again after the firm rejected an answer. */
export async function listRequests(db: Db, query: RequestQuery = {}): Promise<DocumentRequest[]> {
  let select = selectRequests(db).orderBy('requests.due_date').orderBy('requests.id')
  const status = query.status === 'rejected' ? 'open' : query.status
  if (status) select = select.where('requests.status', '=', status)
  if (query.clientId !== undefined) select = select.where('requests.client_id', '=', query.clientId)
  if (query.competence) select = select.where('requests.competence', '=', parseCompetence(query.competence))
  if (query.dueWithin !== undefined) {
    select = select.where('requests.due_date', '<=', addDays(query.today ?? localDate(), parseDueWithin(query.dueWithin)))
  }
  const requests = await toRequests(db, await select.execute())
  return query.status === 'rejected' ? requests.filter((r) => r.rejection !== null) : requests
}
