/** One server of the `url` setting: where it is, and the credentials its URL carried. */
export interface Server {
  /** `scheme://host:port`, without credentials. */
  readonly url: string;
  readonly user: string | undefined;
  readonly password: string | undefined;
}

/** The servers of a `url` setting (one URL, comma-separated URLs, or a list) already checked by `parseServer`. */
export function serverList(value: unknown): Server[] {
  const list = typeof value === "string" ? value.split(",") : (value as string[]);
  return list.map((entry) => parseServer(entry) as Server);
}

/** nats.js ignores credentials in URLs, so they are taken out here and passed as options. */
export function parseServer(entry: string): Server | undefined {
  const trimmed = entry.trim();
  if (trimmed === "") return undefined;
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `nats://${trimmed}`);
  } catch {
    return undefined;
  }
  if ((url.protocol !== "nats:" && url.protocol !== "tls:") || url.hostname === "") return undefined;
  if (url.pathname !== "" && url.pathname !== "/") return undefined;
  return {
    url: `${url.protocol}//${url.host}`,
    user: url.username === "" ? undefined : decodeURIComponent(url.username),
    password: url.password === "" ? undefined : decodeURIComponent(url.password),
  };
}
