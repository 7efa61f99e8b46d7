/**
 * Test support shared by the OTLP testlibs (`otlp-pbjs.testlib.ts` for metrics, `otlp-logs.testlib.ts`
 * for logs): the protobufjs schema of the messages of opentelemetry-proto's `common/v1/common.proto`
 * and `resource/v1/resource.proto`, written for the tests from their field tables. Not part of the build.
 */
import protobuf from "protobufjs";

// `AnyValue`, `ArrayValue`, `KeyValueList`, `KeyValue`, `InstrumentationScope` and `Resource`.
const COMMON_MESSAGES = `
  message AnyValue {
    oneof value {
      string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4;
      ArrayValue array_value = 5; KeyValueList kvlist_value = 6; bytes bytes_value = 7;
    }
  }
  message ArrayValue { repeated AnyValue values = 1; }
  message KeyValueList { repeated KeyValue values = 1; }
  message KeyValue { string key = 1; AnyValue value = 2; }
  message InstrumentationScope {
    string name = 1; string version = 2; repeated KeyValue attributes = 3; uint32 dropped_attributes_count = 4;
  }
  message Resource { repeated KeyValue attributes = 1; uint32 dropped_attributes_count = 2; }
`;

/** A protobufjs root of the proto3 package `pkg`: the common messages, then `messages` (schema text). */
export function parseOtlpSchema(pkg: string, messages: string): protobuf.Root {
  return protobuf.parse(`syntax = "proto3"; package ${pkg}; ${COMMON_MESSAGES} ${messages}`).root;
}
