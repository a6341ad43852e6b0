import { HTTPException } from 'hono/http-exception'
import {
  ConflictError,
  ForbiddenError,
  GoneError,
  NotFoundError,
  ThrottledError,
  ValidationError,
  type ConfiError,
  type RefusalReason,
} from '../core/errors.js'
import type { PortalContext } from './env.js'
import { m, waitText } from './messages.js'

// The one place where a refusal becomes a status and a pt-BR sentence: the error handler's pages
// and every form's inline error read it (docs/decisions.md, "One refusal map").

/** How the portal answers a refusal: status, page title and the sentence for the person. */
export interface Refusal {
  status: number
  title: string
  message: string
  /** Set for 429: the Retry-After seconds. */
  retryAfterSeconds?: number
  /** The form field (its `name`) the refusal is about, so the form shows it next to that field. */
  field?: string
}

// The field each reason is about; a refusal without one is shown at the top of the form only.
const REASON_FIELDS: Partial<Record<RefusalReason, string>> = {
  username_taken: 'username',
  username_invalid: 'username',
  name_invalid: 'name',
  email_invalid: 'email',
  password_too_short: 'password',
  password_too_long: 'password',
  password_mismatch: 'password_confirm',
  wrong_current_password: 'current_password',
  payment_date_invalid: 'paid_on',
  payment_date_future: 'paid_on',
  payment_date_too_early: 'paid_on',
  terms_not_accepted: 'terms',
}

/** A refusal the portal itself makes, already written in pt-BR for the person (about `field`, when given). */
export class FormError extends ValidationError {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message)
  }
}

// Core speaks English to accountants at the terminal; the portal shows people pt-BR. Refusals a
// client user can meet carry a stable `reason` from core; anything else falls back to a general
// sentence of its class.
// password_too_long has a count in its sentence (sentence() below).
const REASONS: Record<Exclude<RefusalReason, 'password_too_long'>, string> = {
  username_taken: 'Este nome de usuário já está em uso. Escolha outro.',
  link_revoked: 'Este link foi revogado pelo escritório. Peça um novo link ao seu escritório de contabilidade.',
  document_expired:
    'Este documento foi removido pela política de retenção do escritório: o prazo legal de guarda terminou e os arquivos foram apagados. Se precisar dele, fale com o seu escritório de contabilidade.',
  link_expired: 'Este link expirou. Peça um novo link ao seu escritório de contabilidade.',
  control_character: 'O texto contém um caractere de controle invisível. Digite-o novamente, sem colar.',
  username_invalid:
    'Usuário inválido: use de 3 a 64 caracteres (letras, números, ponto, hífen, sublinhado ou @), sem espaços.',
  name_invalid: 'Nome inválido: use de 1 a 200 caracteres.',
  email_invalid: 'E-mail inválido: use algo como nome@empresa.com.br.',
  password_too_short: m.errors.passwordShort,
  password_mismatch: 'As duas senhas digitadas são diferentes. Digite a mesma senha nos dois campos.',
  wrong_current_password: m.account.wrongCurrent,
  admin_required: 'Apenas quem administra a Área do Cliente da empresa pode fazer isso.',
  last_admin:
    'A empresa precisa manter pelo menos uma pessoa ativa com perfil Administração: dê esse perfil a outra pessoa antes.',
  first_user_must_be_admin: 'A primeira pessoa cadastrada na empresa precisa ter o perfil Administração e estar ativa.',
  user_is_disabled: `Este usuário está desativado: use "${m.users.enable}" para liberar o acesso de novo.`,
  user_is_pending: `Este usuário ainda aguarda ativação: use "${m.users.activate}".`,
  visibility_of_admin: 'O perfil Administração sempre vê tudo; a visibilidade vale só para o perfil Colaboração.',
  company_outside_area: 'Esta empresa não faz parte da Área do Cliente deste usuário.',
  wrong_code: 'Código incorreto ou já usado. Digite o código que o aplicativo mostra agora.',
  two_factor_on: 'A verificação em duas etapas já está ativada.',
  two_factor_off: 'A verificação em duas etapas não está ativada.',
  two_factor_required: m.twoFactor.required,
  payment_not_a_guide: m.payment.notAGuide,
  payment_date_invalid: m.payment.dateInvalid,
  payment_date_future: m.payment.dateFuture,
  payment_date_too_early: m.payment.dateTooEarly,
  payment_already_marked: m.payment.alreadyMarked,
  payment_not_marked: m.payment.notMarked,
  payment_proof_invalid: m.payment.proofInvalid,
  terms_not_accepted: m.terms.notAccepted,
  terms_changed: m.terms.changed,
}

