// Every core module the commands call, in one module: `loadCore()` imports this once, so the
// bundle loads core as a few chunks instead of one chunk per module (docs/performance.md, CLI
// start-up).
import * as errors from '../core/errors.js'
import * as time from '../core/time.js'
import * as db_database from '../core/db/database.js'
import * as db_schema from '../core/db/schema.js'
import * as clients_firm from '../core/clients/firm.js'
import * as clients_clients from '../core/clients/clients.js'
import * as clients_groups from '../core/clients/groups.js'
import * as clients_tax_id from '../core/clients/tax-id.js'
import * as identity_users from '../core/identity/users.js'
import * as identity_registration from '../core/identity/registration.js'
import * as identity_credentials from '../core/identity/credentials.js'
import * as identity_passwords from '../core/identity/passwords.js'
import * as identity_password_resets from '../core/identity/password-resets.js'
import * as identity_password_pool from '../core/identity/password-pool.js'
import * as identity_two_factor from '../core/identity/two-factor.js'
import * as documents_documents from '../core/documents/documents.js'
import * as delivery_deliveries from '../core/delivery/deliveries.js'
import * as storage_store_factory from '../core/storage/store-factory.js'
import * as access_log_row from '../core/access-log/chain/row.js'
import * as access_log_append from '../core/access-log/chain/append.js'
import * as access_log_export from '../core/access-log/export/export.js'
import * as access_log_filter from '../core/access-log/export/filter.js'
import * as ops_backup from '../core/ops/backup.js'
import * as ops_maintenance from '../core/ops/maintenance.js'
import * as mail_smtp from '../core/mail/smtp.js'
import * as mail_sender from '../core/mail/sender.js'
import * as mail_outbox from '../core/mail/outbox.js'
import * as mail_document_mail from '../core/mail/document-mail.js'
import * as mail_messages from '../core/mail/messages.js'
import * as mail_reminders from '../core/mail/reminders.js'
import * as delivery_follow_up from '../core/delivery/follow-up.js'
import * as delivery_timeline from '../core/delivery/timeline.js'
import * as proof_keys from '../core/proof/keys.js'
import * as proof_checkpoints from '../core/proof/checkpoints.js'
import * as proof_receipts from '../core/proof/receipts.js'
import * as access_log_columns from '../core/access-log/export/columns.js'
import * as access_log_merkle from '../core/access-log/tree/merkle.js'
import * as audit_events from '../core/audit/events.js'
import * as file_modes from '../core/file-modes.js'

export const modules = [
  errors,
  time,
  db_database,
  db_schema,
  clients_firm,
  clients_clients,
  clients_groups,
  clients_tax_id,
  identity_users,
  identity_registration,
  identity_credentials,
  identity_passwords,
  identity_password_resets,
  identity_password_pool,
  identity_two_factor,
  documents_documents,
  delivery_deliveries,
  storage_store_factory,
  access_log_row,
  access_log_append,
  access_log_export,
  access_log_filter,
  ops_backup,
  ops_maintenance,
  mail_smtp,
  mail_sender,
  mail_outbox,
  mail_document_mail,
  mail_messages,
  mail_reminders,
  delivery_follow_up,
  delivery_timeline,
  proof_keys,
  proof_checkpoints,
  proof_receipts,
  access_log_columns,
  access_log_merkle,
  audit_events,
  file_modes,
] as const
