import { join } from "node:path";
import { Counter, Gauge, type Registry } from "prom-client";
import type { Logger } from "../../lib/log/logger.js";
import type { RelabelConfig } from "../relabel/index.js";
import type { ClientTls } from "../remote-write/index.js";
import type { PodLabels, PodLabelsKubernetesConfig } from "./pod-labels.js";
import { type AppendResult, type LineStream, LogShipper, type LogStream } from "./ship/index.js";
import { compilePipeline, type Entry, LOG_ERROR_LABEL, newEntry, type Pipeline } from "./stages/index.js";
import {
  type EntryBatch,
  type LineSink,
  PositionsFile,
  type Stream,
  TailManager,
  type TailTarget,
} from "./tail/index.js";

/**
 * The agent's log side: a {@link TailManager} reads the node's container logs (and any other files
 * configured), each line goes through its target's Promtail-style {@link Pipeline}, and the
 * {@link LogShipper} queues it on disk and pushes it to the seed. File positions move only after
 * the lines read up to them are synced to the disk queue, so a killed agent re-reads rather than
 * loses (docs/agent-logs.md).
 *
 * Labels of a container's lines: `namespace`, `pod`, `container` (from the kubelet's path),
 * `stream` (stdout/stderr), `node`, plus the agent's `cluster` and external labels, which are added
 * after the stages so that no stage can remove them. Node files get `filename` and their configured
 * labels. A line that does not follow its file's framing goes on unparsed with `log_error`.
 */

/** The `logs` section of the agent's configuration, as the schema resolves it. */
export interface LogsConfig {
  readonly enabled: boolean;
  readonly push_url?: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly pods: {
    readonly enabled: boolean;
    readonly dir: string;
    readonly pipeline_stages: readonly unknown[];
    readonly kubernetes?: PodLabelsKubernetesConfig | undefined;
    readonly relabel_configs: readonly RelabelConfig[];
  };
  readonly files: readonly {
    readonly path: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly format: "auto" | "cri" | "docker" | "raw";
    readonly pipeline_stages: readonly unknown[];
  }[];
  readonly start_at: "beginning" | "end";
  readonly batch_size: number;
  readonly batch_wait: number;
  readonly max_queue_size: number;
  readonly positions_sync_period: number;
}

/** What the collector needs from the agent. */
export interface LogCollectorDeps {
  readonly logger: Logger;
  readonly metrics: Registry;
  /** `<data_dir>` of the agent: the queue goes to `logs/queue`, positions to `logs/positions.json`. */
  readonly dataDir: string;
  /** The Loki push URL (or the seed's base URL). */
  readonly url: string;
  readonly tls?: ClientTls;
  /** Labels added to every stream last: `cluster` and the agent's external labels. */
  readonly externalLabels: Readonly<Record<string, string>>;
  /** The node's name, the `node` label of container logs. */
  readonly node: string;
  /** Told when the seed answers 423 for the logs flow. */
  readonly onFlowDisabled?: (flow: string) => void;
  /** Unix ms (tests). */
  readonly now?: () => number;
}

/** An entry as the shipper takes it. */
type ShipEntry = LogStream["entries"][number];

/** The labels object the tailer gives every line of one file (shared: never mutated). */
type FileLabels = Readonly<Record<string, string>>;

/** The label carrying a target's index through the tail manager to its pipeline; never sent. */
const TARGET_LABEL = "__mirador_target";
/** Path labels that are not stream labels: ids that change with every pod and rotation. */
const PATH_ONLY = new Set([TARGET_LABEL, "pod_uid", "container_id"]);
/** Path labels that pod metadata may not replace. */
const PATH_WINS = new Set(["namespace", "pod", "container", "stream", "node"]);
/** The shipper stream of lines that `relabel_configs` dropped. */
const RELABEL_DROP = "dropped by logs.pods.relabel_configs";
/** How often pipelines release what they hold past its time (multiline, split lines). */
const PIPELINE_FLUSH_MS = 1_000;

interface Target {
  readonly tail: TailTarget;
  readonly pipeline: Pipeline;
  /** No stages: lines go from the tailer's buffer into the shipper's records as bytes ({@link LineSink}). */
  readonly passThrough: boolean;
  /** Whether the `filename` label stays (node files) or goes (container logs). */
  readonly keepFilename: boolean;
}

