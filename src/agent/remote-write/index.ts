/**
 * Delivery of the agent's samples to a remote-write destination through the disk queue
 * (docs/format/agent-queue-records.md): `const q = await RemoteWriteQueue.open(config, deps)`,
 * `q.start()`, `q.append(batch)` per scrape, `await q.stop(graceMs)`. Also the pieces the agent's
 * control channel shares: mTLS connections whose identity can be swapped, a log limiter, a sleep.
 */
export type { ProtobufMessage, RemoteWriteQueueConfig } from "./config.js";
export { protocolHeaders } from "./http-client.js";
export { type ClientTls, IdentityAgent, type Lease } from "./identity-agent.js";
export { LogLimiter } from "./log-limiter.js";
export { sleep } from "./notifier.js";
export { RemoteWriteQueue, type RemoteWriteQueueDeps } from "./remote-write-queue.js";
export { SettingsCheck } from "./settings-check.js";
