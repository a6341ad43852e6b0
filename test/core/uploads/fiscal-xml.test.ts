// Issue 20 part 8: NF-e, NFC-e and CT-e XMLs read on arrival, and hostile XMLs kept as plain files.
// Fixtures are written by hand with template strings (test/helpers/fiscal-xml.ts), their check
// digits computed outside this code so the code is not checked against itself.
import { SaxesParser } from 'saxes'
import { describe, expect, it } from 'vitest'
import { accessKeyModel, isValidAccessKey, readFiscalXml } from '../../../src/core/uploads/fiscal-xml.js'
import { ALNUM_KEY, BILLION_LAUGHS, CPF_KEY, CTE_KEY, LAUGH_ENTITIES, cte, NFCE_KEY, NFE_KEY, nfe, xxe } from '../../helpers/fiscal-xml.js'

const read = (xml: string | Buffer) => readFiscalXml(Buffer.isBuffer(xml) ? xml : Buffer.from(xml, 'utf8'))

function refused(xml: string | Buffer): string {
  const result = read(xml)
  if (result.ok) throw new Error(`expected a refusal, got ${JSON.stringify(result)}`)
  return result.note
}

describe('isValidAccessKey', () => {
  it('accepts keys whose mod-11 check digit is right, NF-e, NFC-e, CT-e and an alphanumeric CNPJ', () => {
    for (const key of [NFE_KEY, NFCE_KEY, CTE_KEY, ALNUM_KEY, CPF_KEY]) expect(isValidAccessKey(key)).toBe(true)
  })

  it('refuses every other check digit, a wrong length, letters outside the CNPJ, lower case and separators', () => {
    for (let d = 0; d <= 9; d++) {
      const key = NFE_KEY.slice(0, 43) + d
      expect(isValidAccessKey(key)).toBe(key === NFE_KEY)
    }
    expect(isValidAccessKey(NFE_KEY.slice(0, 43))).toBe(false)
    expect(isValidAccessKey(`${NFE_KEY}0`)).toBe(false)
    expect(isValidAccessKey(`A${NFE_KEY.slice(1)}`)).toBe(false)
    expect(isValidAccessKey(ALNUM_KEY.toLowerCase())).toBe(false)
    expect(isValidAccessKey(NFE_KEY.replace(/(\d{4})(?=\d)/g, '$1 '))).toBe(false)
    expect(isValidAccessKey('')).toBe(false)
  })

  it('gives 0 when 11 minus the remainder is 10 or 11', () => {
    // Checked with another program: the first has weighted sum 452 (remainder 1), the second 462
    // (remainder 0); both give digit 0, and no other digit passes.
    for (const body of ['3526121122233300018155001000001234112345000', '3526121122233300018155001000001234112345005']) {
      expect(isValidAccessKey(`${body}0`)).toBe(true)
      expect(isValidAccessKey(`${body}1`)).toBe(false)
    }
  })

  it('names the model at positions 21-22', () => {
    expect(accessKeyModel(NFE_KEY)).toBe('nfe')
    expect(accessKeyModel(NFCE_KEY)).toBe('nfce')
    expect(accessKeyModel(CTE_KEY)).toBe('cte')
    expect(accessKeyModel(`${NFE_KEY.slice(0, 20)}58${NFE_KEY.slice(22)}`)).toBeNull()
  })
})

