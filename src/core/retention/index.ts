// The retention face (docs/privacy.md): how long documents and the log's personal fields are kept.
// Only re-exports: modules inside core import each other directly, never a face, so a face closes
// no import cycle (docs/rules.md#architecture).
export { COUNTED_FROM, LEGAL_BASIS, LOG_BASIS, type CategoryRetention, type RetentionShow, showRetention } from './policy.js'
export { type ExpiredDocument, type LogFieldExpiry, runRetention, type RetentionRunOptions, type RetentionRunResult } from './run.js'
