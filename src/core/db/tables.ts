import type { Generated } from 'kysely'
import type { AccessLogTable, AccessLogPersonalTable, AccessLogTreeTable, AccessLogTreeHeadTable, CheckpointsTable, ReceiptsTable } from './log-tables.js'
import type { RequestTemplatesTable, RequestsTable, UploadsTable, UploadFilesTable, ReceivedFiscalKeysTable, RequestEventsTable, DocumentPaymentsTable, RequestRemindersSentTable } from './answer-tables.js'
import type { DocumentHoldsTable, ErasuresTable, TermsVersionsTable, TermsAcceptancesTable } from './privacy-tables.js'

// Row types of schema.sql, as Kysely sees them. schema.sql is the source; keep these in step. The
// access log's, the client answers' and the LGPD tables have files of their own.
export type { AccessLogTable, AccessLogPersonalTable, AccessLogTreeTable, AccessLogTreeHeadTable, CheckpointsTable, ReceiptSubject, ReceiptsTable } from './log-tables.js'
export type { RequestTemplatesTable, RequestStatus, RequestsTable, UploadsTable, UploadFilesTable, ReceivedFiscalKeysTable, RequestEventsTable, DocumentPaymentsTable, RequestRemindersSentTable } from './answer-tables.js'
export type { DocumentHoldsTable, ErasuresTable, TermsVersionsTable, TermsAcceptancesTable } from './privacy-tables.js'

export interface SchemaVersionTable {
  version: number
  applied_at: string
}

export interface FirmOptionsTable {
  id: number
  firm_name: string
  base_url: string
  require_login: number
  bcrypt_cost: number
  session_idle_minutes: number
  session_absolute_hours: number
  updated_at: string
  mail_from: string | null
  phone: string | null
  reminder_days: Generated<string>
  // version 6 (issue 9); absent from inserts, so they take the column defaults.
  contact_email: Generated<string | null>
  require_2fa: Generated<'off' | 'admins' | 'all'>
  // version 10 (issue 20)
  inbox_email: Generated<string | null>
  upload_max_mb: Generated<number>
  upload_max_files: Generated<number>
  // version 11 (issue 21): 'fiscal=5y,...' and '5y'
  retention: Generated<string>
  log_retention: Generated<string>
}

export interface ClientsTable {
  id: Generated<number>
  name: string
  tax_id: string
  email: string | null
  require_login: 'inherit' | 'on' | 'off'
  login_link_version: number
  login_link_digest: string | null
  group_head_id: number | null
  created_at: string
  updated_at: string
}

export interface ClientUsersTable {
  id: Generated<number>
  client_id: number
  username: string
  username_key: string
  name: string
  email: string | null
  password_hash: string | null
  role: 'admin' | 'collaborator'
  status: 'pending' | 'active' | 'disabled'
  origin: 'login_link' | 'document_link' | 'portal_admin' | 'cli'
  created_at: string
  activated_at: string | null
  activated_by: string | null
  last_login_at: string | null
  /** The login before the last one (schema version 3): where "since your last visit" starts. */
  previous_login_at: string | null
  password_changed_at: string | null
  /** Set when the person was erased (schema version 11): the row is anonymised. */
  erased_at: Generated<string | null>
}

export interface UserVisibilityTable {
  user_id: number
  kind: 'category' | 'company'
  ref: string
}

export interface SessionsTable {
  id: Generated<number>
  token_hash: string
  user_id: number
  scope: 'area' | 'delivery'
  created_at: string
  last_seen_at: string
  expires_at: string
  ip: string | null
  user_agent: string | null
}

export interface LoginThrottleTable {
  throttle_key: string
  failures: number
  last_failure_at: string
  blocked_until: string
}

export interface PasswordResetsTable {
  id: Generated<number>
  user_id: number
  token_hash: string
  created_at: string
  expires_at: string
  used_at: string | null
}

export interface DocumentsTable {
  id: Generated<number>
  client_id: number
  title: string
  category: 'fiscal' | 'pessoal' | 'contabil' | 'societario' | 'outros'
  competence: string | null
  due_date: string | null
  amount_cents: number | null
  created_at: string
  created_by: string
  /** Set when retention removed its files (schema version 11): the row is the tombstone. */
  expired_at: Generated<string | null>
  expired_reason: Generated<string | null>
  files_removed_at: Generated<string | null>
}

