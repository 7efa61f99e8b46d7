import { describe, expect, it } from "vitest";
import { ago, bytes, formatFields, formatTable } from "./table.js";

describe("formatTable", () => {
  it("aligns columns two spaces apart and does not pad the last", () => {
    expect(
      formatTable([
        ["NAME", "STATE", "LABELS"],
        ["prod-eu-1", "active", "env=prod"],
        ["a", "removing", "-"],
      ]),
    ).toBe("NAME       STATE     LABELS\nprod-eu-1  active    env=prod\na          removing  -\n");
  });

  it("trims the spaces of an empty last cell", () => {
    expect(
      formatTable([
        ["A", "B"],
        ["x", ""],
      ]),
    ).toBe("A  B\nx\n");
  });
});

describe("formatFields", () => {
  it("aligns the values", () => {
    expect(
      formatFields([
        ["name", "c1"],
        ["last seen", "never"],
      ]),
    ).toBe("name:       c1\nlast seen:  never\n");
  });
});

describe.each([
  [null, "never"],
  ["2026-01-01T00:00:00.000Z", "0s ago"],
  ["2025-12-31T23:59:15.000Z", "45s ago"],
  ["2025-12-31T23:30:00.000Z", "30m ago"],
  ["2025-12-31T12:00:00.000Z", "12h ago"],
  ["2025-12-20T00:00:00.000Z", "12d ago"],
])("ago(%s)", (iso, text) => {
  it(`is ${text}`, () => expect(ago(iso, Date.parse("2026-01-01T00:00:00.000Z"))).toBe(text));
});

describe.each([
  [0, "0 B"],
  [1023, "1023 B"],
  [4096, "4.0 KiB"],
  [1.5 * 1024 ** 3, "1.5 GiB"],
])("bytes(%d)", (n, text) => {
  it(`is ${text}`, () => expect(bytes(n)).toBe(text));
});
