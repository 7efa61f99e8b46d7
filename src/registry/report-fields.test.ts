import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RegistryError } from "./model.js";
import { checkReport, MAX_REPORT_ERRORS } from "./report-fields.js";

const onlyInvalid = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof RegistryError) || err.kind !== "invalid") throw err;
  }
};

// Reports come from agents over the network: whatever arrives, the answer is a report to store or a
// RegistryError \`invalid\`, never another exception.
describe("checkReport", () => {
  it("normalises a good report and caps its errors", () => {
    expect(
      checkReport({
        cluster: "c1",
        receivedAt: "2026-11-21T12:00:00Z",
        appliedConfigVersion: 3,
        agentVersion: "0.1.0",
        bufferedSamples: 0,
        bufferedBytes: 0,
        errors: Array.from({ length: 30 }, (_, i) => `e${i}`),
        certificateSerial: "4F",
      }),
    ).toEqual({
      cluster: "c1",
      receivedAt: "2026-11-21T12:00:00.000Z",
      appliedConfigVersion: 3,
      agentVersion: "0.1.0",
      bufferedSamples: 0,
      bufferedBytes: 0,
      errors: Array.from({ length: MAX_REPORT_ERRORS }, (_, i) => `e${i}`),
      certificateSerial: "4f",
    });
  });

  it("never throws anything but RegistryError on arbitrary field values", () => {
    const report = fc.record({
      cluster: fc.string(),
      receivedAt: fc.oneof(fc.constant("2026-11-21T12:00:00Z"), fc.jsonValue()),
      appliedConfigVersion: fc.oneof(fc.nat(), fc.jsonValue()),
      agentVersion: fc.oneof(fc.constant("0.1.0"), fc.jsonValue()),
      bufferedSamples: fc.oneof(fc.nat(), fc.double(), fc.jsonValue()),
      bufferedBytes: fc.oneof(fc.nat(), fc.jsonValue()),
      errors: fc.oneof(fc.array(fc.string()), fc.jsonValue()),
      certificateSerial: fc.oneof(
        fc.constant(undefined),
        fc.stringMatching(/^[0-9a-f]{1,40}$/),
        fc.jsonValue(),
      ),
    });
    fc.assert(
      fc.property(report, (r) => onlyInvalid(() => checkReport(r as never))),
      { numRuns: 500 },
    );
  });
});
