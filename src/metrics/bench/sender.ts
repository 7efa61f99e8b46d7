import { Agent, request } from "node:http";

/**
 * Posts every body to `url` as remote-write 1.0 with up to `inflight` requests at a time. Body `i`
 * starts only after body `i - stride` was answered, so that with one request per batch of series per
 * scrape (`stride` = requests per scrape) every series arrives in order, as from a real sender.
 * Rejects on the first answer that is not 2xx: a benchmark must not count refused samples.
 */
export async function sendAll(
  url: string,
  headers: Record<string, string>,
  bodies: readonly Uint8Array[],
  inflight: number,
  stride: number,
): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: inflight });
  const done: Promise<void>[] = [];
  let next = 0;
  const worker = async () => {
    while (next < bodies.length) {
      const i = next++;
      const previous = done[i - stride];
      const sent = (previous ?? Promise.resolve()).then(() => post(url, headers, bodies[i]!, agent));
      done[i] = sent;
      await sent;
    }
  };
  try {
    await Promise.all(Array.from({ length: inflight }, worker));
  } finally {
    agent.destroy();
  }
}

function post(url: string, headers: Record<string, string>, body: Uint8Array, agent: Agent): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: "POST",
        agent,
        headers: {
          ...headers,
          "content-type": "application/x-protobuf",
          "content-encoding": "snappy",
          "x-prometheus-remote-write-version": "0.1.0",
          "content-length": String(body.length),
        },
      },
      (res) => {
        let text = "";
        res.on("data", (c: Buffer) => (text += c.toString()));
        res.on("end", () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve();
          else reject(new Error(`${url} answered ${status}: ${text.slice(0, 500)}`));
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}
