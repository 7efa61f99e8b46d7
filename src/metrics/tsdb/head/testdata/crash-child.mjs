// The child of head-crash.test.ts: a process that writes to the TSDB until it is killed with
// SIGKILL. Plain JavaScript for plain `node`; it imports the head that the test transpiled from the
// TypeScript sources.
//
// usage: node crash-child.mjs <url of the transpiled tsdb.js> <data dir> <first id>
//
// Like a real start it opens the storage (which replays every tenant's WAL), then runs several
// writers at once. Commit `id` goes to tenant `t<id % 3>` and holds: `sampleCount(id)` samples of a
// new series {__name__="crash", id="<id>"} (every 7th value the stale marker, the rest distinct bit
// patterns), and one sample of the tenant's existing series {__name__="ticker"} at t = id. The id
// goes to stdout only after `commit()` resolved, i.e. once the commit is acknowledged.

const [, , headUrl, dir, firstId] = process.argv;
const { TSDB } = await import(headUrl);
const { Labels } = await import(new URL("../../model/labels.js", headUrl).href);
const { newCtx } = await import(new URL("../../model/context.js", headUrl).href);

process.stdout.on("error", () => process.exit(0));

const store = await TSDB.open(dir, { syncMode: "always", walSegmentBytes: 64 * 1024 });
process.stdout.write("ready\n");

let next = Number(firstId);

/** Must match head-crash.test.ts. */
function sampleCount(id) {
  const h = Math.imul(id ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
  return h % 16 === 0 ? 1000 + (h % 1000) : 1 + (h % 100);
}

const f = new Float64Array(1);
const bits = new BigUint64Array(f.buffer);

async function writer() {
  for (;;) {
    const id = next++;
    const app = store.appender(newCtx([`t${id % 3}`]));
    const labels = Labels.fromRecord({ __name__: "crash", id: String(id) });
    const n = sampleCount(id);
    for (let i = 0; i < n; i++) {
      bits[0] = i % 7 === 3 ? 0x7ff0000000000002n : (BigInt(id) << 20n) | BigInt(i);
      app.append(labels, i, f[0]);
    }
    app.append(Labels.fromRecord({ __name__: "ticker" }), id, id);
    await app.commit();
    process.stdout.write(`${id}\n`);
  }
}

await Promise.all(Array.from({ length: 8 }, writer));
