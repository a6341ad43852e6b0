import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import type { Db } from '../db/database.js'
import { latestCheckpoint, type Checkpoint } from '../access-log/checkpoints/checkpoints.js'
import {
  claimDueMessage,
  countQueued,
  markFailed,
  markSent,
  markTemporaryFailure,
  type OutboxRow,
} from './outbox.js'
import type { MailTransport } from './smtp.js'

// The sender: claims due outbox messages one at a time and hands them to the mail server.

/** A claim lasts well past the transport's longest wait (docs/decisions.md, "Outbox"). */
export const LEASE_SECONDS = 300

export interface OutboxRunResult {
  /** Accepted by the server in this run. */
  sent: number
  /** Still waiting (temporary failures and messages not yet due), after the run. */
  queued: number
  /** Refused for good in this run. */
  failed: number
}

/** A name for this sender in the lease column: host, process and a random part. */
export function senderId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`
}

/** Sends every message due now, then returns what happened (`confi outbox run`). */
export async function runOutbox(
  db: Db,
  transport: MailTransport,
  options: { owner?: string; limit?: number } = {},
): Promise<OutboxRunResult> {
  const owner = options.owner ?? senderId()
  const limit = options.limit ?? 1000
  const result = { sent: 0, queued: 0, failed: 0 }
  for (let i = 0; i < limit; i++) {
    const row = await claimDueMessage(db, owner, LEASE_SECONDS)
    if (!row) break
    const outcome = await sendOne(db, transport, row)
    if (outcome === 'sent') result.sent++
    if (outcome === 'failed') result.failed++
  }
  result.queued = await countQueued(db)
  return result
}

/** The X-Confi-Checkpoint header: everything a checkpoint's signed text needs (docs/receipts.md). */
export function checkpointHeader(c: Checkpoint): string {
  return `size=${c.treeSize}; root=${c.rootHash}; time=${c.at}; key=${c.keyId}; signature=${c.signature}`
}

// Each e-mail carries the newest checkpoint when it leaves, so the client keeps a signed head of
// the log that the firm cannot take back (docs/receipts.md#copies-the-firm-cannot-recall).
async function sendOne(db: Db, transport: MailTransport, row: OutboxRow): Promise<'sent' | 'queued' | 'failed'> {
  const newest = await latestCheckpoint(db)
  const answer = await transport.send({
    from: row.mail_from,
    to: row.recipient,
    subject: row.subject,
    text: row.body_text,
    html: row.body_html,
    messageId: row.message_id,
    headers: newest ? { 'X-Confi-Checkpoint': checkpointHeader(newest) } : {},
  })
  if (answer.status === 'accepted') {
    await recordAcceptance(db, row, answer.reply)
    return 'sent'
  }
  if (answer.status === 'permanent') {
    await markFailed(db, row, answer.reply)
    return 'failed'
  }
  return markTemporaryFailure(db, row, answer.reply)
}

/**
 * Once the server accepted, the row must say so or a later run would send it again: the write
 * is retried for a while before giving up (the lease then still keeps others away for minutes).
 */
async function recordAcceptance(db: Db, row: OutboxRow, reply: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await markSent(db, row, reply)
    } catch (error) {
      if (attempt >= 5) throw error
      await new Promise((resolve) => setTimeout(resolve, attempt * 500))
    }
  }
}

export interface RunningSender {
  /** Finishes the message in hand, then stops. */
  stop(): Promise<void>
}

/** Runs the sender every `intervalMs` until stopped (`confi serve`). */
export function startSender(
  db: Db,
  transport: MailTransport,
  options: { intervalMs?: number; onError?: (error: unknown) => void } = {},
): RunningSender {
  const owner = senderId()
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  let current: Promise<void> = Promise.resolve()
  const tick = () => {
    current = runOutbox(db, transport, { owner, limit: 200 })
      .then(() => undefined, (error: unknown) => options.onError?.(error))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, options.intervalMs ?? 15_000)
      })
  }
  tick()
  return {
    async stop() {
      stopped = true
      clearTimeout(timer)
      await current
      transport.close()
    },
  }
}
