import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestDemo } from "../test-support/seed.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const UI_DIR = fileURLToPath(new URL("../../dist/ui", import.meta.url));

/** The UI in Debian's Chromium against a live two-cluster demo. */
describe("web UI", () => {
  let s: Awaited<ReturnType<typeof startTestDemo>>;
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(`${UI_DIR}/index.html`))
      throw new Error(`the UI is not built in ${UI_DIR}: run npm run build first`);
    if (!existsSync(CHROMIUM))
      throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
    s = await startTestDemo();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await s?.stop();
  });

  it("lists both demo clusters with their health and graphs a query for the chosen cluster", async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors: string[] = [];
    page.on("pageerror", (err) => errors.push(err.message));
    await page.goto(s.url);
    const table = page.getByTestId("cluster-table");
    await table.locator('[data-cluster="demo-1"]').waitFor({ timeout: 30_000 });
    await table.locator('[data-cluster="demo-2"]').waitFor();
    await page.locator('[data-cluster="demo-1"] [data-health="ok"]').waitFor({ timeout: 30_000 });
    await page.locator('[data-cluster="demo-2"] [data-health="ok"]').waitFor({ timeout: 30_000 });

    await page.locator('[data-cluster="demo-2"]').click();
    expect(await page.getByTestId("cluster-select").inputValue()).toBe("demo-2");
    await page.getByTestId("query-input").fill('up{job="node"}');
    await page.getByTestId("run-query").click();
    await expect
      .poll(async () => page.getByTestId("series-count").textContent(), { timeout: 30_000 })
      .toBe("1 series");
    expect(await page.locator(".u-legend").textContent()).toContain('cluster="demo-2"');

    await page.getByTestId("query-input").fill("sum(");
    await page.getByTestId("run-query").click();
    await page.getByTestId("query-error").waitFor();
    expect(await page.getByTestId("query-error").textContent()).toMatch(/parse error/);
    await page.screenshot({ path: `${process.env.TMPDIR ?? "/tmp"}/mirador-ui.png` });
    expect(errors).toEqual([]);
  });
});
