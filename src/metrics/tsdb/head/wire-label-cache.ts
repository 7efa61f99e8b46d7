/**
 * Per series, the bytes its labels last arrived as (remote-write 1.0's label fields, see
 * `RawLabels.wireStart`): a sender encodes a series the same way every time, so the next request
 * recognises the series with one native byte comparison instead of comparing label by label. It is
 * a cache: a mismatch only means the slow comparison runs (and its bytes are remembered).
 *
 * The bytes of all series live in one arena `Buffer`, addressed by two `Int32Array` columns indexed
 * by series ref; replaced bytes are left behind, and the arena is compacted (and grown by half when
 * still too small) whenever it is full.
 */
export class WireLabelCache {
  // Uninitialised: pages the arena has not written yet are never touched, so they cost no RSS.
  #arena = Buffer.allocUnsafeSlow(1 << 16);
  #used = 0;
  #live = 0;
  #at = new Int32Array(256);
  #len = new Int32Array(256);

  /** Whether `buf[start, end)` are the bytes remembered for series `ref`. */
  matches(ref: number, buf: Uint8Array, start: number, end: number): boolean {
    if (ref >= this.#len.length) return false;
    const len = this.#len[ref]!;
    if (len === 0 || len !== end - start) return false;
    const at = this.#at[ref]!;
    return this.#arena.compare(buf, start, end, at, at + len) === 0;
  }

  /** Remembers `buf[start, end)` as the bytes of series `ref`, replacing what it had. */
  remember(ref: number, buf: Uint8Array, start: number, end: number): void {
    const len = end - start;
    if (len <= 0 || len > 65536) return;
    if (ref >= this.#len.length) this.#growColumns(ref + 1);
    const old = this.#len[ref]!;
    let at: number;
    if (old >= len) {
      at = this.#at[ref]!; // fits where it was: reuse the place
    } else {
      if (this.#used + len > this.#arena.length) this.#makeRoom(len);
      at = this.#used;
      this.#used += len;
    }
    this.#arena.set(buf.subarray(start, end), at);
    this.#live += len - old;
    this.#at[ref] = at;
    this.#len[ref] = len;
  }

  /** Forgets series `ref` (it was removed from the head). */
  forget(ref: number): void {
    if (ref >= this.#len.length) return;
    this.#live -= this.#len[ref]!;
    this.#len[ref] = 0;
  }

  /** Bytes held by the arena (for memory accounting). */
  get arenaBytes(): number {
    return this.#arena.length;
  }

  #growColumns(need: number): void {
    let cap = this.#len.length * 2;
    while (cap < need) cap *= 2;
    const at = new Int32Array(cap);
    at.set(this.#at);
    const len = new Int32Array(cap);
    len.set(this.#len);
    this.#at = at;
    this.#len = len;
  }

  /** Compacts the arena if most of it is dead, and grows it if that is not enough. */
  #makeRoom(need: number): void {
    const wanted = this.#live + need;
    let size = this.#arena.length;
    while (size < wanted * 1.5) size = Math.ceil(size * 1.5);
    const next = Buffer.allocUnsafeSlow(size);
    let used = 0;
    const lens = this.#len;
    const ats = this.#at;
    for (let ref = 0; ref < lens.length; ref++) {
      const len = lens[ref]!;
      if (len === 0) continue;
      this.#arena.copy(next, used, ats[ref]!, ats[ref]! + len);
      ats[ref] = used;
      used += len;
    }
    this.#arena = next;
    this.#used = used;
  }
}
