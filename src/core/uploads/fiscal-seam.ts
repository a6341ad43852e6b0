// SEAM (issue 20, part 8): what an uploaded XML says as an NF-e, NFC-e or CT-e. The NF-e reader
// (src/core/uploads/fiscal-xml.ts, readFiscalXml) is written beside this module; once it is
// merged, the lead makes readFiscal call it. Until then no XML is read, and every XML is kept as a
// plain file.

/** What an NF-e, NFC-e or CT-e XML says (readFiscalXml's answer). */
export type FiscalReading =
  | { ok: true; key: string; model: 'nfe' | 'nfce' | 'cte'; issuer: string; recipient: string | null; issuedOn: string; totalCents: number }
  | { ok: false; note: string }

/** Reads a fiscal XML's bytes; null when no reader is wired yet. */
export type FiscalReader = (bytes: Buffer) => FiscalReading | null

export const readFiscal: FiscalReader = () => null