/** The pt-BR sentence of a refusal: the portal's own, the reason's, or its class's `fallback`. */
function sentence(error: ConfiError, fallback: string): string {
  if (error instanceof FormError) return error.message
  if (error.reason === 'password_too_long') return m.errors.passwordLong(error.amount ?? 1)
  return error.reason ? REASONS[error.reason] : fallback
}

function fieldOf(error: ConfiError): { field?: string } {
  const field = error instanceof FormError ? error.field : error.reason && REASON_FIELDS[error.reason]
  return field ? { field } : {}
}

/** Hono's own refusals (body limit, CSRF origin check, malformed requests). */
function httpRefusal(error: HTTPException): Refusal | null {
  if (error.status === 413) return { status: 413, title: m.errors.tooLargeTitle, message: m.errors.tooLarge }
  if (error.status === 403) return { status: 403, title: m.errors.csrfTitle, message: m.errors.csrf }
  if (error.status < 500) return { status: error.status, title: m.errors.badRequestTitle, message: m.errors.badRequest }
  return null
}

/**
 * The answer to a refusal, or null when `error` is none (unavailable or unexpected: the error
 * handler logs those). Forbidden is 403 everywhere, forms included.
 */
export function refusalOf(error: unknown): Refusal | null {
  if (error instanceof HTTPException) return httpRefusal(error)
  if (error instanceof NotFoundError) return { status: 404, title: m.errors.notFoundTitle, message: m.errors.notFound }
  if (error instanceof GoneError) {
    // "Link revogado" and "Link expirado" are different news: one was the firm's choice.
    const title =
      error.reason === 'link_revoked' ? m.errors.revokedTitle : error.reason === 'document_expired' ? m.errors.expiredTitle : m.errors.goneTitle
    return { status: 410, title, message: sentence(error, m.errors.gone) }
  }
  if (error instanceof ThrottledError) {
    const seconds = error.retryAfterSeconds
    return { status: 429, title: m.errors.throttledTitle, message: waitText(seconds), retryAfterSeconds: seconds }
  }
  if (error instanceof ValidationError) {
    return { status: 400, title: m.errors.badRequestTitle, message: sentence(error, m.errors.badRequest), ...fieldOf(error) }
  }
  if (error instanceof ForbiddenError) {
    return { status: 403, title: m.errors.forbiddenTitle, message: sentence(error, m.errors.forbidden), ...fieldOf(error) }
  }
  if (error instanceof ConflictError) {
    return { status: 409, title: m.errors.conflictTitle, message: sentence(error, m.errors.conflict), ...fieldOf(error) }
  }
  return null
}

// What a form answers on its own page, keeping what the person typed; anything else (a link
// gone, an id not found, an outage) goes to the error handler's page.
const FORM_REFUSALS = [ValidationError, ForbiddenError, ConflictError, ThrottledError]

/**
 * The refusal a form shows inline, with Retry-After set when throttled; rethrows every other
 * error for the error handler.
 */
export function formRefusal(c: PortalContext, error: unknown): Refusal {
  const refusal = FORM_REFUSALS.some((kind) => error instanceof kind) ? refusalOf(error) : null
  if (!refusal) throw error
  if (refusal.retryAfterSeconds !== undefined) c.header('Retry-After', String(refusal.retryAfterSeconds))
  return refusal
}
