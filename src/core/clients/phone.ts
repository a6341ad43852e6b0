import { ValidationError } from '../errors.js'

// Brazilian phone numbers as people type them, stored as E.164 (+55 DDD number);
// docs/decisions.md, "Brazilian phone numbers".

const HINT = 'use the area code and number, such as (11) 98765-4321 or +55 11 98765-4321'

/**
 * The E.164 form (`+5511987654321`) of a Brazilian number written with or without +55, the
 * trunk 0 and a carrier code, spaces, dots, parentheses and hyphens. A mobile written without
 * the ninth digit gets it (every Brazilian mobile has had it since 2016).
 */
export function parseBrazilianPhone(input: string): string {
  const value = input.trim()
  if (!/^\+?[\d\s().-]+$/.test(value)) throw new ValidationError(`'${input}' is not a phone number: ${HINT}`)
  let digits = value.replace(/\D/g, '')
  if (value.startsWith('+')) {
    if (!digits.startsWith('55')) {
      throw new ValidationError(`'${input}' is not a Brazilian number (+55): ${HINT}`)
    }
    digits = digits.slice(2)
  } else if (digits.startsWith('0')) {
    // 0 + carrier code (two digits) + area code + number, or just the trunk 0.
    digits = digits.slice(1)
    if (digits.length === 12 || digits.length === 13) digits = digits.slice(2)
  } else if (digits.startsWith('55') && (digits.length === 12 || digits.length === 13)) {
    digits = digits.slice(2)
  }
  return `+55${nationalNumber(input, digits)}`
}

function nationalNumber(input: string, digits: string): string {
  if (digits.length === 8 || digits.length === 9) {
    throw new ValidationError(`'${input}' has no area code (DDD): ${HINT}`)
  }
  if (digits.length !== 10 && digits.length !== 11) {
    throw new ValidationError(`'${input}' is not a phone number: ${HINT}`)
  }
  const area = digits.slice(0, 2)
  const subscriber = digits.slice(2)
  if (!/^[1-9][1-9]$/.test(area)) throw new ValidationError(`'${input}' has no valid area code (DDD): ${HINT}`)
  if (subscriber.length === 9) {
    if (!subscriber.startsWith('9')) throw new ValidationError(`'${input}' is not a phone number: ${HINT}`)
    return area + subscriber
  }
  if (/^[6-9]/.test(subscriber)) return `${area}9${subscriber}`
  if (/^[2-5]/.test(subscriber)) return area + subscriber
  throw new ValidationError(`'${input}' is not a phone number: ${HINT}`)
}

/** `+55 11 98765-4321` for people to read. */
export function formatBrazilianPhone(e164: string): string {
  const national = e164.replace(/^\+55/, '')
  const area = national.slice(0, 2)
  const rest = national.slice(2)
  const split = rest.length - 4
  return `+55 ${area} ${rest.slice(0, split)}-${rest.slice(split)}`
}

/** Whether a stored number is a mobile (nine digits after the area code): only those get a WhatsApp link. */
export function isBrazilianMobile(e164: string): boolean {
  return /^\+55[1-9]{2}9\d{8}$/.test(e164)
}

/** `https://wa.me/5511987654321`: opens a WhatsApp chat with the number. */
export function whatsAppChatLink(e164: string): string {
  return `https://wa.me/${e164.replace(/^\+/, '')}`
}
