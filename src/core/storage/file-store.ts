import { Readable } from 'node:stream'
import { ValidationError } from '../errors.js'

/** What the store keeps of one file: its key (for reading back), its SHA-256 and size in bytes. */
export interface StoredFile {
  key: string
  sha256: string
  size: number
}

/**
 * Where attachments live. Content-addressed: the key is derived from the SHA-256 of the bytes, so
 * identical content is stored once. Small on purpose, so an S3-compatible store can implement it.
 */
export interface FileStore {
  /** Stores the bytes of a file path or stream durably; resolves only once they are on disk. */
  put(source: string | Readable): Promise<StoredFile>
  /** Stores a file whose bytes the caller hands over as they arrive (an upload's part). */
  writer(): FileWriter
  /** A stream of the stored bytes; the key must come from `put` (never from a request). */
  open(key: string): Readable
  /** The whole content in memory: faster than a stream for small files (docs/performance.md). */
  read(key: string): Promise<Buffer>
  /** Size of a stored file, or null when the key holds nothing. */
  stat(key: string): Promise<{ size: number } | null>
  /**
   * Removes the file at `key` (retention, docs/privacy.md), unless it was stored or found again by
   * `put` less than `unlessNewerThanMs` ago: a `put` of identical content returns the existing key,
   * and its row may not be committed yet. Resolves 'deleted' (the store's deletion mark changes,
   * so every cache forgets it), 'absent' (nothing there) or 'recent' (kept for now).
   */
  delete(key: string, options?: { unlessNewerThanMs?: number }): Promise<DeleteOutcome>
  /**
   * A value that changes whenever a file is deleted, shared by every process using the store: a
   * cache of file bytes compares it to drop what was deleted by another process.
   */
  deletionMark(): Promise<string>
}

/**
 * A file being stored: `write` each chunk in order (waiting for a promise it returns before the
 * next), then `end` stores it as durably as `put` does, or `abort` drops it (nothing is left).
 * A chunk is kept as it is until written, not copied: the caller must not change it.
 */
export interface FileWriter {
  write(chunk: Buffer): Promise<void> | void
  end(): Promise<StoredFile>
  abort(): Promise<void>
}

/** What `FileStore.delete` did. */
export type DeleteOutcome = 'deleted' | 'absent' | 'recent'

/** Stores bytes held in memory through `put`, as durably as a file with that content. */
export function putBytes(store: FileStore, bytes: Uint8Array): Promise<StoredFile> {
  return store.put(Readable.from([Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)]))
}

const KEY = /^[0-9a-f]{2}\/[0-9a-f]{62}$/

/** Throws unless `key` has the shape the store gives out, so no key can name another path. */
export function assertStorageKey(key: string): void {
  if (!KEY.test(key)) throw new ValidationError(`'${key}' is not a storage key`)
}

/** The store key of content with this SHA-256 (hex): `ab/cdef…`. */
export function storageKeyOf(sha256: string): string {
  return `${sha256.slice(0, 2)}/${sha256.slice(2)}`
}
