import type { Db } from '../../db/database.js'
import { contentHash } from '../chain/walk.js'
import { extendFrontier, frontierRoot, rowLeafHash, type Frontier } from '../tree/merkle.js'

// What the log holds after the chain breaks. The walk stops at the first row that fails, which
// is enough to say "broken", not to say how: an edited row and a cut end look alike from there.
// This pass reads every row after it and sorts what it finds: rows whose contents no longer give
// their hash (edited), rows whose prev_hash is not the hash of the row before them (a link
// broken, the row before being there), and ids that are not there at all (missing). The tree over
// the stored hashes goes on as long as the ids run without a gap, so the checkpoints still say
// whether the stored hashes are the ones they signed.

/** Consecutive ids, inclusive. */
export interface IdRange {
  from: number
  to: number
}

/** Row ids gathered into ranges; past `limit` ranges only the count grows (memory stays flat). */
export class IdRanges {
  readonly ranges: IdRange[] = []
  count = 0
  constructor(private readonly limit = 1000) {}
  add(from: number, to = from): void {
    this.count += to - from + 1
    const last = this.ranges.at(-1)
    if (last && last.to + 1 === from) last.to = to
    else if (this.ranges.length < this.limit) this.ranges.push({ from, to })
  }
}

export interface Survey {
  edited: IdRanges
  brokenLinks: IdRanges
  /** The largest id the log holds. */
  head: number
}

/** Where the survey starts: after row `after` (stored hash `prevHash`), with the walk's gaps and tree. */
export interface SurveyStart {
  after: number
  prevHash: string
  /** Ids missing between rows that are there; the survey adds those it finds. */
  gaps: IdRanges
  frontier: Frontier
  roots: Map<number, string>
  wanted: ReadonlySet<number>
}

/** Reads the rows after `start.after`, a batch at a time, extending the tree while ids run on. */
export async function surveyFrom(db: Db, start: SurveyStart, batchSize = 5000): Promise<Survey> {
  const survey: Survey = { edited: new IdRanges(), brokenLinks: new IdRanges(), head: start.after }
  const { gaps, frontier, roots, wanted } = start
  let prevHash = start.prevHash
  for (let after = start.after; ; ) {
    const batch = await db.selectFrom('access_log').selectAll().where('id', '>', after).orderBy('id').limit(batchSize).execute()
    if (batch.length === 0) return survey
    for (const row of batch) {
      const id = Number(row.id)
      // The link after a gap is broken by the gap, which is reported as such.
      if (id !== after + 1) gaps.add(after + 1, id - 1)
      else if (row.prev_hash !== prevHash) survey.brokenLinks.add(id)
      if (contentHash(row) !== row.hash) survey.edited.add(id)
      if (gaps.count === 0) {
        extendFrontier(frontier, rowLeafHash(row.hash))
        if (wanted.has(frontier.size)) roots.set(frontier.size, frontierRoot(frontier).toString('hex'))
      }
      prevHash = row.hash
      after = id
      survey.head = id
    }
  }
}
