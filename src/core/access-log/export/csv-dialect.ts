// The two CSV dialects of the access-log export (docs/access-log.md, "CSV for Excel"). Standard
// CSV separates cells with commas; Excel set to pt-BR reads `;` as the separator, ignores UTF-8
// unless the file starts with a byte-order mark, and wants CRLF. Every cell holding `,` or `;` is
// quoted in both dialects, so either separator reads the same cells.

export interface CsvDialect {
  /** Between cells. */
  delimiter: ',' | ';'
  /** Written before the header: the UTF-8 byte-order mark for Excel, nothing otherwise. */
  prefix: string
}

export const STANDARD_CSV: CsvDialect = { delimiter: ',', prefix: '' }
export const EXCEL_CSV: CsvDialect = { delimiter: ';', prefix: '\ufeff' }

/** The dialect for `--excel` (true) or plain CSV. */
export function csvDialect(excel: boolean | undefined): CsvDialect {
  return excel ? EXCEL_CSV : STANDARD_CSV
}
