import type { Exposition } from "../../model/sample.js";
import type { ScrapeTarget } from "./target.js";

/** A built-in collector (the host collector) presented as a scrape target. */
export class CollectorTarget implements ScrapeTarget {
  constructor(
    readonly job: string,
    readonly instance: string,
    private readonly collector: { collect(): Promise<Exposition> },
    readonly labels: Readonly<Record<string, string>> = {},
  ) {}

  collect(): Promise<Exposition> {
    return this.collector.collect();
  }
}
