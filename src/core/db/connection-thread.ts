import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parentPort, Worker, workerData } from 'node:worker_threads'
import { UnavailableError } from '../errors.js'
import { openDatabase, type Db } from './database.js'

// A worker thread with a SQLite connection of its own: better-sqlite3 waits synchronously, so a
// COMMIT's fsync (synchronous=FULL) blocks the thread that runs it, and core moves that thread off
// the portal's event loop. The access log's commit thread (access-log/commit/) and the uploads'
// (uploads/commit-thread.ts) share this host and this worker loop; each keeps its own messages.

/**
 * Where the compiled worker `module` (its path under core, e.g. 'access-log/commit/commit-worker')
 * is: there in tsc's dist/, at the bundle's root as `bundleName` when this module is bundled into
 * dist/confi/ or one of its chunks/ (scripts/bundle-cli.mjs makes each worker an entry point),
 * and, for the test runner that runs src/ as TypeScript, the copy `npm run build` put in dist/.
 */
export function workerFile(module: string, bundleName: string, what: string): string {
  const candidates = [
    `../${module}.js`,
    `./${bundleName}.js`,
    `../${bundleName}.js`,
    `../../../dist/core/${module}.js`,
  ].map((relative) => fileURLToPath(new URL(relative, import.meta.url)))
  const found = candidates.find((file) => existsSync(file))
  if (!found) throw new UnavailableError(`the ${what} is missing (looked for ${candidates[0]}): run 'npm run build'`)
  return found
}

/** Node's flags for a thread: they pass on (--cpu-prof profiles it too), except --input-type, which a thread started from a file refuses. */
export function threadExecArgv(): string[] {
  return process.execArgv.filter((flag) => !flag.startsWith('--input-type'))
}

/** What every connection thread may answer besides its own replies. */
type LifecycleReply = { ready: true } | { fatal: string }

/** The main thread's side of a connection thread. */
export interface ConnectionThread<Request> {
  /** Why the thread takes no more work (it failed, stopped or is closing), or null. */
  readonly failure: Error | null
  post(message: Request): void
  /** A busy thread keeps the process alive; an idle one must not (a CLI command, a test). */
  hold(busy: boolean): void
  /** Sends the close, waits for the thread to finish what it was sent (at most 15 s) and to end. */
  close(): Promise<void>
}

/**
 * Starts the worker `file` on the SQLite file at `path`. `onReply` gets the worker's own replies;
 * `onFailure` the first reason it takes no more work (`texts` word them), once its pending work
 * must be refused.
 */
export function startConnectionThread<Request extends object, Reply extends object>(
  file: string,
  path: string,
  texts: { thread: string; cannotOpen: (reason: string) => string; closed: string },
  onReply: (reply: Reply) => void,
  onFailure: (failure: Error) => void,
): ConnectionThread<Request> {
  const worker = new Worker(file, { workerData: { path }, execArgv: threadExecArgv() })
  let failure: Error | null = null
  let closing: Promise<void> | null = null
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()))
  const fail = (error: Error) => {
    failure ??= error
    onFailure(failure)
  }
  worker.unref()
  worker.on('message', (reply: Reply | LifecycleReply) => {
    if ('ready' in reply) return
    if ('fatal' in reply) return fail(new UnavailableError(texts.cannotOpen(reply.fatal)))
    onReply(reply)
  })
  worker.on('error', (error) => fail(new UnavailableError(`${texts.thread} failed: ${error.message}`)))
  void exited.then(() => fail(new UnavailableError(`${texts.thread} has stopped`)))
  return {
    get failure() {
      return failure
    },
    post: (message) => worker.postMessage(message),
    hold: (busy) => void (busy ? worker.ref() : worker.unref()),
    close() {
      closing ??= (async () => {
        failure ??= new UnavailableError(texts.closed)
        worker.postMessage({ close: true })
        worker.ref()
        // A thread stuck in a commit (a disk that stopped answering) must not hold shutdown forever.
        const timer = setTimeout(() => void worker.terminate(), 15_000)
        await exited
        clearTimeout(timer)
      })()
      return closing
    },
  }
}

/**
 * The worker's side: opens the SQLite file the host named (or answers `fatal`), hands each request
 * to the handler `serve` returns and, on the close, lets `drain()` finish what was sent before
 * closing the connection and the port.
 */
export function serveConnectionThread<Request extends object, Reply extends object>(
  serve: (db: Db, reply: (message: Reply) => void) => { handle(message: Request): void; drain(): Promise<unknown> },
): void {
  const port = parentPort!
  void (async () => {
    let open
    try {
      open = await openDatabase({ kind: 'sqlite', path: (workerData as { path: string }).path })
    } catch (error) {
      port.postMessage({ fatal: (error as Error).message } satisfies LifecycleReply)
      return
    }
    const database = open
    const server = serve(database.db, (message) => port.postMessage(message))
    port.on('message', (message: Request | { close: true }) => {
      if ('close' in message) {
        // Everything sent before the close is committed (or refused) before the thread ends.
        void server.drain().then(() => database.close()).then(() => port.close())
        return
      }
      server.handle(message)
    })
    port.postMessage({ ready: true } satisfies LifecycleReply)
  })()
}
