/**
 * A label set seen in place, in the bytes of a remote-write request: the hot-path decoders
 * (`fast-v1.ts`, `fast-v2.ts`) hand one to their sink for each series without building a string.
 *
 * The hash is computed from the label bytes while the request is scanned. It is the same for the
 * same labels whatever their order on the wire and whichever protocol version carried them, and
 * `hashLabels` (`model/label-hash.ts`) computes it from a {@link Labels}: a store may key a map of its
 * series by it.
 * Labels with an empty value are left out of the hash, as {@link Labels} leaves them out.
 */

import { finishHash, hashBytes, pairLane1, pairLane2 } from "../../model/label-hash.js";
import { Labels, METRIC_NAME } from "../../model/labels.js";
import { SeriesProblem } from "./series-problem.js";
import { bytesEqualString, isValidUtf8 } from "./utf8-bytes.js";

/**
 * A read-only view of one label set inside a request buffer, valid **only during the sink call that
 * received it**: the decoder reuses the object and its arrays for the next series, and the bytes
 * belong to the caller of the decoder. Keep what is needed by calling {@link RawLabels.toLabels} (or
 * `nameAt`/`valueAt`), which copy.
 *
 * Labels are indexed `0 … count-1` in wire order, including any with an empty value. Nothing here
 * allocates except the methods that return strings, {@link Labels} or a {@link SeriesProblem}.
 */
export interface RawLabels {
  /** Number of labels on the wire, including those with an empty value. */
  readonly count: number;
  /**
   * A 53-bit hash (a non-negative safe integer) of the labels with a non-empty value, independent
   * of their order. Equal label sets hash equal; different ones collide rarely, so confirm a match
   * with {@link RawLabels.equals}. Equal to `hashLabels` of {@link RawLabels.toLabels}.
   */
  readonly hash: number;
  /** The name of label `i` (0 ≤ i < count), decoded now. RangeError when out of range. */
  nameAt(i: number): string;
  /** The value of label `i` (0 ≤ i < count), decoded now. RangeError when out of range. */
  valueAt(i: number): string;
  /** Whether label `i` is named `name`, compared on bytes. RangeError when `i` is out of range. */
  nameEquals(i: number, name: string): boolean;
  /**
   * Whether {@link RawLabels.toLabels} would equal `labels`, compared on bytes without building
   * strings. False when the set has an empty or repeated name (it has no `Labels` form).
   */
  equals(labels: Labels): boolean;
  /**
   * A new {@link Labels}, sorted, empty values dropped. Call it only when {@link RawLabels.problem}
   * is undefined: on a set that must be refused it throws a RangeError.
   */
  toLabels(): Labels;
  /**
   * Where the label fields stood on the wire, one after another: `wireBuffer[wireStart, wireEnd)`,
   * or `wireStart` −1 when they were not contiguous or the protocol has no such bytes (2.0's symbol
   * references). Equal bytes there mean equal labels, so a store may remember them per series and
   * recognise the series by one byte comparison next time.
   */
  readonly wireStart: number;
  /** End of the label fields on the wire; see {@link RawLabels.wireStart}. */
  readonly wireEnd: number;
  /** The request buffer that {@link RawLabels.wireStart} indexes. */
  readonly wireBuffer: Uint8Array;
  /** Whether a label has an empty name. */
  hasEmptyName(): boolean;
  /** Whether a label name occurs twice (linear on names sorted on the wire, the usual case). */
  hasRepeatedName(): boolean;
  /** Whether there is a `__name__` label with a non-empty value. */
  hasMetricName(): boolean;
  /**
   * Why the series must be refused, or undefined when it may be stored: a problem of its structure
   * found by the decoder (2.0 references, histograms…), else an empty or repeated label name, else a
   * missing metric name (series only, not exemplars), in the order of `SeriesProblemCode`.
   * Allocates only when there is one.
   */
  problem(): SeriesProblem | undefined;
  /** `{name="value", …}` in wire order, for messages. */
  toString(): string;
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();
// UTF-8 bytes of "__name__".
const NAME_BYTES = utf8Encoder.encode(METRIC_NAME);
// Above this many labels, a repeated name is found with a Set rather than by comparing every pair.
const MAX_PAIRWISE = 64;

/**
 * The decoders' side of {@link RawLabels}: one object, refilled for every series with
 * {@link RawLabelsBuffer.reset}, `add…` and {@link RawLabelsBuffer.seal}. It references the request
 * buffer given to `reset` until the next `reset`; its arrays grow to the largest label set seen.
 */
export class RawLabelsBuffer implements RawLabels {
  #buf: Uint8Array = new Uint8Array(0);
  // Four offsets per label into #buf: name start, name end, value start, value end.
  #offs = new Int32Array(64);
  #count = 0;
  #nonEmpty = 0;
  // Order-independent sums of the per-label hashes, in two 32-bit lanes.
  #sum1 = 0;
  #sum2 = 0;
  #hash = 0;
  // Names strictly increasing in byte order so far (then no name is repeated).
  #sorted = true;
  #asciiNames = true;
  #emptyName = false;
  #metricName = false;
  #structural: SeriesProblem | undefined;
  #wireStart = -1;
  #wireEnd = -1;
  readonly #scratch = new Int32Array(4);
  readonly #requireMetricName: boolean;

