import { HttpError } from "../../server/errors.js";
import { sendPromData } from "../../server/http/reply.js";
import { type Expr, PromQLError, parseExpr } from "../promql/index.js";
import { goJSON } from "./go-json.js";
import type { PromRoute } from "./prom-route.js";
import { astJSON } from "./promql-ast-json.js";
import { prettyExpr } from "./promql-pretty.js";

/**
 * `/api/v1/format_query` (the query prettified, as a JSON string) and `/api/v1/parse_query` (its
 * syntax tree as JSON, for Prometheus's UI); a query that does not parse is 400 `bad_data`
 * naming the parameter, as Prometheus answers.
 */
export function registerExpressionApi(route: PromRoute): void {
  route(["GET", "POST"], "/api/v1/format_query", async (r, p) => {
    sendPromData(r.res, goJSON(prettyExpr(queryParam(p))));
  });
  route(["GET", "POST"], "/api/v1/parse_query", async (r, p) => {
    sendPromData(r.res, goJSON(astJSON(queryParam(p)), true));
  });
}

function queryParam(p: URLSearchParams): Expr {
  try {
    return parseExpr(p.get("query") ?? "");
  } catch (err) {
    if (err instanceof PromQLError)
      throw new HttpError("bad_data", `invalid parameter "query": ${err.message}`);
    throw err;
  }
}
