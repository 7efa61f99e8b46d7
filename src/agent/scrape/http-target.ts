import { gunzipSync } from "node:zlib";
import type { Exposition } from "../../model/sample.js";
import { parseTextExposition } from "../../wire/exposition/text-parser.js";
import type { ScrapeTarget } from "./target.js";

/** What the agent asks for, preferred first: OpenMetrics, then the Prometheus text format. */
const ACCEPT = "application/openmetrics-text;version=1.0.0;q=0.9,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

/** Largest scrape body read (after decompression). */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

/** A target scraped over HTTP(S) in the Prometheus text format or OpenMetrics. */
export class HttpTarget implements ScrapeTarget {
  constructor(
    readonly job: string,
    readonly instance: string,
    readonly url: string,
    readonly labels: Readonly<Record<string, string>> = {},
  ) {}

  async collect(signal: AbortSignal): Promise<Exposition> {
    const res = await fetch(this.url, { headers: { accept: ACCEPT, "accept-encoding": "gzip" }, signal });
    if (!res.ok) {
      await res.body?.cancel();
      throw new Error(`server returned HTTP status ${res.status} ${res.statusText}`);
    }
    const length = Number(res.headers.get("content-length") ?? "0");
    if (length > MAX_BODY_BYTES)
      throw new Error(`body of ${length} bytes exceeds the scrape limit of ${MAX_BODY_BYTES} bytes`);
    // fetch decodes gzip itself when it set accept-encoding; a body that is still gzip is decoded here.
    let bytes = Buffer.from(await res.arrayBuffer());
    if (bytes[0] === 0x1f && bytes[1] === 0x8b)
      bytes = gunzipSync(bytes, { maxOutputLength: MAX_BODY_BYTES });
    const openMetrics = (res.headers.get("content-type") ?? "").startsWith("application/openmetrics-text");
    return parseTextExposition(bytes.toString("utf8"), { openMetrics });
  }
}