  /**
   * `requireMetricName`: whether {@link RawLabels.problem} reports a missing `__name__`; true for
   * series, false for exemplars, whose labels (e.g. `trace_id`) name no metric.
   */
  constructor(requireMetricName = true) {
    this.#requireMetricName = requireMetricName;
  }

  /** Number of labels on the wire, including those with an empty value. */
  get count(): number {
    return this.#count;
  }

  /** The 53-bit hash of {@link RawLabels.hash}; valid after {@link RawLabelsBuffer.seal}. */
  get hash(): number {
    return this.#hash;
  }

  /** Start of the label fields on the wire, or −1 (see {@link RawLabels.wireStart}). */
  get wireStart(): number {
    return this.#wireStart;
  }

  /** End of the label fields on the wire. */
  get wireEnd(): number {
    return this.#wireEnd;
  }

  /** The buffer given to {@link RawLabelsBuffer.reset}. */
  get wireBuffer(): Uint8Array {
    return this.#buf;
  }

  /** Records that the label fields occupy `buf[start, end)` with nothing else between them. */
  setWire(start: number, end: number): void {
    this.#wireStart = start;
    this.#wireEnd = end;
  }

  /** Starts an empty set over `buf`, whose byte ranges the following `add…` calls give. */
  reset(buf: Uint8Array): void {
    this.#buf = buf;
    this.#wireStart = -1;
    this.#wireEnd = -1;
    this.#count = 0;
    this.#nonEmpty = 0;
    this.#sum1 = 0;
    this.#sum2 = 0;
    this.#hash = 0;
    this.#sorted = true;
    this.#asciiNames = true;
    this.#emptyName = false;
    this.#metricName = false;
    this.#structural = undefined;
  }

  /**
   * Adds the label whose name is `buf[ns, ne)` and value `buf[vs, ve)`, hashing both. Returns
   * false, adding nothing, when either is not valid UTF-8 (the decoder then refuses the request).
   */
  addBytes(ns: number, ne: number, vs: number, ve: number): boolean {
    const buf = this.#buf;
    const h = this.#scratch;
    const nameBits = hashBytes(buf, ns, ne, h, 0);
    const valueBits = hashBytes(buf, vs, ve, h, 2);
    if ((nameBits & 0x80) !== 0 && !isValidUtf8(buf, ns, ne)) return false;
    if ((valueBits & 0x80) !== 0 && !isValidUtf8(buf, vs, ve)) return false;
    this.addHashed(ns, ne, vs, ve, h[0]!, h[1]!, h[2]!, h[3]!, (nameBits & 0x80) === 0);
    return true;
  }

