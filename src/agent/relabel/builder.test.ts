import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Labels } from "../../model/labels.js";
import { RelabelBuilder } from "./builder.js";

/** The builder's contract written the plain way: input labels, a list of set labels, a list of deleted names. */
class Model {
  readonly added: [string, string][] = [];
  readonly deleted: string[] = [];
  constructor(readonly base: Labels) {}

  get(name: string): string {
    const a = this.added.find(([n]) => n === name);
    if (a) return a[1];
    return this.deleted.includes(name) ? "" : this.base.get(name);
  }

  set(name: string, value: string): void {
    if (value === "") {
      this.delete(name);
      return;
    }
    const a = this.added.find(([n]) => n === name);
    if (a) a[1] = value;
    else this.added.push([name, value]);
  }

  delete(name: string): void {
    const i = this.added.findIndex(([n]) => n === name);
    if (i >= 0) this.added.splice(i, 1);
    this.deleted.push(name);
  }

  snapshot(): string[] {
    const out: string[] = [];
    this.base.forEach((n, v) => {
      if (!this.deleted.includes(n) && !this.added.some(([a]) => a === n)) out.push(n, v);
    });
    for (const [n, v] of this.added) out.push(n, v);
    return out;
  }
}

type Op = ["set", string, string] | ["delete", string] | ["get", string] | ["snapshot"] | ["labels"];

describe("RelabelBuilder", () => {
  it("lists untouched labels by name, then set labels in the order first set", () => {
    const b = new RelabelBuilder();
    b.reset(Labels.fromRecord({ a: "1", b: "2", c: "3" }));
    b.set("z", "26");
    b.set("a", "one");
    b.set("z", "twenty-six");
    b.delete("b");
    expect(b.snapshot()).toEqual(["c", "3", "z", "twenty-six", "a", "one"]);
    expect(b.labels().toRecord()).toEqual({ a: "one", c: "3", z: "twenty-six" });
    b.set("b", "back");
    expect(b.get("b")).toBe("back");
    expect(b.labels().toRecord()).toEqual({ a: "one", b: "back", c: "3", z: "twenty-six" });
  });

  it("sorts many set labels", () => {
    const b = new RelabelBuilder();
    b.reset(Labels.fromRecord({ m: "base" }));
    const names = Array.from({ length: 40 }, (_, i) => `n${String(i).padStart(2, "0")}`).reverse();
    for (const n of names) b.set(n, n);
    const out = b.labels();
    expect(out.size).toBe(41);
    expect(out.pairs).toEqual(Labels.fromPairs(out.pairs).pairs);
  });

  it("returns its input when nothing changed, and starts over on reset", () => {
    const input = Labels.fromRecord({ a: "1" });
    const b = new RelabelBuilder();
    b.reset(input);
    expect(b.labels()).toBe(input);
    b.set("a", "");
    expect(b.labels().size).toBe(0);
    b.reset(input);
    expect(b.get("a")).toBe("1");
    expect(b.labels()).toBe(input);
  });

  it("behaves as the plain model under any sequence of changes", () => {
    const name = fc.string({ unit: fc.constantFrom(..."abcdefgh"), minLength: 1, maxLength: 3 });
    const value = fc.constantFrom("", "1", "2", "x");
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.tuple(fc.constant("set" as const), name, value),
      fc.tuple(fc.constant("delete" as const), name),
      fc.tuple(fc.constant("get" as const), name),
      fc.constant(["snapshot"] as Op),
      fc.constant(["labels"] as Op),
    );
    const base = fc.dictionary(name, value, { maxKeys: 12 }).map((r) => Labels.fromRecord(r));
    const b = new RelabelBuilder(); // reused across runs, as a program reuses it
    fc.assert(
      fc.property(base, fc.array(op, { maxLength: 120 }), (input, ops) => {
        b.reset(input);
        const m = new Model(input);
        for (const o of ops) {
          if (o[0] === "set") {
            b.set(o[1], o[2]);
            m.set(o[1], o[2]);
          } else if (o[0] === "delete") {
            b.delete(o[1]);
            m.delete(o[1]);
          } else if (o[0] === "get") expect(b.get(o[1])).toBe(m.get(o[1]));
          else if (o[0] === "snapshot") expect(b.snapshot()).toEqual(m.snapshot());
          else expect(b.labels().pairs).toEqual(Labels.fromPairs(m.snapshot()).pairs);
        }
        expect(b.labels().pairs).toEqual(Labels.fromPairs(m.snapshot()).pairs);
      }),
    );
  });
});
