import { describe, expect, it } from "vitest";
import { newCtx } from "../../../model/context.js";
import { Labels } from "../../../model/labels.js";
import { Matcher } from "../../../model/matcher.js";
import { DEFAULT_LIMITS, TenantLimits } from "../../limits/index.js";
import { collectSeries } from "../series-set.js";
import { runStorageConformance } from "../storage-conformance.testlib.js";
import { MemoryStorage } from "./memory-storage.js";

runStorageConformance("memory", () => new MemoryStorage(3_600_000));

describe("MemoryStorage", () => {
  it("drops samples past the retention and forgets empty series", async () => {
    const store = new MemoryStorage(10_000);
    const ctx = newCtx(["t"]);
    const app = store.appender(ctx);
    app.append(Labels.fromRecord({ __name__: "old" }), 1_000, 1);
    app.append(Labels.fromRecord({ __name__: "new" }), 1_000, 1);
    app.append(Labels.fromRecord({ __name__: "new" }), 20_000, 2);
    await app.commit();
    expect(store.stats()).toEqual([{ tenant: "t", activeSeries: 2, samples: 3 }]);
    store.truncate(25_000);
    expect(store.stats()).toEqual([{ tenant: "t", activeSeries: 1, samples: 1 }]);
    const q = store.querier(ctx, 0, 1e15);
    const names = collectSeries(await q.select([new Matcher("=~", "__name__", ".+")])).map((s) =>
      s.labels.get("__name__"),
    );
    expect(names).toEqual(["new"]);
  });
});

describe("MemoryStorage series limits", () => {
  it("refuses a new series past the limit and counts again after a rollback", async () => {
    const limits = new TenantLimits({ ...DEFAULT_LIMITS, max_active_series: 1 });
    const store = new MemoryStorage(3_600_000, limits);
    const ctx = newCtx(["t"]);
    const a = store.appender(ctx);
    a.append(Labels.fromRecord({ __name__: "one" }), 1, 1);
    expect(() => a.append(Labels.fromRecord({ __name__: "two" }), 1, 1)).toThrow(/limit of 1 active series/);
    a.rollback();
    const b = store.appender(ctx);
    b.append(Labels.fromRecord({ __name__: "two" }), 1, 1);
    await b.commit();
    expect(store.stats()).toEqual([{ tenant: "t", activeSeries: 1, samples: 1 }]);
  });
});
