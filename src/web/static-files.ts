import { createReadStream, statSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { extname, join, normalize, sep } from "node:path";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
  ".woff2": "font/woff2",
  ".map": "application/json",
};

/**
 * Serves the built UI from `root`: files by path (never outside root), hashed `assets/` cached for
 * a year, anything else falls back to `index.html` so client-side routes load the app. Returns
 * false when the UI is not built.
 */
export function serveStatic(root: string, urlPath: string, res: ServerResponse): boolean {
  const rel = normalize(safeDecode(urlPath)).replace(/^([/\\])+/, "");
  let file = join(root, rel);
  if (!file.startsWith(root + sep) && file !== root) file = join(root, "index.html");
  let stat = statOrUndefined(file);
  if (!stat?.isFile()) {
    file = join(root, "index.html");
    stat = statOrUndefined(file);
    if (!stat?.isFile()) return false;
  }
  const immutable = rel.startsWith("assets/");
  res.writeHead(200, {
    "content-type": TYPES[extname(file)] ?? "application/octet-stream",
    "content-length": String(stat.size),
    "cache-control": immutable ? "public, max-age=31536000, immutable" : "no-cache",
    "x-content-type-options": "nosniff",
  });
  createReadStream(file).pipe(res);
  return true;
}

function statOrUndefined(path: string) {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** The decoded path, or "" (the app's index) when it is not valid percent-encoding. */
function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return "";
  }
}
