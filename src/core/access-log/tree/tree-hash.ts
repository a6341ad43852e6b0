// SHA-256 (FIPS 180-4) of the two short messages of the Merkle tree (merkle.ts, RFC 9162): a leaf,
// 0x00 ‖ 32 bytes, and a node, 0x01 ‖ 32 bytes ‖ 32 bytes, on 32-bit words in plain JavaScript.
// `crypto.hash` costs about 2 µs a call whatever the length, mostly the call itself; these take
// a fraction of that, and `confi docs verify` hashes one leaf and about one node per row
// (docs/performance.md, "Row hashing"). Hashes are 8 words, big-endian, in an Int32Array.
// Checked against node:crypto in test/core/access-log/verify.test.ts.

const K = Int32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
])
const IV = Int32Array.from([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19])

const W = new Int32Array(64)

// One block (the first 16 words of W) into `state`.
function compress(state: Int32Array): void {
  for (let i = 16; i < 64; i++) {
    const a = W[i - 15]
    const b = W[i - 2]
    const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3)
    const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10)
    W[i] = (W[i - 16] + s0 + W[i - 7] + s1) | 0
  }
  let a = state[0]
  let b = state[1]
  let c = state[2]
  let d = state[3]
  let e = state[4]
  let f = state[5]
  let g = state[6]
  let h = state[7]
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))
    const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i] + W[i]) | 0
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))
    const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0
    h = g
    g = f
    f = e
    e = (d + t1) | 0
    d = c
    c = b
    b = a
    a = (t1 + t2) | 0
  }
  state[0] = (state[0] + a) | 0
  state[1] = (state[1] + b) | 0
  state[2] = (state[2] + c) | 0
  state[3] = (state[3] + d) | 0
  state[4] = (state[4] + e) | 0
  state[5] = (state[5] + f) | 0
  state[6] = (state[6] + g) | 0
  state[7] = (state[7] + h) | 0
}

// W[0..] = prefix byte ‖ the 8 words of x (shifted right by one byte), starting at word `at`;
// returns the byte left over (the low byte of x's last word), which starts the next word.
function putShifted(x: Int32Array, prefix: number, at: number): number {
  let carry = prefix
  for (let i = 0; i < 8; i++) {
    W[at + i] = (carry << 24) | (x[i] >>> 8)
    carry = x[i] & 0xff
  }
  return carry
}

/** SHA-256(0x00 ‖ leaf) for a leaf of 8 words. */
export function leafWords(leaf: Int32Array): Int32Array {
  const carry = putShifted(leaf, 0x00, 0)
  W[8] = (carry << 24) | 0x800000
  W.fill(0, 9, 15)
  W[15] = 33 * 8
  const state = IV.slice()
  compress(state)
  return state
}

/** SHA-256(0x01 ‖ left ‖ right) for two hashes of 8 words. */
export function nodeWords(left: Int32Array, right: Int32Array): Int32Array {
  const middle = putShifted(left, 0x01, 0)
  const last = putShifted(right, middle, 8)
  const state = IV.slice()
  compress(state)
  W[0] = (last << 24) | 0x800000
  W.fill(0, 1, 15)
  W[15] = 65 * 8
  compress(state)
  return state
}

const digest = Buffer.alloc(32)

/** The 8 words of a digest in hex (64 digits). */
export function hexWords(hex: string): Int32Array {
  digest.write(hex, 0, 32, 'hex')
  const words = new Int32Array(8)
  for (let i = 0; i < 8; i++) words[i] = digest.readInt32BE(i * 4)
  return words
}

export function wordsHex(words: Int32Array): string {
  let out = ''
  for (let i = 0; i < 8; i++) out += (words[i] >>> 0).toString(16).padStart(8, '0')
  return out
}
