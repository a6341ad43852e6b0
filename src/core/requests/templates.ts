import { assertAccountant, type Actor } from '../actors.js'
import { actorLabel, recordEvent } from '../audit/events.js'
import { parseCategory, type Category } from '../categories.js'
import type { Db } from '../db/database.js'
import { parseCompetence } from '../documents/documents.js'
import { ConflictError, NotFoundError, ValidationError } from '../errors.js'
import { nowIso } from '../time.js'
import { insertRequestEvent, parseNote, parseRequestTitle } from './requests.js'

// Recurring requests (docs/requests.md, "Generation"): a template asks one client, or every
// client, for the same thing each competência; `requests generate` (monthly, from cron) makes the
// month's requests. The UNIQUE (template_id, client_id, competence) of schema.sql makes it
// idempotent, also when two runs race: the loser's insert does nothing.

export interface RequestTemplate {
  id: number
  /** null: every client existing when a month's requests are generated. */
  clientId: number | null
  clientName: string | null
  title: string
  category: Category
  /** Day of the month after the competência on which the request falls due. */
  dueDay: number
  note: string | null
  createdAt: string
  createdBy: string
}

export interface NewTemplate {
  /** null: every client. */
  clientId: number | null
  title: string
  dueDay: number
  category: Category | string
  note?: string | null
}

/** A template id typed by a person. */
export function parseTemplateId(ref: string | number): number {
  const value = String(ref).trim()
  if (!/^\d{1,10}$/.test(value) || Number(value) > 2_147_483_647) {
    throw new ValidationError(`'${ref}' is not a template id: give the number shown by 'confi requests template list'`)
  }
  return Number(value)
}

function parseDueDay(value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > 31) {
    throw new ValidationError(`due day ${value} is out of range: use a day of the month from 1 to 31 (a shorter month uses its last day)`)
  }
  return value
}

/**
 * The due date of a competência's request: `dueDay` of the month after the competência, or that
 * month's last day when it is shorter (day 31 for 2027-01 falls on 2027-02-28).
 */
export function dueDateFor(competence: string, dueDay: number): string {
  const [year, month] = parseCompetence(competence).split('-').map(Number)
  // Date.UTC's month is 0-based: `month` is the next month, and day 0 of the one after is its last day.
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate()
  const due = new Date(Date.UTC(year, month, Math.min(dueDay, lastDay)))
  return due.toISOString().slice(0, 10)
}

// Every template with its client's name, the removed ones too (removeTemplate tells them apart).
function selectAnyTemplates(db: Db) {
  return db
    .selectFrom('request_templates')
    .leftJoin('clients', 'clients.id', 'request_templates.client_id')
    .selectAll('request_templates')
    .select('clients.name as client_name')
}

function selectTemplates(db: Db) {
  return selectAnyTemplates(db).where('request_templates.removed_at', 'is', null).orderBy('request_templates.id')
}

type TemplateRow = Awaited<ReturnType<ReturnType<typeof selectTemplates>['executeTakeFirstOrThrow']>>

function toTemplate(row: TemplateRow): RequestTemplate {
  return {
    id: Number(row.id),
    clientId: row.client_id === null ? null : Number(row.client_id),
    clientName: row.client_name ?? null,
    title: row.title,
    category: row.category,
    dueDay: Number(row.due_day),
    note: row.note,
    createdAt: row.created_at,
    createdBy: row.created_by,
  }
}

/** The templates still in use, oldest first. */
export async function listTemplates(db: Db): Promise<RequestTemplate[]> {
  return (await selectTemplates(db).execute()).map(toTemplate)
}

