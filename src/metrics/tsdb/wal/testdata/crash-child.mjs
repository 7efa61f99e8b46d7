// The child of crash.test.ts: a process that writes to the WAL until it is killed with SIGKILL.
// Plain JavaScript for plain `node`; it implements nothing itself and imports the WAL that the test
// transpiled from the TypeScript sources.
//
// usage: node crash-child.mjs <url of the transpiled wal/index.js> <wal dir> <first id> <segment bytes>
//
// Like a real start it replays the WAL first (which cuts off a torn tail), then opens it and runs
// several writers at once. Commit `id` logs a SERIES record and a SAMPLES record whose contents are
// a function of `id` (see crash.test.ts); the id goes to stdout only after `log()` resolved, i.e.
// once the commit is acknowledged.

const [, , walUrl, dir, firstId, segmentBytes] = process.argv;
const { WAL, replay, encodeSeries, encodeSamples, RecordBuffer, SampleBatch } = await import(walUrl);
const { Labels } = await import(new URL("../../../model/labels.js", walUrl).href);

// Run by hand with `| head`, the reader may go away: stop quietly.
process.stdout.on("error", () => process.exit(0));

const { verifiedEnd } = await replay(dir, () => {});
const wal = await WAL.open(dir, { segmentBytes: Number(segmentBytes), syncMode: "always", verifiedEnd });
process.stdout.write("ready\n");

let next = Number(firstId);

/** The number of samples of commit `id`: mostly small, every 16th large (to tear multi-page writes). */
function sampleCount(id) {
  const h = Math.imul(id ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
  return h % 16 === 0 ? 4000 + (h % 4000) : 1 + (h % 200);
}

async function writer() {
  const out = new RecordBuffer();
  const batch = new SampleBatch();
  const raw = new BigUint64Array(1);
  for (;;) {
    const id = next++;
    const series = encodeSeries(
      [{ ref: id, labels: Labels.fromRecord({ __name__: "crash", id: String(id) }) }],
      out,
    ).slice();
    batch.clear();
    const n = sampleCount(id);
    batch.reserve(n);
    const bits = new BigUint64Array(batch.values.buffer);
    for (let i = 0; i < n; i++) {
      batch.refs[i] = id;
      batch.ts[i] = id * 10_000 + i;
      // Every 7th value is the stale marker, the rest distinct payload-carrying bit patterns.
      raw[0] = i % 7 === 3 ? 0x7ff0000000000002n : (BigInt(id) << 20n) | BigInt(i);
      bits[i] = raw[0];
    }
    batch.length = n;
    await wal.log([series, encodeSamples(batch, out)]);
    process.stdout.write(`${id}\n`);
  }
}

for (let w = 0; w < 8; w++) void writer();
