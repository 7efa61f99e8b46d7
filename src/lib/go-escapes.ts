/** Go's single-character string escapes (`\n`, `\t`, …) and what they stand for; LogQL and Go templates share them. */
export const GO_SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  a: "\x07",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
  "\\": "\\",
  '"': '"',
  "'": "'",
};
