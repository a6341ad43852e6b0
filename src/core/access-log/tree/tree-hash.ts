import { hash } from 'node:crypto'

// The two short messages of the Merkle tree (merkle.ts, RFC 9162) as the verification threads
// hash them, once per row: a leaf, SHA-256(0x00 ‖ 32 bytes), and a node, SHA-256(0x01 ‖ 32 bytes
// ‖ 32 bytes). Hashes travel as 32-character latin1 strings, a byte a character (node:crypto's
// 'binary'), which it gives and Buffer writes back for less than hex. With one reused buffer per
// message the tree cost about a quarter less CPU a row than SHA-256 in JavaScript on 32-bit words
// (docs/performance.md, "Verify, second pass"). Checked against node:crypto in
// test/core/access-log/verify.test.ts.

const leafMessage = Buffer.alloc(33)
const nodeMessage = Buffer.from([0x01, ...new Array<number>(64).fill(0)])

/** SHA-256(0x00 ‖ the 32 bytes of `hex`), in latin1; `hex` must be 64 hex digits. */
export function leafOfHex(hex: string): string {
  leafMessage.write(hex, 1, 32, 'hex')
  return hash('sha256', leafMessage, 'binary')
}

/** SHA-256(0x01 ‖ left ‖ right) of two latin1 hashes, in latin1. */
export function nodeOf(left: string, right: string): string {
  nodeMessage.write(left, 1, 32, 'latin1')
  nodeMessage.write(right, 33, 32, 'latin1')
  return hash('sha256', nodeMessage, 'binary')
}

export function latin1Hex(latin1: string): string {
  return Buffer.from(latin1, 'latin1').toString('hex')
}
