import { createHash } from 'node:crypto'
import { close, fsync, mkdir, open, writev } from 'node:fs'
import { dirname } from 'node:path'

// The store's temporary file, written as its bytes arrive (docs/performance.md, "bench:upload"):
// each chunk is hashed once and queued as it is, never copied; while one writev is on the thread
// pool, what arrives meanwhile queues and goes out in the next. No stream, no async iteration
// between the caller and the disk: those layers cost an upload more of the event loop (and more
// short-lived objects for the garbage collector) than the writes themselves.

// Bytes that may queue behind a write in flight before the caller is asked to wait.
const QUEUE_BYTES = 1024 * 1024

/** What `end` gives back: the content's SHA-256 (hex) and size. */
export interface WrittenFile {
  sha256: string
  size: number
}

export interface TemporaryWriter {
  /** Queues `chunk` (kept, not copied: the caller must not change it); a promise asks to wait. */
  write(chunk: Buffer): Promise<void> | void
  /** Writes what is queued, fsyncs and closes the file; rejects with the disk's error if any. */
  end(): Promise<WrittenFile>
  /** Stops writing and closes the file (the caller deletes it); resolves once it is closed. */
  abort(): Promise<void>
  /** Whether the disk failed: later writes are dropped and `end` rejects. */
  readonly failed: boolean
}

/** Creates `path` ('wx': never an existing name; its directory made if missing) and writes it. */
export function writeTemporaryFile(path: string): TemporaryWriter {
  const hash = createHash('sha256')
  let size = 0
  let fd: number | null = null
  let failure: Error | null = null
  let queue: Buffer[] = []
  let queued = 0
  // An open, writev, fsync or close in flight: the next step waits for its callback.
  let busy = true
  let state = 'writing' as 'writing' | 'ending' | 'aborting'
  let closing = false
  let room: { promise: Promise<void>; resolve: () => void } | null = null
  let closed!: (error: Error | null) => void
  const done = new Promise<Error | null>((resolve) => (closed = resolve))

  const fail = (error: Error | null): void => {
    if (error && !failure) failure = error
  }
  const release = (): void => {
    const waiting = room
    room = null
    waiting?.resolve()
  }
  const closeFile = (): void => {
    if (closing) return
    closing = true
    queue = []
    queued = 0
    release()
    if (fd === null) return closed(failure)
    close(fd, (error) => {
      if (state === 'ending') fail(error)
      closed(failure)
    })
  }
  // One step at a time: write what queued, else (ending) fsync then close, else wait for more.
  const step = (): void => {
    if (busy || closing) return
    if (failure || state === 'aborting') return closeFile()
    if (queue.length > 0) {
      const chunks = queue
      const bytes = queued
      queue = []
      queued = 0
      busy = true
      release()
      return writeAll(fd!, chunks, bytes, (error) => {
        busy = false
        fail(error)
        step()
      })
    }
    if (state !== 'ending') return
    busy = true
    fsync(fd!, (error) => {
      fail(error)
      closeFile()
    })
  }

  const opened = (error: NodeJS.ErrnoException | null, descriptor: number): void => {
    busy = false
    if (error) fail(error)
    else fd = descriptor
    step()
  }
  open(path, 'wx', 0o640, (error, descriptor) => {
    if (error?.code !== 'ENOENT') return opened(error, descriptor)
    // The store's directory is made once, by the first file that finds it missing.
    mkdir(dirname(path), { recursive: true }, (made) => (made ? opened(made, -1) : open(path, 'wx', 0o640, opened)))
  })

  return {
    write(chunk) {
      if (state !== 'writing' || failure || chunk.length === 0) return
      hash.update(chunk)
      size += chunk.length
      queue.push(chunk)
      queued += chunk.length
      step()
      if (queued < QUEUE_BYTES || failure) return
      if (!room) {
        let resolve!: () => void
        room = { promise: new Promise<void>((r) => (resolve = r)), resolve }
      }
      return room.promise
    },
    end() {
      if (state === 'writing') state = 'ending'
      step()
      return done.then((error) => {
        if (error) throw error
        return { sha256: hash.digest('hex'), size }
      })
    },
    abort() {
      if (state === 'writing') state = 'aborting'
      step()
      return done.then(() => undefined)
    },
    get failed() {
      return failure !== null
    },
  }
}

// writev may write fewer bytes than asked (a full disk, a signal): the rest goes again.
function writeAll(fd: number, chunks: Buffer[], bytes: number, callback: (error: Error | null) => void): void {
  writev(fd, chunks, (error, written) => {
    if (error) return callback(error)
    if (written >= bytes) return callback(null)
    if (written === 0) return callback(new Error('the disk accepted no bytes'))
    let skip = written
    const rest: Buffer[] = []
    for (const chunk of chunks) {
      if (skip >= chunk.length) skip -= chunk.length
      else {
        rest.push(skip > 0 ? chunk.subarray(skip) : chunk)
        skip = 0
      }
    }
    writeAll(fd, rest, bytes - written, callback)
  })
}
