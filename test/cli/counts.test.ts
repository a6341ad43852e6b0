import { describe, expect, it } from 'vitest'
import { runCli } from '../helpers/cli.js'
import { useTestDatabase } from '../helpers/db.js'

// Issue 22 §6: counts of one read in the singular ("1 minute", "1 attempt"), through core's countOf.

const t = useTestDatabase()

describe('singulars in the CLI', () => {
  it('prints a one-minute idle time and a one-hour session in the singular in `confi firm show`', async () => {
    await runCli(['init', '--firm-name', 'Contabilidade CLI'], { env: t.env })
    expect((await runCli(['firm', 'set', '--session-idle-minutes', '1', '--session-absolute-hours', '1'], { env: t.env })).code).toBe(0)
    const shown = await runCli(['firm', 'show'], { env: t.env })
    expect(shown.stdout).toMatch(/Session idle\s+1 minute\n/)
    expect(shown.stdout).toMatch(/Session absolute\s+1 hour\n/)
  }, 30_000)
})
