// The public face of src/core/mail/, mail: the outbox, its sender, SMTP, reminders and filing with
// notification. Only re-exports: modules inside core import each other directly, never a face, so a
// face closes no import cycle (docs/rules.md#architecture).
export { fileDocument } from './document-filing.js'
export { type MailReadyFirm, requireMailReady, sendDocumentByEmail } from './document-mail.js'
export { composeWhatsAppText, whatsAppLink } from './messages.js'
export { listOutbox, retryOutbox } from './outbox.js'
export { runReminders } from './reminders.js'
export { runOutbox, startSender } from './sender.js'
export { createSmtpTransport, requireSmtp, smtpSettingsFromEnv } from './smtp.js'
