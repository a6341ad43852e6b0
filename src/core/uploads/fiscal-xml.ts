// NF-e, NFC-e and CT-e XMLs read on arrival (docs/uploads.md, "NF-e, NFC-e e CT-e"). The file
// comes from a client, so it is hostile until read: saxes neither reads DTDs nor declares
// entities, any DOCTYPE is refused outright, and bytes, depth, elements and time are capped. Every
// "no" is an answer with a pt-BR note, never a throw: the upload keeps the file as a plain file.
import { SaxesParser, type SaxesTagNS } from 'saxes'

export type FiscalModel = 'nfe' | 'nfce' | 'cte'

export type FiscalXml =
  | {
      ok: true
      key: string
      model: FiscalModel
      issuer: string
      recipient: string | null
      /** AAAA-MM-DD, the date part of dhEmi as the issuer wrote it. */
      issuedOn: string
      totalCents: number
    }
  | { ok: false; note: string }

export interface FiscalXmlLimits {
  maxBytes: number
  maxDepth: number
  maxElements: number
  maxMillis: number
}

// A real NF-e with its 990 items stays near 1 MB, 60 000 elements and 12 levels, read in about
// 0.1 s; the time cap leaves room for a busy server.
export const FISCAL_XML_LIMITS: Readonly<FiscalXmlLimits> = Object.freeze({
  maxBytes: 5 * 1024 * 1024,
  maxDepth: 40,
  maxElements: 200_000,
  maxMillis: 5_000,
})

const NFE_NS = 'http://www.portalfiscal.inf.br/nfe'
const CTE_NS = 'http://www.portalfiscal.inf.br/cte'
const CHUNK_CHARS = 64 * 1024
// Only the fields below are kept; no field of theirs is longer than this.
const MAX_FIELD_CHARS = 256

const MODEL_BY_CODE: Readonly<Record<string, FiscalModel>> = { '55': 'nfe', '65': 'nfce', '57': 'cte' }
const KEY_PATTERN = /^\d{6}[0-9A-Z]{12}\d{26}$/

/**
 * A 44-character access key whose check digit is right (docs/rules.md#fiscal-xml): mod 11 with
 * weights 2–9 from the right, 0 when 11 minus the remainder is 10 or 11. Positions 7–18 may hold
 * the letters of an alphanumeric CNPJ, each worth its ASCII code minus 48 as in the CNPJ's own
 * check digits.
 */
export function isValidAccessKey(key: string): boolean {
  if (key.length !== 44 || !KEY_PATTERN.test(key)) return false
  let sum = 0
  for (let i = 0; i < 43; i++) sum += (key.charCodeAt(i) - 48) * (((42 - i) % 8) + 2)
  const digit = 11 - (sum % 11)
  return key.charCodeAt(43) - 48 === (digit >= 10 ? 0 : digit)
}

/** The model an access key names at its positions 21–22, or null for any other model. */
export function accessKeyModel(key: string): FiscalModel | null {
  return MODEL_BY_CODE[key.slice(20, 22)] ?? null
}

type Kind = 'nfe' | 'cte'

interface Layout {
  ns: string
  /** The root with the authorisation protocol, the signed note, its info element. */
  proc: string
  doc: string
  inf: string
  idPrefix: string
  /** The total's path below the info element. */
  total: string
}

const LAYOUT: Readonly<Record<Kind, Layout>> = {
  nfe: {
    ns: NFE_NS,
    proc: 'nfeProc',
    doc: 'NFe',
    inf: 'infNFe',
    idPrefix: 'NFe',
    total: 'total/ICMSTot/vNF',
  },
  cte: {
    ns: CTE_NS,
    proc: 'cteProc',
    doc: 'CTe',
    inf: 'infCte',
    idPrefix: 'CTe',
    total: 'vPrest/vTPrest',
  },
}

// The fields read, as paths below infNFe/infCte. dEmi is the date-only field of layouts before 3.10.
const FIELDS = [
  'ide/mod',
  'ide/dhEmi',
  'ide/dEmi',
  'emit/CNPJ',
  'emit/CPF',
  'dest/CNPJ',
  'dest/CPF',
  'dest/idEstrangeiro',
]

class Stop extends Error {
  constructor(readonly note: string) {
    super(note)
  }
}

