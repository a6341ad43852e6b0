// A group read (docs/performance.md, "Downloads, second pass"): on PostgreSQL every statement
// is a round trip to a server sharing the same cores, and under load its fixed cost (the wake-up,
// the protocol, the executor's start and end) outweighs a primary-key lookup. Like the access
// log's group commit, the reads that arrive while one is in flight go out together, as one
// statement, as soon as it answers. Each read is still sent after its own request arrived, so
// it sees everything committed before that: nothing is cached.

interface Waiting<Key, Result> {
  key: Key
  resolve: (result: Result) => void
  reject: (error: unknown) => void
}

/**
 * A reader of one key at a time that sends at most one statement at a time: `readAll` answers a
 * group of keys, result i for key i. When a group fails, each of its keys is read alone, so one
 * request's error (a refused value) is never another's.
 */
export function groupReads<Key, Result>(
  readAll: (keys: readonly Key[]) => Promise<Result[]>,
  maxGroup: number,
): (key: Key) => Promise<Result> {
  const queue: Waiting<Key, Result>[] = []
  let reading = false

  const readGroup = async (group: Waiting<Key, Result>[]) => {
    try {
      const results = await readAll(group.map((w) => w.key))
      group.forEach((w, i) => w.resolve(results[i]))
    } catch (error) {
      if (group.length === 1) return group[0].reject(error)
      for (const w of group) await readGroup([w])
    }
  }

  const next = () => {
    if (reading || queue.length === 0) return
    reading = true
    void readGroup(queue.splice(0, maxGroup)).finally(() => {
      reading = false
      next()
    })
  }

  return (key) =>
    new Promise<Result>((resolve, reject) => {
      queue.push({ key, resolve, reject })
      next()
    })
}
