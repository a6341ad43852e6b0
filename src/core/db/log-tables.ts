import type { ColumnType, Generated } from 'kysely'

// Row types of the access log and its proofs (schema.sql versions 1, 4, 9, 10): the rows, their
// personal values, the Merkle tree, checkpoints and receipts. schema.sql is the source.

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
