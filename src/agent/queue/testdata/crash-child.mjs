// The child of crash.test.ts: a process that appends to, reads from and acknowledges in the disk
// queue until it is killed with SIGKILL. Plain JavaScript for plain `node`; it implements nothing
// itself and imports the queue that the test transpiled from the TypeScript sources.
//
// usage: node crash-child.mjs <url of the transpiled queue/index.js> <queue dir> <first id> <segment bytes>
//
// Record `id` has a payload that is a function of `id` (see crash.test.ts). Output, one per line:
// `ready` once the queue is open; `N` after a `sync()` called once record N was appended resolved
// (so N and every lower id of this run are durable); `-(N+1)` just BEFORE acknowledging a batch
// holding record N (so a kill between the two only makes the parent's check weaker, never wrong).

const [, , queueUrl, dir, firstId, segmentBytes] = process.argv;
const { DiskQueue } = await import(queueUrl);

// Run by hand with `| head`, the reader may go away: stop quietly.
process.stdout.on("error", () => process.exit(0));

const q = await DiskQueue.open(dir, {
  segmentBytes: Number(segmentBytes),
  maxBytes: 1 << 30,
  syncMode: "interval",
  syncIntervalMs: 20,
});
process.stdout.write("ready\n");

/** The payload of record `id`: mostly small, every 16th large (to tear multi-page writes). */
function payloadOf(id) {
  const h = Math.imul(id ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
  const size = h % 16 === 0 ? 8000 + (h % 20000) : 4 + (h % 400);
  const b = new Uint8Array(size);
  for (let i = 4; i < size; i++) b[i] = (id * 13 + i * 7) & 0xff;
  new DataView(b.buffer).setUint32(0, id);
  return b;
}

const idOf = (p) => new DataView(p.buffer, p.byteOffset, p.byteLength).getUint32(0);
let next = Number(firstId);

async function producer() {
  for (;;) {
    const n = 1 + (next % 9);
    let last = next;
    for (let k = 0; k < n; k++) {
      last = next++;
      q.append(payloadOf(last));
    }
    await q.sync();
    process.stdout.write(`${last}\n`);
  }
}

async function consumer() {
  const inflight = [];
  let turn = 0;
  for (;;) {
    // A slow sender with several requests in flight, so that a backlog of unacknowledged records
    // builds up for the kill to hit.
    const b = await q.read(5, 64 * 1024);
    inflight.push(b);
    turn++;
    await new Promise((r) => setTimeout(r, 2));
    // Acknowledge out of order: keep up to 6 in flight, pick one by a fixed pattern.
    if (inflight.length >= 6) {
      const [x] = inflight.splice((turn * 7) % inflight.length, 1);
      process.stdout.write(`${x.records.map((p) => -(idOf(p) + 1)).join("\n")}\n`);
      q.ack(x.token);
    }
  }
}

void producer();
void consumer();
