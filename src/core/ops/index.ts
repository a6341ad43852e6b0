// The public face of src/core/ops/, operations: backup and pruning. Only re-exports: modules inside
// core import each other directly, never a face, so a face closes no import cycle
// (docs/rules.md#architecture).
export { backupDatabase } from './backup.js'
export { prunedTotal, pruneExpired } from './maintenance.js'