describe('readFiscalXml: the notes it reads', () => {
  it('reads an authorised NF-e: key, model, issuer, recipient, issue date and total in centavos', () => {
    expect(read(nfe())).toEqual({
      ok: true,
      key: NFE_KEY,
      model: 'nfe',
      issuer: '11222333000181',
      recipient: '11444777000161',
      issuedOn: '2026-12-01',
      totalCents: 123456,
    })
  })

  it('reads an NFC-e to a consumer without a recipient, and one to a CPF', () => {
    expect(read(nfe({ key: NFCE_KEY, dest: '' }))).toMatchObject({ ok: true, model: 'nfce', recipient: null })
    expect(read(nfe({ key: NFCE_KEY, dest: '<CPF>52998224725</CPF>' }))).toMatchObject({ recipient: '52998224725' })
  })

  it('reads a foreign recipient, and an empty foreign id as no recipient', () => {
    expect(read(nfe({ dest: '<idEstrangeiro>AR-30-71234567-9</idEstrangeiro>' }))).toMatchObject({
      recipient: 'AR-30-71234567-9',
    })
    expect(read(nfe({ dest: '<idEstrangeiro></idEstrangeiro>' }))).toMatchObject({ ok: true, recipient: null })
  })

  it('reads a CT-e: total from vPrest/vTPrest, the cargo recipient, the date as the issuer wrote it', () => {
    expect(read(cte())).toEqual({
      ok: true,
      key: CTE_KEY,
      model: 'cte',
      issuer: '11222333000181',
      recipient: '52998224725',
      issuedOn: '2026-11-30',
      totalCents: 35000,
    })
    expect(read(cte({ dest: false }))).toMatchObject({ ok: true, recipient: null })
  })

  it('reads an NF-e without its protocol, a prefixed namespace, a UTF-8 BOM and a CPF issuer', () => {
    expect(read(nfe({ proc: false }))).toMatchObject({ ok: true, key: NFE_KEY })
    expect(read(nfe({ prefix: 'nfe' }))).toMatchObject({ ok: true, key: NFE_KEY, totalCents: 123456 })
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(nfe(), 'utf8')])
    expect(read(bom)).toMatchObject({ ok: true, key: NFE_KEY })
    const cpf = nfe({ key: CPF_KEY }).replace('<CNPJ>11222333000181</CNPJ><xNome>Padaria', '<CPF>52998224725</CPF><xNome>Padaria')
    expect(read(cpf)).toMatchObject({ ok: true, issuer: '52998224725' })
  })

  it('reads an alphanumeric CNPJ in the key and the issuer', () => {
    expect(read(nfe({ key: ALNUM_KEY, emit: '12ABC34501DE35' }))).toMatchObject({ ok: true, issuer: '12ABC34501DE35' })
  })

  it('reads money as text: no float ever rounds a centavo', () => {
    const cents = (vNF: string) => {
      const result = read(nfe({ vNF }))
      return result.ok ? result.totalCents : result.note
    }
    expect(cents('0.1')).toBe(10)
    expect(cents('1234')).toBe(123400)
    expect(cents('0.29')).toBe(29)
    expect(cents('9999999999999.99')).toBe(999999999999999)
    expect(cents(' 10.00 ')).toBe(1000)
    for (const bad of ['12,34', '1e3', '-5.00', '1.234', '', '10.', '.5', '99999999999999.00']) {
      expect(cents(bad)).toMatch(/valor total/)
    }
  })

  it('reads only the fields of infNFe itself, not the same names deeper in an item', () => {
    const decoy = '<det nItem="2"><prod><ide><mod>65</mod></ide><total><ICMSTot><vNF>1.00</vNF></ICMSTot></total></prod></det>'
    expect(read(nfe({ extra: decoy }))).toMatchObject({ ok: true, model: 'nfe', totalCents: 123456 })
  })
})

describe('readFiscalXml: notes it will not read', () => {
  it('refuses a key with a wrong check digit, a short key, and a key of another prefix', () => {
    expect(refused(nfe({ key: `${NFE_KEY.slice(0, 43)}5` }))).toMatch(/dígito verificador/)
    expect(refused(nfe({ key: NFE_KEY.slice(1) }))).toMatch(/44 caracteres/)
    expect(refused(nfe().replace(`Id="NFe${NFE_KEY}"`, `Id="CTe${NFE_KEY}"`))).toMatch(/44 caracteres/)
    expect(refused(nfe().replace(` Id="NFe${NFE_KEY}"`, ''))).toMatch(/44 caracteres/)
  })

  it('refuses a model that differs from the key, a CT-e key in an NF-e, and a model it does not read', () => {
    expect(refused(nfe({ mod: '65' }))).toMatch(/modelo/)
    expect(refused(nfe({ key: CTE_KEY }))).toMatch(/modelo/)
    const mdfe = '3526121122233300018158001000000042112345678'
    expect(refused(nfe({ key: mdfe + '0', mod: '58' }))).toMatch(/dígito verificador|modelo/)
  })

  it('refuses an issuer that is not the one in the key, or missing', () => {
    expect(refused(nfe({ emit: '11444777000161' }))).toMatch(/emitente/)
    expect(refused(nfe({ emit: '' }))).toMatch(/emitente/)
  })

  it('refuses a missing or impossible issue date', () => {
    expect(refused(nfe({ dhEmi: '2026-02-30T10:00:00-03:00' }))).toMatch(/data de emissão/)
    expect(refused(nfe({ dhEmi: '01/12/2026' }))).toMatch(/data de emissão/)
  })

  it('refuses an XML that is not a fiscal note, or one outside the portal fiscal namespace', () => {
    expect(refused('<?xml version="1.0"?><html><body>Oi</body></html>')).toMatch(/não é uma NF-e/)
    expect(refused(nfe({ ns: 'http://example.com/nfe' }))).toMatch(/não é uma NF-e/)
    expect(refused(nfe().replace(/ xmlns="http:\/\/www.portalfiscal.inf.br\/nfe"/g, ''))).toMatch(/não é uma NF-e/)
    expect(refused('<?xml version="1.0"?><nfeProc xmlns="http://www.portalfiscal.inf.br/nfe"></nfeProc>')).toMatch(
      /não é uma NF-e/,
    )
  })

  it('keeps truncated XML, not-XML and binary files as plain files', () => {
    const whole = nfe()
    for (const cut of [10, whole.length / 2, whole.length - 5]) {
      expect(refused(whole.slice(0, Math.floor(cut)))).toMatch(/incompleto ou malformado/)
    }
    expect(refused('%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj')).toMatch(/malformado/)
    expect(refused('')).toMatch(/malformado/)
    expect(refused(Buffer.from([0x4d, 0x5a, 0x90, 0x00, 0xff, 0xfe, 0xc3]))).toMatch(/UTF-8/)
  })

  it('refuses UTF-16, with a BOM of either order or without one', () => {
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(nfe(), 'utf16le')])
    const be = Buffer.from(le)
    be.swap16()
    expect(refused(le)).toMatch(/UTF-16/)
    expect(refused(be)).toMatch(/UTF-16/)
    expect(refused(Buffer.from(nfe(), 'utf16le'))).toMatch(/UTF-16/)
    expect(refused(Buffer.from(nfe(), 'utf16le').swap16())).toMatch(/UTF-16/)
  })
})

