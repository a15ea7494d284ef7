/** A consumer of a Redis stream group, as XINFO CONSUMERS reports it. */
export interface GroupMember {
  readonly name: string;
  /** Entries delivered to it and not yet acknowledged. */
  readonly pending: number;
  /** Milliseconds since Redis last heard from it. */
  readonly idle: number;
}

/**
 * The members of an XINFO CONSUMERS reply (a list of flat field/value lists) that Redis has not heard from
 * for at least `idleMs`, other than `self`.
 */
export function departedMembers(reply: unknown, o: { self: string; idleMs: number }): GroupMember[] {
  if (!Array.isArray(reply)) return [];
  const members: GroupMember[] = [];
  for (const raw of reply) {
    if (!Array.isArray(raw)) continue;
    const fields = new Map<string, unknown>();
    for (let i = 0; i + 1 < raw.length; i += 2) fields.set(String(raw[i]), raw[i + 1]);
    const member = {
      name: String(fields.get("name")),
      pending: Number(fields.get("pending")),
      idle: Number(fields.get("idle")),
    };
    if (member.name !== o.self && member.idle >= o.idleMs) members.push(member);
  }
  return members;
}
