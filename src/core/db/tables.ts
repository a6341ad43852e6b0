import type { ColumnType, Generated } from 'kysely'

// Row types of schema.sql, as Kysely sees them. schema.sql is the source; keep these in step.

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

export interface AccessLogTable {
  id: Generated<number>
  at: string
  // Null only in rows of format 2 whose kind has no such thing (document.published has no channel).
  document_id: number | null
  attachment_id: number | null
  client_id: number | null
  user_id: number | null
  // The personal fields: in the row itself only in format 1; a format-2 row commits to them
  // (the *_commitment columns) and keeps them in access_log_personal.
  username: string | null
  user_name: string | null
  channel: 'portal' | 'email' | 'whatsapp' | 'link' | null
  delivery_id: number | null
  ip: string | null
  port: number | null
  user_agent: string | null
  action: 'view' | 'download' | null
  prev_hash: string
  hash: string
  format: ColumnType<number, number | undefined, never>
  kind: string | null
  details: string | null
  username_commitment: string | null
  user_name_commitment: string | null
  ip_commitment: string | null
  port_commitment: string | null
  user_agent_commitment: string | null
  recipient_commitment: string | null
}

/** The personal values of a format-2 access-log row and their salts (hex); an erasure clears a pair. */
export interface AccessLogPersonalTable {
  id: number
  username: string | null
  username_salt: string | null
  user_name: string | null
  user_name_salt: string | null
  ip: string | null
  ip_salt: string | null
  port: number | null
  port_salt: string | null
  user_agent: string | null
  user_agent_salt: string | null
  recipient: string | null
  recipient_salt: string | null
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

export interface AccessLogTreeTable {
  level: number
  idx: number
  hash: string
}

export interface AccessLogTreeHeadTable {
  id: number
  size: number
  frontier: string
}

export interface CheckpointsTable {
  id: Generated<number>
  tree_size: number
  root_hash: string
  at: string
  key_id: string
  signature: string
}

/** An access receipt ('document') or a protocolo de envio of an upload, a "nada a enviar", a paid mark. */
export type ReceiptSubject = 'document' | 'upload' | 'nothing_to_send' | 'paid'

export interface ReceiptsTable {
  id: Generated<number>
  public_id: string
  /** What the receipt proves (schema version 10): a document's accesses, or what a client sent. */
  subject: ColumnType<ReceiptSubject, ReceiptSubject | undefined, never>
  /** The document of an access receipt or of a paid mark; null for an upload or a "nada a enviar". */
  document_id: number | null
  delivery_id: number | null
  upload_id: ColumnType<number | null, number | null | undefined, never>
  request_id: ColumnType<number | null, number | null | undefined, never>
  /** The log row a protocol is anchored on; null for an access receipt. */
  log_id: ColumnType<number | null, number | null | undefined, never>
  checkpoint_id: number
  body: string
  created_at: string
  created_by: string
  /** SHA-256 of what the receipt says apart from its code, time and signature (schema version 10); null before. */
  reuse_key: string | null
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

// version 10 (issue 20): requests, uploads, paid marks.

export interface RequestTemplatesTable {
  id: Generated<number>
  client_id: number | null
  title: string
  category: 'fiscal' | 'pessoal' | 'contabil' | 'societario' | 'outros'
  due_day: number
  note: string | null
  created_at: string
  created_by: string
  removed_at: string | null
}

export type RequestStatus = 'open' | 'received' | 'accepted' | 'nothing_to_send' | 'cancelled'

export interface RequestsTable {
  id: Generated<number>
  client_id: number
  template_id: number | null
  title: string
  category: 'fiscal' | 'pessoal' | 'contabil' | 'societario' | 'outros'
  competence: string | null
  due_date: string
  note: string | null
  status: RequestStatus
  created_at: string
  created_by: string
  updated_at: string
}

export interface UploadsTable {
  id: Generated<number>
  client_id: number
  request_id: number | null
  user_id: number
  category: 'fiscal' | 'pessoal' | 'contabil' | 'societario' | 'outros' | null
  note: string | null
  status: 'received' | 'accepted' | 'rejected'
  status_note: string | null
  status_at: string | null
  status_by: string | null
  log_id: number | null
  created_at: string
}

export interface UploadFilesTable {
  id: Generated<number>
  upload_id: number
  file_name: string
  media_type: string
  size: number
  sha256: string
  storage_key: string
  fiscal: string | null
  note: string | null
}

export interface ReceivedFiscalKeysTable {
  client_id: number
  access_key: string
  upload_file_id: number
}

export interface RequestEventsTable {
  id: Generated<number>
  request_id: number
  at: string
  action: 'created' | 'received' | 'accepted' | 'rejected' | 'nothing_to_send' | 'reopened' | 'cancelled' | 'closed'
  actor: string
  user_id: number | null
  upload_id: number | null
  note: string | null
}

export interface DocumentPaymentsTable {
  document_id: number
  paid_on: string
  marked_at: string
  marked_by: string
  user_id: number | null
  proof_upload_id: number | null
}

export interface RequestRemindersSentTable {
  request_id: number
  recipient: string
  days_before: number
  outbox_id: number | null
  created_at: string
}

export interface DocumentHoldsTable {
  id: Generated<number>
  document_id: number
  reason: string
  held_at: string
  held_by: string
  released_at: string | null
  released_by: string | null
}

export interface ErasuresTable {
  id: Generated<number>
  user_id: number | null
  at: string
  by_actor: string
  log_id: number | null
  summary: string
}

export interface TermsVersionsTable {
  id: Generated<number>
  sha256: string
  body: string
  source_name: string | null
  published_at: string
  published_by: string
}

export interface TermsAcceptancesTable {
  user_id: number
  terms_id: number
  accepted_at: string
  log_id: number | null
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