const NOTES = {
  tooBig: (limit: number) =>
    `O arquivo passa de ${Math.floor(limit / (1024 * 1024))} MB, mais do que uma nota fiscal tem; ` +
    'não foi lido como nota.',
  utf16:
    'O XML está em UTF-16; uma nota fiscal eletrônica é sempre UTF-8, então não foi lido como nota.',
  notUtf8: 'O arquivo não é um texto UTF-8 válido; não foi lido como nota fiscal.',
  doctype:
    'O XML traz uma declaração DOCTYPE, que nenhuma nota fiscal tem; por segurança não foi lido.',
  malformed: 'O XML está incompleto ou malformado; não foi lido como nota fiscal.',
  tooDeep: 'O XML tem níveis demais para ser uma nota fiscal; não foi lido.',
  tooManyElements: 'O XML tem elementos demais para ser uma nota fiscal; não foi lido.',
  tooSlow: 'O XML demorou demais para ser lido; não foi lido como nota fiscal.',
  notFiscal:
    'O XML não é uma NF-e, NFC-e ou CT-e (nfeProc, NFe, cteProc ou CTe); ficou como arquivo comum.',
  badKey: 'A chave de acesso da nota não tem 44 caracteres válidos.',
  badCheckDigit:
    'O dígito verificador da chave de acesso não confere; a nota pode ter sido alterada.',
  badModel:
    'O modelo da nota não é 55 (NF-e), 65 (NFC-e) nem 57 (CT-e), ou não confere com a chave de acesso.',
  badIssuer: 'O CNPJ ou CPF do emitente falta ou não confere com a chave de acesso.',
  badDate: 'A data de emissão da nota falta ou não é uma data válida.',
  badTotal: 'O valor total da nota falta ou não é um valor válido.',
} as const

/**
 * Reads an uploaded NF-e, NFC-e or CT-e: the access key (check digit verified), model, issuer,
 * recipient, issue date and total in centavos. Anything else (another XML, a hostile or broken
 * one) is `{ ok: false, note }` in pt-BR, saying why the file stays a plain file.
 */
export function readFiscalXml(bytes: Buffer, limits: Partial<FiscalXmlLimits> = {}): FiscalXml {
  const caps = { ...FISCAL_XML_LIMITS, ...limits }
  try {
    const text = decode(bytes, caps.maxBytes)
    return interpret(scan(text, caps))
  } catch (error) {
    if (error instanceof Stop) return { ok: false, note: error.note }
    // saxes reports well-formedness errors (undefined entities included) by throwing.
    return { ok: false, note: NOTES.malformed }
  }
}

function decode(bytes: Buffer, maxBytes: number): string {
  if (bytes.length > maxBytes) throw new Stop(NOTES.tooBig(maxBytes))
  // A byte-order mark, or '<' with a zero byte beside it: UTF-16 of either order.
  const [b0, b1] = [bytes[0], bytes[1]]
  const bom = (b0 === 0xff && b1 === 0xfe) || (b0 === 0xfe && b1 === 0xff)
  if (bom || (b0 === 0x3c && b1 === 0) || (b0 === 0 && b1 === 0x3c)) {
    throw new Stop(NOTES.utf16)
  }
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(start))
  } catch {
    throw new Stop(NOTES.notUtf8)
  }
}

interface Scanned {
  kind: Kind
  id: string | null
  fields: Map<string, string>
}

