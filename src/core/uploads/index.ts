// The public face of src/core/uploads/, what clients send the firm: intake, the firm's inbox and
// the client's view. Only re-exports: modules inside core import each other directly, never a
// face, so a face closes no import cycle (docs/rules.md#architecture).
export { getUploadForUser, openUploadFileForUser, sendChoices, type ClientUpload, type UploadStep } from './client-view.js'
export { ACCEPTED_TYPES } from './file-types.js'
export {
  acceptUpload,
  FISCAL_MODEL_NAMES,
  type FiscalFields,
  getInboxUpload,
  type InboxUpload,
  listInbox,
  parseUploadStatus,
  rejectUpload,
  saveUploadFiles,
  UPLOAD_STATUSES,
  type UploadStatus,
} from './inbox.js'
export { type ClosableUploadCommitter, startUploadCommitter } from './commit-thread.js'
export { type UploadCommitter } from './commit.js'
export { FILES_FIELD } from './intake.js'
export { formatSize, INBOX_DIGEST_SECONDS } from './mail.js'
export { markPaidWithProof, type PaidWithProof } from './payment-proof.js'
export { MAX_NOTE_CHARS, receiveUpload, type SenderOrigin, UPLOAD_FIELDS, uploadLimits } from './receive.js'
export { type UploadProblem, UploadRefusedError } from './refusals.js'
