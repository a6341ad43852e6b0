// core/proof owns what makes the access log evidence a third party can check: the firm's signing
// keys (this module), the Merkle tree over the log (merkle.ts, which sits below access-log so the
// append path can extend it), signed checkpoints (checkpoints.ts) and receipts (receipts.ts).

import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto'
import { closeSync, openSync, readFileSync, renameSync, unlinkSync } from 'node:fs'
import { dirname } from 'node:path'
import { ConfiError, ValidationError } from '../errors.js'
import { syncDirectory, writePrivateTemp } from '../storage/durable-files.js'
import { nowIso } from '../time.js'

/** One Ed25519 public key, as published: its id and the 32 raw bytes in base64. */
export interface PublicKeyInfo {
  id: string
  /** The raw 32-byte Ed25519 public key, base64 (standard alphabet). */
  publicKey: string
  createdAt: string
  /** When `confi keys rotate` replaced it; it still verifies what it signed before. */
  retiredAt: string | null
}

interface StoredKey extends PublicKeyInfo {
  /** PKCS#8 PEM; only the current key keeps it (docs/decisions.md, "Rotation drops the old private key"). */
  privateKey: string | null
}

/** The key file: every public key the firm ever used, and the private half of the current one. */
export interface SigningKeys {
  path: string
  current: PublicKeyInfo
  all: PublicKeyInfo[]
  /** Ed25519 signature of `message` with the current key, base64. */
  sign(message: string): string
}

/** The key id: the first 16 hex digits of SHA-256 over the raw public key. */
export function keyIdOf(rawPublicKey: Buffer): string {
  return createHash('sha256').update(rawPublicKey).digest('hex').slice(0, 16)
}

/** A public key object from its raw 32 bytes in base64. */
export function publicKeyFromBase64(publicKey: string): KeyObject {
  const raw = Buffer.from(publicKey, 'base64')
  if (raw.length !== 32) throw new ValidationError(`'${publicKey}' is not an Ed25519 public key (32 bytes in base64)`)
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' })
}

/** True when `signature` (base64) is `publicKey`'s Ed25519 signature of `message`. */
export function verifySignature(publicKey: string, message: string, signature: string): boolean {
  try {
    return verify(null, Buffer.from(message, 'utf8'), publicKeyFromBase64(publicKey), Buffer.from(signature, 'base64'))
  } catch {
    return false
  }
}

function newKey(): StoredKey {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519')
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url')
  return {
    id: keyIdOf(raw),
    publicKey: raw.toString('base64'),
    createdAt: nowIso(),
    retiredAt: null,
    privateKey: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  }
}

function damaged(path: string, why: string): ConfiError {
  return new ConfiError(`the signing key file ${path} is damaged (${why}): restore it from a backup`)
}

function readKeyFile(path: string): StoredKey[] | null {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw new ConfiError(`cannot read the signing key file ${path}: ${(error as Error).message}`)
  }
  let value: { version?: unknown; keys?: unknown }
  try {
    value = JSON.parse(text) as typeof value
  } catch {
    throw damaged(path, 'not JSON')
  }
  if (value.version !== 1 || !Array.isArray(value.keys) || value.keys.length === 0) throw damaged(path, 'no keys')
  const keys = value.keys as StoredKey[]
  for (const key of keys) {
    if (typeof key.publicKey !== 'string' || key.id !== keyIdOf(Buffer.from(key.publicKey, 'base64'))) {
      throw damaged(path, `key ${String(key.id)} does not match its public key`)
    }
  }
  if (!keys.at(-1)!.privateKey) throw damaged(path, 'the current key has no private key')
  return keys
}

// Temporary file, fsync, rename, fsync the directory: a crash leaves the old file or the new one.
function writeKeyFile(path: string, keys: StoredKey[], exclusive: boolean): boolean {
  const tempPath = writePrivateTemp(path, `${JSON.stringify({ version: 1, keys }, null, 2)}\n`)
  try {
    if (exclusive) {
      // Like the secret key: if another instance created it meanwhile, keep theirs.
      try {
        const probe = openSync(path, 'wx', 0o600)
        closeSync(probe)
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
        throw error
      }
    }
    renameSync(tempPath, path)
  } finally {
    try {
      unlinkSync(tempPath)
    } catch {
      // renamed into place
    }
  }
  syncDirectory(dirname(path))
  return true
}

function toSigningKeys(path: string, keys: StoredKey[]): SigningKeys {
  const current = keys.at(-1)!
  const privateKey = createPrivateKey(current.privateKey!)
  const publicInfo = (k: StoredKey): PublicKeyInfo => ({
    id: k.id,
    publicKey: k.publicKey,
    createdAt: k.createdAt,
    retiredAt: k.retiredAt,
  })
  return {
    path,
    current: publicInfo(current),
    all: keys.map(publicInfo),
    sign: (message) => sign(null, Buffer.from(message, 'utf8'), privateKey).toString('base64'),
  }
}

/** Reads the signing key file; creates it (0600) when `create` is set and it is missing. */
export function loadSigningKeys(path: string, options: { create?: boolean } = {}): SigningKeys & { created: boolean } {
  const keys = readKeyFile(path)
  if (keys) return { ...toSigningKeys(path, keys), created: false }
  if (!options.create) {
    throw new ConfiError(
      `the signing key file ${path} is missing: run 'confi init', or set CONFI_SIGNING_KEY_FILE to the firm's key file`,
    )
  }
  const fresh = [newKey()]
  if (!writeKeyFile(path, fresh, true)) return { ...toSigningKeys(path, readKeyFile(path)!), created: false }
  return { ...toSigningKeys(path, fresh), created: true }
}

/** Makes a new current key; the old ones keep their public half only, to verify what they signed. */
export function rotateSigningKeys(path: string): SigningKeys {
  const keys = readKeyFile(path)
  if (!keys) return loadSigningKeys(path)
  const at = nowIso()
  const retired = keys.map((k) => ({ ...k, privateKey: null, retiredAt: k.retiredAt ?? at }))
  const next = [...retired, newKey()]
  writeKeyFile(path, next, false)
  return toSigningKeys(path, next)
}

/** Only the public keys of the file (for verifying), without loading the private key. */
export function loadPublicKeys(path: string): PublicKeyInfo[] | null {
  const keys = readKeyFile(path)
  return keys ? toSigningKeys(path, keys).all : null
}
