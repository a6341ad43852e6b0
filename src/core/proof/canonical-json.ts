import { ValidationError } from '../errors.js'

// The canonical JSON a receipt's signature covers (docs/receipts.md, "The signature"): RFC 8785
// for what receipts hold — strings, integers, booleans, null, arrays and objects. For those,
// object keys sorted by UTF-16 code units and JSON.stringify's escaping of strings and integers
// are exactly RFC 8785; a number that is not a safe integer (a float, NaN, 1e21) would need the
// RFC's number serialisation, so it is refused, as is anything JSON cannot say.

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** `value` as RFC 8785 canonical JSON; refuses floats, unsafe integers, undefined, functions and the like. */
export function canonicalReceiptJson(value: unknown, path = '$'): string {
  if (value === null || typeof value === 'boolean') return JSON.stringify(value)
  if (typeof value === 'string') {
    // RFC 8785 3.2.2.2: a lone surrogate cannot be serialised.
    if (LONE_SURROGATE.test(value)) throw new ValidationError(`${path} is not well-formed Unicode text`)
    return JSON.stringify(value)
  }
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new ValidationError(`${path} is ${value}, not an integer a receipt may hold`)
    return JSON.stringify(value)
  }
  if (Array.isArray(value)) return `[${value.map((v, i) => canonicalReceiptJson(v, `${path}[${i}]`)).join(',')}]`
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const keys = Object.keys(value).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    const parts = keys.map((k) => `${canonicalReceiptJson(k, path)}:${canonicalReceiptJson((value as Record<string, unknown>)[k], `${path}.${k}`)}`)
    return `{${parts.join(',')}}`
  }
  throw new ValidationError(`${path} is not a JSON value a receipt may hold (${typeof value})`)
}
