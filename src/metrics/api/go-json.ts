/**
 * JSON as Prometheus's API writes it (Go's encoder through jsoniter's standard-library mode): `<`,
 * `>`, `&`, U+2028 and U+2029 escaped as `\u00xx` inside strings, and the keys of Go maps sorted.
 */

const HTML_UNSAFE = /[<>&\u2028\u2029]/g;

/**
 * `value` as JSON with Go's HTML-safe string escaping. With `sortKeys`, the keys of every object are
 * written in sorted order, as Go writes a `map[string]any`; otherwise in insertion order (a struct).
 */
export function goJSON(value: unknown, sortKeys = false): string {
  const text = sortKeys ? JSON.stringify(value, sortedKeys) : JSON.stringify(value);
  // JSON's own syntax has none of these characters, so every one is inside a string.
  return text.replace(HTML_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

function sortedKeys(_key: string, v: unknown): unknown {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) out[k] = (v as Record<string, unknown>)[k];
  return out;
}
