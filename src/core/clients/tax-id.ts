import { ValidationError } from '../errors.js'

export type TaxIdKind = 'cnpj' | 'cpf'

const CNPJ_PATTERN = /^[0-9A-Z]{12}[0-9]{2}$/
const CPF_PATTERN = /^[0-9]{11}$/

/** Removes `.`, `/`, `-` and spaces and upper-cases; does not validate. */
export function stripTaxId(input: string): string {
  return input.replace(/[.\/\-\s]/g, '').toUpperCase()
}

// docs/rules.md#tax-ids: each character is worth its ASCII code minus 48, weights 2–9 from the right.
function cnpjCheckDigit(body: string): number {
  let sum = 0
  for (let i = 0; i < body.length; i++) {
    const weight = ((body.length - 1 - i) % 8) + 2
    sum += (body.charCodeAt(i) - 48) * weight
  }
  const remainder = sum % 11
  return remainder < 2 ? 0 : 11 - remainder
}

function cpfCheckDigit(body: string): number {
  let sum = 0
  for (let i = 0; i < body.length; i++) sum += Number(body[i]) * (body.length + 1 - i)
  const remainder = sum % 11
  return remainder < 2 ? 0 : 11 - remainder
}

function isValidCnpj(id: string): boolean {
  if (!CNPJ_PATTERN.test(id) || /^(\d)\1{13}$/.test(id)) return false
  const first = cnpjCheckDigit(id.slice(0, 12))
  const second = cnpjCheckDigit(id.slice(0, 12) + first)
  return id.endsWith(`${first}${second}`)
}

function isValidCpf(id: string): boolean {
  if (!CPF_PATTERN.test(id) || /^(\d)\1{10}$/.test(id)) return false
  const first = cpfCheckDigit(id.slice(0, 9))
  const second = cpfCheckDigit(id.slice(0, 9) + first)
  return id.endsWith(`${first}${second}`)
}

/** The kind of a normalised tax id, or null when it is neither a valid CNPJ nor a valid CPF. */
export function taxIdKind(normalised: string): TaxIdKind | null {
  if (isValidCnpj(normalised)) return 'cnpj'
  if (isValidCpf(normalised)) return 'cpf'
  return null
}

/** Normalises and validates a CNPJ or CPF; throws a ValidationError naming the value otherwise. */
export function normaliseTaxId(input: string): string {
  const id = stripTaxId(input)
  if (taxIdKind(id)) return id
  throw new ValidationError(`'${input}' is not a valid CNPJ or CPF: ${taxIdProblem(id)}`)
}

function taxIdProblem(id: string): string {
  if (/[^0-9A-Z]/.test(id)) {
    return 'only digits, letters A–Z and the separators . / - are allowed'
  }
  if (id.length !== 14 && id.length !== 11) {
    return `it has ${id.length} characters; a CNPJ has 14 (e.g. 11.222.333/0001-81), a CPF 11 (e.g. 529.982.247-25)`
  }
  if (id.length === 11 && !CPF_PATTERN.test(id)) return 'a CPF has digits only'
  if (id.length === 14 && !CNPJ_PATTERN.test(id)) return 'the last two characters of a CNPJ are digits'
  if (/^(.)\1+$/.test(id)) return 'all characters are the same'
  return 'the check digits do not match; check for a typing mistake'
}

/** Formats a normalised tax id for people: 12.ABC.345/01DE-35 or 529.982.247-25. */
export function formatTaxId(normalised: string): string {
  if (normalised.length === 14) {
    return `${normalised.slice(0, 2)}.${normalised.slice(2, 5)}.${normalised.slice(5, 8)}/${normalised.slice(8, 12)}-${normalised.slice(12)}`
  }
  if (normalised.length === 11) {
    return `${normalised.slice(0, 3)}.${normalised.slice(3, 6)}.${normalised.slice(6, 9)}-${normalised.slice(9)}`
  }
  return normalised
}
