/**
 * Loki's live tail, `GET /loki/api/v1/tail` over a WebSocket (shared/reference/loki-api.md §4), as
 * `logcli --tail` and Grafana's live view use it. The request is checked before the upgrade (loopback,
 * tenant, parameters, LogQL syntax: plain-text HTTP errors, as Loki answers them); then the server
 * sends JSON text frames `{"streams":[…],"dropped_entries":null}`: first the newest `limit` entries
 * since `start`, then, polling the store every second or so, each entry once as it arrives (an entry
 * reaching the store more than {@link TAIL_LATE_WINDOW_MS} after its timestamp, plus `delay_for`, is
 * missed). A metric query, a tail over the concurrency cap, and a failed read are closed with a reason.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { type WebSocket, WebSocketServer } from "ws";
import { HttpError } from "../../server/errors.js";
import { requireLoopback } from "../../server/http/loopback.js";
import type { Router, UpgradeRequest } from "../../server/http/router.js";
import { requestTenants } from "../../server/http/tenant.js";
import type { LogStreamResult } from "../engine/index.js";
import { isLogQuery, type LogQueryExpr } from "../logql/index.js";
import { DEFAULT_PIPELINE_DEPS } from "../pipeline/index.js";
import type { LogQuerier } from "../store/index.js";
import { lokiLimitParam, lokiTimeParam, parseQuery, requiredParam } from "./params.js";
import { streamsJSON } from "./stream-json.js";
import { TailCursor } from "./tail-cursor.js";

const NS_PER_MS = 1_000_000n;
const NS_PER_S = 1_000_000_000n;

/** Tails served at once by default. */
export const DEFAULT_MAX_CONCURRENT_TAILS = 32;
/** How often a tail reads the store for new entries, ms, by default. */
export const DEFAULT_TAIL_POLL_MS = 1000;
/** How long a tail may stay open, ms, by default (Loki's `tail_max_duration`). */
export const DEFAULT_TAIL_MAX_DURATION_MS = 3_600_000;
/**
 * How long after its timestamp an entry may reach the store and still be tailed, ms: each read goes
 * back this far (a sender's batching and the network make entries late), remembering what it sent.
 */
export const TAIL_LATE_WINDOW_MS = 5000;
/** Loki's largest `delay_for`, seconds. */
const MAX_DELAY_FOR_S = 5;
/** While the client has this much unread, the tail stops reading (nothing is dropped; it waits). */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/** WebSocket close codes (RFC 6455 §7.4.1). */
const CLOSE_NORMAL = 1000;
const CLOSE_GOING_AWAY = 1001;
const CLOSE_POLICY = 1008;
const CLOSE_INTERNAL = 1011;
const CLOSE_TRY_LATER = 1013;

/** What a tail needs. */
export interface TailDeps {
  /** A read view over the named tenants' logs; asked again on every read, so new tenants show up. */
  readonly querier: (tenants: readonly string[]) => Promise<LogQuerier>;
  /** `logs.max_entries_limit_per_query`: the largest `limit`, and the most entries sent in one frame. */
  readonly maxEntriesLimit: number;
  /** Tails served at once; more are closed with 1013. Default {@link DEFAULT_MAX_CONCURRENT_TAILS}. */
  readonly maxConcurrentTails?: number;
  /** Read interval, ms. Default {@link DEFAULT_TAIL_POLL_MS}. */
  readonly tailPollMs?: number;
  /** Longest tail, ms, after which it is closed (1000). Default {@link DEFAULT_TAIL_MAX_DURATION_MS}. */
  readonly tailMaxDurationMs?: number;
}

/** A checked tail request. */
interface TailRequest {
  readonly tenants: readonly string[];
  /** Undefined for a metric query, which is refused once the socket is open (as Loki does). */
  readonly expr: LogQueryExpr | undefined;
  readonly limit: number;
  readonly startNs: bigint;
  readonly delayNs: bigint;
}

/** Registers `/loki/api/v1/tail` on `router`'s upgrade routes; see the file comment. */
export function registerLokiTail(router: Router, deps: TailDeps): void {
  // A tail client sends nothing the server reads: a small payload cap keeps it from filling memory.
  const wss = new WebSocketServer({ noServer: true, clientTracking: false, maxPayload: 64 * 1024 });
  const maxTails = deps.maxConcurrentTails ?? DEFAULT_MAX_CONCURRENT_TAILS;
  let active = 0;
  router.onUpgrade("/loki/api/v1/tail", (u) => {
    const req = checkRequest(u, deps.maxEntriesLimit);
    wss.handleUpgrade(u.raw, u.socket, u.head, (ws) => {
      // A socket or protocol error ends in 'close'; without a listener it would be thrown.
      ws.on("error", () => {});
      if (req.expr === undefined) {
        closeWith(
          ws,
          CLOSE_POLICY,
          "tail needs a log query (a stream selector and pipeline), not a metric query",
        );
        return;
      }
      if (active >= maxTails) {
        closeWith(
          ws,
          CLOSE_TRY_LATER,
          `max concurrent tail requests limit exceeded (${maxTails}); close another tail or retry later`,
        );
        return;
      }
      active++;
      void runTail(ws, req, req.expr, deps, u.signal).finally(() => {
        active--;
      });
    });
  });
}

