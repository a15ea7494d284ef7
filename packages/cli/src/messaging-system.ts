/** `messaging.system` for a driver name: the semantic conventions' value where there is one. */
export function messagingSystem(driver: string): string {
  const known: Record<string, string> = { postgres: "postgresql" };
  return known[driver] ?? driver;
}
