/** The gateway role: mTLS in front of the seed's ingest. */

export { HttpForwarder, LocalForwarder, type WriteForwarder } from "./forwarder.js";
export { GatewayRole } from "./gateway-role.js";
