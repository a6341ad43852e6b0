import type { Generated } from 'kysely'

// Row types of the client's answers (schema.sql version 10): requests, uploads, paid marks and
// their reminders. schema.sql is the source.

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
