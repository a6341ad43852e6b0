// The public face of src/core/import/, document import: recognising files and the import queue.
// Only re-exports: modules inside core import each other directly, never a face, so a face closes
// no import cycle (docs/rules.md#architecture).
export { importFiles, type ImportReport, type ImportRow } from './file.js'
export { assignQueueItem, dropQueueItem, listQueue, type QueueItem } from './queue.js'
