/** LogQL: the typed AST, the parser and the canonical printer. */
export type * from "./ast.js";
export { isLogQuery, RANGE_OPS, UNWRAP_RANGE_OPS, VECTOR_OPS } from "./ast.js";
export { LogQLParseError } from "./errors.js";
export { formatLogQL } from "./format.js";
export { binaryPrecedence, parseLogQL } from "./parser.js";
export { parseBytes, parseGoDurationSeconds } from "./units.js";
