import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { accountant, type Actor } from '../../src/core/actors.js'
import { addClient, type Client, type NewClient } from '../../src/core/clients/clients.js'
import type { Db } from '../../src/core/db/database.js'
import { initFirm, setFirmOptions } from '../../src/core/clients/firm.js'
import { inlineHasher, type PasswordHasher } from '../../src/core/identity/passwords.js'
import { normaliseTaxId } from '../../src/core/clients/tax-id.js'
import type { SecretKey } from '../../src/core/tokens.js'
import { addUser, type NewUser } from '../../src/core/identity/registration.js'
import type { ClientUser } from '../../src/core/identity/users.js'
import { addDocument, type Document } from '../../src/core/documents/documents.js'
import { createDiskFileStore } from '../../src/core/storage/disk/disk-store.js'
import type { FileStore } from '../../src/core/storage/file-store.js'
import type { TestDatabase } from './db.js'

export const ACCOUNTANT: Actor = accountant('cli:test')
export const PASSWORD = 'senha-secreta-1'

/** Real bcrypt that hashes each (password, cost) once: tests stay fast, hashes stay real. */
export const memoHasher: PasswordHasher = (() => {
  const cache = new Map<string, Promise<string>>()
  return {
    hash(password, cost) {
      const key = `${cost}\u0000${password}`
      let hash = cache.get(key)
      if (!hash) {
        hash = inlineHasher.hash(password, cost)
        cache.set(key, hash)
      }
      return hash
    },
    verify: inlineHasher.verify,
  }
})()

/** Creates the firm options with the cheapest bcrypt cost (10) so tests hash quickly. */
export async function makeFirm(
  db: Db,
  options: { requireLogin?: boolean; baseUrl?: string } = {},
): Promise<void> {
  await initFirm(db, { firmName: 'Contabilidade Teste', baseUrl: options.baseUrl ?? 'http://localhost:3000' })
  await setFirmOptions(db, ACCOUNTANT, { bcryptCost: 10, requireLogin: options.requireLogin })
}

let cnpjSeed = 10_000_000

/** A valid CNPJ no earlier call returned (check digits found by trying all 100 pairs). */
export function nextCnpj(): string {
  const body = `${cnpjSeed++}0001`
  for (let digits = 0; digits < 100; digits++) {
    const candidate = body + String(digits).padStart(2, '0')
    try {
      return normaliseTaxId(candidate)
    } catch {
      // not this pair of check digits
    }
  }
  throw new Error(`no check digits for ${body}`)
}

/** Adds a client with a fresh valid CNPJ; override any field. */
export async function makeClient(
  db: Db,
  key: SecretKey,
  overrides: Partial<NewClient> = {},
): Promise<Client> {
  const taxId = overrides.taxId ?? nextCnpj()
  return addClient(db, key, ACCOUNTANT, { name: `Empresa ${taxId}`, taxId, ...overrides })
}

let userSeed = 0

/**
 * Adds a user as the accountant would (first-user rule unless role/active are given), with the
 * password PASSWORD unless another (or `null` for none) is passed.
 */
export async function makeUser(
  db: Db,
  input: Partial<Omit<NewUser, 'password'>> & { clientId: number; password?: string | null },
): Promise<ClientUser> {
  const username = input.username ?? `user${++userSeed}`
  return addUser(
    db,
    ACCOUNTANT,
    {
      ...input,
      username,
      name: input.name ?? `Pessoa ${username}`,
      password: input.password === null ? undefined : (input.password ?? PASSWORD),
    },
    memoHasher,
  )
}

/** The disk store of a test database's data directory. */
export function storeOf(t: TestDatabase): FileStore & { removeStaleTemporaryFiles(ms: number): Promise<number> } {
  return createDiskFileStore(join(t.config.dataDir, 'files'))
}

let fileSeed = 0

/** Writes a small file in the test folder and returns its path. */
export function writeTestFile(dir: string, name: string, content: string | Buffer = `%PDF-1.4 ${++fileSeed}`): string {
  const path = join(dir, name)
  writeFileSync(path, content)
  return path
}

/** Adds a document with one PDF for `clientId`; override any field. */
export async function makeDocument(
  t: TestDatabase,
  clientId: number,
  overrides: Partial<Parameters<typeof addDocument>[3]> = {},
): Promise<Document> {
  return addDocument(t.db, storeOf(t), ACCOUNTANT, {
    clientId,
    title: 'DAS 10/2026',
    category: 'fiscal',
    files: [{ path: writeTestFile(t.dir, `doc-${++fileSeed}.pdf`) }],
    ...overrides,
  })
}

/** The client's events' actions, oldest first. */
export async function eventActions(db: Db, clientId?: number): Promise<string[]> {
  let query = db.selectFrom('events').select('action').orderBy('id')
  if (clientId !== undefined) query = query.where('client_id', '=', clientId)
  return (await query.execute()).map((r) => r.action)
}
