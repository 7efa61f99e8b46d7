import type { IncomingMessage } from "node:http";
import { HttpError } from "../errors.js";

/**
 * Reads a request body into one Buffer, refusing (413) as soon as it exceeds `maxBytes`. `setting`
 * names the configuration key that raises the limit, so the error tells the sender what to change.
 */
export async function readBody(req: IncomingMessage, maxBytes: number, setting: string): Promise<Buffer> {
  const declared = Number(req.headers["content-length"] ?? "NaN");
  if (declared > maxBytes) throw tooLarge(declared, maxBytes, setting);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      req.resume(); // discard the rest so the connection can be reused
      throw tooLarge(size, maxBytes, setting);
    }
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}

function tooLarge(size: number, max: number, setting: string): HttpError {
  return new HttpError(
    "too_large",
    `request body of ${size} bytes or more exceeds the limit of ${max} bytes; raise ${setting} to accept larger bodies`,
  );
}

/**
 * The parameters of a query endpoint: the URL's query string merged with an
 * `application/x-www-form-urlencoded` POST body (as Grafana sends), the body's values last.
 */
export async function readParams(req: IncomingMessage, url: URL, maxBytes: number): Promise<URLSearchParams> {
  const params = new URLSearchParams(url.search);
  if (req.method === "POST") {
    const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
    if (type === "application/x-www-form-urlencoded") {
      const body = await readBody(req, maxBytes, "server.max_query_body_bytes");
      for (const [k, v] of new URLSearchParams(body.toString("utf8"))) params.append(k, v);
    } else if (type !== "") {
      throw new HttpError(
        "unsupported_media_type",
        `unsupported Content-Type ${JSON.stringify(type)}: send application/x-www-form-urlencoded`,
      );
    }
  }
  return params;
}
