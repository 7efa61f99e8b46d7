/** Codecs of Loki's push API (`POST /loki/api/v1/push`): protobuf + snappy and JSON, with size caps. */
export { PUSH_ERROR_HTTP_CODE, PushError, type PushErrorCode } from "./errors.js";
export {
  decodePushBody,
  type PushBody,
  type PushDecodeLimits,
  type PushFormat,
  pushFormat,
} from "./push-body.js";
export { encodePushProto, encodePushSnappy } from "./push-encode.js";
export { decodePushRequestJson } from "./push-json.js";
export { decodePushRequestProto } from "./push-proto.js";
export { pushLineBytes } from "./push-size.js";
export { formatStreamLabels, LABEL_NAME_RE, parseStreamLabels, StreamLabelsError } from "./stream-labels.js";
export type { PushEntry, PushRequest, PushStream } from "./types.js";
