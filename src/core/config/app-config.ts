import { basename, dirname, extname, join, resolve } from 'node:path'
import { ValidationError } from '../errors.js'

/** Where the database is: a SQLite file or a PostgreSQL server (with its pool size). */
export type DatabaseTarget =
  | { kind: 'sqlite'; path: string }
  | { kind: 'postgres'; url: string; poolSize: number }

export interface Config {
  database: DatabaseTarget
  /** Holds the attachment store (`files/`) and, by default, the secret key file. */
  dataDir: string
  secretFile: string
  /** The firm's Ed25519 signing keys (core/proof/keys.ts), beside the secret key file by default. */
  signingKeyFile: string
  /** Proxies whose X-Forwarded-For is believed (exact IP addresses). */
  trustedProxies: readonly string[]
  debug: boolean
}

export interface ConfigInput {
  env: Readonly<Record<string, string | undefined>>
  cwd: string
  /** --db from the command line; wins over CONFI_DB. */
  dbPath?: string
}

/** Reads the configuration once from the environment and options, validated and frozen. */
export function resolveConfig(input: ConfigInput): Readonly<Config> {
  const { env, cwd } = input
  const database = resolveDatabase(input)
  const defaultDataDir =
    database.kind === 'sqlite'
      ? join(dirname(database.path), `${basename(database.path, extname(database.path))}-data`)
      : resolve(cwd, 'confi-data')
  const dataDir = env.CONFI_DATA_DIR ? resolve(cwd, env.CONFI_DATA_DIR) : defaultDataDir
  const secretFile = env.CONFI_SECRET_FILE
    ? resolve(cwd, env.CONFI_SECRET_FILE)
    : join(dataDir, 'secret.key')
  const signingKeyFile = env.CONFI_SIGNING_KEY_FILE
    ? resolve(cwd, env.CONFI_SIGNING_KEY_FILE)
    : join(dirname(secretFile), 'signing-keys.json')
  return Object.freeze({
    database,
    dataDir,
    secretFile,
    signingKeyFile,
    trustedProxies: Object.freeze(
      (env.CONFI_TRUSTED_PROXIES ?? '')
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean),
    ),
    debug: env.CONFI_DEBUG === '1',
  })
}

function resolveDatabase(input: ConfigInput): DatabaseTarget {
  const url = input.env.DATABASE_URL
  if (!input.dbPath && url !== undefined && url !== '') {
    if (!/^postgres(ql)?:\/\//.test(url)) {
      throw new ValidationError(
        'DATABASE_URL must start with postgres:// or postgresql://; unset it to use a SQLite file instead',
        { remedy: 'database_location' },
      )
    }
    return { kind: 'postgres', url, poolSize: parsePoolSize(input.env.CONFI_PG_POOL_SIZE) }
  }
  const path = input.dbPath || input.env.CONFI_DB || 'confi.db'
  // Echoing a URL would print its password, and init would make a file named after it.
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) {
    throw new ValidationError('--db and CONFI_DB take a SQLite file path, not a URL: put a PostgreSQL URL in DATABASE_URL')
  }
  return { kind: 'sqlite', path: resolve(input.cwd, path) }
}

function parsePoolSize(value: string | undefined): number {
  if (value === undefined || value === '') return 10
  const size = Number(value)
  if (!Number.isInteger(size) || size < 1 || size > 200) {
    throw new ValidationError(`CONFI_PG_POOL_SIZE must be a whole number from 1 to 200, not '${value}'`)
  }
  return size
}
