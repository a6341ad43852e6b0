import { ForbiddenError } from './errors.js'

/**
 * Who performs an administrative action: an accountant at the terminal (`cli:<os user>`) or a
 * client user in the portal. A closed type: the CLI builds `accountant(label)`, the portal
 * `clientUser(id)`; no bare string stands for an accountant (docs/decisions.md, "Closed actors").
 * Core re-checks a client user's rights inside the transaction.
 */
export type Actor = AccountantActor | ClientUserActor

export interface AccountantActor {
  readonly kind: 'accountant'
  /** Recorded as the actor of events: `cli:<os user>`, or `init`/`demo` for setup. */
  readonly label: string
}

export interface ClientUserActor {
  readonly kind: 'client_user'
  readonly userId: number
}

/** An accountant actor from the CLI's `cli:<os user>` label. */
export function accountant(label: string): AccountantActor {
  return { kind: 'accountant', label }
}

/** The signed-in client user acting in the portal. */
export function clientUser(userId: number): ClientUserActor {
  return { kind: 'client_user', userId }
}

/**
 * Refuses a client user an operation only the firm's accountants may do (firm options, clients,
 * groups, documents, deliveries); `what` completes "only the firm's accountants can …".
 */
export function assertAccountant(actor: Actor, what: string): asserts actor is AccountantActor {
  if (actor.kind === 'accountant') return
  throw new ForbiddenError(`only the firm's accountants can ${what}`)
}
