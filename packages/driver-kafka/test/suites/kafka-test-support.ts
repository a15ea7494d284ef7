import { type Admin, Kafka, logLevel } from "kafkajs";

/** Runs `work` with a connected kafkajs admin client. */
export async function withAdmin<T>(
  brokers: readonly string[],
  work: (admin: Admin) => Promise<T>,
): Promise<T> {
  const admin = new Kafka({ brokers: [...brokers], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Deletes these consumer groups and topics (those that exist: an unused group may be gone already). A group
 * whose member was just killed keeps it until its session times out: it is deleted once that has passed.
 */
export function deleteTopicsAndGroups(
  brokers: readonly string[],
  names: { readonly topics: readonly string[]; readonly groups: readonly string[] },
): Promise<void> {
  return withAdmin(brokers, async (admin) => {
    const groups = new Set((await admin.listGroups()).groups.map((group) => group.groupId));
    let ourGroups = names.groups.filter((group) => groups.has(group));
    const deadline = Date.now() + 30_000;
    while (ourGroups.length > 0) {
      try {
        await admin.deleteGroups(ourGroups);
        ourGroups = [];
      } catch (error) {
        const failed =
          (error as { groups?: Array<{ groupId: string; error?: { type?: string } }> }).groups ?? [];
        const stillInUse = failed.filter((group) => group.error?.type === "NON_EMPTY_GROUP");
        if (stillInUse.length < failed.length || failed.length === 0 || Date.now() > deadline) throw error;
        ourGroups = stillInUse.map((group) => group.groupId);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
    const topics = new Set(await admin.listTopics());
    const ourTopics = names.topics.filter((topic) => topics.has(topic));
    if (ourTopics.length > 0) await admin.deleteTopics({ topics: ourTopics });
  });
}

/** The topics and groups whose names contain `marker` (a run's unique id). */
export function topicsAndGroupsContaining(
  brokers: readonly string[],
  marker: string,
): Promise<{ topics: string[]; groups: string[] }> {
  return withAdmin(brokers, async (admin) => ({
    topics: (await admin.listTopics()).filter((topic) => topic.includes(marker)),
    groups: (await admin.listGroups()).groups.map((g) => g.groupId).filter((group) => group.includes(marker)),
  }));
}

/** Deletes everything a test file made, found by its run's unique id. */
export async function deleteTopicsAndGroupsContaining(
  brokers: readonly string[],
  marker: string,
): Promise<void> {
  await deleteTopicsAndGroups(brokers, await topicsAndGroupsContaining(brokers, marker));
}
