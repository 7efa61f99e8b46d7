/** The web role: the UI and the fleet API. */
export { type ClusterStatus, WebRole } from "./web-role.js";
