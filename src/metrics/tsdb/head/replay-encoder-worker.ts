/**
 * The entry of a chunk encoder thread of the WAL replay (`replay-encoder.ts`): runs an
 * {@link EncoderService} on the messages of the opening thread. `workerData`: `{ blockMs }`.
 */
import { parentPort, workerData } from "node:worker_threads";
import { type EncoderRequest, EncoderService } from "./replay-encoder.js";

const port = parentPort;
if (port === null) throw new Error("replay-encoder-worker.js runs as a worker thread only");
const { blockMs } = workerData as { blockMs: number };
const service = new EncoderService(blockMs, (msg, transfer) => port.postMessage(msg, transfer));
port.on("message", (msg: EncoderRequest) => service.handle(msg));
