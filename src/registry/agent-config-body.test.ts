import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkAgentConfigBody } from "./agent-config-body.js";
import { RegistryError } from "./model.js";

// The body comes from the network (the admin API): whatever arrives, the answer is a body or a
// RegistryError `invalid`, never another exception.
describe("checkAgentConfigBody never throws anything but RegistryError", () => {
  const onlyInvalid = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      if (!(err instanceof RegistryError) || err.kind !== "invalid") throw err;
    }
  };

  it("checkAgentConfigBody on arbitrary JSON and near-valid bodies", () => {
    const job = fc.record(
      {
        job_name: fc.oneof(fc.string(), fc.integer()),
        scrape_interval: fc.oneof(fc.constantFrom("15s", "1m", "0", "soon"), fc.string()),
        scrape_timeout: fc.oneof(fc.constantFrom("10s", "2m"), fc.string()),
        static_configs: fc.array(fc.record({ targets: fc.array(fc.string()) }), { maxLength: 2 }),
        honor_labels: fc.oneof(fc.boolean(), fc.string()),
        extra: fc.jsonValue(),
      },
      { requiredKeys: [] },
    );
    const body = fc.record(
      {
        scrape_interval: fc.oneof(fc.constantFrom("30s", "1h"), fc.jsonValue()),
        scrape_timeout: fc.oneof(fc.constantFrom("10s"), fc.jsonValue()),
        external_labels: fc.oneof(fc.dictionary(fc.string(), fc.string()), fc.jsonValue()),
        scrape_configs: fc.oneof(fc.array(job, { maxLength: 3 }), fc.jsonValue()),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(body, fc.jsonValue()), (input) => onlyInvalid(() => checkAgentConfigBody(input))),
      { numRuns: 500 },
    );
    expect(checkAgentConfigBody({ scrape_configs: [] })).toEqual({ scrape_configs: [] });
  });
});
