/**
 * The uncompressed payload of one block of a log chunk (`docs/format/log-chunk.md`, "Block payload"):
 * the entries' timestamp deltas, line lengths and structured metadata as columns, then the lines back
 * to back. `BlockPayloadWriter` builds one; `decodeBlockPayload` checks one and returns its columns
 * without making a string per line. Format version 3 keeps the same content as three sections
 * ("Block sections, version 3"): `BlockPayloadWriter.finishSections` builds them,
 * `decodeTimestampPlanes` and `decodeLineColumns` check and decode them.
 */

/** Structured metadata of one entry: name/value pairs in the order they were given. */
export type LogMetadata = readonly (readonly [string, string])[];

/** Thrown by {@link decodeBlockPayload}; the chunk reader wraps it with the block's position. */
export class BlockPayloadError extends Error {
  override readonly name = "BlockPayloadError";
}

/** A growable byte buffer with LEB128 writers. The bytes in `buf[0, len)` are the content. */
export class ByteSink {
  buf: Buffer;
  len = 0;

  constructor(capacity = 1024) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  /** Makes room for `n` more bytes. */
  reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = Buffer.allocUnsafe(cap);
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  /** Appends an unsigned LEB128 of a safe non-negative integer. */
  uvarint(v: number): void {
    this.reserve(8);
    const b = this.buf;
    let i = this.len;
    while (v >= 0x80) {
      b[i++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    b[i++] = v;
    this.len = i;
  }

  /** Appends bytes. */
  bytes(src: Uint8Array): void {
    this.reserve(src.length);
    this.buf.set(src, this.len);
    this.len += src.length;
  }

  /** Appends a string as UTF-8 and returns how many bytes it took. */
  utf8(s: string): number {
    this.reserve(s.length * 3);
    const n = this.buf.write(s, this.len, "utf8");
    this.len += n;
    return n;
  }

  /** Forgets the content, keeping the capacity. */
  reset(): void {
    this.len = 0;
  }

  /** The content (a view: valid until the next write). */
  view(): Buffer {
    return this.buf.subarray(0, this.len);
  }
}

/**
 * Builds one block payload entry by entry. Timestamps are given as nanoseconds after the block's
 * first timestamp (safe integers, non-decreasing), which the chunk keeps in its block index.
 */
export class BlockPayloadWriter {
  private deltas = new Float64Array(1024);
  private readonly lengths = new ByteSink(4096);
  private readonly meta = new ByteSink(256);
  private readonly lines = new ByteSink(64 * 1024);
  private hasMeta = false;
  private prevOffset = 0;
  /** Entries in the block. */
  count = 0;

  /** Bytes of lines and metadata so far: what the block size target counts. */
  get contentBytes(): number {
    return this.lines.len + this.meta.len;
  }

  /** Bytes of lines so far. */
  get lineBytes(): number {
    return this.lines.len;
  }

  /** The buffer holding the lines so far, `[0, lineBytes)`: valid until the next append. */
  get linesBuffer(): Uint8Array {
    return this.lines.buf;
  }

  /** Appends an entry `offsetNs` nanoseconds after the block's first one. */
  append(offsetNs: number, line: string | Uint8Array, metadata: LogMetadata | undefined): void {
    if (this.count === this.deltas.length) {
      const next = new Float64Array(this.deltas.length * 2);
      next.set(this.deltas);
      this.deltas = next;
    }
    this.deltas[this.count] = offsetNs - this.prevOffset;
    this.prevOffset = offsetNs;
    let n: number;
    if (typeof line === "string") n = this.lines.utf8(line);
    else {
      this.lines.bytes(line);
      n = line.length;
    }
    this.lengths.uvarint(n);
    const pairs = metadata?.length ?? 0;
    if (pairs > 0) {
      if (!this.hasMeta) {
        // Entries before this one had none: one zero byte each.
        this.meta.reserve(this.count);
        this.meta.buf.fill(0, this.meta.len, this.meta.len + this.count);
        this.meta.len += this.count;
        this.hasMeta = true;
      }
      this.meta.uvarint(pairs);
      for (const [name, value] of metadata!) {
        this.meta.uvarint(Buffer.byteLength(name));
        this.meta.utf8(name);
        this.meta.uvarint(Buffer.byteLength(value));
        this.meta.utf8(value);
      }
    } else if (this.hasMeta) this.meta.uvarint(0);
    this.count++;
  }

  /** The payload bytes of format versions 1 and 2, in a fresh buffer; then the writer is empty again. */
  finish(): Buffer {
    const head = new ByteSink(16 + this.count * 2);
    head.uvarint(this.count);
    for (let i = 0; i < this.count; i++) head.uvarint(this.deltas[i]!);
    const tail = new ByteSink(16);
    tail.uvarint(this.meta.len);
    const out = Buffer.concat([
      head.view(),
      this.lengths.view(),
      tail.view(),
      this.meta.view(),
      this.lines.view(),
    ]);
    this.reset();
    return out;
  }

  /**
   * The block's three sections of format version 3 (`docs/format/log-chunk.md`, "Block sections,
   * version 3"), in fresh buffers; then the writer is empty again.
   */
  finishSections(): BlockSections {
    const n = this.count;
    let max = 0;
    for (let i = 0; i < n; i++) if (this.deltas[i]! > max) max = this.deltas[i]!;
    let width = 0;
    while (max >= 1) {
      width++;
      max = Math.floor(max / 256);
    }
    const timestamps = Buffer.alloc(n * width);
    for (let i = 0; i < n; i++) {
      let v = this.deltas[i]!;
      for (let k = 0; k < width && v > 0; k++) {
        timestamps[k * n + i] = v % 256;
        v = Math.floor(v / 256);
      }
    }
    const out: BlockSections = {
      count: n,
      width,
      timestamps,
      columns: Buffer.concat([this.lengths.view(), this.meta.view()]),
      lines: Buffer.from(this.lines.view()),
    };
    this.reset();
    return out;
  }

  private reset(): void {
    this.lengths.reset();
    this.meta.reset();
    this.lines.reset();
    this.hasMeta = false;
    this.prevOffset = 0;
    this.count = 0;
  }
}

/** One block's uncompressed sections in format version 3. */
export interface BlockSections {
  /** Entries. */
  readonly count: number;
  /** Bytes per timestamp delta (0–7): what the block's largest delta needs. */
  readonly width: number;
  /** `width` byte planes of `count` bytes: byte k of every delta (little-endian order) in plane k. */
  readonly timestamps: Buffer;
  /** The line lengths (`count` uvarints), then the metadata records (none when no entry has any). */
  readonly columns: Buffer;
  /** The lines back to back. */
  readonly lines: Buffer;
}

/** The decoded columns of one block payload; the views share the payload's memory. */
export interface BlockColumns {
  /** Entries. */
  readonly count: number;
  /** Per entry, nanoseconds after the block's first timestamp (exact: a block spans < 2^53 ns). */
  readonly offsets: Float64Array;
  /** The lines back to back, UTF-8; entry i is `lines[lineStarts[i], lineStarts[i + 1])`. */
  readonly lines: Buffer;
  /** `count + 1` offsets into `lines`. */
  readonly lineStarts: Uint32Array;
  /** The metadata section (empty when no entry has metadata), read by {@link decodeMetadata}. */
  readonly metadata: Buffer;
}

/** Reads LEB128 values from a buffer, refusing to run past its end or past 2^53. */
class Cursor {
  pos = 0;
  constructor(private readonly buf: Buffer) {}

  uvarint(): number {
    const b = this.buf;
    let v = 0;
    let mul = 1;
    for (;;) {
      if (this.pos >= b.length) throw new BlockPayloadError("varint runs past the end of the payload");
      const x = b[this.pos++]!;
      v += (x & 0x7f) * mul;
      if (x < 0x80) break;
      mul *= 0x80;
      if (mul > 2 ** 49) throw new BlockPayloadError("varint longer than 53 bits");
    }
    if (v > Number.MAX_SAFE_INTEGER) throw new BlockPayloadError("varint longer than 53 bits");
    return v;
  }
}

/**
 * Checks a payload against the block index's `count` and `spanNs` (last minus first timestamp) and
 * returns its columns. Throws {@link BlockPayloadError} for any inconsistency; never reads out of
 * bounds and never loops more than the payload's length allows.
 */
export function decodeBlockPayload(payload: Buffer, count: number, spanNs: number): BlockColumns {
  const c = new Cursor(payload);
  const n = c.uvarint();
  if (n !== count) throw new BlockPayloadError(`payload holds ${n} entries, the block index says ${count}`);
  // Each entry takes at least two bytes (delta and length): bounds the allocations below.
  if (n * 2 > payload.length)
    throw new BlockPayloadError(`${n} entries cannot fit in ${payload.length} bytes`);
  const offsets = new Float64Array(n);
  let t = 0;
  for (let i = 0; i < n; i++) {
    t += c.uvarint();
    offsets[i] = t;
  }
  if (n > 0 && (offsets[0] !== 0 || t !== spanNs)) {
    throw new BlockPayloadError("timestamps disagree with the block index's time range");
  }
  const lineStarts = new Uint32Array(n + 1);
  let total = 0;
  for (let i = 0; i < n; i++) {
    total += c.uvarint();
    if (total > payload.length) throw new BlockPayloadError("line lengths exceed the payload");
    lineStarts[i + 1] = total;
  }
  const metaLen = c.uvarint();
  const metaStart = c.pos;
  const linesStart = metaStart + metaLen;
  if (linesStart + total !== payload.length) {
    throw new BlockPayloadError(
      `sections take ${linesStart + total} bytes, the payload has ${payload.length}`,
    );
  }
  return {
    count: n,
    offsets,
    lines: payload.subarray(linesStart),
    lineStarts,
    metadata: payload.subarray(metaStart, linesStart),
  };
}

/**
 * Decodes the timestamp section of a version 3 block (`width` byte planes of `count` bytes) into
 * offsets from the block's first timestamp, checked against `spanNs` (last minus first timestamp).
 */
export function decodeTimestampPlanes(
  planes: Uint8Array,
  width: number,
  count: number,
  spanNs: number,
): Float64Array {
  if (planes.length !== width * count) {
    throw new BlockPayloadError(
      `timestamp section has ${planes.length} bytes, ${count} deltas of ${width} need ${width * count}`,
    );
  }
  const offsets = new Float64Array(count);
  // Plane by plane: offsets[i] collects the deltas' bytes, then a prefix sum makes them offsets.
  let scale = 1;
  for (let k = 0, p = 0; k < width; k++, scale *= 256) {
    for (let i = 0; i < count; i++) offsets[i]! += planes[p++]! * scale;
  }
  let t = 0;
  for (let i = 0; i < count; i++) {
    t += offsets[i]!;
    if (t > spanNs) break;
    offsets[i] = t;
  }
  if (count > 0 && (offsets[0] !== 0 || t !== spanNs)) {
    throw new BlockPayloadError("timestamps disagree with the block index's time range");
  }
  return offsets;
}

/**
 * Checks the columns section of a version 3 block (`count` line lengths, then the metadata) against
 * the lines section's length and returns the line starts and the metadata section.
 */
export function decodeLineColumns(
  columns: Buffer,
  count: number,
  linesLength: number,
): { lineStarts: Uint32Array; metadata: Buffer } {
  if (count > columns.length)
    throw new BlockPayloadError(`${count} line lengths cannot fit in ${columns.length} bytes`);
  const c = new Cursor(columns);
  const lineStarts = new Uint32Array(count + 1);
  let total = 0;
  for (let i = 0; i < count; i++) {
    total += c.uvarint();
    if (total > linesLength) throw new BlockPayloadError("line lengths exceed the lines section");
    lineStarts[i + 1] = total;
  }
  if (total !== linesLength) {
    throw new BlockPayloadError(
      `line lengths add up to ${total} bytes, the lines section has ${linesLength}`,
    );
  }
  return { lineStarts, metadata: columns.subarray(c.pos) };
}

/**
 * Decodes the metadata of every entry of a block (undefined for entries without any). Throws
 * {@link BlockPayloadError} if the section is malformed.
 */
export function decodeMetadata(section: Buffer, count: number): (LogMetadata | undefined)[] {
  const out: (LogMetadata | undefined)[] = new Array(count).fill(undefined);
  if (section.length === 0) return out;
  const c = new Cursor(section);
  const str = (): string => {
    const len = c.uvarint();
    if (c.pos + len > section.length) throw new BlockPayloadError("metadata string runs past its section");
    const s = section.toString("utf8", c.pos, c.pos + len);
    c.pos += len;
    return s;
  };
  for (let i = 0; i < count; i++) {
    const pairs = c.uvarint();
    if (pairs === 0) continue;
    if (pairs * 2 > section.length - c.pos) throw new BlockPayloadError("metadata pair count too large");
    const m: (readonly [string, string])[] = [];
    for (let k = 0; k < pairs; k++) m.push([str(), str()]);
    out[i] = m;
  }
  if (c.pos !== section.length) throw new BlockPayloadError("metadata section has trailing bytes");
  return out;
}
