// Core loads when a command first needs it, not when the CLI starts: `--help` and usage errors
// stay fast (docs/performance.md). One loader for every command; Node keeps each module after
// its first import, so calling it again costs nothing.

const MODULES = () => import('./core-modules.js').then((loaded) => loaded.modules)

type Modules = Awaited<ReturnType<typeof MODULES>>
type Merged<T extends readonly unknown[]> = T extends readonly [infer Head, ...infer Tail] ? Head & Merged<Tail> : unknown

/** Every core function the commands call, by name. */
export type Core = Merged<Modules>

let loading: Promise<Core> | undefined

/** The core modules of the commands, loaded once. */
export function loadCore(): Promise<Core> {
  loading ??= MODULES().then(merge)
  return loading
}

// Commands call core functions by name: a name two modules export would silently pick one.
function merge(modules: Modules): Core {
  const core: Record<string, unknown> = {}
  for (const module of modules) {
    for (const [name, value] of Object.entries(module)) {
      if (name in core) throw new Error(`two core modules export '${name}': rename one`)
      core[name] = value
    }
  }
  return core as Core
}
