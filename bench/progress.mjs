// Progress of a long bench step on stderr (issue 13 target 5): rows done, rate and time left,
// redrawn in place on a terminal; without a terminal only the closing line, so logs stay short.
const fmt = (n) => Math.round(n).toLocaleString('en')

function duration(seconds) {
  if (!Number.isFinite(seconds)) return '?'
  const s = Math.max(0, Math.round(seconds))
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`
}

/** A counter for `label`; `total` null when unknown. */
export function progress(label, total) {
  const tty = process.stderr.isTTY
  const started = performance.now()
  let done = 0
  let drawn = 0
  const line = () => {
    const seconds = (performance.now() - started) / 1000
    const rate = done / Math.max(seconds, 1e-3)
    const left = total ? `, ${duration((total - done) / rate)} left` : ''
    return `${label}: ${fmt(done)}${total ? ` / ${fmt(total)}` : ''} rows, ${fmt(rate)} rows/s${left}`
  }
  return {
    tick(n) {
      done += n
      const at = performance.now()
      if (!tty || at - drawn < 250) return
      drawn = at
      process.stderr.write(`\r${line()}\x1b[K`)
    },
    done() {
      const seconds = (performance.now() - started) / 1000
      process.stderr.write(`${tty ? '\r' : ''}${label}: ${fmt(done)} rows in ${seconds.toFixed(1)} s\x1b[K\n`.replace(tty ? '' : '\x1b[K', ''))
    },
  }
}
