import {
  closeSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  linkSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
  type BigIntStats,
} from 'node:fs'
import { dirname } from 'node:path'
import { syncDirectory, tempNameFor, unwritable } from '../../storage/durable-files.js'
import { ConflictError, ValidationError } from '../../errors.js'
import type { ExportTarget } from './sinks.js'

// The state of an incremental export (`confi docs log --state FILE`) and the lock that keeps two
// runs on one state apart. What the state promises (exactly once, even when a run is killed) is
// described in docs/access-log.md.

// ---------------------------------------------------------------- the state file

/** An append to a regular file (`>> file`) in progress: where it started. */
export interface PendingAppend {
  kind: 'append'
  dev: string
  ino: string
  offset: number
}

/** A finished `--output` file about to be renamed into place, holding rows up to `to`. */
interface PendingReplace {
  kind: 'replace'
  path: string
  tempPath: string
  dev: string
  ino: string
  to: number
  /** The hash of row `to` (absent in state files written before issue 11). */
  toHash?: string | null
}

export interface ExportState {
  lastId: number
  /**
   * The hash of row `lastId` when it was exported: a later run refuses when the database no
   * longer holds that row with that hash (docs/decisions.md, "A restore from an older copy needs a head kept elsewhere").
   * Null in state files written before it was recorded.
   */
  lastHash: string | null
  pending: PendingAppend | PendingReplace | null
}

// Core names the file; the CLI adds the flag that set it (docs/decisions.md).
const STATE_FILE = { remedy: 'state_file' } as const

function corruptState(path: string, why: string): ValidationError {
  return new ValidationError(
    `the state file ${path} is corrupt (${why}): restore it, or write {"version":1,"last_id":N} with the last id already exported (deleting it exports everything again)`,
    STATE_FILE,
  )
}

/** Reads the state file; null when it does not exist yet (the first run). */
export function readExportState(path: string): ExportState | null {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return null
    if (code === 'EISDIR') throw new ValidationError(`the state file ${path} is a directory: give a file name`, STATE_FILE)
    throw new ValidationError(`cannot read the state file ${path} (${code}): check its permissions`, STATE_FILE)
  }
  let value: Record<string, unknown>
  try {
    value = JSON.parse(text) as Record<string, unknown>
  } catch {
    throw corruptState(path, 'not JSON')
  }
  if (typeof value !== 'object' || value === null || value.version !== 1) {
    throw corruptState(path, 'unknown version')
  }
  const lastId = value.last_id
  if (!Number.isSafeInteger(lastId) || (lastId as number) < 0) throw corruptState(path, 'bad last_id')
  const lastHash = value.last_hash ?? null
  if (lastHash !== null && !(typeof lastHash === 'string' && /^[0-9a-f]{64}$/.test(lastHash))) {
    throw corruptState(path, 'bad last_hash')
  }
  return { lastId: lastId as number, lastHash, pending: parsePending(path, value.pending) }
}

function parsePending(path: string, value: unknown): ExportState['pending'] {
  if (value === null || value === undefined) return null
  const p = value as Record<string, unknown>
  const strings = ['dev', 'ino'].every((k) => typeof p[k] === 'string')
  if (p.kind === 'append' && strings && Number.isSafeInteger(p.offset)) return p as unknown as PendingAppend
  if (
    p.kind === 'replace' &&
    strings &&
    typeof p.path === 'string' &&
    typeof p.tempPath === 'string' &&
    Number.isSafeInteger(p.to)
  ) {
    return p as unknown as PendingReplace
  }
  throw corruptState(path, 'bad pending record')
}

/** Rewrites the state file atomically: temporary file, fsync, rename, fsync the directory. */
export function writeExportState(path: string, state: ExportState): void {
  const text = `${JSON.stringify({
    version: 1,
    last_id: state.lastId,
    last_hash: state.lastHash,
    pending: state.pending,
    updated_at: new Date().toISOString(),
  })}\n`
  const tempPath = tempNameFor(path)
  let fd: number
  try {
    fd = openSync(tempPath, 'wx', 0o640)
  } catch (error) {
    throw unwritable('the state file', path, error, 'state_file')
  }
  try {
    writeSync(fd, text)
    fsyncSync(fd)
    closeSync(fd)
    renameSync(tempPath, path)
  } catch (error) {
    try {
      closeSync(fd)
    } catch {
      // closed already
    }
    try {
      unlinkSync(tempPath)
    } catch {
      // never created
    }
    throw unwritable('the state file', path, error, 'state_file')
  }
  syncDirectory(dirname(path))
}

export function identity(stats: BigIntStats): { dev: string; ino: string } {
  return { dev: String(stats.dev), ino: String(stats.ino) }
}

// A run killed half way left a pending record; finish or undo its effect so that no row is lost
// or written twice.
export function recoverPending(state: ExportState, target: ExportTarget, notes: string[]): ExportState {
  const pending = state.pending
  if (!pending) return state
  if (pending.kind === 'replace') {
    let renamed = false
    try {
      const stats = statSync(pending.path, { bigint: true })
      renamed = String(stats.dev) === pending.dev && String(stats.ino) === pending.ino
    } catch {
      renamed = false
    }
    try {
      unlinkSync(pending.tempPath)
    } catch {
      // renamed or removed already
    }
    if (renamed) {
      notes.push(`the previous export to ${pending.path} completed; continuing after id ${pending.to}`)
      return { lastId: pending.to, lastHash: pending.toHash ?? null, pending: null }
    }
    return { lastId: state.lastId, lastHash: state.lastHash, pending: null }
  }
  if (target.kind === 'stream' && target.fd !== undefined) {
    const stats = safeFstat(target.fd)
    if (stats?.isFile() && identity(stats).dev === pending.dev && identity(stats).ino === pending.ino) {
      if (Number(stats.size) > pending.offset) {
        ftruncateSync(target.fd, pending.offset)
        notes.push(
          `the previous export was interrupted: removed its incomplete output (${Number(stats.size) - pending.offset} bytes) and exporting those rows again`,
        )
      }
    }
  }
  return { lastId: state.lastId, lastHash: state.lastHash, pending: null }
}

