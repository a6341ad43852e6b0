// The public face of src/core/delivery/, deliveries: links to a document, their follow-up and
// timeline. Only re-exports: modules inside core import each other directly, never a face, so a
// face closes no import cycle (docs/rules.md#architecture).
export {
  createDelivery,
  type Delivery,
  deliveryStatus,
  deliveryToken,
  deliveryUrl,
  getDelivery,
  insertDelivery,
  listDeliveries,
  parseDuration,
  resolveDelivery,
  resolveDeliveryRef,
  revokeDelivery,
} from './deliveries.js'
export { listPending, parseDueWithin, parseOverdueFor } from './follow-up.js'
export { type DeliveryTimeline, documentStatus } from './timeline.js'