/** The log side of one agent; see the file comment. Lifecycle: `open` → `start` → `stop`. */
export class LogCollector {
  readonly #deps: LogCollectorDeps;
  readonly #targets: Target[];
  readonly #shipper: LogShipper;
  readonly #positions: PositionsFile;
  readonly #tail: TailManager;
  readonly #now: () => number;
  readonly #pipelineDrops: Counter<"reason">;
  readonly #podLabels: PodLabels | undefined;
  /** {@link PodLabels.version} the cached streams were made with. */
  #podVersion = 0;
  /** Lines dropped by `relabel_configs`, not yet counted. */
  #relabelDrops = 0;
  #flushTimer: NodeJS.Timeout | undefined;
  #pipelineDropsSeen = new Map<string, number>();
  /** The shipper's stream of each file's stdout, stderr or plain lines (key `""`). */
  #lineStreams = new WeakMap<FileLabels, Map<string, LineStream>>();
  /** The last line's file, stream and shipper stream: most lines follow one of the same file. */
  #lastFile: FileLabels | undefined;
  #lastStream: Stream | undefined;
  #lastLineStream: LineStream = "";

  private constructor(
    deps: LogCollectorDeps,
    targets: Target[],
    shipper: LogShipper,
    positions: PositionsFile,
    cfg: LogsConfig,
    podLabels: PodLabels | undefined,
  ) {
    this.#deps = deps;
    this.#podLabels = podLabels;
    this.#targets = targets;
    this.#shipper = shipper;
    this.#positions = positions;
    this.#now = deps.now ?? Date.now;
    const sink: LineSink = {
      bytes: (file, stream, ms, subNs, data, start, end) => {
        const ls = this.#lineStream(file, stream);
        if (ls === RELABEL_DROP) this.#relabelDrops++;
        else this.#shipper.appendBytes(ls, ms, subNs, data, start, end);
      },
      text: (file, stream, ms, subNs, line) => {
        const ls = this.#lineStream(file, stream);
        if (ls === RELABEL_DROP) this.#relabelDrops++;
        else this.#shipper.appendText(ls, ms, subNs, line);
      },
    };
    this.#tail = new TailManager({
      targets: targets.map((t) => (t.passThrough ? { ...t.tail, sink } : t.tail)),
      positions,
      startAtEnd: cfg.start_at === "end",
      maxBatchBytes: Math.min(cfg.batch_size, 4 * 1024 * 1024),
      // 64 KiB reads rather than the tailer's 256 KiB: with 50 busy files the read buffers alone
      // were ~20 MB of the agent's RSS, for no measurable CPU (`npm run bench -- agent-logs`).
      chunkBytes: 64 * 1024,
      onEntries: (batch) => this.#consume(batch),
      onError: (err) => deps.logger.warn("log tailing", { error: String(err) }),
    });
    this.#pipelineDrops = new Counter({
      name: "mirador_agent_logs_pipeline_dropped_total",
      help: "Log lines dropped by pipeline stages (drop, limit, match with action drop, json drop_malformed) and by logs.pods.relabel_configs (relabel_drop), by reason.",
      labelNames: ["reason"],
      registers: [deps.metrics],
    });
    this.#registerTailMetrics(deps.metrics);
  }

  /**
   * Compiles every target's stages (a bad stage throws, naming `logs.pods.pipeline_stages[i]…` or
   * `logs.files[k].pipeline_stages[i]…`), opens the disk queue and loads the positions.
   */
  static async open(cfg: LogsConfig, deps: LogCollectorDeps): Promise<LogCollector> {
    const targets: Target[] = [];
    if (cfg.pods.enabled) {
      targets.push({
        tail: {
          glob: join(cfg.pods.dir, "*", "*", "*.log"),
          format: "auto",
          labels: { [TARGET_LABEL]: String(targets.length) },
        },
        pipeline: compilePipeline(cfg.pods.pipeline_stages, { path: "logs.pods.pipeline_stages" }),
        passThrough: cfg.pods.pipeline_stages.length === 0,
        keepFilename: false,
      });
    }
    cfg.files.forEach((f, k) => {
      targets.push({
        tail: {
          glob: f.path,
          format: f.format,
          labels: { ...f.labels, [TARGET_LABEL]: String(targets.length) },
        },
        pipeline: compilePipeline(f.pipeline_stages, { path: `logs.files[${k}].pipeline_stages` }),
        passThrough: f.pipeline_stages.length === 0,
        keepFilename: true,
      });
    });
    let podLabels: PodLabels | undefined;
    if (cfg.pods.enabled && cfg.pods.kubernetes !== undefined) {
      // Only then: the discovery brings the Kubernetes client along.
      const { PodLabels } = await import("./pod-labels.js");
      podLabels = new PodLabels({
        kubernetes: cfg.pods.kubernetes,
        relabelConfigs: cfg.pods.relabel_configs,
        node: deps.node,
        logger: deps.logger,
      });
      await podLabels.start();
    }
    const dir = join(deps.dataDir, "logs");
    let shipper: LogShipper | undefined;
    try {
      shipper = await LogShipper.open(
        {
          url: deps.url,
          dir: join(dir, "queue"),
          ...(deps.tls === undefined ? {} : { tls: deps.tls }),
          batchSizeBytes: cfg.batch_size,
          batchWaitMs: cfg.batch_wait,
          maxQueueBytes: cfg.max_queue_size,
          headers: cfg.headers,
        },
        {
          logger: deps.logger,
          metrics: deps.metrics,
          ...(deps.onFlowDisabled === undefined ? {} : { onFlowDisabled: deps.onFlowDisabled }),
        },
      );
      const positions = await PositionsFile.load(join(dir, "positions.json"));
      return new LogCollector(deps, targets, shipper, positions, cfg, podLabels);
    } catch (err) {
      // Nothing half-open is left behind (the queue's files, the pod watches).
      await shipper?.stop(0);
      await podLabels?.stop();
      throw err;
    }
  }

  /** Starts delivery, then tailing, and the periodic saves of positions. */
  start(periodMs = 1_000): void {
    this.#shipper.start();
    this.#tail.start();
    this.#positions.startAutoSave(periodMs, (err) =>
      this.#deps.logger.warn("saving log positions", { error: String(err) }),
    );
    this.#flushTimer = setInterval(() => this.#flushPipelines(false), PIPELINE_FLUSH_MS);
    this.#flushTimer.unref();
  }

  /** Follows the seed's flow switch: off drops what is read (counted), as the metrics side does. */
  setFlowEnabled(on: boolean): void {
    this.#shipper.setFlowEnabled(on);
  }

  /** A renewed client certificate. */
  setTls(tls: ClientTls): void {
    this.#shipper.setTls(tls);
  }

  /** Stops tailing, releases what pipelines hold, syncs and saves positions, then stops delivery. */
  async stop(graceMs = 5_000): Promise<void> {
    clearInterval(this.#flushTimer);
    await this.#tail.stop();
    this.#flushPipelines(true);
    await this.#shipper.sync().catch(() => undefined);
    await this.#positions.stop();
    await this.#shipper.stop(graceMs);
    await this.#podLabels?.stop();
  }

  /**
   * One batch of read lines: through the pipelines, into the queue, synced; then its positions.
   * Lines of targets without stages are already in the shipper (the sink took them as the tailer
   * read them); what comes here are the lines of targets with stages, and the lines that broke their
   * file's framing.
   */
  async #consume(batch: EntryBatch): Promise<void> {
    const now = this.#now();
    const out: Entry[] = [];
    for (const e of batch.entries) {
      const target = this.#targets[Number(e.labels[TARGET_LABEL])];
      if (target === undefined) continue;
      // A line that broke its file's framing: `log_error` names the format (a label, so a handful of
      // values), the parser's words go along as structured metadata.
      const metadata = e.error === undefined ? undefined : new Map([["log_error_detail", e.error]]);
      const labels = this.#labelsOf(e.labels, e.stream, e.error, target);
      if (labels === undefined) {
        this.#relabelDrops++;
        continue;
      }
      const entry = newEntry(e.line, e.tsNs, labels, metadata);
      for (const r of target.pipeline.process(entry, now)) out.push(r);
    }
    this.#countPipelineDrops();
    this.#append(out);
    await this.#shipper.sync();
    this.#positions.setAll(batch.positions);
  }

  /** The shipper's stream for lines of `file` on `stream` (made once per file and stream). */
  #lineStream(file: FileLabels, stream: Stream | undefined): LineStream {
    const version = this.#podLabels?.version ?? 0;
    if (version !== this.#podVersion) {
      // Discovery changed: every file's labels are made again, as its next line comes.
      this.#podVersion = version;
      this.#lineStreams = new WeakMap();
      this.#lastFile = undefined;
    }
    if (file === this.#lastFile && stream === this.#lastStream) return this.#lastLineStream;
    let byStream = this.#lineStreams.get(file);
    if (byStream === undefined) {
      byStream = new Map();
      this.#lineStreams.set(file, byStream);
    }
    const key = stream ?? "";
    let ls = byStream.get(key);
    if (ls === undefined) {
      const target = this.#targets[Number(file[TARGET_LABEL])]!;
      const labels = this.#labelsOf(file, stream, undefined, target);
      ls = labels === undefined ? RELABEL_DROP : this.#shipper.lineStream(this.#finalLabels(labels));
      byStream.set(key, ls);
    }
    this.#lastFile = file;
    this.#lastStream = stream;
    this.#lastLineStream = ls;
    return ls;
  }

  /**
   * A line's labels before the stages: the path's, the stream, the node, the pod's from
   * `relabel_configs` (not replacing the path's), `log_error`. Undefined when the rules drop the
   * container's lines.
   */
  #labelsOf(
    file: FileLabels,
    stream: Stream | undefined,
    error: string | undefined,
    target: Target,
  ): Map<string, string> | undefined {
    const labels = new Map<string, string>();
    for (const k in file) {
      if (PATH_ONLY.has(k) || (k === "filename" && !target.keepFilename)) continue;
      labels.set(k, file[k]!);
    }
    if (stream !== undefined) labels.set("stream", stream);
    if (labels.has("pod")) {
      labels.set("node", this.#deps.node);
      const pod = this.#podLabels?.labelsFor(
        file.namespace!,
        file.pod!,
        file.pod_uid ?? "",
        file.container ?? "",
      );
      if (pod === "drop") return undefined;
      if (pod !== undefined) for (const k in pod) if (!PATH_WINS.has(k)) labels.set(k, pod[k]!);
    }
    if (error !== undefined) labels.set(LOG_ERROR_LABEL, error.split(":")[0]!);
    return labels;
  }

  /** The label pairs a stream is sent with: `labels` and then the agent's external labels, sorted. */
  #finalLabels(labels: Map<string, string>): [string, string][] {
    for (const [k, v] of Object.entries(this.#deps.externalLabels)) labels.set(k, v);
    return [...labels].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  /**
   * Groups pipeline output by label set and queues it. The grouping key is the labels in the
   * order the entry holds them (usually the same for every entry of a stream); two orders of one
   * set make two groups, which the shipper merges.
   */
  #append(entries: readonly Entry[]): AppendResult | undefined {
    if (entries.length === 0) return undefined;
    const streams = new Map<string, { labels: [string, string][]; entries: ShipEntry[] }>();
    for (const e of entries) {
      let key = "";
      for (const [k, v] of e.labels) key += `${k}\u0000${v}\u0001`;
      let s = streams.get(key);
      if (s === undefined) {
        s = { labels: this.#finalLabels(e.labels), entries: [] };
        streams.set(key, s);
      }
      s.entries.push(
        e.metadata.size === 0
          ? { tsNs: e.tsNs, line: e.line }
          : { tsNs: e.tsNs, line: e.line, metadata: [...e.metadata] },
      );
    }
    return this.#shipper.append([...streams.values()]);
  }

  /** Releases lines held past their time (or all of them, when stopping). */
  #flushPipelines(final: boolean): void {
    const now = this.#now();
    const out: Entry[] = [];
    for (const t of this.#targets) for (const e of t.pipeline.flush(now, final)) out.push(e);
    this.#countPipelineDrops();
    this.#append(out);
  }

  #countPipelineDrops(): void {
    if (this.#relabelDrops > 0) {
      this.#pipelineDrops.inc({ reason: "relabel_drop" }, this.#relabelDrops);
      this.#relabelDrops = 0;
    }
    for (const [i, t] of this.#targets.entries()) {
      for (const [reason, n] of t.pipeline.dropped) {
        const key = `${i}\u0000${reason}`;
        const seen = this.#pipelineDropsSeen.get(key) ?? 0;
        if (n > seen) this.#pipelineDrops.inc({ reason }, n - seen);
        this.#pipelineDropsSeen.set(key, n);
      }
    }
  }

  #registerTailMetrics(registry: Registry): void {
    const tail = this.#tail;
    const counter = (name: string, help: string, pick: (s: ReturnType<TailManager["stats"]>) => number) =>
      new Counter({
        name,
        help,
        registers: [registry],
        collect() {
          this.reset();
          this.inc(pick(tail.stats()));
        },
      });
    new Gauge({
      name: "mirador_agent_logs_files_watched",
      help: "Log files being tailed.",
      registers: [registry],
      collect() {
        this.set(tail.stats().filesWatched);
      },
    });
    counter("mirador_agent_logs_read_bytes_total", "Bytes read from log files.", (s) => s.bytesRead);
    counter("mirador_agent_logs_read_lines_total", "Lines read from log files.", (s) => s.linesRead);
    counter(
      "mirador_agent_logs_truncated_lines_total",
      "Lines cut at the longest line the tailer keeps.",
      (s) => s.linesTruncated,
    );
    counter(
      "mirador_agent_logs_malformed_lines_total",
      "Lines that did not follow their file's framing (sent unparsed with log_error).",
      (s) => s.malformedLines,
    );
    counter(
      "mirador_agent_logs_rotations_total",
      "Log file rotations followed.",
      (s) => s.rotations + s.truncations,
    );
  }
}
