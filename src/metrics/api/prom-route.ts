import type { RouteRequest } from "../../server/http/router.js";

/** A handler of the Prometheus API, given the parameters (query string and form body) and the tenants read. */
export type PromHandler = (r: RouteRequest, p: URLSearchParams, tenants: string[]) => Promise<void>;

/** Registers a {@link PromHandler} for `methods` on `path`: loopback only, tenants from the request. */
export type PromRoute = (methods: string[], path: string, fn: PromHandler) => void;
