/** The gateway role: mTLS in front of the seed's ingest, per-cluster limits and flows, the agent's control endpoints. */

export {
  type AdmitSamples,
  type ForwardResult,
  HttpForwarder,
  type HttpForwarderOptions,
  LocalForwarder,
  type LocalIngest,
  type WriteForwarder,
} from "./forwarder.js";
export type { GatewayCa, GatewayRegistry, GatewayRegistryService } from "./gateway-registry.js";
export { type GatewayOptions, GatewayRole } from "./gateway-role.js";
export {
  type AdmitLogBytes,
  countLogLineBytes,
  HttpLogForwarder,
  type HttpLogForwarderOptions,
  LocalLogForwarder,
  type LocalLogIngest,
  type LogForwarder,
} from "./log-forwarder.js";
