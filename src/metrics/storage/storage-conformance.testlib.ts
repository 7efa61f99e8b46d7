import { beforeEach, describe, expect, it } from "vitest";
import { newCtx } from "../../model/context.js";
import { Labels } from "../../model/labels.js";
import { Matcher } from "../../model/matcher.js";
import { isStaleNaN, STALE_NAN } from "../../model/stale.js";
import { type Appendable, AppendError, type Queryable, type SampleIterator } from "./interface.js";
import { collectSeries } from "./series-set.js";

/** A store under test: something both writable and readable, fresh for each case. */
export type StoreFactory = () => Promise<Appendable & Queryable> | (Appendable & Queryable);

const ctxA = newCtx(["tenant-a"]);
const ctxB = newCtx(["tenant-b"]);
const L = (rec: Record<string, string>) => Labels.fromRecord(rec);
const eq = (name: string, value: string) => new Matcher("=", name, value);

function drain(it: SampleIterator): [number, number][] {
  const out: [number, number][] = [];
  while (it.next()) out.push([it.t, it.v]);
  return out;
}

/**
 * The shared conformance suite of the metrics storage seam (Appendable + Queryable). Every
 * implementation — the in-memory store, the TSDB, remote backends, the multi-tenant merge — runs it.
 */
export function runStorageConformance(
  name: string,
  factory: StoreFactory,
  skips: Record<string, string> = {},
): void {
  const test = (title: string, fn: () => Promise<void>) =>
    skips[title] ? it.skip(`${title} (${skips[title]})`, fn) : it(title, fn);

  describe(`storage conformance: ${name}`, () => {
    let store: Appendable & Queryable;
    beforeEach(async () => {
      store = await factory();
    });

    async function write(ctx = ctxA, rows: [Record<string, string>, number, number][]) {
      const app = store.appender(ctx);
      for (const [labels, t, v] of rows) app.append(L(labels), t, v);
      await app.commit();
    }

    async function select(ctx: typeof ctxA, matchers: Matcher[], mint = 0, maxt = 1e15) {
      const q = store.querier(ctx, mint, maxt);
      try {
        return collectSeries(await q.select(matchers)).map((s) => ({
          labels: s.labels.toRecord(),
          samples: drain(s.iterator()),
        }));
      } finally {
        q.close();
      }
    }

    test("commits make samples visible, and nothing is visible before", async () => {
      const app = store.appender(ctxA);
      app.append(L({ __name__: "up", job: "a" }), 1000, 1);
      expect(await select(ctxA, [eq("__name__", "up")])).toEqual([]);
      await app.commit();
      expect(await select(ctxA, [eq("__name__", "up")])).toEqual([
        { labels: { __name__: "up", job: "a" }, samples: [[1000, 1]] },
      ]);
    });

    test("rollback discards the batch", async () => {
      const app = store.appender(ctxA);
      app.append(L({ __name__: "up" }), 1000, 1);
      app.rollback();
      expect(await select(ctxA, [eq("__name__", "up")])).toEqual([]);
    });

    test("selects with all four matcher types and returns series sorted by labels", async () => {
      await write(ctxA, [
        [{ __name__: "m", job: "b" }, 1, 1],
        [{ __name__: "m", job: "a", env: "prod" }, 1, 2],
        [{ __name__: "m", job: "c" }, 1, 3],
        [{ __name__: "other", job: "a" }, 1, 4],
      ]);
      const jobs = async (...ms: Matcher[]) =>
        (await select(ctxA, [eq("__name__", "m"), ...ms])).map((s) => s.labels.job);
      expect(await jobs()).toEqual(["a", "b", "c"]);
      expect(await jobs(eq("job", "b"))).toEqual(["b"]);
      expect(await jobs(new Matcher("!=", "job", "b"))).toEqual(["a", "c"]);
      expect(await jobs(new Matcher("=~", "job", "a|c"))).toEqual(["a", "c"]);
      expect(await jobs(new Matcher("=~", "job", "a.*|"))).toEqual(["a"]);
      expect(await jobs(new Matcher("!~", "job", "a|b"))).toEqual(["c"]);
      expect(await jobs(eq("env", ""))).toEqual(["b", "c"]);
      expect(await jobs(new Matcher("=~", "env", ".+"))).toEqual(["a"]);
      expect(await jobs(eq("job", "zzz"))).toEqual([]);
    });

    test("time ranges are inclusive at both ends", async () => {
      await write(
        ctxA,
        [1000, 2000, 3000, 4000].map(
          (t) => [{ __name__: "m" }, t, t / 1000] as [Record<string, string>, number, number],
        ),
      );
      const [s] = await select(ctxA, [eq("__name__", "m")], 2000, 3000);
      expect(s?.samples).toEqual([
        [2000, 2],
        [3000, 3],
      ]);
      expect(await select(ctxA, [eq("__name__", "m")], 5000, 6000)).toEqual([]);
    });

    test("refuses out-of-order and conflicting duplicates, keeps identical duplicates idempotent", async () => {
      await write(ctxA, [[{ __name__: "m" }, 2000, 1]]);
      const app = store.appender(ctxA);
      expect(() => app.append(L({ __name__: "m" }), 1000, 1)).toThrow(AppendError);
      try {
        app.append(L({ __name__: "m" }), 2000, 5);
        expect.unreachable();
      } catch (err) {
        expect((err as AppendError).code).toBe("duplicate_different_value");
      }
      app.append(L({ __name__: "m" }), 2000, 1);
      app.append(L({ __name__: "m" }), 3000, 2);
      await app.commit();
      const [s] = await select(ctxA, [eq("__name__", "m")]);
      expect(s?.samples).toEqual([
        [2000, 1],
        [3000, 2],
      ]);
    });

    test("keeps the stale marker bit-exact and other special values", async () => {
      await write(ctxA, [
        [{ __name__: "m" }, 1000, Number.POSITIVE_INFINITY],
        [{ __name__: "m" }, 2000, Number.NEGATIVE_INFINITY],
        [{ __name__: "m" }, 3000, Number.NaN],
        [{ __name__: "m" }, 4000, STALE_NAN],
      ]);
      // Read values straight from the iterator: a plain JS array would canonicalise the NaN payload.
      const q = store.querier(ctxA, 0, 1e15);
      const it = (await q.select([eq("__name__", "m")])).next()!.iterator();
      const vs = new Float64Array(4);
      for (let i = 0; it.next(); i++) vs[i] = it.v;
      q.close();
      expect(vs[0]).toBe(Number.POSITIVE_INFINITY);
      expect(vs[1]).toBe(Number.NEGATIVE_INFINITY);
      expect(Number.isNaN(vs[2]) && !isStaleNaN(vs[2]!)).toBe(true);
      expect(isStaleNaN(vs[3]!)).toBe(true);
    });

    test("tenants never see each other's series", async () => {
      await write(ctxA, [[{ __name__: "up", cluster: "a" }, 1000, 1]]);
      await write(ctxB, [[{ __name__: "up", cluster: "b" }, 1000, 1]]);
      expect((await select(ctxA, [eq("__name__", "up")])).map((s) => s.labels.cluster)).toEqual(["a"]);
      expect((await select(ctxB, [eq("__name__", "up")])).map((s) => s.labels.cluster)).toEqual(["b"]);
      expect(await select(newCtx(["tenant-c"]), [eq("__name__", "up")])).toEqual([]);
      const q = store.querier(ctxB, 0, 1e15);
      expect(await q.labelValues("cluster", [])).toEqual(["b"]);
      q.close();
    });

    test("a context with several tenants reads them as one dataset, sorted", async () => {
      await write(ctxA, [[{ __name__: "up", cluster: "z" }, 1000, 1]]);
      await write(ctxB, [[{ __name__: "up", cluster: "m" }, 1000, 2]]);
      const both = newCtx(["tenant-a", "tenant-b"]);
      expect((await select(both, [eq("__name__", "up")])).map((s) => s.labels.cluster)).toEqual(["m", "z"]);
      const q = store.querier(both, 0, 1e15);
      expect(await q.labelValues("cluster", [])).toEqual(["m", "z"]);
      q.close();
    });

    test("lists label names and values, sorted and filtered by matchers", async () => {
      await write(ctxA, [
        [{ __name__: "a", job: "x", zone: "1" }, 1000, 1],
        [{ __name__: "b", job: "y", instance: "i" }, 1000, 1],
      ]);
      const q = store.querier(ctxA, 0, 1e15);
      expect(await q.labelNames([])).toEqual(["__name__", "instance", "job", "zone"]);
      expect(await q.labelNames([eq("__name__", "a")])).toEqual(["__name__", "job", "zone"]);
      expect(await q.labelValues("job", [])).toEqual(["x", "y"]);
      expect(await q.labelValues("job", [eq("__name__", "b")])).toEqual(["y"]);
      expect(await q.labelValues("nope", [])).toEqual([]);
      q.close();
    });

    test("iterators seek forward to the first sample at or after a time", async () => {
      await write(
        ctxA,
        [10, 20, 30, 40].map((t) => [{ __name__: "m" }, t, t] as [Record<string, string>, number, number]),
      );
      const q = store.querier(ctxA, 0, 1e15);
      const s = (await q.select([eq("__name__", "m")])).next()!;
      const it = s.iterator();
      expect(it.seek(15) && it.t).toBe(20);
      expect(it.seek(5) && it.t).toBe(20);
      expect(it.next() && it.t).toBe(30);
      expect(it.seek(40) && it.v).toBe(40);
      expect(it.seek(41)).toBe(false);
      q.close();
    });
  });
}
