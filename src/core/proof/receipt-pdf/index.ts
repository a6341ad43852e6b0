// The receipt's PDF, a face of its own apart from src/core/proof/index.ts: it loads pdf-lib and
// qrcode, which only the commands and pages that draw or read a receipt PDF should pay for
// (docs/rules.md#architecture).
export { renderProtocolPdf } from './protocol-pdf.js'
export { extractReceiptJson, renderReceiptPdf } from './receipt-pdf.js'
