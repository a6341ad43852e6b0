// The public face of src/core/access-log/, the access log: its chain, tree, checkpoints, commit
// thread, reads, verification and export. Only re-exports: modules inside core import each other
// directly, never a face, so a face closes no import cycle (docs/rules.md#architecture).
export { type AccessChannel, type AccessEntry, accessLogHash, CANONICAL_FIELDS } from './chain/row.js'
export { type ProgressCallback, type VerifyResult } from './chain/walk.js'
export {
  appendCheckpoint,
  type Checkpoint,
  type CheckpointBody,
  listCheckpoints,
} from './checkpoints/checkpoints.js'
export { startAccessLogWriter } from './commit/commit-thread.js'
export { csvCell } from './export/columns.js'
export { exportAccessLog } from './export/export.js'
export { parseTimeBound } from './export/filter.js'
export { type ExportFormat } from './export/format.js'
export { type FirstAccess, firstAccessesOf, listAccessesOf } from './reads/accesses.js'
export { firstOpenedAt, neverDownloaded, neverOpened, notOpenedBy, openedBy } from './reads/opened.js'
export { documentRowsOf, eventRowsOf, lastDocumentRowId, rowHashesOf, rowHashOf } from './reads/rows.js'
export { rootFromInclusionProof, rowLeafHash, storedInclusionProof, syncTree } from './tree/merkle.js'
export { walkAccessLog } from './verify/verify.js'
export {
  erasePersonalFieldsOf,
  type ExpiryResult,
  expirePersonalFields,
  format1RowsOf,
  type IdRange,
  type PersonRows,
  scrubAfterErasure,
  secureDeleteOn,
} from './erase/personal-erase.js'
export { deliveriesOpenedBy, type LogFootprint, type LogPerson, PERSON_LOG_TABLES, personLogFootprint, personLogRows } from './reads/person.js'
export { type ChainRow } from './reads/rows.js'
