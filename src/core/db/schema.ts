import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ConfiError, ValidationError } from '../errors.js'
import type { Backend, Db, OpenDatabase } from './handle.js'

/**
 * Path of schema.sql shipped with the package: the nearest folder above this module that holds
 * one, since the module runs from dist/core/db/ (tsc output) and from dist/confi/ (the CLI bundle).
 */
export const schemaPath = findSchemaFile(dirname(fileURLToPath(import.meta.url)))

function findSchemaFile(from: string): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'schema.sql')
    if (existsSync(candidate)) return candidate
  }
  return resolve(from, '..', '..', '..', 'schema.sql')
}

/** One `-- version N` section of schema.sql: portable statements plus each dialect's own. */
export interface SchemaStep {
  version: number
  common: string
  dialects: Partial<Record<Backend, string>>
}

/**
 * The versions of schema.sql, oldest first. Each section holds what that version adds; a new
 * database runs them all, an older one only those above its recorded version
 * (docs/decisions.md, "Schema versions").
 */
export function schemaSteps(text = readFileSync(schemaPath, 'utf8')): SchemaStep[] {
  const parts = text.split(/^-- version (\d+)\s*$/m)
  const steps: SchemaStep[] = []
  for (let i = 1; i < parts.length; i += 2) {
    const [common, ...rest] = parts[i + 1].split(/^-- dialect: (\w+)\s*$/m)
    const dialects: Partial<Record<Backend, string>> = {}
    for (let j = 0; j < rest.length; j += 2) dialects[rest[j] as Backend] = rest[j + 1]
    const version = Number(parts[i])
    if (steps.length > 0 && version <= steps[steps.length - 1].version) {
      throw new ConfiError(`schema.sql: version ${version} does not follow ${steps[steps.length - 1].version}`)
    }
    steps.push({ version, common, dialects })
  }
  if (steps.length === 0) throw new ConfiError('schema.sql has no "-- version N" section')
  return steps
}

/** The script of one step for `backend`. */
export function stepScript(step: SchemaStep, backend: Backend): string {
  return `${step.common}\n${step.dialects[backend] ?? ''}`
}

let latestVersion: number | undefined

/** The schema version this build of confi writes and understands: the last section of schema.sql. */
export function schemaVersion(): number {
  latestVersion ??= schemaSteps().at(-1)!.version
  return latestVersion
}

/** The version recorded in the database, or null when it was never initialised. */
export async function readSchemaVersion(db: Db): Promise<number | null> {
  try {
    const row = await db
      .selectFrom('schema_version')
      .select((eb) => eb.fn.max('version').as('version'))
      .executeTakeFirst()
    return row?.version == null ? null : Number(row.version)
  } catch {
    return null
  }
}

/**
 * Creates or upgrades the schema, one version at a time, each in its own transaction; safe to run
 * again and from several processes at once. Refuses a database newer than this build.
 */
export async function applySchema(
  open: OpenDatabase,
  options: { upTo?: number } = {},
): Promise<{ version: number; created: boolean }> {
  const latest = options.upTo ?? schemaVersion()
  const before = await readSchemaVersion(open.db)
  if (before !== null && before > schemaVersion()) throw newerSchemaError(before)
  for (const step of schemaSteps()) {
    if (step.version > latest || (before !== null && step.version <= before)) continue
    await open.applySchemaStep(step.version, stepScript(step, open.backend))
  }
  return { version: Math.max(latest, before ?? 0), created: before === null }
}

/** Refuses to work on a database that was never initialised or is of a newer schema. */
export async function assertSchemaCurrent(open: OpenDatabase): Promise<void> {
  const version = await readSchemaVersion(open.db)
  if (version === null) {
    throw new ConfiError(`the database ${open.location} is not initialised: run 'confi init' first`)
  }
  if (version > schemaVersion()) throw newerSchemaError(version)
  if (version < schemaVersion()) {
    throw new ConfiError(
      `the database ${open.location} has schema version ${version}; run 'confi init' to upgrade it to ${schemaVersion()}`,
    )
  }
}

function newerSchemaError(version: number): ConfiError {
  return new ValidationError(
    `the database has schema version ${version}, newer than this confi understands (${schemaVersion()}): upgrade confi`,
  )
}