  /**
   * Adds a label whose bytes were already checked as UTF-8 and hashed with {@link hashBytes}:
   * `n1`/`n2` are the name's two lanes, `v1`/`v2` the value's; `nameAscii` says whether the name
   * is ASCII. Used by the 2.0 decoder, which hashes each symbol once.
   */
  addHashed(
    ns: number,
    ne: number,
    vs: number,
    ve: number,
    n1: number,
    n2: number,
    v1: number,
    v2: number,
    nameAscii: boolean,
  ): void {
    const i = this.#count;
    let offs = this.#offs;
    if (4 * i + 4 > offs.length) {
      const next = new Int32Array(offs.length * 2);
      next.set(offs);
      this.#offs = offs = next;
    }
    const buf = this.#buf;
    if (i > 0 && this.#sorted) {
      this.#sorted = compareBytes(buf, offs[4 * i - 4]!, offs[4 * i - 3]!, buf, ns, ne) < 0;
    }
    offs[4 * i] = ns;
    offs[4 * i + 1] = ne;
    offs[4 * i + 2] = vs;
    offs[4 * i + 3] = ve;
    this.#count = i + 1;
    if (!nameAscii) this.#asciiNames = false;
    if (ns === ne) this.#emptyName = true;
    if (ve === vs) return;
    if (ne - ns === NAME_BYTES.length && compareBytes(buf, ns, ne, NAME_BYTES, 0, NAME_BYTES.length) === 0) {
      this.#metricName = true;
    }
    this.#nonEmpty++;
    this.#sum1 = (this.#sum1 + pairLane1(n1, n2, v1, v2)) | 0;
    this.#sum2 = (this.#sum2 + pairLane2(n1, n2, v1, v2)) | 0;
  }

  /** Ends the set: computes the hash and records `structural`, a problem the decoder found in the series. */
  seal(structural: SeriesProblem | undefined): void {
    this.#hash = finishHash(this.#sum1, this.#sum2, this.#nonEmpty);
    this.#structural = structural;
  }

