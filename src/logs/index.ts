/** The logs role and what other roles may use of it. */
export { LogsRole } from "./logs-role.js";