function scan(text: string, caps: FiscalXmlLimits): Scanned {
  const started = performance.now()
  const parser = new SaxesParser({ xmlns: true, position: false })
  const path: string[] = []
  let kind: Kind | null = null
  let infDepth = -1
  let id: string | null = null
  let elements = 0
  const fields = new Map<string, string>()
  let capturing: string | null = null
  let captured = ''

  const checkClock = () => {
    if (performance.now() - started > caps.maxMillis) throw new Stop(NOTES.tooSlow)
  }

  parser.on('doctype', () => {
    throw new Stop(NOTES.doctype)
  })
  parser.on('opentag', (tag: SaxesTagNS) => {
    elements += 1
    if (elements > caps.maxElements) throw new Stop(NOTES.tooManyElements)
    if (elements % 4096 === 0) checkClock()
    path.push(tag.local)
    if (path.length > caps.maxDepth) throw new Stop(NOTES.tooDeep)
    if (path.length === 1) kind = rootKind(tag)
    if (kind === null) throw new Stop(NOTES.notFiscal)
    const layout = LAYOUT[kind]
    if (tag.uri !== layout.ns) return
    if (infDepth < 0) {
      const docAt = path[0] === layout.proc ? 1 : 0
      const atInf = path.length === docAt + 2 && path[docAt] === layout.doc
      if (atInf && tag.local === layout.inf && id === null) {
        infDepth = path.length
        id = tag.attributes['Id']?.value ?? ''
      }
      return
    }
    const below = path.slice(infDepth).join('/')
    if ((FIELDS.includes(below) || below === layout.total) && !fields.has(below)) {
      capturing = below
      captured = ''
    }
  })
  parser.on('text', (chunk: string) => {
    if (capturing !== null && captured.length < MAX_FIELD_CHARS) captured += chunk.slice(0, MAX_FIELD_CHARS)
  })
  parser.on('closetag', () => {
    if (capturing !== null && path.slice(infDepth).join('/') === capturing) {
      fields.set(capturing, captured.trim())
      capturing = null
    }
    if (path.length === infDepth) infDepth = -2 // read once: a second infNFe is not looked at
    path.pop()
  })

  for (let at = 0; at < text.length; at += CHUNK_CHARS) {
    parser.write(text.slice(at, at + CHUNK_CHARS))
    checkClock()
  }
  parser.close()
  if (kind === null) throw new Stop(NOTES.notFiscal)
  return { kind, id, fields }
}

function rootKind(tag: SaxesTagNS): Kind | null {
  for (const kind of ['nfe', 'cte'] as const) {
    const layout = LAYOUT[kind]
    if (tag.uri === layout.ns && (tag.local === layout.proc || tag.local === layout.doc)) return kind
  }
  return null
}

function interpret({ kind, id, fields }: Scanned): FiscalXml {
  const layout = LAYOUT[kind]
  if (id === null) return { ok: false, note: NOTES.notFiscal }
  const key = id.startsWith(layout.idPrefix) ? id.slice(layout.idPrefix.length) : ''
  if (!KEY_PATTERN.test(key)) return { ok: false, note: NOTES.badKey }
  if (!isValidAccessKey(key)) return { ok: false, note: NOTES.badCheckDigit }
  const model = accessKeyModel(key)
  const modelCode = fields.get('ide/mod')
  if (model === null || modelCode !== key.slice(20, 22) || (kind === 'cte') !== (model === 'cte')) {
    return { ok: false, note: NOTES.badModel }
  }
  const issuer = fields.get('emit/CNPJ') || fields.get('emit/CPF') || ''
  if (!/^[0-9A-Z]{12}\d{2}$/.test(issuer) && !/^\d{11}$/.test(issuer)) {
    return { ok: false, note: NOTES.badIssuer }
  }
  // The key holds the issuer's CNPJ; a CPF issuer's key holds the CPF zero-padded.
  if (key.slice(6, 20) !== issuer.padStart(14, '0')) return { ok: false, note: NOTES.badIssuer }
  const issuedOn = isoDate(fields.get('ide/dhEmi') ?? fields.get('ide/dEmi') ?? '')
  if (issuedOn === null) return { ok: false, note: NOTES.badDate }
  const totalCents = centavos(fields.get(layout.total) ?? '')
  if (totalCents === null) return { ok: false, note: NOTES.badTotal }
  const recipient =
    fields.get('dest/CNPJ') || fields.get('dest/CPF') || fields.get('dest/idEstrangeiro') || null
  return { ok: true, key, model, issuer, recipient, issuedOn, totalCents }
}

function isoDate(value: string): string | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:T|$)/.exec(value)
  if (!match) return null
  const [, y, m, d] = match.map(Number) as [number, number, number, number]
  const date = new Date(Date.UTC(y, m - 1, d))
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return null
  return value.slice(0, 10)
}

// The layouts' TDec_1302: up to 13 integer digits and 2 decimals, read as text so no float rounds it.
function centavos(value: string): number | null {
  const match = /^(\d{1,13})(?:\.(\d{1,2}))?$/.exec(value)
  if (!match) return null
  return Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'))
}
