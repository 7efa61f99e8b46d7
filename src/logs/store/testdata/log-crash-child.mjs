// The child of log-head-crash.test.ts: a process that appends to a log head until it is killed with
// SIGKILL. Plain JavaScript for plain `node`; it imports the head that the test transpiled from the
// TypeScript sources.
//
// usage: node log-crash-child.mjs <url of the transpiled log-head.js> <data dir> <first id>
//
// It opens the head (replaying its WAL), then runs several writers at once. Push `id` holds
// `entryCount(id)` entries of the writer's stream {job="crash", w="<writer>"} at id × 1000 + i, with
// the line `id=<id> i=<i> …` (every 5th with structured metadata), and one entry of {job="ticker"}
// at ts = id. The id goes to stdout only after `append()` resolved, i.e. once it is acknowledged.

const [, , headUrl, dir, firstId] = process.argv;
const { LogHead } = await import(headUrl);

process.stdout.on("error", () => process.exit(0));

const head = await LogHead.open(dir, { walSegmentBytes: 64 * 1024, chunkTargetBytes: 16 * 1024 });
process.stdout.write("ready\n");

let next = Number(firstId);

/** Must match log-head-crash.test.ts. */
function entryCount(id) {
  const h = Math.imul(id ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
  return h % 16 === 0 ? 500 + (h % 500) : 1 + (h % 50);
}

/** Must match log-head-crash.test.ts. */
function line(id, i) {
  return `id=${id} i=${i} msg="${"x".repeat((id + i) % 40)}"`;
}

async function writer(w) {
  for (;;) {
    const id = next++;
    const n = entryCount(id);
    const entries = [];
    for (let i = 0; i < n; i++) {
      const e = { tsNs: BigInt(id) * 1000n + BigInt(i), line: line(id, i) };
      if (i % 5 === 0) e.structuredMetadata = [["trace_id", `${id}-${i}`]];
      entries.push(e);
    }
    const r = await head.append([
      {
        labels: [
          ["job", "crash"],
          ["w", String(w)],
        ],
        entries,
      },
      { labels: [["job", "ticker"]], entries: [{ tsNs: BigInt(id), line: String(id) }] },
    ]);
    if (r.accepted !== n + 1) {
      process.stderr.write(`push ${id}: accepted ${r.accepted} of ${n + 1}: ${r.errors.join("; ")}\n`);
      process.exit(1);
    }
    process.stdout.write(`${id}\n`);
  }
}

await Promise.all(Array.from({ length: 8 }, (_, w) => writer(w)));