/** Adds a recurring request for one client (or, with clientId null, every client). */
export async function addTemplate(db: Db, actor: Actor, input: NewTemplate): Promise<RequestTemplate> {
  assertAccountant(actor, 'ask clients for documents')
  const title = parseRequestTitle(input.title)
  const category = parseCategory(input.category)
  const dueDay = parseDueDay(input.dueDay)
  const note = parseNote(input.note)
  const id = await db.transaction().execute(async (trx) => {
    if (input.clientId !== null) {
      const client = await trx.selectFrom('clients').select('id').where('id', '=', input.clientId).executeTakeFirst()
      if (!client) throw new NotFoundError(`no client with id ${input.clientId}: see 'confi clients list'`)
    }
    const row = await trx
      .insertInto('request_templates')
      .values({
        client_id: input.clientId,
        title,
        category,
        due_day: dueDay,
        note,
        created_at: nowIso(),
        created_by: await actorLabel(trx, actor),
        removed_at: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
    await recordEvent(trx, {
      actor,
      action: 'request_template.added',
      clientId: input.clientId,
      details: { templateId: Number(row.id), title, category, dueDay },
    })
    return Number(row.id)
  })
  return toTemplate(await selectTemplates(db).where('request_templates.id', '=', id).executeTakeFirstOrThrow())
}

/** Stops a template: it generates nothing more; the requests it made stay as they are. */
export async function removeTemplate(db: Db, actor: Actor, id: number): Promise<RequestTemplate> {
  assertAccountant(actor, 'ask clients for documents')
  return db.transaction().execute(async (trx) => {
    const row = await selectAnyTemplates(trx).where('request_templates.id', '=', id).executeTakeFirst()
    if (!row) throw new NotFoundError(`no request template with id ${id}: see 'confi requests template list'`)
    if (row.removed_at !== null) throw new ConflictError(`request template ${id} was already removed at ${row.removed_at}`)
    await trx.updateTable('request_templates').set({ removed_at: nowIso() }).where('id', '=', id).execute()
    await recordEvent(trx, { actor, action: 'request_template.removed', clientId: row.client_id, details: { templateId: id } })
    return toTemplate(row)
  })
}

export interface GenerateResult {
  competence: string
  /** The requests made by this run (none when an earlier or concurrent run made them). */
  created: { requestId: number; templateId: number; clientId: number; title: string; dueDate: string }[]
  /** Requests of this competência that already existed. */
  existing: number
}

/**
 * Makes the requests of `competence`: one per template in use and client it covers (a
 * --all-clients template covers every client existing now, group members included). Idempotent:
 * the unique key makes a second or concurrent run's insert do nothing.
 */
export async function generateRequests(db: Db, actor: Actor, competenceInput: string): Promise<GenerateResult> {
  assertAccountant(actor, 'ask clients for documents')
  const competence = parseCompetence(competenceInput)
  const createdBy = await actorLabel(db, actor)
  const templates = await listTemplates(db)
  const allClients = templates.some((t) => t.clientId === null)
    ? (await db.selectFrom('clients').select('id').orderBy('id').execute()).map((c) => Number(c.id))
    : []
  const created: GenerateResult['created'] = []
  let existing = 0
  for (const template of templates) {
    const dueDate = dueDateFor(competence, template.dueDay)
    for (const clientId of template.clientId === null ? allClients : [template.clientId]) {
      // One short transaction per request: the request and its 'created' step commit together.
      const id = await db.transaction().execute(async (trx) => {
        const at = nowIso()
        const row = await trx
          .insertInto('requests')
          .values({
            client_id: clientId,
            template_id: template.id,
            title: template.title,
            category: template.category,
            competence,
            due_date: dueDate,
            note: template.note,
            status: 'open',
            created_at: at,
            created_by: createdBy,
            updated_at: at,
          })
          .onConflict((oc) => oc.columns(['template_id', 'client_id', 'competence']).doNothing())
          .returning('id')
          .executeTakeFirst()
        if (!row) return null
        await insertRequestEvent(trx, { requestId: Number(row.id), action: 'created', actor: createdBy, at })
        return Number(row.id)
      })
      if (id === null) existing++
      else created.push({ requestId: id, templateId: template.id, clientId, title: template.title, dueDate })
    }
  }
  return { competence, created, existing }
}
