import type { Command } from 'commander'
import type { CliContext } from '../context.js'
import type { DemoResult } from '../../demo/demo-data.js'

/** The lines `confi demo` and `npm start` print: links, users and the shared password. */
export function describeDemo(demo: DemoResult): string {
  const lines = [
    `Demo data for ${demo.firmName}:`,
    '',
    'Login links (Área do Cliente):',
    ...demo.loginLinks.map((l) => `  ${l.client}: ${l.url}`),
    '',
    `Users (password for all: ${demo.password}):`,
    ...demo.credentials.map((c) => `  ${c.username.padEnd(14)} ${c.role.padEnd(12)} ${c.status.padEnd(8)} ${c.client}`),
    '',
    'Document links:',
    ...demo.deliveries.map((d) => `  ${d.title}${d.requiresLogin ? ' [requires login]' : ''}: ${d.url}`),
  ]
  return `${lines.join('\n')}\n`
}

/** `confi demo`: fills an empty database with sample data. */
export function registerDemo(program: Command, context: CliContext): void {
  program
    .command('demo')
    .description('fill an empty database with demo data (a firm, a group, documents, users) and print how to log in')
    .option('--json', 'print the links and credentials as JSON')
    .action(async (options: { json?: boolean }) => {
      const { createFileStore } = await import('../../core/storage/index.js')
      const { inlineHasher } = await import('../../core/identity/index.js')
      // Demo data is filled from outside core, through core's functions like any other caller.
      const { fillDemo } = await import('../../demo/demo-data.js')
      const db = await context.db()
      const config = context.config()
      const demo = await fillDemo(db, context.secretKey({ create: true }), createFileStore(config), inlineHasher)
      if (options.json) context.deps.stdout.write(`${JSON.stringify(demo, null, 2)}\n`)
      else context.deps.stdout.write(describeDemo(demo))
    })
}
