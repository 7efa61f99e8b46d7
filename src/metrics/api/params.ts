import { HttpError } from "../../server/errors.js";
import { parseDuration, parseTime } from "../promql/index.js";

/** A required or optional time parameter in ms; 400 naming the parameter when malformed. */
export function timeParam(params: URLSearchParams, name: string, fallback: number): number {
  const raw = params.get(name);
  if (raw === null || raw === "") return fallback;
  try {
    return parseTime(raw);
  } catch {
    throw new HttpError(
      "bad_data",
      `invalid parameter "${name}": cannot parse ${JSON.stringify(raw)} to a valid timestamp`,
    );
  }
}

/** A duration parameter in ms (`5m` or float seconds); 400 naming the parameter when malformed. */
export function durationParam(params: URLSearchParams, name: string): number | undefined {
  const raw = params.get(name);
  if (raw === null || raw === "") return undefined;
  try {
    return parseDuration(raw);
  } catch {
    throw new HttpError(
      "bad_data",
      `invalid parameter "${name}": cannot parse ${JSON.stringify(raw)} to a valid duration`,
    );
  }
}

/** A non-negative integer `limit` parameter (0 = no limit). */
export function limitParam(params: URLSearchParams): number {
  const raw = params.get("limit");
  if (raw === null || raw === "") return 0;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0)
    throw new HttpError(
      "bad_data",
      `invalid parameter "limit": ${JSON.stringify(raw)} is not a non-negative integer`,
    );
  return n;
}

/** A required string parameter. */
export function requiredParam(params: URLSearchParams, name: string): string {
  const v = params.get(name);
  if (v === null || v === "") throw new HttpError("bad_data", `invalid parameter "${name}": missing`);
  return v;
}