export interface AttachmentsTable {
  id: Generated<number>
  document_id: number
  file_name: string
  media_type: string
  size: number
  sha256: string
  storage_key: string
}

export interface DeliveriesTable {
  id: Generated<number>
  document_id: number
  channel: 'email' | 'whatsapp' | 'link'
  recipient: string | null
  token_digest: string | null
  created_at: string
  created_by: string
  expires_at: string | null
  revoked_at: string | null
}

export interface EventsTable {
  id: Generated<number>
  at: string
  actor: string
  action: string
  client_id: number | null
  user_id: number | null
  details: string | null
}

export interface ImportQueueTable {
  id: Generated<number>
  file_name: string
  source_path: string
  source_sha256: string
  pages: string
  reason: string
  recognised: string
  storage_key: string
  size: number
  sha256: string
  created_at: string
  created_by: string
}

export interface OutboxTable {
  id: Generated<number>
  kind: 'delivery' | 'notification' | 'reminder' | 'request' | 'request_reminder' | 'inbox' | 'answer'
  /** null only for messages about a request or an upload (schema version 10). */
  document_id: number | null
  delivery_id: number | null
  recipient: string
  mail_from: string
  message_id: string
  subject: string
  body_text: string
  body_html: string
  status: 'queued' | 'sent' | 'failed'
  attempts: number
  next_attempt_at: string
  lease_owner: string | null
  lease_until: string | null
  last_error: string | null
  server_reply: string | null
  created_at: string
  created_by: string
  sent_at: string | null
  request_id: Generated<number | null>
  upload_id: Generated<number | null>
}

export interface RemindersSentTable {
  document_id: number
  recipient: string
  days_before: number
  outbox_id: number | null
  created_at: string
}

export interface UserArrivalsTable {
  user_id: number
  document_id: number
  delivery_id: number | null
}

export interface TwoFactorTable {
  user_id: number
  secret_sealed: string
  enabled_at: string | null
  last_step: Generated<number>
}

export interface RecoveryCodesTable {
  id: Generated<number>
  user_id: number
  code_hash: string
  used_at: string | null
}

export interface PendingLoginsTable {
  id: Generated<number>
  token_hash: string
  user_id: number
  scope: 'area' | 'delivery'
  next_path: string | null
  created_at: string
  expires_at: string
}

/** Why a session ended (schema version 7), kept so the next page can say so. */
export interface EndedSessionsTable {
  token_hash: string
  user_id: number
  reason: 'user_changed' | 'password_changed' | 'expired'
  ended_at: string
  forget_at: string
}

export interface Database {
  schema_version: SchemaVersionTable
  firm_options: FirmOptionsTable
  clients: ClientsTable
  client_users: ClientUsersTable
  user_visibility: UserVisibilityTable
  sessions: SessionsTable
  login_throttle: LoginThrottleTable
  password_resets: PasswordResetsTable
  documents: DocumentsTable
  attachments: AttachmentsTable
  deliveries: DeliveriesTable
  access_log: AccessLogTable
  access_log_personal: AccessLogPersonalTable
  events: EventsTable
  import_queue: ImportQueueTable
  outbox: OutboxTable
  reminders_sent: RemindersSentTable
  access_log_tree: AccessLogTreeTable
  access_log_tree_head: AccessLogTreeHeadTable
  checkpoints: CheckpointsTable
  receipts: ReceiptsTable
  user_arrivals: UserArrivalsTable
  two_factor: TwoFactorTable
  recovery_codes: RecoveryCodesTable
  pending_logins: PendingLoginsTable
  ended_sessions: EndedSessionsTable
  request_templates: RequestTemplatesTable
  requests: RequestsTable
  uploads: UploadsTable
  upload_files: UploadFilesTable
  received_fiscal_keys: ReceivedFiscalKeysTable
  request_events: RequestEventsTable
  document_payments: DocumentPaymentsTable
  request_reminders_sent: RequestRemindersSentTable
  document_holds: DocumentHoldsTable
  erasures: ErasuresTable
  terms_versions: TermsVersionsTable
  terms_acceptances: TermsAcceptancesTable
}
