import { ConfiError, ConflictError, ForbiddenError, GoneError, NotFoundError, UnavailableError, ValidationError } from '../errors.js'
import { UploadRefusedError, type UploadProblem } from './refusals.js'

// An error of the uploads' commit thread crosses to the main thread as plain data and comes back
// as the same typed error, so the portal answers exactly as when the main thread wrote the rows.

export interface SentError {
  name: string
  message: string
  reason?: ConfiError['reason']
  remedy?: ConfiError['remedy']
  problem?: UploadProblem
  details?: UploadRefusedError['details']
}

const TYPES = { ConflictError, ForbiddenError, GoneError, NotFoundError, UnavailableError, ValidationError, ConfiError }

export function describeError(error: unknown): SentError {
  if (error instanceof UploadRefusedError) return { name: 'UploadRefusedError', message: error.message, problem: error.problem, details: error.details }
  if (error instanceof ConfiError) return { name: error.name, message: error.message, reason: error.reason, remedy: error.remedy }
  return { name: 'Error', message: error instanceof Error ? error.message : String(error) }
}

export function reviveError(sent: SentError): Error {
  if (sent.name === 'UploadRefusedError') return new UploadRefusedError(sent.problem!, sent.message, sent.details)
  const Type = TYPES[sent.name as keyof typeof TYPES]
  if (Type) return new Type(sent.message, { reason: sent.reason, remedy: sent.remedy })
  return new Error(sent.message)
}
