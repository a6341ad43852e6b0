import type { Generated } from 'kysely'

// Row types of the LGPD tables (schema.sql version 11): legal holds, erasures, terms and their
// acceptances. schema.sql is the source.

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