/** Checks a tail request before the upgrade; throws a 4xx HttpError. */
function checkRequest(u: UpgradeRequest, maxEntriesLimit: number): TailRequest {
  requireLoopback(u.raw);
  const tenants = requestTenants(u.raw);
  const p = u.url.searchParams;
  const expr = parseQuery(requiredParam(p, "query"));
  const limit = lokiLimitParam(p, maxEntriesLimit);
  const startNs = lokiTimeParam(p, "start", nowNs() - 3600n * NS_PER_S);
  return {
    tenants,
    expr: isLogQuery(expr) ? (expr as LogQueryExpr) : undefined,
    limit,
    startNs,
    delayNs: delayForParam(p),
  };
}

/** `delay_for`: whole seconds, 0 to 5 (default 0). */
function delayForParam(p: URLSearchParams): bigint {
  const raw = p.get("delay_for");
  if (raw === null || raw === "") return 0n;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0)
    throw new HttpError(
      "bad_data",
      `invalid parameter "delay_for": ${JSON.stringify(raw)} is not a whole number of seconds`,
    );
  if (n > MAX_DELAY_FOR_S)
    throw new HttpError(
      "bad_data",
      `invalid parameter "delay_for": can't be greater than ${MAX_DELAY_FOR_S}`,
    );
  return BigInt(n) * NS_PER_S;
}

/** Sends the history, then polls until the socket closes, the server stops, or the tail is too old. */
async function runTail(
  ws: WebSocket,
  req: TailRequest,
  expr: LogQueryExpr,
  deps: TailDeps,
  serverSignal: AbortSignal,
): Promise<void> {
  const stop = new AbortController();
  const onServerStop = () => closeWith(ws, CLOSE_GOING_AWAY, "server shutting down");
  ws.once("close", () => stop.abort());
  if (serverSignal.aborted) onServerStop();
  else serverSignal.addEventListener("abort", onServerStop, { once: true });
  const pollMs = deps.tailPollMs ?? DEFAULT_TAIL_POLL_MS;
  const deadline = Date.now() + (deps.tailMaxDurationMs ?? DEFAULT_TAIL_MAX_DURATION_MS);
  const cursor = new TailCursor(expr, DEFAULT_PIPELINE_DEPS, BigInt(TAIL_LATE_WINDOW_MS) * NS_PER_MS);
  try {
    const first = await cursor.history(
      await deps.querier(req.tenants),
      req.startNs,
      nowNs() - req.delayNs,
      req.limit,
      stop.signal,
    );
    send(ws, first);
    while (!stop.signal.aborted) {
      await sleep(pollMs, undefined, { signal: stop.signal });
      if (Date.now() >= deadline) {
        closeWith(ws, CLOSE_NORMAL, "tail reached its maximum duration; reconnect to go on");
        break;
      }
      // A slow client: wait for it rather than drop entries.
      let more = ws.bufferedAmount < MAX_BUFFERED_BYTES;
      while (more && !stop.signal.aborted) {
        const batch = await cursor.next(
          await deps.querier(req.tenants),
          nowNs() - req.delayNs,
          deps.maxEntriesLimit,
          stop.signal,
        );
        send(ws, batch.streams);
        more = batch.more && ws.bufferedAmount < MAX_BUFFERED_BYTES;
      }
    }
  } catch (err) {
    if (!stop.signal.aborted) closeWith(ws, CLOSE_INTERNAL, `tail failed: ${(err as Error).message}`);
  } finally {
    serverSignal.removeEventListener("abort", onServerStop);
  }
}

/** Sends one frame, unless there is nothing in it or the socket is no longer open. */
function send(ws: WebSocket, streams: readonly LogStreamResult[]): void {
  if (streams.length === 0 || ws.readyState !== ws.OPEN) return;
  ws.send(`{"streams":${streamsJSON(streams)},"dropped_entries":null}`);
}

/** Closes with `code` and `reason`, cut to the 123 bytes a close frame allows. */
function closeWith(ws: WebSocket, code: number, reason: string): void {
  if (ws.readyState !== ws.OPEN) return;
  let r = reason;
  while (Buffer.byteLength(r) > 123) r = r.slice(0, -1);
  ws.close(code, r);
}

function nowNs(): bigint {
  return BigInt(Date.now()) * NS_PER_MS;
}
