import type { ServerResponse } from "node:http";

/** Writes a JSON response from an already serialised body (hot paths build JSON by hand). */
export function sendRawJSON(
  res: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
  res.end(body);
}

/** Writes `value` as JSON. */
export function sendJSON(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  sendRawJSON(res, status, JSON.stringify(value), headers);
}

/** Writes a plain-text response. */
export function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", ...headers });
  res.end(text);
}

/**
 * Writes the Prometheus API success envelope around an already serialised `data` value, with its
 * `warnings` and `infos` annotations when there are any.
 */
export function sendPromData(
  res: ServerResponse,
  dataJSON: string,
  warnings: readonly string[] = [],
  infos: readonly string[] = [],
): void {
  const w = warnings.length > 0 ? `,"warnings":${JSON.stringify(warnings)}` : "";
  const i = infos.length > 0 ? `,"infos":${JSON.stringify(infos)}` : "";
  sendRawJSON(res, 200, `{"status":"success","data":${dataJSON}${w}${i}}`);
}
