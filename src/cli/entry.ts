import { confiVersion } from './version.js'

/**
 * Entry point of bin/confi. `confi --version` answers before the program, its commands and
 * commander load; everything else goes to main.ts (docs/performance.md, "CLI start-up").
 */
export async function main(): Promise<void> {
  endOnOutputError()
  const argv = process.argv.slice(2)
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    process.stdout.write(`${confiVersion()}\n`)
    return
  }
  const cli = await import('./main.js')
  await cli.main()
}

// `confi docs log | head` closes the pipe early: end as a Unix filter does on SIGPIPE (status 141,
// no message), never with an uncaught EPIPE stack trace. The export state only advances after a
// successful write, so nothing is skipped (docs/decisions.md, "A closed pipe ends the CLI quietly").
// Any other write error (a full disk under `> file`, an I/O error) is a refusal like the others:
// one `confi:` line and status 1, at once, so nothing after the lost output counts as done.
function endOnOutputError(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(141)
    const why = error.code === 'ENOSPC' ? 'no space left on the device' : (error.code ?? error.message)
    process.stderr.write(`confi: cannot write the standard output (${why}): free space there or redirect it elsewhere\n`)
    process.exit(1)
  })
}
