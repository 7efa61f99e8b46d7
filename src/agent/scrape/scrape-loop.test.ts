import { describe, expect, it } from "vitest";
import { Labels } from "../../model/labels.js";
import { alignToSchedule, ScrapeLoop, untilNextSlot } from "./scrape-loop.js";
import type { ScrapeTarget } from "./target.js";

describe("scrape schedule", () => {
  it.each([
    // now, interval, offset, tolerance → stored timestamp
    [15_003, 15_000, 0, 10, 15_000],
    [14_995, 15_000, 0, 10, 15_000],
    [15_011, 15_000, 0, 10, 15_011],
    [7_500, 15_000, 0, 10, 7_500],
    [20_004, 15_000, 5_000, 10, 20_000],
    [19_999, 15_000, 5_000, 10, 20_000],
  ])("now %d, every %d at +%d, ±%d → %d", (now, interval, offset, tolerance, want) => {
    expect(alignToSchedule(now, interval, offset, tolerance)).toBe(want);
  });

  it.each([
    [0, 15_000, 0, 15_000],
    [1, 15_000, 0, 14_999],
    [14_999, 15_000, 0, 1],
    [3_000, 15_000, 5_000, 2_000],
    [6_000, 15_000, 5_000, 14_000],
  ])("from %d, every %d at +%d, the next slot is %d ms away", (now, interval, offset, want) => {
    expect(untilNextSlot(now, interval, offset)).toBe(want);
  });
});

describe("ScrapeLoop", () => {
  const target = (collect: ScrapeTarget["collect"]): ScrapeTarget => ({
    job: "j",
    instance: "i",
    labels: { zone: "z" },
    collect,
  });

  it("labels samples and adds up, scrape_duration_seconds and scrape_samples_scraped", async () => {
    const got: [string, number][] = [];
    const loop = new ScrapeLoop(
      target(async () => ({
        samples: [{ labels: Labels.fromRecord({ __name__: "m", job: "inner" }), value: 7 }],
        metadata: [],
      })),
      15_000,
      5_000,
      { cluster: "c1", external: { region: "eu" } },
      (l, _t, v) => got.push([l.toString(), v]),
    );
    await loop.scrapeOnce();
    expect(got.map(([l]) => l)).toEqual([
      'm{cluster="c1", exported_job="inner", instance="i", job="j", region="eu", zone="z"}',
      'up{cluster="c1", instance="i", job="j", region="eu", zone="z"}',
      'scrape_duration_seconds{cluster="c1", instance="i", job="j", region="eu", zone="z"}',
      'scrape_samples_scraped{cluster="c1", instance="i", job="j", region="eu", zone="z"}',
    ]);
    expect(got[0]![1]).toBe(7);
    expect(got[1]![1]).toBe(1);
    expect(got[3]![1]).toBe(1);
  });

  it("reports a failed or timed-out target as up 0 with the reason", async () => {
    const got = new Map<string, number>();
    const reports: (string | undefined)[] = [];
    const loop = new ScrapeLoop(
      target(
        (signal) =>
          new Promise((_, reject) => signal.addEventListener("abort", () => reject(new Error("aborted")))),
      ),
      15_000,
      50,
      { cluster: "c1", external: {} },
      (l, _t, v) => got.set(l.get("__name__"), v),
      (_t, r) => reports.push(r.error),
    );
    await loop.scrapeOnce();
    expect(got.get("up")).toBe(0);
    expect(got.get("scrape_samples_scraped")).toBe(0);
    expect(reports).toEqual(["scrape timed out after 50 ms"]);
  });
});
