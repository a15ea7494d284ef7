import { readFile } from "node:fs/promises";
import type { ServerResponse } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The page's files, built by tsup into `dist/console/` and shipped in the package: no CDN, no build step. */
const files = {
  "/": ["index.html", "text/html; charset=utf-8"],
  "/console.js": ["console.js", "text/javascript; charset=utf-8"],
  "/console.css": ["console.css", "text/css; charset=utf-8"],
} as const;

export type AssetPath = keyof typeof files;

/**
 * Only the page's own script and style run; nothing inline, nothing from elsewhere, no framing. Payloads
 * are set as text anyway: this is the second wall, should a bug ever put data into markup.
 */
const contentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

export class ConsoleAssets {
  private constructor(private readonly bodies: ReadonlyMap<AssetPath, { body: Buffer; type: string }>) {}

  /** Reads the page's files once; fails with what to do when they are missing (a broken install). */
  static async load(dir = defaultDir()): Promise<ConsoleAssets> {
    const bodies = new Map<AssetPath, { body: Buffer; type: string }>();
    for (const [route, [file, type]] of Object.entries(files) as Array<
      [AssetPath, (typeof files)[AssetPath]]
    >) {
      const where = path.join(dir, file);
      try {
        bodies.set(route, { body: await readFile(where), type });
      } catch (error) {
        throw new Error(
          `the console's ${file} is missing at ${where} (${(error as Error).message}): reinstall @prism/cli, or run pnpm build in its repository`,
        );
      }
    }
    return new ConsoleAssets(bodies);
  }

  static isAsset(pathname: string): pathname is AssetPath {
    return Object.hasOwn(files, pathname);
  }

  send(response: ServerResponse, route: AssetPath, head: boolean): void {
    const asset = this.bodies.get(route);
    if (!asset) throw new Error(`no console asset for ${route}`);
    response.writeHead(200, {
      "content-type": asset.type,
      "content-length": asset.body.length,
      "cache-control": "no-cache",
      "content-security-policy": contentSecurityPolicy,
      "x-content-type-options": "nosniff",
      "x-frame-options": "DENY",
      "referrer-policy": "no-referrer",
    });
    response.end(head ? undefined : asset.body);
  }
}

/** `dist/console/` beside the built module (dist/index.js, dist/index.cjs or the bin dist/cli.js). */
function defaultDir(): string {
  return path.join(path.dirname(fileURLToPath(import.meta.url)), "console");
}
