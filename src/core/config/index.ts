// The public face of src/core/config/, the application's configuration, resolved from the
// environment and flags. Only re-exports: modules inside core import each other directly, never a
// face, so a face closes no import cycle (docs/rules.md#architecture).
export { type Config, type DatabaseTarget, resolveConfig } from './app-config.js'