export function safeFstat(fd: number): BigIntStats | null {
  try {
    return fstatSync(fd, { bigint: true })
  } catch {
    return null
  }
}

// ---------------------------------------------------------------- the state lock

interface StateLock {
  pid: number
  /** Start time of the process in clock ticks since boot (Linux), to tell a reused pid apart. */
  procStart: string | null
  startedAt: string
}

/** The start time of process `pid` from /proc (Linux); null where there is no /proc. */
function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name in parentheses may hold spaces; field 22 (starttime) counts from after it.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null
  } catch {
    return null
  }
}

function readLock(path: string): StateLock | 'missing' | 'unreadable' {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return 'missing'
    throw new ValidationError(`cannot read the lock ${path} (${code}): check its permissions`)
  }
  try {
    const value = JSON.parse(text) as Record<string, unknown>
    if (!Number.isSafeInteger(value.pid) || (value.pid as number) <= 0) return 'unreadable'
    return {
      pid: value.pid as number,
      procStart: typeof value.proc_start === 'string' ? value.proc_start : null,
      startedAt: String(value.started_at ?? ''),
    }
  } catch {
    return 'unreadable'
  }
}

// Alive: signal 0 reaches it (EPERM: it exists under another user) and, where /proc tells,
// it is the same process that took the lock, not a later one that was given the same pid.
function lockHolderAlive(lock: StateLock): boolean {
  if (lock.pid === process.pid) return true
  try {
    process.kill(lock.pid, 0)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  const start = lock.procStart === null ? null : processStart(lock.pid)
  return start === null || start === lock.procStart
}

// The lock appears with its content in one step (written beside it, then hard-linked into
// place), so another run never sees a half-written lock and takes it for a stale one.
function createLock(path: string, statePath: string): boolean {
  const lock = { pid: process.pid, proc_start: processStart(process.pid), started_at: new Date().toISOString() }
  const text = `${JSON.stringify(lock)}\n`
  const tempPath = tempNameFor(path)
  try {
    const fd = openSync(tempPath, 'wx', 0o640)
    try {
      writeSync(fd, text)
    } finally {
      closeSync(fd)
    }
    try {
      linkSync(tempPath, path)
    } catch (error) {
      // File systems without hard links: create it in place (content follows within microseconds).
      const code = String((error as NodeJS.ErrnoException).code)
      if (!['EPERM', 'ENOTSUP', 'ENOSYS', 'EOPNOTSUPP'].includes(code)) throw error
      const fd = openSync(path, 'wx', 0o640)
      try {
        writeSync(fd, text)
      } finally {
        closeSync(fd)
      }
    }
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw unwritable('the state file', statePath, error, 'state_file')
  } finally {
    try {
      unlinkSync(tempPath)
    } catch {
      // never created
    }
  }
}

// Removes a stale lock under a second, short-lived lock, so that two runs recovering the same
// stale lock cannot remove the fresh lock one of them has just taken. A recovery lock older
// than a minute belongs to a run killed in these few lines.
function removeStaleLock(path: string, seen: StateLock | 'unreadable'): void {
  const recoverPath = `${path}.recover`
  try {
    closeSync(openSync(recoverPath, 'wx', 0o640))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw unwritable('the state file', path, error, 'state_file')
    try {
      if (Date.now() - statSync(recoverPath).mtimeMs > 60_000) unlinkSync(recoverPath)
    } catch {
      // removed meanwhile
    }
    // Another run is recovering right now; give it a moment before looking again.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10)
    return
  }
  try {
    const now = readLock(path)
    const same =
      now === 'unreadable'
        ? seen === 'unreadable'
        : now !== 'missing' &&
          seen !== 'unreadable' &&
          now.pid === seen.pid &&
          now.startedAt === seen.startedAt
    if (same) unlinkSync(path)
  } finally {
    unlinkSync(recoverPath)
  }
}

/**
 * Takes the lock `<state>.lock` of an incremental export; returns its release. Refuses
 * (ConflictError) while a live process holds it; takes over a lock left by a dead one.
 */
export function lockExportState(statePath: string): () => void {
  const path = `${statePath}.lock`
  for (let attempt = 0; attempt < 100; attempt++) {
    if (createLock(path, statePath)) {
      return () => {
        try {
          unlinkSync(path)
        } catch {
          // already gone: nothing to release
        }
      }
    }
    const holder = readLock(path)
    if (holder === 'missing') continue
    if (holder !== 'unreadable' && lockHolderAlive(holder)) {
      throw new ConflictError(
        `another export is using the state file ${statePath} (pid ${holder.pid}); try again when it finishes`,
        STATE_FILE,
      )
    }
    removeStaleLock(path, holder)
  }
  throw new ConflictError(`cannot take the lock ${path}: remove it if no export is running`)
}