describe('readFiscalXml: hostile XML', () => {
  const laughs = LAUGH_ENTITIES

  it('refuses a billion laughs before expanding anything', () => {
    const before = process.memoryUsage().heapUsed
    const started = performance.now()
    const note = refused(BILLION_LAUGHS)
    expect(note).toMatch(/DOCTYPE/)
    expect(performance.now() - started).toBeLessThan(2_000)
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(50 * 1024 * 1024)
  })

  it('leans on a parser that declares no entity from a DTD even when the DOCTYPE is let through', () => {
    // Checks the library itself: without our refusal, saxes still leaves &lol8; undefined.
    const parser = new SaxesParser()
    let text = ''
    parser.on('text', (t) => (text += t))
    const feed = () => parser.write(`<!DOCTYPE lolz [\n${laughs}\n]><lolz>&lol8;</lolz>`).close()
    expect(feed).toThrow(/undefined entity/)
    expect(text.length).toBeLessThan(100)
  })

  it('refuses an external entity (XXE) and never reads the file it names', () => {
    const note = refused(xxe())
    expect(note).toMatch(/DOCTYPE/)
    expect(note).not.toContain('root:')
    // Without a DOCTYPE, a reference to an undeclared entity is a well-formedness error.
    expect(refused(nfe({ emit: '&xxe;' }))).toMatch(/malformado/)
    // A parameter entity or a public external DTD is refused the same way.
    expect(refused(`<!DOCTYPE nfeProc SYSTEM "http://169.254.169.254/latest">${nfe().replace(/^<\?xml[^>]*>/, '')}`)).toMatch(
      /DOCTYPE/,
    )
  })

  it('refuses an XML nested deeper than a note ever is', () => {
    const depth = 100_000
    const deep = `<nfeProc xmlns="http://www.portalfiscal.inf.br/nfe">${'<a>'.repeat(depth)}${'</a>'.repeat(depth)}</nfeProc>`
    expect(refused(deep)).toMatch(/níveis demais/)
  })

  it('refuses more elements than a note ever has, and stops at the first foreign root', () => {
    const many = `<nfeProc xmlns="http://www.portalfiscal.inf.br/nfe">${'<a/>'.repeat(250_000)}</nfeProc>`
    // The time cap is lifted here so a loaded machine cannot turn this into a timeout.
    const slow = { maxMillis: 600_000 }
    expect(readFiscalXml(Buffer.from(many), slow)).toEqual({ ok: false, note: expect.stringMatching(/elementos demais/) })
    const foreign = `<root>${'<a/>'.repeat(250_000)}</root>`
    expect(readFiscalXml(Buffer.from(foreign), slow)).toEqual({ ok: false, note: expect.stringMatching(/não é uma NF-e/) })
  })

  it('reads a note with a huge text node elsewhere, and refuses a huge one in a field it reads', () => {
    const huge = 'x'.repeat(4 * 1024 * 1024)
    const withHugeName = nfe().replace('Padaria Pão Quente Ltda', huge)
    const slow = { maxMillis: 600_000 }
    expect(readFiscalXml(Buffer.from(withHugeName), slow)).toMatchObject({ ok: true, key: NFE_KEY })
    const hugeTotal = readFiscalXml(Buffer.from(nfe({ vNF: '1'.repeat(4 * 1024 * 1024) })), slow)
    expect(hugeTotal).toEqual({ ok: false, note: expect.stringMatching(/valor total/) })
  })

  it('refuses more than 5 MB without parsing it', () => {
    const big = Buffer.alloc(5 * 1024 * 1024 + 1, 0x20)
    expect(refused(big)).toMatch(/passa de 5 MB/)
  })

  it('gives up when reading takes longer than allowed', () => {
    const result = readFiscalXml(Buffer.from(nfe()), { maxMillis: -1 })
    expect(result).toEqual({ ok: false, note: expect.stringMatching(/demorou demais/) })
  })
})
