import { accountant, assertAccountant, type Actor } from '../actors.js'
import type { Db } from '../db/database.js'
import { ConfiError, ValidationError } from '../errors.js'
import { recordEvent } from '../audit/events.js'
import type { Selectable } from 'kysely'
import type { FirmOptionsTable as FirmOptionsColumns } from '../db/tables.js'
import { checkPlainText, trimSpaces } from '../text-input.js'
import { nowIso } from '../time.js'
import { parseMailFrom, parseReminderDays } from './firm-contact.js'
import { parseBrazilianPhone } from './phone.js'
import { normaliseEmail } from './email-address.js'
import { DEFAULT_LOG_RETENTION, DEFAULT_RETENTION, formatPeriod, formatRetentionPolicy, parseLogRetention, parseRetentionPolicy } from './retention-policy.js'

/** The firm's options: one set per database (docs/rules.md#data). */
export interface FirmOptions {
  firmName: string
  baseUrl: string
  /** The default for clients whose `requireLogin` is `inherit`. */
  requireLogin: boolean
  bcryptCost: number
  sessionIdleMinutes: number
  sessionAbsoluteHours: number
  /** The firm's contact shown on pending pages (docs/rules.md#document-links-and-login). */
  contactEmail: string | null
  /** Who must use two-factor login (docs/security.md). */
  require2fa: TwoFactorPolicy
  /** The sender of the firm's e-mails, `Name <address>`; null until set. */
  mailFrom: string | null
  /** E.164. */
  phone: string | null
  /** Days before a due date on which reminders go out, largest first. */
  reminderDays: number[]
  /** Where the e-mails about what clients send go (docs/requests.md); null until set. */
  inboxEmail: string | null
  /** Largest file a client may send, in MB (1 to 500, default 25). */
  uploadMaxMb: number
  /** Most files in one upload (1 to 100, default 20). */
  uploadMaxFiles: number
  /** How long each category of document is kept, `fiscal=5y,...` (docs/privacy.md). */
  retention: string
  /** How long the access log's personal fields are kept, `5y` (at least 6 months). */
  logRetention: string
}

export type TwoFactorPolicy = 'off' | 'admins' | 'all'

type FirmOptionsTable = Selectable<FirmOptionsColumns>

export const DEFAULT_FIRM_NAME = 'Escritório de Contabilidade'
export const DEFAULT_BASE_URL = 'http://localhost:3000'
export const DEFAULT_BCRYPT_COST = 11
export const MIN_BCRYPT_COST = 10
export const MAX_BCRYPT_COST = 15
export const DEFAULT_UPLOAD_MAX_MB = 25
export const MAX_UPLOAD_MB = 500
export const DEFAULT_UPLOAD_MAX_FILES = 20
export const MAX_UPLOAD_FILES = 100

function toFirmOptions(row: FirmOptionsTable): FirmOptions {
  return {
    firmName: row.firm_name,
    baseUrl: row.base_url,
    requireLogin: Number(row.require_login) === 1,
    bcryptCost: Number(row.bcrypt_cost),
    sessionIdleMinutes: Number(row.session_idle_minutes),
    sessionAbsoluteHours: Number(row.session_absolute_hours),
    contactEmail: row.contact_email,
    require2fa: row.require_2fa,
    mailFrom: row.mail_from ?? null,
    phone: row.phone ?? null,
    reminderDays: parseReminderDays(row.reminder_days ?? '3,1,0'),
    inboxEmail: row.inbox_email ?? null,
    uploadMaxMb: Number(row.upload_max_mb ?? DEFAULT_UPLOAD_MAX_MB),
    uploadMaxFiles: Number(row.upload_max_files ?? DEFAULT_UPLOAD_MAX_FILES),
    retention: row.retention ?? DEFAULT_RETENTION,
    logRetention: row.log_retention ?? DEFAULT_LOG_RETENTION,
  }
}

/** The firm's options; throws when `confi init` never ran on this database. */
export async function getFirmOptions(db: Db): Promise<FirmOptions> {
  const row = await db.selectFrom('firm_options').selectAll().where('id', '=', 1).executeTakeFirst()
  if (!row) {
    throw new ConfiError("the firm options are missing: run 'confi init' to create them")
  }
  return toFirmOptions(row)
}

