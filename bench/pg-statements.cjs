// A diagnostic preload for bench/download.mjs on PostgreSQL: counts the statements (round trips)
// `confi serve` sends through node-postgres, by the first words of their SQL, and prints the
// counts to stderr when the process ends. Use with BENCH_PG_COUNT=1 (the bench passes
// `--require` of this file to confi serve and prints what it reports per download).
const pg = require('pg')

const counts = new Map()
const query = pg.Client.prototype.query
pg.Client.prototype.query = function (config, ...rest) {
  const text = typeof config === 'string' ? config : config?.text ?? ''
  const key = text.replace(/\s+/g, ' ').slice(0, 60)
  counts.set(key, (counts.get(key) ?? 0) + 1)
  return query.call(this, config, ...rest)
}
const report = () => {
  process.stderr.write(`pg-statements ${JSON.stringify(Object.fromEntries(counts))}\n`)
  counts.clear()
}
process.on('SIGUSR2', report)
process.on('exit', report)
