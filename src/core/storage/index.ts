// The public face of src/core/storage/, the attachment store: its interface, the disk store and the
// files' durability. Only re-exports: modules inside core import each other directly, never a face,
// so a face closes no import cycle (docs/rules.md#architecture).
export { createDiskFileStore } from './disk/disk-store.js'
export { syncDirectory, tempNameFor, unwritable } from './durable-files.js'
export { type DeleteOutcome, type FileStore, putBytes, storageKeyOf, type StoredFile } from './file-store.js'
export { withReadCache } from './read-cache.js'
export { createFileStore } from './store-factory.js'
