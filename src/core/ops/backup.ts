import { randomBytes } from 'node:crypto'
import { closeSync, existsSync, fsyncSync, linkSync, openSync, statSync, unlinkSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import type { ProgressCallback, VerifyResult } from '../access-log/chain/walk.js'
import { walkAccessLog } from '../access-log/verify/verify.js'
import { openSqliteHandle } from '../db/sqlite/sqlite-database.js'
import { openSqliteForCheck } from '../db/sqlite/sqlite-read-only.js'
import { ConflictError, ConfiError, ValidationError } from '../errors.js'
import { makePrivate } from '../file-modes.js'

export interface BackupResult {
  path: string
  bytes: number
  /** The chain verified on the copy; a broken chain is reported, and the copy kept as evidence. */
  accessLog: VerifyResult
}

/**
 * The steps of a backup as they start, and the rows of the copy's access log verified so far.
 * The copy and the integrity check are single SQLite calls: they have a start, not a count.
 */
export interface BackupProgress {
  onStep?: (step: 'copy' | 'integrity' | 'access-log') => void
  onProgress?: ProgressCallback
}

/**
 * Takes a consistent online copy of a SQLite database (docs/rules.md#durability): `VACUUM INTO` a temporary
 * file beside the target, `integrity_check` and access-log chain verified on the copy, then
 * linked into place, never over an existing file. A copy that fails integrity_check is not kept;
 * one whose chain is broken is (it is evidence), and the result says so. Raw better-sqlite3:
 * Kysely has no backup API.
 */
export async function backupDatabase(
  sourcePath: string,
  targetPath: string,
  progress: BackupProgress = {},
): Promise<BackupResult> {
  checkTarget(targetPath)
  const tempPath = join(dirname(targetPath), `.${basename(targetPath)}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`)
  try {
    progress.onStep?.('copy')
    copyDatabase(sourcePath, tempPath)
    makePrivate(tempPath)
    const accessLog = await checkCopy(tempPath, progress)
    syncFile(tempPath)
    placeCopy(tempPath, targetPath)
    return { path: targetPath, bytes: statSync(targetPath).size, accessLog }
  } finally {
    removeQuietly(tempPath)
    removeQuietly(`${tempPath}-wal`)
    removeQuietly(`${tempPath}-shm`)
  }
}

function checkTarget(targetPath: string): void {
  if (existsSync(targetPath)) {
    throw new ConflictError(`${targetPath} already exists: choose a new file name (a backup never overwrites)`)
  }
  const dir = dirname(targetPath)
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new ValidationError(`the directory ${dir} does not exist: create it first`)
  }
}

// VACUUM INTO reads the whole database inside one read transaction: a consistent snapshot while
// the portal keeps writing (WAL), and unlike the page-by-page backup API it never restarts when
// another connection writes meanwhile.
function copyDatabase(sourcePath: string, tempPath: string): void {
  const source = openSqliteHandle(sourcePath, false)
  try {
    source.prepare('VACUUM INTO ?').run(tempPath)
  } catch (error) {
    throw new ConfiError(`cannot write the backup in ${dirname(tempPath)}: ${(error as Error).message}`)
  } finally {
    source.close()
  }
}

async function checkCopy(path: string, progress: BackupProgress): Promise<VerifyResult> {
  const copy = openSqliteForCheck(path)
  try {
    progress.onStep?.('integrity')
    const problems = copy.integrityCheck()
    if (problems.length !== 1 || problems[0] !== 'ok') {
      throw new ConfiError(
        `the backup failed its integrity check (${problems.join('; ')}): the source database may be damaged, run 'confi docs verify' and check the disk`,
      )
    }
    progress.onStep?.('access-log')
    const walk = await walkAccessLog(copy.db, { target: { kind: 'sqlite', path }, onProgress: progress.onProgress })
    return walk.chain
  } finally {
    await copy.close()
  }
}

function syncFile(path: string): void {
  const fd = openSync(path, 'r')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

// link() fails if the target appeared meanwhile, where rename() would silently replace it.
function placeCopy(tempPath: string, targetPath: string): void {
  try {
    linkSync(tempPath, targetPath)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new ConflictError(`${targetPath} already exists: choose a new file name (a backup never overwrites)`)
    }
    throw new ConfiError(`cannot create ${targetPath}: ${(error as Error).message}`)
  }
  const fd = openSync(dirname(targetPath), 'r')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path)
  } catch {
    // not there
  }
}
