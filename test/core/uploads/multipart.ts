import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'

// Multipart bodies as a browser sends them, for the upload tests (core, portal, CLI).

export type Part = { name: string; value: string } | { name: string; filename: string; content: Buffer | string; type?: string }

export function multipart(parts: Part[]): { body: Buffer; contentType: string } {
  const boundary = `----confi${randomBytes(8).toString('hex')}`
  const chunks: Buffer[] = []
  for (const part of parts) {
    chunks.push(Buffer.from(`--${boundary}\r\n`))
    if ('filename' in part) {
      chunks.push(
        Buffer.from(
          `Content-Disposition: form-data; name="${part.name}"; filename="${part.filename}"\r\nContent-Type: ${part.type ?? 'application/octet-stream'}\r\n\r\n`,
        ),
      )
      chunks.push(Buffer.from(part.content))
    } else {
      chunks.push(Buffer.from(`Content-Disposition: form-data; name="${part.name}"\r\n\r\n${part.value}`))
    }
    chunks.push(Buffer.from('\r\n'))
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`))
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` }
}

/** A body that streams `bytes` of `body` and then breaks, as a connection cut half way. */
export function cutStream(body: Buffer, bytes: number): Readable {
  return new Readable({
    read() {
      if (this.readableLength === 0 && !(this as { sent?: boolean }).sent) {
        ;(this as { sent?: boolean }).sent = true
        this.push(body.subarray(0, bytes))
        setTimeout(() => this.destroy(new Error('aborted')), 5)
      }
    },
  })
}

export const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n')
export const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(64)])
export const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(64)])
export const EXE = Buffer.concat([Buffer.from('MZ\x90\x00\x03\x00\x00\x00', 'latin1'), randomBytes(200)])
export const CSV = Buffer.from('data;descricao;valor\n2026-12-01;Tarifa;-12,50\n')
export const OFX = Buffer.from('OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\n\n<OFX><BANKMSGSRSV1></BANKMSGSRSV1></OFX>\n')
export const XML = Buffer.from('<?xml version="1.0" encoding="UTF-8"?><nfeProc versao="4.00"></nfeProc>')
export const HEIC = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypheic'), randomBytes(64)])
export const XLSX = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.from('....[Content_Types].xml....PK\x03\x04..xl/workbook.xml'), randomBytes(32)])
