import {
  closeSync,
  copyFileSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";

/**
 * Writes a container's log file as a node's container runtime does, so the agent's tailer can be
 * exercised (and demonstrated) on the real layout: `<root>/<namespace>_<pod>_<uid>/<container>/0.log`
 * in the CRI format (containerd, CRI-O: `<RFC3339Nano> <stdout|stderr> <P|F> <text>`, a line longer
 * than `maxRecordBytes` split into `P` records and a final `F`) or Docker's json-file format
 * (`{"log":"text\n","stream":"stdout","time":"…"}`, a long line split into pieces without `\n`).
 *
 * The file is rotated once it passes `rotateBytes`, in one of the two styles the tailer must survive:
 * - `rename`: as the kubelet does, `0.log` is renamed to `0.log.<UTC time>.<n>` and a new `0.log`
 *   created; the oldest rotated files beyond `keep` are deleted;
 * - `copytruncate`: as logrotate's option of that name, `0.log` is copied to `0.log.1` and then
 *   truncated in place; anything the tailer had not read before the truncation is lost to it (that
 *   is the style's known window), so tests using it must let the tailer catch up before rotating.
 *
 * Lines are buffered and written by {@link flush} in one `write`, as a runtime writes a burst.
 * Used by the demo's workload, the agent's log-loss test and the `agent-logs` benchmark.
 */

/** Rotation styles (see the file comment). */
export type RotationStyle = "rename" | "copytruncate";

/** Options of a {@link ContainerLogWriter}. */
export interface ContainerLogWriterOptions {
  /** The pods log directory, `/var/log/pods` on a node. */
  readonly root: string;
  readonly namespace: string;
  readonly pod: string;
  readonly uid: string;
  readonly container: string;
  /** File format (default `cri`). */
  readonly format?: "cri" | "docker";
  /** Rotate once the file reaches this size (default 10 MiB, the kubelet's `containerLogMaxSize`). */
  readonly rotateBytes?: number;
  /** Default `rename`. */
  readonly rotation?: RotationStyle;
  /** Rotated files kept (default 4; the kubelet's `containerLogMaxFiles` is 5 including the live one). */
  readonly keep?: number;
  /** Longest record; a longer line is split into partial records (default 16 KiB, as containerd). */
  readonly maxRecordBytes?: number;
}

/** One container's log file, written and rotated as a runtime would (see the file comment). */
export class ContainerLogWriter {
  /** The live file: `<root>/<namespace>_<pod>_<uid>/<container>/0.log`. */
  readonly path: string;
  readonly dir: string;
  readonly #format: "cri" | "docker";
  readonly #rotateBytes: number;
  readonly #rotation: RotationStyle;
  readonly #keep: number;
  readonly #maxRecord: number;
  #fd: number;
  #size = 0;
  #pending: string[] = [];
  #pendingBytes = 0;
  #rotations = 0;
  #closed = false;

  constructor(opts: ContainerLogWriterOptions) {
    this.dir = join(opts.root, `${opts.namespace}_${opts.pod}_${opts.uid}`, opts.container);
    this.path = join(this.dir, "0.log");
    this.#format = opts.format ?? "cri";
    this.#rotateBytes = opts.rotateBytes ?? 10 * 1024 * 1024;
    this.#rotation = opts.rotation ?? "rename";
    this.#keep = opts.keep ?? 4;
    this.#maxRecord = Math.max(16, opts.maxRecordBytes ?? 16 * 1024);
    mkdirSync(this.dir, { recursive: true });
    this.#fd = openSync(this.path, "a");
  }

  /** Times the file was rotated. */
  get rotations(): number {
    return this.#rotations;
  }

  /**
   * Buffers one log line (without its newline) as written at `tsNs` (default now) on `stream`.
   * Nothing reaches the file before {@link flush}.
   */
  write(line: string, stream: "stdout" | "stderr" = "stdout", tsNs?: bigint): void {
    if (this.#closed) throw new Error(`ContainerLogWriter ${this.path}: write after close`);
    const time = rfc3339Nano(tsNs ?? nowNs());
    let rest = line;
    // Split by UTF-16 units: close enough to bytes for the splitting to show, and never cuts a pair.
    while (rest.length > this.#maxRecord) {
      let cut = this.#maxRecord;
      const c = rest.charCodeAt(cut - 1);
      if (c >= 0xd800 && c <= 0xdbff) cut--;
      this.#add(this.#record(time, stream, rest.slice(0, cut), true));
      rest = rest.slice(cut);
    }
    this.#add(this.#record(time, stream, rest, false));
  }

  /** Writes the buffered records (rotating first if the file is full). */
  flush(): void {
    if (this.#pending.length === 0) return;
    if (this.#size > 0 && this.#size + this.#pendingBytes > this.#rotateBytes) this.rotate();
    const data = Buffer.from(this.#pending.join(""));
    this.#pending = [];
    this.#pendingBytes = 0;
    let off = 0;
    while (off < data.length) off += writeSync(this.#fd, data, off);
    this.#size += data.length;
  }

  /** Rotates the file now, in the configured style. */
  rotate(): void {
    this.#rotations++;
    if (this.#rotation === "copytruncate") {
      copyFileSync(this.path, `${this.path}.1`);
      ftruncateSync(this.#fd, 0);
    } else {
      closeSync(this.#fd);
      const stamp = new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
      renameSync(this.path, `${this.path}.${stamp}.${String(this.#rotations).padStart(6, "0")}`);
      this.#fd = openSync(this.path, "a");
      this.#prune();
    }
    this.#size = 0;
  }

  /** Flushes and closes the file (the files stay). */
  close(): void {
    if (this.#closed) return;
    this.flush();
    closeSync(this.#fd);
    this.#closed = true;
  }

  #add(record: string): void {
    this.#pending.push(record);
    this.#pendingBytes += Buffer.byteLength(record);
  }

  #record(time: string, stream: string, text: string, partial: boolean): string {
    if (this.#format === "docker") {
      return `{"log":${JSON.stringify(partial ? text : `${text}\n`)},"stream":"${stream}","time":"${time}"}\n`;
    }
    return `${time} ${stream} ${partial ? "P" : "F"} ${text}\n`;
  }

  /** Deletes the oldest rotated files beyond `keep` (their names sort by rotation). */
  #prune(): void {
    const rotated = readdirSync(this.dir)
      .filter((f) => f.startsWith("0.log."))
      .sort();
    for (const f of rotated.slice(0, Math.max(0, rotated.length - this.#keep))) rmSync(join(this.dir, f));
  }
}

/** Unix nanoseconds now (millisecond precision plus a counter, so consecutive lines stay ordered). */
let lastNs = 0n;
function nowNs(): bigint {
  const t = BigInt(Date.now()) * 1_000_000n;
  lastNs = t > lastNs ? t : lastNs + 1n;
  return lastNs;
}

/** `tsNs` as RFC 3339 with nine fractional digits, in UTC. */
export function rfc3339Nano(tsNs: bigint): string {
  const ms = tsNs / 1_000_000n;
  const iso = new Date(Number(ms)).toISOString(); // 2026-11-21T19:20:23.123Z
  const frac = (tsNs % 1_000_000_000n).toString().padStart(9, "0");
  return `${iso.slice(0, 19)}.${frac}Z`;
}
