/** The seed's address when neither `--server` nor `MIRADOR_SERVER` gives one. */
export const DEFAULT_SERVER = "http://127.0.0.1:9700";

/** The registry API answered with an error: its status and the server's message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/**
 * A small client of the registry API (`docs/api/openapi.yaml`) for the command line: JSON in and
 * out, errors as {@link ApiError} carrying the server's message.
 */
export class RegistryClient {
  readonly #base: URL;

  constructor(server: string) {
    this.#base = new URL(server.endsWith("/") ? server : `${server}/`);
  }

  /** The seed's URL as given. */
  get server(): string {
    return this.#base.origin + this.#base.pathname.replace(/\/$/, "");
  }

  /** The host name of the seed, as the URL names it (brackets removed from IPv6). */
  get hostname(): string {
    return this.#base.hostname.replace(/^\[|\]$/g, "");
  }

  /**
   * Calls `method path` (relative to `/api/mirador/v1`); resolves with the parsed JSON answer, or
   * `undefined` for 204. Bodies of POST, PUT and PATCH are always sent, `{}` when none is given.
   */
  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = new URL(`api/mirador/v1${path}`, this.#base);
    const withBody = method === "POST" || method === "PUT" || method === "PATCH";
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: withBody ? { "content-type": "application/json" } : {},
        ...(withBody && { body: JSON.stringify(body ?? {}) }),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new ApiError(
        0,
        `cannot reach the seed at ${this.server} (${cause?.code ?? cause?.message ?? (err as Error).message}); is \`mirador server\` running there? Point --server or MIRADOR_SERVER at it`,
      );
    }
    const text = await res.text();
    if (!res.ok) throw new ApiError(res.status, errorMessage(res.status, text));
    if (res.status === 204 || text === "") return undefined as T;
    if (!(res.headers.get("content-type") ?? "").includes("json")) return text as T;
    return JSON.parse(text) as T;
  }
}

/** The `error` of the JSON error envelope, or the text itself. */
function errorMessage(status: number, text: string): string {
  try {
    const body = JSON.parse(text) as { error?: unknown };
    if (typeof body.error === "string") return body.error;
  } catch {
    // not JSON: a plain-text error
  }
  return text.trim() === "" ? `the seed answered ${status}` : text.trim();
}
