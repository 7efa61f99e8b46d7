// The child of head-truncate-crash.test.ts: writes to one Head while truncating it (each truncation
// writes a WAL checkpoint and deletes the segments it replaces) until it is killed with SIGKILL.
// Plain JavaScript for plain `node`; it imports the head the test transpiled from the TypeScript
// sources.
//
// usage: node truncate-crash-child.mjs <url of the transpiled head/index.js> <data dir> <first id>
//
// Like a real start it opens the head (replaying checkpoint and segments), then runs several
// writers and one truncator at once. Commit `id` holds `sampleCount(id)` samples of a new series
// {__name__="crash", id="<id>"} at t = id·STEP + i (every 7th value the stale marker, the rest
// distinct bit patterns), and one sample of the shared series {__name__="ticker"} at tick(id), up to
// six steps back: mostly late samples, in its out-of-order buffer. The truncator keeps the head about three block ranges long. The id goes to stdout only
// after `commit()` resolved, i.e. once the commit is acknowledged. Constants must match the test.

const [, , headUrl, dir, firstId] = process.argv;
const { Head, HeadAppender } = await import(headUrl);
const { Labels } = await import(new URL("../../../model/labels.js", headUrl).href);
const { DEFAULT_LIMITS, SeriesLimiter, TenantLimits } = await import(
  new URL("../../limits/index.js", headUrl).href
);

process.stdout.on("error", () => process.exit(0));

const STEP = 100;
const BLOCK = 1000;
const KEEP = 3 * BLOCK;

const limits = new TenantLimits({ ...DEFAULT_LIMITS, max_active_series: 0, max_series_per_metric: 0 });
const head = await Head.open(dir, {
  limiter: new SeriesLimiter("t", limits),
  outOfOrderWindowMs: 1e12,
  syncMode: "always",
  walSegmentBytes: 16 * 1024,
  blockDurationMs: BLOCK,
});
process.stdout.write("ready\n");

let next = Number(firstId);

function sampleCount(id) {
  const h = Math.imul(id ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
  return h % 16 === 0 ? 500 + (h % 500) : 1 + (h % 50);
}

function tick(id) {
  return id * STEP - (id % 5) * 150;
}

const f = new Float64Array(1);
const bits = new BigUint64Array(f.buffer);

async function writer() {
  for (;;) {
    const id = next++;
    const app = new HeadAppender(head);
    const labels = Labels.fromRecord({ __name__: "crash", id: String(id) });
    const n = sampleCount(id);
    for (let i = 0; i < n; i++) {
      bits[0] = i % 7 === 3 ? 0x7ff0000000000002n : (BigInt(id) << 20n) | BigInt(i);
      app.append(labels, id * STEP + i, f[0]);
    }
    app.append(Labels.fromRecord({ __name__: "ticker" }), tick(id), id);
    await app.commit();
    process.stdout.write(`${id}\n`);
  }
}

async function truncator() {
  for (;;) {
    await new Promise((res) => setTimeout(res, 2));
    const mint = Math.floor((head.maxTime() - KEEP) / BLOCK) * BLOCK;
    if (Number.isSafeInteger(mint) && mint > head.minValidTime) await head.truncate(mint);
  }
}

await Promise.all([truncator(), ...Array.from({ length: 8 }, writer)]);
