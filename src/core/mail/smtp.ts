// core/mail owns the firm's e-mail: the SMTP connection (this module), the outbox, the sender,
// the messages' wording, and what queues them (document e-mails, notifications, reminders).
// Only this module imports nodemailer.
import { ValidationError } from '../errors.js'

const SMTP_EXAMPLE = 'smtps://avisos%40escritorio.com.br:SENHA@smtp.escritorio.com.br:465'
export const SMTP_HELP = `e-mail is not configured: set CONFI_SMTP_URL, e.g. ${SMTP_EXAMPLE}`

/** Where mail goes: the URL (with its credentials, never printed) and a label safe to print. */
export interface SmtpSettings {
  url: string
  /** `smtps://smtp.escritorio.com.br:465`, without user or password. */
  label: string
}

/** The SMTP settings of CONFI_SMTP_URL, or null when it is unset. */
export function smtpSettingsFromEnv(env: Readonly<Record<string, string | undefined>>): SmtpSettings | null {
  const value = env.CONFI_SMTP_URL?.trim()
  if (!value) return null
  let url: URL
  try {
    url = new URL(value)
  } catch {
    // The value may hold a password: never echo it.
    throw new ValidationError(`CONFI_SMTP_URL is not a valid URL: write it like ${SMTP_EXAMPLE} (user and password URL-encoded)`)
  }
  if ((url.protocol !== 'smtp:' && url.protocol !== 'smtps:') || !url.hostname) {
    throw new ValidationError('CONFI_SMTP_URL must start with smtp:// (STARTTLS) or smtps:// (TLS) and name the server')
  }
  const port = url.port ? `:${url.port}` : ''
  return { url: value, label: `${url.protocol}//${url.hostname}${port}` }
}

/** The settings, or a ValidationError saying how to configure e-mail. */
export function requireSmtp(settings: SmtpSettings | null): SmtpSettings {
  if (!settings) throw new ValidationError(SMTP_HELP)
  return settings
}

/** One message as handed to the server. */
export interface OutgoingMail {
  from: string
  to: string
  subject: string
  text: string
  html: string
  messageId: string
  /** Extra header fields (X-Confi-Checkpoint). */
  headers?: Record<string, string>
}

/** The server's answer to one message: accepted (with its reply) or why not. */
export type SendResult =
  | { status: 'accepted'; reply: string }
  | { status: 'temporary' | 'permanent'; reply: string }

export interface MailTransport {
  send(mail: OutgoingMail): Promise<SendResult>
  close(): void
}

/** A transport over SMTP/SMTPS: one pooled connection, bounded waits (docs/decisions.md, "Outbox"). */
// Nodemailer loads with the first transport, not with core: most commands never send mail, and
// parsing it cost every one of them (docs/performance.md, "CLI start-up").
export function createSmtpTransport(settings: SmtpSettings): MailTransport {
  const loading = import('nodemailer').then(({ createTransport }) =>
    createTransport({
      url: settings.url,
      pool: true,
      maxConnections: 1,
      connectionTimeout: 30_000,
      greetingTimeout: 30_000,
      socketTimeout: 60_000,
    } as Parameters<typeof createTransport>[0]),
  )
  return {
    async send(mail) {
      try {
        const transporter = await loading
        const info = await transporter.sendMail({
          from: mail.from,
          to: mail.to,
          subject: mail.subject,
          text: mail.text,
          html: mail.html,
          messageId: mail.messageId,
          headers: mail.headers,
        })
        return { status: 'accepted', reply: String(info.response ?? '250 accepted') }
      } catch (error) {
        return classifySendError(error)
      }
    },
    close() {
      void loading.then((transporter) => transporter.close())
    },
  }
}

/**
 * 5xx replies are permanent; connection errors, timeouts and 4xx are temporary. A refused login
 * (even 535) is temporary: the firm's configuration is wrong, not the message, and once it is
 * fixed the queue must still go out.
 */
export function classifySendError(error: unknown): SendResult {
  const e = error as { responseCode?: number; response?: string; code?: string; message?: string }
  const reply = oneLine(e.response || e.message || String(error))
  if (e.code === 'EAUTH') return { status: 'temporary', reply: `login refused by the mail server: ${reply}` }
  if (typeof e.responseCode === 'number' && e.responseCode >= 500) return { status: 'permanent', reply }
  return { status: 'temporary', reply }
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 500)
}
