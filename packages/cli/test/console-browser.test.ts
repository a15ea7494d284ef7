// The operator's console as a person uses it: headless Chromium on the page `prism-consumer run --http`
// serves, over real NATS JetStream (source and DLQ) and Redis (state). The counts move as messages flow; a
// poison message shows in the dead-letter view with its reason; a payload holding HTML is shown, not run;
// beyond loopback a replay without the token is refused, and with it the fixed handler processes the
// replayed message once. Screenshots of each view go to .cache/screenshots/cli-console, or to
// packages/cli/docs/screenshots with PRISM_UPDATE_SCREENSHOTS=1 (what the README shows).
import { mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backend } from "../../../scripts/test-support/backends.mjs";
import { chromiumPath, launch } from "./chromium.js";
import { type CliRun, handler, httpPort, processedLines, startCli, tempDir, waitFor } from "./cli-process.js";
import { consoleConfig, consoleEnv, deleteStreams, publish, secret } from "./console-fixture.js";

const nats = await backend("nats");
const redis = await backend("redis");
const executable = nats.available && redis.available ? chromiumPath() : undefined;
const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const topic = `console.browser.${run}`;
const html = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>`;
const here = path.dirname(fileURLToPath(import.meta.url));
const screenshots =
  process.env.PRISM_UPDATE_SCREENSHOTS === "1"
    ? path.resolve(here, "../docs/screenshots")
    : path.resolve(here, "../../../.cache/screenshots/cli-console");

/** Waits (up to 30 s) until the page's count card `name` shows `value`. */
function countShows(page: Page, name: string, value: string) {
  return page.waitForFunction(
    ([card, expected]) => document.querySelector(`[data-count="${card}"] .value`)?.textContent === expected,
    [name, value] as const,
    { timeout: 30_000 },
  );
}

/** Confirms the open dialog and returns the result line the action then shows ("Replaying…" no more). */
async function confirmAndRead(page: Page): Promise<string | null> {
  await page.evaluate(() => document.querySelector("#dlq-result")?.setAttribute("hidden", ""));
  await page.click("#confirm-ok");
  await page.waitForFunction(() => {
    const result = document.querySelector("#dlq-result");
    return result && !result.hasAttribute("hidden") && !result.textContent?.endsWith("…");
  });
  return page.textContent("#dlq-result");
}

async function stop(cli: CliRun): Promise<number | null> {
  cli.child.kill("SIGTERM");
  return cli.exited;
}

describe.runIf(executable)("the operator's console in headless Chromium", () => {
  let browser: Browser;
  const file = consoleConfig("console-browser", run, topic);
  const out = `${tempDir()}/processed.txt`;
  const urls = { nats: nats.url, redis: redis.url };

  beforeAll(async () => {
    browser = await launch(executable as string);
    mkdirSync(screenshots, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await deleteStreams(nats.url, run);
  });

  it("shows the counts moving, the poison message with its reason, and HTML in a payload as text", async () => {
    const cli = startCli(
      ["run", file, "--processor", handler, "--http", "127.0.0.1:0", "--lag-interval", "500ms"],
      consoleEnv(urls, out, { fail: "^(poison|<img)", delayMs: 20 }),
    );
    try {
      const port = await httpPort(cli);
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const pageErrors: string[] = [];
      page.on("pageerror", (error) => pageErrors.push(String(error)));
      await page.goto(`http://127.0.0.1:${port}/`);
      await page.waitForFunction(() => document.querySelector("#status")?.textContent === "running");
      expect(await page.textContent("#consumer-name")).toBe("console-browser");
      expect(await page.textContent("#identity")).toContain(topic);

      await publish(
        nats.url,
        topic,
        Array.from({ length: 30 }, (_, i) => `m-${i}`),
      );
      await countShows(page, "processed", "30");
      await publish(
        nats.url,
        topic,
        Array.from({ length: 30 }, (_, i) => `m-${30 + i}`),
      );
      await countShows(page, "processed", "60");
      // The chart drew the throughput: some point of its line is above the baseline.
      await page.waitForFunction(() => {
        const points = document.querySelector("#chart polyline.throughput")?.getAttribute("points") ?? "";
        const ys = points
          .split(" ")
          .filter(Boolean)
          .map((point) => Number(point.split(",")[1]));
        return ys.length > 1 && Math.min(...ys) < Math.max(...ys);
      });

      // Refused too: bytes that are not UTF-8 (the handler sees "poison-bin" and two U+FFFD).
      const binary = new Uint8Array([...new TextEncoder().encode("poison-bin"), 0xff, 0xfe]);
      await publish(nats.url, topic, ["poison-1", html, binary]);
      await countShows(page, "deadLettered", "3");
      await page.waitForFunction(() => document.querySelector("#dlq-count")?.textContent === "3");
      expect(await page.textContent("#last-error-message")).toContain("refused");
      await page.screenshot({ path: path.join(screenshots, "console-overview.png"), fullPage: true });

      await page.click("#tab-dead-letters");
      const poison = page.locator("li.dead-letter", { hasText: "refused poison-1" });
      await poison.waitFor();
      expect(await poison.locator(".payload-text").textContent()).toBe("poison-1");
      expect(await poison.locator(".facts").textContent()).toContain("2 attempts");
      expect(await poison.locator(".facts").textContent()).toContain(`to ${topic}`);

      // The HTML is on the page as characters: no element was made of it, no script of it ran.
      const hostile = page.locator("li.dead-letter", { hasText: "window.__pwned" });
      expect(await hostile.locator(".payload-text").textContent()).toBe(html);
      expect(await hostile.locator(".error-text").textContent()).toBe(`refused ${html}`);
      expect(await page.locator("#dlq-list img, #dlq-list script").count()).toBe(0);
      expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();

      // Binary as a hex dump, never as garbled text.
      const bin = page.locator("li.dead-letter", { hasText: "refused poison-bin" });
      expect(await bin.locator(".payload-text").getAttribute("data-encoding")).toBe("hex");
      expect(await bin.locator(".payload-text").textContent()).toBe(
        "00000000  70 6f 69 73 6f 6e 2d 62 69 6e ff fe",
      );

      await page.fill("#dlq-filter", "POISON-1");
      await page.waitForFunction(() => document.querySelectorAll("#dlq-list li").length === 1);
      expect(await page.textContent("#dlq-summary")).toContain('whose error contains "POISON-1"');
      await page.fill("#dlq-filter", "");
      await page.waitForFunction(() => document.querySelectorAll("#dlq-list li").length === 3);
      await page.screenshot({ path: path.join(screenshots, "console-dead-letters.png"), fullPage: true });

      // On a phone: one column, nothing wider than the screen.
      const phone = await browser.newPage({
        viewport: { width: 390, height: 844 },
        isMobile: true,
        hasTouch: true,
      });
      await phone.goto(`http://127.0.0.1:${port}/`);
      await countShows(phone, "processed", "60");
      expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await phone.screenshot({ path: path.join(screenshots, "console-phone.png"), fullPage: true });
      await phone.goto(`http://127.0.0.1:${port}/#dead-letters`);
      await phone.locator("li.dead-letter", { hasText: "refused poison-1" }).waitFor();
      expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);

      expect(await page.content()).not.toContain(secret);
      expect(pageErrors).toEqual([]);
      expect(processedLines(out)).toHaveLength(60);
      expect(await stop(cli)).toBe(0);
    } finally {
      cli.child.kill("SIGKILL");
    }
  }, 90_000);

  // Goes on from the dead letters the test above left.
  it("beyond loopback refuses a replay without the token; with it the fixed handler processes it once", async () => {
    const token = "console-test-token-0123456789";
    const cli = startCli(
      ["run", file, "--processor", handler, "--http", "0.0.0.0:0"],
      consoleEnv(urls, out, { token }),
    );
    try {
      const port = await httpPort(cli);
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      await page.goto(`http://127.0.0.1:${port}/#dead-letters`);
      await page.locator("#token-row").waitFor();
      expect(await page.textContent("#actions-note")).toContain("need the console token");
      const poison = page.locator("li.dead-letter", { hasText: "refused poison-1" });
      await poison.waitFor();

      await poison.locator("input[type=checkbox]").check();
      await page.click("#replay-selected");
      expect(await page.textContent("#confirm-text")).toContain(
        "Replay 1 selected dead letter to its original topic?",
      );
      expect(await confirmAndRead(page)).toBe(
        "Replay refused (401): the console token is required (header x-prism-console-token)",
      );
      await poison.waitFor(); // still there
      expect(processedLines(out)).not.toContain("poison-1");

      await page.fill("#token", token);
      await page.click("#replay-selected");
      expect(await confirmAndRead(page)).toBe("Replayed 1 dead letter.");
      await poison.waitFor({ state: "detached" });
      await page.screenshot({ path: path.join(screenshots, "console-replayed.png"), fullPage: true });
      await waitFor("the replayed message processed", () => processedLines(out).includes("poison-1"));
      await new Promise((resolve) => setTimeout(resolve, 1500)); // a second delivery would show by now
      expect(processedLines(out).filter((line) => line === "poison-1")).toHaveLength(1);

      // Purge what is left, confirmed: the HTML and the binary one.
      await page.click("#purge-all");
      expect(await page.textContent("#confirm-text")).toContain("removed for good");
      expect(await confirmAndRead(page)).toBe("Purged 2 dead letters.");
      await page.waitForFunction(
        () => document.querySelector("#dlq-summary")?.textContent === "The dead-letter queue is empty.",
      );
      expect(processedLines(out)).not.toContain(html);
      expect(await stop(cli)).toBe(0);
    } finally {
      cli.child.kill("SIGKILL");
    }
  }, 90_000);
});