/** Checks a portal base URL (http or https, a bare origin) and drops trailing slashes. */
export function normaliseBaseUrl(input: string): string {
  const value = input.trim()
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new ValidationError(
      `'${input}' is not a valid base URL: use the portal's address, e.g. https://portal.example.com.br`,
    )
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ValidationError(
      `'${input}' is not a valid base URL: it must start with http:// or https://`,
    )
  }
  if (url.search || url.hash || url.username || url.password) {
    throw new ValidationError(
      `'${input}' is not a valid base URL: remove the query, fragment or credentials, e.g. ${url.origin}`,
    )
  }
  // Every portal link and redirect is root-relative (`/login`, `/d/...`): behind a path prefix
  // they would leave it, so the portal must own the root of its host.
  if (url.pathname.replace(/\/+$/, '') !== '') {
    throw new ValidationError(
      `'${input}' is not a valid base URL: it has a path (${url.pathname}); serve the portal ` +
        'at the root of its host, e.g. https://portal.escritorio.com.br',
    )
  }
  return url.origin
}

function normaliseFirmName(input: string): string {
  const name = checkPlainText(trimSpaces(input), 'firm name')
  if (name === '' || name.length > 200) {
    throw new ValidationError(`firm name '${name}' must have 1 to 200 characters`)
  }
  return name
}

function checkBcryptCost(cost: number): number {
  if (!Number.isInteger(cost) || cost < MIN_BCRYPT_COST || cost > MAX_BCRYPT_COST) {
    throw new ValidationError(
      `bcrypt cost ${cost} is out of range: use a whole number from ${MIN_BCRYPT_COST} to ${MAX_BCRYPT_COST} (default 11)`,
    )
  }
  return cost
}

function checkPositive(value: number, what: string, max: number): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new ValidationError(
      `${what} ${value} is out of range: use a whole number from 1 to ${max}`,
    )
  }
  return value
}

/** The contact e-mail and two-factor fields of a patch, checked ('' clears the e-mail). */
function checkContact(patch: FirmOptionsPatch): FirmOptionsPatch {
  if (patch.require2fa !== undefined && !['off', 'admins', 'all'].includes(patch.require2fa)) {
    throw new ValidationError(`two-factor policy '${patch.require2fa}' is not valid: use off, admins or all`)
  }
  return {
    contactEmail: patch.contactEmail === undefined ? undefined : normaliseEmail(patch.contactEmail),
    require2fa: patch.require2fa,
  }
}

export interface InitFirmResult {
  created: boolean
  /** The names of the options that changed when the firm already existed. */
  changed: string[]
  options: FirmOptions
}

/**
 * Creates the firm options with defaults, or, when they exist, applies only the values given.
 * Safe to run again: a second `confi init` without options changes nothing.
 */
export async function initFirm(
  db: Db,
  input: { firmName?: string; baseUrl?: string; actor?: Actor } = {},
): Promise<InitFirmResult> {
  const firmName = input.firmName === undefined ? undefined : normaliseFirmName(input.firmName)
  const baseUrl = input.baseUrl === undefined ? undefined : normaliseBaseUrl(input.baseUrl)
  const actor = input.actor ?? accountant('init')
  assertAccountant(actor, 'set up the firm')
  return db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom('firm_options').selectAll().executeTakeFirst()
    if (!existing) {
      await trx
        .insertInto('firm_options')
        .values({
          id: 1,
          firm_name: firmName ?? DEFAULT_FIRM_NAME,
          base_url: baseUrl ?? DEFAULT_BASE_URL,
          require_login: 0,
          bcrypt_cost: DEFAULT_BCRYPT_COST,
          session_idle_minutes: 60,
          session_absolute_hours: 12,
          updated_at: nowIso(),
        })
        .execute()
      await recordEvent(trx, { actor, action: 'firm.created' })
      return { created: true, changed: [], options: await getFirmOptions(trx) }
    }
    const { options, changed } = await updateFirm(trx, actor, existing, { firmName, baseUrl })
    return { created: false, changed, options }
  })
}

export interface FirmOptionsPatch {
  firmName?: string
  baseUrl?: string
  requireLogin?: boolean
  bcryptCost?: number
  sessionIdleMinutes?: number
  sessionAbsoluteHours?: number
  contactEmail?: string | null
  require2fa?: TwoFactorPolicy
  mailFrom?: string
  phone?: string
  /** Comma-separated, such as `3,1,0`. */
  reminderDays?: string
  /** '' clears it. */
  inboxEmail?: string | null
  uploadMaxMb?: number
  uploadMaxFiles?: number
  /** `fiscal=5y,pessoal=10y,...`: every category once. */
  retention?: string
  /** `5y`, `18m`: at least six months. */
  logRetention?: string
}

