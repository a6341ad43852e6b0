// The public face of src/core/documents/, documents: filing, listing, the access decision and
// downloads. Only re-exports: modules inside core import each other directly, never a face, so a
// face closes no import cycle (docs/rules.md#architecture).
export {
  type AccessViewer,
  decideAreaAccess,
  decideDeliveryAccess,
  deliverySessionScope,
  deliveryTakesLogins,
  findVisibleDocument,
  registerThroughDelivery,
} from './access.js'
export { type DocumentAccesses, listDocumentAccesses } from './accesses.js'
export { formatAmount } from './amount.js'
export { areaDocumentQuery } from './area-list.js'
export { activeAdminNames, type Arrival, arrivalsOf } from './arrivals.js'
export {
  addDocument,
  type Document,
  getDocument,
  insertDocument,
  listDocuments,
  type NewDocument,
  parseCompetence,
  prepareDocument,
  resolveDocument,
} from './documents.js'
export {
  type AccessOrigin,
  type AccessRecorder,
  commitAccess,
  type DownloadConfirmation,
  type FileDownload,
  serveAreaDownload,
  serveDeliveryDownload,
  serveZipDownload,
} from './download.js'
export { DUE_SOON_LIMIT, type DueSoonItem, listDueSoon, OVERDUE_LOOKBACK_DAYS } from './due-soon.js'
export { DOCUMENT_SORTS, type DocumentSort, parseSearch, parseSort } from './list-order.js'
export { newSinceLastVisit } from './unopened.js'
export { getPayment, markPaid, type PaymentMark, unmarkPaid } from './payments.js'
export { planDocumentZip, planListZip, zipFileName, type ZipPlan } from './zip.js'
export { type Hold, holdDocument, openHold, releaseDocument } from './holds.js'
