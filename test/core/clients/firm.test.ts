import { describe, expect, it } from 'vitest'
import { ConfiError, ValidationError } from '../../../src/core/errors.js'
import { getFirmOptions, initFirm, normaliseBaseUrl, setFirmOptions } from '../../../src/core/clients/firm.js'
import { useTestDatabase } from '../../helpers/db.js'
import { ACCOUNTANT, eventActions } from '../../helpers/factories.js'

const t = useTestDatabase()

describe('firm options', () => {
  it('tells to run init when the options are missing', async () => {
    await expect(getFirmOptions(t.db)).rejects.toThrow(ConfiError)
    await expect(getFirmOptions(t.db)).rejects.toThrow(/confi init/)
  })

  it('creates defaults once, then changes only what is given', async () => {
    const first = await initFirm(t.db)
    expect(first.created).toBe(true)
    expect(first.options).toEqual({
      firmName: 'Escritório de Contabilidade',
      baseUrl: 'http://localhost:3000',
      requireLogin: false,
      bcryptCost: 11,
      sessionIdleMinutes: 60,
      sessionAbsoluteHours: 12,
      mailFrom: null,
      phone: null,
      reminderDays: [3, 1, 0],
      contactEmail: null,
      require2fa: 'off',
      inboxEmail: null,
      uploadMaxMb: 25,
      uploadMaxFiles: 20,
      retention: 'fiscal=5y,pessoal=10y,contabil=10y,societario=forever,outros=5y',
      logRetention: '5y',
    })
    const again = await initFirm(t.db)
    expect(again).toMatchObject({ created: false, changed: [] })
    const renamed = await initFirm(t.db, {
      firmName: 'Contabilidade Exemplo',
      baseUrl: 'https://x.com.br/',
    })
    expect(renamed.changed.sort()).toEqual(['baseUrl', 'firmName'])
    expect(renamed.options.baseUrl).toBe('https://x.com.br')
    expect(await eventActions(t.db)).toEqual(['firm.created', 'firm.options_changed'])
  })

  it('sets the sender, phone and reminder days', async () => {
    await initFirm(t.db)
    const set = await setFirmOptions(t.db, ACCOUNTANT, { mailFrom: ' "Contabilidade X" <Avisos@X.com.br> ', phone: '(11) 3333-4444', reminderDays: '0, 5,1,5' })
    expect([set.mailFrom, set.phone, set.reminderDays]).toEqual(['Contabilidade X <Avisos@X.com.br>', '+551133334444', [5, 1, 0]])
    await expect(setFirmOptions(t.db, ACCOUNTANT, { mailFrom: 'Nome <sem-arroba>' })).rejects.toThrow(/not a valid e-mail address/)
    await expect(setFirmOptions(t.db, ACCOUNTANT, { mailFrom: 'A\r\nBcc: x <a@b.com.br>' })).rejects.toThrow(/is not a valid e-mail/)
    await expect(setFirmOptions(t.db, ACCOUNTANT, { mailFrom: 'A<B <a@b.com.br>' })).rejects.toThrow(/unusable name/)
    await expect(setFirmOptions(t.db, ACCOUNTANT, { reminderDays: '3,-1' })).rejects.toThrow(/reminder days '3,-1' are not valid/)
    await expect(setFirmOptions(t.db, ACCOUNTANT, { phone: '3333-4444' })).rejects.toThrow(/no area code/)
    expect((await getFirmOptions(t.db)).reminderDays).toEqual([5, 1, 0])
  })

  it("sets the firm's inbox e-mail and the upload limits, and refuses bad ones", async () => {
    await initFirm(t.db)
    const set = await setFirmOptions(t.db, ACCOUNTANT, { inboxEmail: ' Recebidos <recebidos@escritorio.com.br> ', uploadMaxMb: 50, uploadMaxFiles: 30 })
    expect([set.inboxEmail, set.uploadMaxMb, set.uploadMaxFiles]).toEqual(['recebidos@escritorio.com.br', 50, 30])
    await expect(setFirmOptions(t.db, ACCOUNTANT, { inboxEmail: 'recebidos' })).rejects.toThrow(/not a valid e-mail address/)
    await expect(setFirmOptions(t.db, ACCOUNTANT, { inboxEmail: 'a@b.com.br, c@d.com.br' })).rejects.toThrow(ValidationError)
    await expect(setFirmOptions(t.db, ACCOUNTANT, { uploadMaxMb: 0 })).rejects.toThrow(/upload limit in MB 0 is out of range: use a whole number from 1 to 500/)
    await expect(setFirmOptions(t.db, ACCOUNTANT, { uploadMaxMb: 501 })).rejects.toThrow(ValidationError)
    await expect(setFirmOptions(t.db, ACCOUNTANT, { uploadMaxMb: 2.5 })).rejects.toThrow(ValidationError)
    await expect(setFirmOptions(t.db, ACCOUNTANT, { uploadMaxFiles: 101 })).rejects.toThrow(/files per upload 101 is out of range: use a whole number from 1 to 100/)
    expect(await getFirmOptions(t.db)).toMatchObject({ inboxEmail: 'recebidos@escritorio.com.br', uploadMaxMb: 50, uploadMaxFiles: 30 })
    expect((await setFirmOptions(t.db, ACCOUNTANT, { inboxEmail: '' })).inboxEmail).toBeNull()
  })

  it('validates and records changes', async () => {
    await initFirm(t.db)
    const options = await setFirmOptions(t.db, ACCOUNTANT, { requireLogin: true, bcryptCost: 12 })
    expect(options).toMatchObject({ requireLogin: true, bcryptCost: 12 })
    await expect(setFirmOptions(t.db, ACCOUNTANT, { bcryptCost: 9 })).rejects.toThrow(/10 to 15/)
    await expect(setFirmOptions(t.db, ACCOUNTANT, { bcryptCost: 16 })).rejects.toThrow(
      ValidationError,
    )
    await expect(setFirmOptions(t.db, ACCOUNTANT, { baseUrl: 'ftp://x' })).rejects.toThrow(/http/)
    const events = await t.db.selectFrom('events').selectAll().execute()
    expect(events.at(-1)).toMatchObject({ actor: 'cli:test', action: 'firm.options_changed' })
    expect(JSON.parse(events.at(-1)!.details!)).toEqual({
      requireLogin: { from: false, to: true },
      bcryptCost: { from: 11, to: 12 },
    })
  })
})

describe('normaliseBaseUrl', () => {
  it('keeps http(s) origins without trailing slashes', () => {
    expect(normaliseBaseUrl('http://localhost:3000/')).toBe('http://localhost:3000')
    expect(normaliseBaseUrl('https://portal.example.com.br//')).toBe('https://portal.example.com.br')
  })

  it('refuses a path prefix, naming the value and saying to serve the portal at the root', () => {
    // Portal links are root-relative: behind a prefix they would escape it.
    expect(() => normaliseBaseUrl('https://x.com.br/portal')).toThrow(ValidationError)
    expect(() => normaliseBaseUrl('https://x.com.br/portal/')).toThrow(
      /'https:\/\/x\.com\.br\/portal\/'.*serve the portal at the root of its host, e\.g\. https:\/\/portal\.escritorio\.com\.br/,
    )
  })

  it.each([
    'localhost:3000',
    'ftp://example.com',
    'https://x.com/?a=1',
    'https://u:p@x.com',
    'nonsense',
  ])('refuses %s', (url) => {
    expect(() => normaliseBaseUrl(url)).toThrow(ValidationError)
  })
})
