import { hash } from "node:crypto";

/**
 * The `hashmod` action's value: the MD5 digest of `value`'s UTF-8 bytes, its last 8 bytes read as a
 * big-endian unsigned 64-bit integer, modulo `modulus` (a positive whole number), in decimal. The same
 * as Prometheus computes it, so that shards agree with a Prometheus configured alike.
 */
export function hashmod(value: string, modulus: bigint): string {
  const hex = hash("md5", value, "hex");
  return (BigInt(`0x${hex.slice(16)}`) % modulus).toString();
}
