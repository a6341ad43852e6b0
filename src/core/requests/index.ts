// The public face of src/core/requests/, what the firm asks its clients for: requests, their
// templates and monthly generation, who may answer them, the client's answers, the firm's
// decisions and the reminders. Only re-exports: modules inside core import each other directly,
// never a face, so a face closes no import cycle (docs/rules.md#architecture).
export { answerersOf, mayAnswer, pendingRequestsFor, requestForAnswer, requestForUser } from './access.js'
export { answerNothingToSend, markRequestReceived } from './answers.js'
export { cancelRequest, closeRequest, reopenRequest, settleRequestForUpload } from './decisions.js'
export { planRequestReminders, REQUEST_REMINDER_DAYS, runRequestReminders, type RequestReminderRun } from './reminders.js'
export { requestPageUrl } from './request-mail.js'
export {
  addRequest,
  allowsMove,
  type DocumentRequest,
  getRequest,
  listRequests,
  parseRequestId,
  parseRequestStatus,
  REQUEST_MOVES,
  REQUEST_STATUSES,
  type RequestEvent,
  requestHistory,
  type RequestQuery,
  type RequestStatus,
} from './requests.js'
export { addTemplate, dueDateFor, generateRequests, type GenerateResult, listTemplates, parseTemplateId, removeTemplate, type RequestTemplate } from './templates.js'