  nameAt(i: number): string {
    this.#check(i);
    return decode(this.#buf, this.#offs[4 * i]!, this.#offs[4 * i + 1]!);
  }

  valueAt(i: number): string {
    this.#check(i);
    return decode(this.#buf, this.#offs[4 * i + 2]!, this.#offs[4 * i + 3]!);
  }

  nameEquals(i: number, name: string): boolean {
    this.#check(i);
    return bytesEqualString(this.#buf, this.#offs[4 * i]!, this.#offs[4 * i + 1]!, name);
  }

  equals(labels: Labels): boolean {
    const pairs = labels.pairs;
    if (pairs.length !== 2 * this.#nonEmpty || this.#emptyName) return false;
    const buf = this.#buf;
    const offs = this.#offs;
    // Usually the wire order is the order of `pairs`: walk both together.
    let j = 0;
    let i = 0;
    for (; i < this.#count; i++) {
      const vs = offs[4 * i + 2]!;
      const ve = offs[4 * i + 3]!;
      if (vs === ve) continue;
      if (
        !bytesEqualString(buf, offs[4 * i]!, offs[4 * i + 1]!, pairs[j]!) ||
        !bytesEqualString(buf, vs, ve, pairs[j + 1]!)
      ) {
        break;
      }
      j += 2;
    }
    if (i === this.#count) return true;
    // ASCII names strictly increasing on the wire are in the order of `pairs` too: a real difference.
    if (this.#sorted && this.#asciiNames) return false;
    if (this.hasRepeatedName()) return false;
    if (this.#count > MAX_PAIRWISE) return this.#build().equals(labels);
    // Same number of distinct names: equal when each wire label is found among `pairs`.
    for (let k = 0; k < this.#count; k++) {
      const vs = offs[4 * k + 2]!;
      const ve = offs[4 * k + 3]!;
      if (vs === ve) continue;
      let found = false;
      for (let p = 0; p < pairs.length; p += 2) {
        if (bytesEqualString(buf, offs[4 * k]!, offs[4 * k + 1]!, pairs[p]!)) {
          found = bytesEqualString(buf, vs, ve, pairs[p + 1]!);
          break;
        }
      }
      if (!found) return false;
    }
    return true;
  }

  toLabels(): Labels {
    const problem = this.problem();
    if (problem !== undefined) {
      throw new RangeError(`RawLabels.toLabels: ${problem.message}; check problem() first`);
    }
    return this.#build();
  }

  hasEmptyName(): boolean {
    return this.#emptyName;
  }

  hasRepeatedName(): boolean {
    return this.#repeatedAt() >= 0;
  }

  hasMetricName(): boolean {
    return this.#metricName;
  }

  problem(): SeriesProblem | undefined {
    if (this.#structural !== undefined) return this.#structural;
    if (this.#emptyName) return new SeriesProblem("empty_label_name", `a label has an empty name: ${this}`);
    const at = this.#repeatedAt();
    if (at >= 0) {
      return new SeriesProblem(
        "repeated_label_name",
        `label name ${JSON.stringify(this.nameAt(at))} is repeated: ${this}`,
      );
    }
    if (this.#requireMetricName && !this.#metricName) {
      return new SeriesProblem("missing_metric_name", `series has no metric name (${METRIC_NAME}): ${this}`);
    }
    return undefined;
  }

  toString(): string {
    const parts: string[] = [];
    for (let i = 0; i < this.#count; i++) parts.push(`${this.nameAt(i)}=${JSON.stringify(this.valueAt(i))}`);
    return `{${parts.join(", ")}}`;
  }

  /** The {@link Labels} of a set with no empty or repeated name. */
  #build(): Labels {
    const flat: string[] = [];
    for (let i = 0; i < this.#count; i++) flat.push(this.nameAt(i), this.valueAt(i));
    return this.#sorted && this.#asciiNames && this.#nonEmpty === this.#count
      ? Labels.fromSortedPairsUnsafe(flat)
      : Labels.fromPairs(flat);
  }

  /** Index of a label whose name an earlier label also has, or -1. */
  #repeatedAt(): number {
    if (this.#sorted) return -1;
    const buf = this.#buf;
    const offs = this.#offs;
    const n = this.#count;
    if (n > MAX_PAIRWISE) {
      const seen = new Set<string>();
      for (let i = 0; i < n; i++) {
        const name = this.nameAt(i);
        if (seen.has(name)) return i;
        seen.add(name);
      }
      return -1;
    }
    for (let i = 1; i < n; i++) {
      const s = offs[4 * i]!;
      const e = offs[4 * i + 1]!;
      for (let k = 0; k < i; k++) {
        const ks = offs[4 * k]!;
        if (compareBytes(buf, s, e, buf, ks, offs[4 * k + 1]!) === 0) return i;
      }
    }
    return -1;
  }

  #check(i: number): void {
    if (!(i >= 0 && i < this.#count)) {
      throw new RangeError(`RawLabels: label ${i} is out of range (${this.#count} labels)`);
    }
  }
}

/** Byte-order comparison of `a[as, ae)` with `b[bs, be)`: negative, zero or positive; a prefix sorts first. */
function compareBytes(a: Uint8Array, as: number, ae: number, b: Uint8Array, bs: number, be: number): number {
  const n = Math.min(ae - as, be - bs);
  for (let k = 0; k < n; k++) {
    const d = a[as + k]! - b[bs + k]!;
    if (d !== 0) return d;
  }
  return ae - as - (be - bs);
}

function decode(buf: Uint8Array, start: number, end: number): string {
  return start === end ? "" : utf8.decode(buf.subarray(start, end));
}
