// The public face of src/core/audit/, the events table: who did what, for the firm. Only
// re-exports: modules inside core import each other directly, never a face, so a face closes no
// import cycle (docs/rules.md#architecture).
export { actorLabel, recordEvent } from './events.js'
