import type { Readable, Writable } from 'node:stream'
// Types only from the database's face: Kysely and better-sqlite3 load when a command first opens
// the database, so `--help` and usage errors start quickly (docs/performance.md).
import type { Db, OpenDatabase } from '../core/db/index.js'
import { accountant, type AccountantActor } from '../core/actors.js'
import { resolveConfig, type Config } from '../core/config/index.js'
import { loadSecretKey, type SecretKey } from '../core/tokens.js'
import { Output } from './output.js'

/** What the CLI takes from the process; tests pass their own. */
export interface CliDeps {
  env: Readonly<Record<string, string | undefined>>
  cwd: string
  stdin: Readable & { isTTY?: boolean }
  stdout: Writable & { isTTY?: boolean }
  stderr: Writable
  /** `cli:<os user>`, recorded as the actor of every administrative action. */
  actor: string
}

/** Per-invocation services the commands share: configuration, database, key, output. */
export class CliContext {
  #config?: Readonly<Config>
  #open?: OpenDatabase
  readonly out: Output

  constructor(
    readonly deps: CliDeps,
    private readonly globals: () => { db?: string; color?: boolean },
  ) {
    // Asked lazily: the context exists before commander has parsed `--no-color`.
    this.out = new Output(deps.stdout, deps.stderr, () => {
      const noColor = deps.env.NO_COLOR !== undefined && deps.env.NO_COLOR !== ''
      return !noColor && this.globals().color !== false && Boolean(deps.stdout.isTTY)
    })
  }

  /** The accountant at this terminal, as core's actor. */
  get actor(): AccountantActor {
    return accountant(this.deps.actor)
  }

  /** True when prompts are allowed: both stdin and stdout are a terminal. */
  get interactive(): boolean {
    return Boolean(this.deps.stdin.isTTY && this.deps.stdout.isTTY)
  }

  config(): Readonly<Config> {
    if (!this.#config) {
      this.#config = resolveConfig({ env: this.deps.env, cwd: this.deps.cwd, dbPath: this.globals().db })
    }
    return this.#config
  }

  /** Opens the database (once) after checking it is initialised and of this version. */
  async db(): Promise<Db> {
    if (!this.#open) {
      const { openDatabase, assertSchemaCurrent } = await import('../core/db/index.js')
      const open = await openDatabase(this.config().database)
      try {
        await assertSchemaCurrent(open)
      } catch (error) {
        await open.close()
        throw error
      }
      this.#open = open
    }
    return this.#open.db
  }

  /** Opens or creates the database and applies the schema (`confi init`). */
  async initDatabase(): Promise<{ db: Db; version: number; created: boolean; location: string }> {
    const { openDatabase, applySchema } = await import('../core/db/index.js')
    const open = await openDatabase(this.config().database, { create: true })
    this.#open = open
    const result = await applySchema(open)
    return { db: open.db, location: open.location, ...result }
  }

  /** The open database handle with its backend, for commands that need the raw driver. */
  async openDatabase(): Promise<OpenDatabase> {
    await this.db()
    return this.#open as OpenDatabase
  }

  secretKey(options: { create?: boolean } = {}): SecretKey {
    return loadSecretKey(this.config().secretFile, options)
  }

  /** The firm's Ed25519 signing keys (core/proof/keys.ts); `create` only for `confi init`. */
  async signingKeys(options: { create?: boolean } = {}) {
    const { loadSigningKeys } = await import('../core/proof/index.js')
    return loadSigningKeys(this.config().signingKeyFile, options)
  }

  async close(): Promise<void> {
    await this.#open?.close()
    this.#open = undefined
  }
}