/** Changes firm options after validating them; writes one event listing what changed. */
export async function setFirmOptions(
  db: Db,
  actor: Actor,
  patch: FirmOptionsPatch,
): Promise<FirmOptions> {
  assertAccountant(actor, 'change the firm options')
  const clean: FirmOptionsPatch = {
    firmName: patch.firmName === undefined ? undefined : normaliseFirmName(patch.firmName),
    baseUrl: patch.baseUrl === undefined ? undefined : normaliseBaseUrl(patch.baseUrl),
    requireLogin: patch.requireLogin,
    bcryptCost: patch.bcryptCost === undefined ? undefined : checkBcryptCost(patch.bcryptCost),
    sessionIdleMinutes:
      patch.sessionIdleMinutes === undefined
        ? undefined
        : checkPositive(patch.sessionIdleMinutes, 'session idle minutes', 60 * 24 * 30),
    sessionAbsoluteHours:
      patch.sessionAbsoluteHours === undefined
        ? undefined
        : checkPositive(patch.sessionAbsoluteHours, 'session absolute hours', 24 * 365),
    ...checkContact(patch),
    mailFrom: patch.mailFrom === undefined ? undefined : parseMailFrom(patch.mailFrom),
    phone: patch.phone === undefined ? undefined : parseBrazilianPhone(patch.phone),
    reminderDays: patch.reminderDays === undefined ? undefined : parseReminderDays(patch.reminderDays).join(','),
    inboxEmail: patch.inboxEmail == null ? undefined : normaliseEmail(patch.inboxEmail),
    uploadMaxMb: patch.uploadMaxMb === undefined ? undefined : checkPositive(patch.uploadMaxMb, 'upload limit in MB', MAX_UPLOAD_MB),
    uploadMaxFiles:
      patch.uploadMaxFiles === undefined ? undefined : checkPositive(patch.uploadMaxFiles, 'files per upload', MAX_UPLOAD_FILES),
    retention: patch.retention === undefined ? undefined : formatRetentionPolicy(parseRetentionPolicy(patch.retention)),
    logRetention: patch.logRetention === undefined ? undefined : formatPeriod(parseLogRetention(patch.logRetention)),
  }
  return db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom('firm_options').selectAll().executeTakeFirst()
    if (!existing)
      throw new ConfiError("the firm options are missing: run 'confi init' to create them")
    return (await updateFirm(trx, actor, existing, clean)).options
  })
}

async function updateFirm(
  trx: Db,
  actor: Actor,
  existing: FirmOptionsTable,
  patch: FirmOptionsPatch,
): Promise<{ options: FirmOptions; changed: string[] }> {
  const before: Record<string, unknown> = { ...toFirmOptions(existing), reminderDays: existing.reminder_days }
  const changes: Partial<Omit<FirmOptions, 'reminderDays'> & { reminderDays: string }> = {}
  for (const [name, value] of Object.entries(patch) as [keyof FirmOptions, never][]) {
    if (value !== undefined && before[name] !== value) changes[name] = value
  }
  const changed = Object.keys(changes)
  if (changed.length === 0) return { options: toFirmOptions(existing), changed }
  await trx
    .updateTable('firm_options')
    .set({
      firm_name: changes.firmName,
      base_url: changes.baseUrl,
      require_login: changes.requireLogin === undefined ? undefined : changes.requireLogin ? 1 : 0,
      bcrypt_cost: changes.bcryptCost,
      session_idle_minutes: changes.sessionIdleMinutes,
      session_absolute_hours: changes.sessionAbsoluteHours,
      contact_email: changes.contactEmail,
      require_2fa: changes.require2fa,
      mail_from: changes.mailFrom,
      phone: changes.phone,
      reminder_days: changes.reminderDays,
      inbox_email: changes.inboxEmail,
      upload_max_mb: changes.uploadMaxMb,
      upload_max_files: changes.uploadMaxFiles,
      retention: changes.retention,
      log_retention: changes.logRetention,
      updated_at: nowIso(),
    })
    .where('id', '=', 1)
    .execute()
  const details: Record<string, unknown> = {}
  for (const name of changed) {
    details[name] = {
      from: before[name],
      to: changes[name as keyof typeof changes],
    }
  }
  await recordEvent(trx, { actor, action: 'firm.options_changed', details })
  return { options: await getFirmOptions(trx), changed }
}
