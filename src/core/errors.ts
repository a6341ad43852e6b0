/**
 * Refusals an adapter may word differently for its audience (the portal shows pt-BR to client
 * users; core's messages are English for accountants). Stable: adapters match on these, never on
 * message text.
 */
export type RefusalReason =
  | 'username_taken'
  | 'username_invalid'
  | 'name_invalid'
  | 'email_invalid'
  | 'password_too_short'
  | 'password_too_long'
  | 'password_mismatch'
  | 'wrong_current_password'
  | 'admin_required'
  | 'last_admin'
  | 'first_user_must_be_admin'
  | 'user_is_disabled'
  | 'user_is_pending'
  | 'visibility_of_admin'
  | 'company_outside_area'
  | 'control_character'
  | 'link_revoked'
  | 'link_expired'
  | 'wrong_code'
  | 'two_factor_on'
  | 'two_factor_off'
  | 'two_factor_required'
  | 'payment_not_a_guide'
  | 'payment_date_invalid'
  | 'payment_date_future'
  | 'payment_date_too_early'
  | 'payment_already_marked'
  | 'payment_not_marked'
  | 'payment_proof_invalid'
  | 'terms_not_accepted'
  | 'terms_changed'
  | 'document_expired'

/**
 * What the operator changes to get past a refusal about the installation, in core's words: the
 * CLI names the flag or variable that sets it, so core's messages name no CLI flags.
 */
export type Remedy = 'database_location' | 'state_file' | 'output_file' | 'due_within' | 'overdue_for' | 'mail_from' | 'recipient' | 'first_user'

/** Base of every refusal core makes on purpose; adapters turn `code` into an exit code or status. */
export class ConfiError extends Error {
  readonly code: string = 'error'
  readonly reason?: RefusalReason
  readonly remedy?: Remedy
  /** A number the reason's sentence needs (password_too_long: how many characters to delete). */
  readonly amount?: number
  constructor(message: string, options: { reason?: RefusalReason; remedy?: Remedy; amount?: number } = {}) {
    super(message)
    this.name = new.target.name
    this.reason = options.reason
    this.remedy = options.remedy
    this.amount = options.amount
  }
}

/** The thing asked for does not exist, or the caller may not know that it exists. */
export class NotFoundError extends ConfiError {
  override readonly code = 'not_found'
}

/** The input is malformed: the message says which value and what would be right. */
export class ValidationError extends ConfiError {
  override readonly code = 'validation'
}

/** The caller is known but may not do this. */
export class ForbiddenError extends ConfiError {
  override readonly code = 'forbidden'
}

/** The request breaks a rule given the current state (duplicate, last admin, group rules). */
export class ConflictError extends ConfiError {
  override readonly code = 'conflict'
}

/** Too many attempts; try again after `retryAfterSeconds`. */
export class ThrottledError extends ConfiError {
  override readonly code = 'throttled'
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message)
  }
}

/** The link or delivery existed but can no longer be used (expired, revoked). */
export class GoneError extends ConfiError {
  override readonly code = 'gone'
}

/** The database or the file store cannot serve the request right now. */
export class UnavailableError extends ConfiError {
  override readonly code = 'unavailable'
}
