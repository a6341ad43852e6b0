import type { Context } from 'hono'
import type { HttpBindings } from '@hono/node-server'
import type { AccessEntry } from '../core/access-log/chain/row.js'
import type { AccessRecorder } from '../core/documents/download.js'
import type { DocumentLookup } from '../core/documents/download-lookup.js'
import type { Config } from '../core/config/app-config.js'
import type { Db } from '../core/db/database.js'
import type { FileStore } from '../core/storage/file-store.js'
import type { FirmOptions } from '../core/clients/firm.js'
import type { PasswordHasher } from '../core/identity/passwords.js'
import type { Session, SessionEndReason } from '../core/identity/sessions.js'
import type { SecretKey } from '../core/tokens.js'
import type { ClientUser } from '../core/identity/users.js'
import type { VisibleScope } from '../core/identity/visibility.js'
import type { UploadCommitter } from '../core/uploads/commit.js'
import type { ClientAddress } from './client-address.js'
import { jsx, type JSXNode } from 'hono/jsx'
import { CurrentPath, type Viewer } from './views/layout.js'

/** Where the portal writes its own errors (never to the browser). */
export interface PortalLogger {
  error(message: string, error?: unknown): void
  info?(message: string): void
}

/** Everything the portal needs from outside; `createApp` takes it whole. */
export interface PortalDeps {
  db: Db
  key: SecretKey
  store: FileStore
  config: Readonly<Config>
  hasher: PasswordHasher
  accessLog: AccessRecorder
  logger: PortalLogger
  /** Who writes an upload's rows (`confi serve` on SQLite: a thread); by default this process. */
  commitUpload?: UploadCommitter
  /** How long firm options are reused between requests (default 1000 ms; tests pass 0). */
  firmOptionsTtlMs?: number
  /** Largest accepted request body in bytes (default 64 KB). */
  bodyLimitBytes?: number
  /** Memory for recently downloaded files (core's `withReadCache`; default 64 MB, 0 turns it off). */
  fileCacheBytes?: number
}

/** The logged-in user of a request, with the session and its cookie token. */
export interface Auth {
  session: Session
  user: ClientUser
  token: string
  /** The user has two-factor login on (read with the session, on every request). */
  twoFactorOn: boolean
  /** The current terms version when the user has not accepted it, else null (read with the session). */
  termsDueId: number | null
  /** What the user may see, read with the session on every request (core's scopeFrom). */
  scope: VisibleScope
}

export type { AccessEntry }

export type PortalEnv = {
  Bindings: Partial<HttpBindings>
  Variables: {
    deps: PortalDeps
    firm: FirmOptions
    auth: Auth | null
    address: ClientAddress
    /** Set when the request's cookie named a session that has ended: why, for the notice. */
    sessionEnd?: SessionEndReason | 'unknown'
    /** Set by a guard when the request's session must end once the response is built. */
    endSession?: boolean
    /** A download's document, read with this request's session (session.ts, loadAuth). */
    downloadDocument?: { id: number; lookup: DocumentLookup }
  }
}

export type PortalContext = Context<PortalEnv>

/** Sends a server-rendered page with a doctype; its components can read the request's path (CurrentPath). */
export function render(c: PortalContext, page: unknown, status = 200): Response {
  const html = jsx(CurrentPath.Provider, { value: c.req.path }, page as JSXNode)
  return c.html(`<!DOCTYPE html>${String(html)}`, status as 200)
}

/** The header's idea of who is logged in. */
export function viewerOf(auth: Auth | null): Viewer | null {
  if (!auth) return null
  return { name: auth.user.name, role: auth.user.role, area: auth.session.scope === 'area' }
}
