/**
 * A buffered, checksumming writer of the sections of an index file (used by `IndexWriter`).
 */
import type { FileHandle } from "node:fs/promises";
import { crc32c } from "../chunk/crc32c.js";
import { ByteWriter } from "./varint.js";

/** Buffer size: {@link FileSink.maybeFlush} writes out once this much is buffered. */
export const FLUSH_AT = 64 * 1024;

/** Where a finished section lies in the file, and its CRC32C. */
export interface SectionExtent {
  readonly offset: number;
  readonly length: number;
  readonly crc: number;
}

/**
 * Writes to a file handle from offset 0 through a buffer of about {@link FLUSH_AT} bytes, keeping
 * the CRC32C of the current section as the bytes go out. Encode into `w`, then await
 * `maybeFlush()`; the caller owns the handle.
 */
export class FileSink {
  /** The buffer; write into it, then call {@link FileSink.maybeFlush}. */
  readonly w = new ByteWriter(FLUSH_AT + 4096);
  /** File offset of `w`'s first byte. */
  #flushed = 0;
  #sectionStart = 0;
  #crc = 0;
  #crcFrom = 0;

  constructor(readonly fh: FileHandle) {}

  /** Bytes written so far, buffered or not. */
  get position(): number {
    return this.#flushed + this.w.length;
  }

  /** Starts a section at the current position. */
  begin(): void {
    this.#sectionStart = this.position;
    this.#crc = 0;
    this.#crcFrom = this.w.length;
  }

  /** Offset of the current position within the current section. */
  offsetInSection(): number {
    return this.position - this.#sectionStart;
  }

  /** Ends the section: its offset, length and CRC32C. */
  end(): SectionExtent {
    const w = this.w;
    this.#crc = crc32c(w.bytes(), this.#crc, this.#crcFrom, w.length);
    this.#crcFrom = w.length;
    return { offset: this.#sectionStart, length: this.position - this.#sectionStart, crc: this.#crc };
  }

  /** Flushes when the buffer holds 64 KiB or more. */
  async maybeFlush(): Promise<void> {
    if (this.w.length >= FLUSH_AT) await this.flush();
  }

  /** Writes the buffer out. */
  async flush(): Promise<void> {
    const bytes = this.w.bytes();
    this.#crc = crc32c(bytes, this.#crc, this.#crcFrom, bytes.length);
    let done = 0;
    while (done < bytes.length) {
      const { bytesWritten } = await this.fh.write(bytes, done, bytes.length - done, this.#flushed + done);
      done += bytesWritten;
    }
    this.#flushed += bytes.length;
    this.w.reset();
    this.#crcFrom = 0;
  }
}
