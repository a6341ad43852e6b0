// NF-e, NFC-e and CT-e XMLs written by hand, and hostile XMLs, shared by the reader's tests
// (test/core/uploads/fiscal-xml.test.ts) and the uploads' portal and CLI tests. The keys' check
// digits were computed outside this code (by hand, with another program) so the code is not
// checked against itself.

export const NFE_KEY = '35261211222333000181550010000012341123456784'
export const NFCE_KEY = '35261211222333000181650010000077711123456785'
export const CTE_KEY = '35261211222333000181570010000000421123456788'
export const ALNUM_KEY = '35261212ABC34501DE35550010000012341123456785'
export const CPF_KEY = '35261200052998224725550010000000991123456785'

export interface NfeOptions {
  key?: string
  mod?: string
  emit?: string
  dest?: string
  dhEmi?: string
  vNF?: string
  prefix?: string
  proc?: boolean
  ns?: string
  extra?: string
}

/** A trimmed but faithful NF-e 4.00 (nfeProc with the authorisation protocol). */
export function nfe(o: NfeOptions = {}): string {
  const key = o.key ?? NFE_KEY
  const p = o.prefix ? `${o.prefix}:` : ''
  const ns = o.ns ?? 'http://www.portalfiscal.inf.br/nfe'
  const xmlns = o.prefix ? `xmlns:${o.prefix}="${ns}"` : `xmlns="${ns}"`
  const dest = o.dest ?? '<CNPJ>11444777000161</CNPJ><xNome>Mercado Bom Preço Ltda</xNome><indIEDest>1</indIEDest>'
  const note = `<${p}NFe ${xmlns}>
    <${p}infNFe Id="NFe${key}" versao="4.00">
      <${p}ide><${p}cUF>35</${p}cUF><${p}cNF>12345678</${p}cNF><${p}natOp>Venda de mercadoria</${p}natOp>
        <${p}mod>${o.mod ?? key.slice(20, 22)}</${p}mod><${p}serie>1</${p}serie><${p}nNF>1234</${p}nNF>
        <${p}dhEmi>${o.dhEmi ?? '2026-12-01T10:15:00-03:00'}</${p}dhEmi><${p}tpNF>1</${p}tpNF></${p}ide>
      <${p}emit><${p}CNPJ>${o.emit ?? '11222333000181'}</${p}CNPJ><${p}xNome>Padaria Pão Quente Ltda</${p}xNome>
        <${p}enderEmit><${p}xLgr>Rua das Flores</${p}xLgr><${p}nro>10</${p}nro></${p}enderEmit></${p}emit>
      ${o.dest === '' ? '' : `<${p}dest>${dest.replace(/<(\/?)/g, `<$1${p}`)}</${p}dest>`}
      <${p}det nItem="1"><${p}prod><${p}cProd>001</${p}cProd><${p}xProd>Farinha de trigo 25 kg</${p}xProd>
        <${p}vProd>1234.56</${p}vProd></${p}prod></${p}det>
      <${p}total><${p}ICMSTot><${p}vBC>0.00</${p}vBC><${p}vProd>1234.56</${p}vProd><${p}vNF>${o.vNF ?? '1234.56'}</${p}vNF></${p}ICMSTot></${p}total>
      ${o.extra ?? ''}
    </${p}infNFe>
    <Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo/><SignatureValue>AbC=</SignatureValue></Signature>
  </${p}NFe>`
  if (o.proc === false) return `<?xml version="1.0" encoding="UTF-8"?>\n${note}`
  return `<?xml version="1.0" encoding="UTF-8"?>
<${p}nfeProc versao="4.00" ${xmlns}>
  ${note}
  <${p}protNFe versao="4.00"><${p}infProt><${p}chNFe>${key}</${p}chNFe><${p}cStat>100</${p}cStat>
    <${p}xMotivo>Autorizado o uso da NF-e</${p}xMotivo></${p}infProt></${p}protNFe>
</${p}nfeProc>`
}

export function cte(o: { key?: string; vTPrest?: string; dest?: boolean } = {}): string {
  const key = o.key ?? CTE_KEY
  return `<?xml version="1.0" encoding="UTF-8"?>
<cteProc versao="4.00" xmlns="http://www.portalfiscal.inf.br/cte">
  <CTe xmlns="http://www.portalfiscal.inf.br/cte">
    <infCte Id="CTe${key}" versao="4.00">
      <ide><cUF>35</cUF><CFOP>5353</CFOP><mod>57</mod><serie>1</serie><nCT>42</nCT>
        <dhEmi>2026-11-30T23:59:59-03:00</dhEmi></ide>
      <emit><CNPJ>11222333000181</CNPJ><xNome>Transportes Rápidos Ltda</xNome></emit>
      <rem><CNPJ>11444777000161</CNPJ><xNome>Mercado Bom Preço Ltda</xNome></rem>
      ${o.dest === false ? '' : '<dest><CPF>52998224725</CPF><xNome>Maria da Silva</xNome></dest>'}
      <vPrest><vTPrest>${o.vTPrest ?? '350.00'}</vTPrest><vRec>350.00</vRec></vPrest>
    </infCte>
  </CTe>
  <protCTe versao="4.00"><infProt><chCTe>${key}</chCTe><cStat>100</cStat></infProt></protCTe>
</cteProc>`
}

/** The "billion laughs" entity declarations: nine levels, each ten references to the one below. */
export const LAUGH_ENTITIES = Array.from({ length: 9 }, (_, i) =>
  i === 0 ? '<!ENTITY lol0 "lol">' : `<!ENTITY lol${i} "${`&lol${i - 1};`.repeat(10)}">`,
).join('\n')

/** An XML entity bomb: a DOCTYPE whose entities would expand to a billion "lol"s. */
export const BILLION_LAUGHS = `<?xml version="1.0"?>\n<!DOCTYPE nfeProc [\n${LAUGH_ENTITIES}\n]>\n<nfeProc>&lol8;</nfeProc>`

/** An NF-e whose issuer is an external entity naming /etc/passwd (XXE). */
export function xxe(): string {
  return nfe({ emit: '&xxe;' }).replace(
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE nfeProc [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
  )
}
