import type { AddressInfo } from 'node:net'
import { simpleParser, type ParsedMail } from 'mailparser'
import { SMTPServer } from 'smtp-server'

export type SmtpMode = 'accept' | 'defer' | 'reject'

/** A real SMTP server on 127.0.0.1 that accepts, defers (451) or rejects (550) on demand. */
export interface TestSmtp {
  url: string
  port: number
  mode: SmtpMode
  /** Every message accepted, parsed, in arrival order. */
  messages: ParsedMail[]
  /** DATA commands seen, accepted or not. */
  attempts: number
  /** Resolves once `count` messages were accepted (rejects after `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<ParsedMail[]>
  close(): Promise<void>
}

export async function startTestSmtp(options: { auth?: { user: string; pass: string } } = {}): Promise<TestSmtp> {
  const messages: ParsedMail[] = []
  const waiters: (() => void)[] = []
  const state = { mode: 'accept' as SmtpMode, attempts: 0 }
  const server = new SMTPServer({
    disabledCommands: options.auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    authOptional: !options.auth,
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === options.auth?.user && auth.password === options.auth?.pass) return callback(null, { user: auth.username })
      callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }))
    },
    onData(stream, _session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        state.attempts++
        if (state.mode === 'defer') return callback(Object.assign(new Error('Try again later'), { responseCode: 451 }))
        if (state.mode === 'reject') return callback(Object.assign(new Error('Mailbox unavailable'), { responseCode: 550 }))
        simpleParser(Buffer.concat(chunks)).then((parsed) => {
          messages.push(parsed)
          for (const wake of waiters.splice(0)) wake()
          callback(null, 'Ok: queued as TEST')
        }, callback)
      })
    },
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.server.address() as AddressInfo).port
  const auth = options.auth ? `${encodeURIComponent(options.auth.user)}:${encodeURIComponent(options.auth.pass)}@` : ''
  return {
    url: `smtp://${auth}127.0.0.1:${port}`,
    port,
    messages,
    get mode() {
      return state.mode
    },
    set mode(value: SmtpMode) {
      state.mode = value
    },
    get attempts() {
      return state.attempts
    },
    async waitFor(count, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs
      while (messages.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} messages, got ${messages.length}`)
        await new Promise<void>((resolve) => {
          waiters.push(resolve)
          setTimeout(resolve, 200)
        })
      }
      return messages
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
