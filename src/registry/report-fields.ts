import { type AgentReport, RegistryError } from "./model.js";

/** Most error lines of one heartbeat that are kept; the rest are dropped. */
export const MAX_REPORT_ERRORS = 20;

/** Longest error line kept, in characters; longer ones are cut. */
export const MAX_REPORT_ERROR_LENGTH = 1000;

/**
 * Checks a heartbeat report before it is stored: counts are whole numbers ≥ 0, the version and
 * serial short text, `receivedAt` a time. Error lines are capped at {@link MAX_REPORT_ERRORS} of
 * {@link MAX_REPORT_ERROR_LENGTH} characters, so that an agent cannot grow the store. Throws
 * `RegistryError` `invalid` naming the field; returns the report as it will be stored.
 */
export function checkReport(report: AgentReport): AgentReport {
  const count = (field: keyof AgentReport): number => {
    const v = report[field];
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) {
      throw new RegistryError(
        "invalid",
        `heartbeat: ${field} must be a whole number ≥ 0, got ${JSON.stringify(v)}`,
      );
    }
    return v;
  };
  const time = typeof report.receivedAt === "string" ? Date.parse(report.receivedAt) : Number.NaN;
  if (Number.isNaN(time)) throw new RegistryError("invalid", "heartbeat: receivedAt must be a time");
  if (typeof report.agentVersion !== "string" || report.agentVersion.length > 64) {
    throw new RegistryError("invalid", "heartbeat: agent_version must be text of at most 64 characters");
  }
  if (!Array.isArray(report.errors) || !report.errors.every((e) => typeof e === "string")) {
    throw new RegistryError("invalid", "heartbeat: errors must be a list of strings");
  }
  const serial = report.certificateSerial;
  if (serial !== undefined && (typeof serial !== "string" || !/^[0-9a-fA-F]{1,40}$/.test(serial))) {
    throw new RegistryError("invalid", "heartbeat: certificate_serial must be 1 to 40 hex digits");
  }
  return {
    cluster: report.cluster,
    receivedAt: new Date(time).toISOString(),
    appliedConfigVersion: count("appliedConfigVersion"),
    agentVersion: report.agentVersion,
    bufferedSamples: count("bufferedSamples"),
    bufferedBytes: count("bufferedBytes"),
    errors: report.errors.slice(0, MAX_REPORT_ERRORS).map((e) => e.slice(0, MAX_REPORT_ERROR_LENGTH)),
    ...(serial === undefined ? {} : { certificateSerial: serial.toLowerCase() }),
  };
}
