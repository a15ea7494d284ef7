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

/** Deletes these consumer groups and topics (those that exist: an unused group may be gone already). */
export function deleteTopicsAndGroups(
  brokers: readonly string[],
  names: { readonly topics: readonly string[]; readonly groups: readonly string[] },
): Promise<void> {
  return withAdmin(brokers, async (admin) => {
    const groups = new Set((await admin.listGroups()).groups.map((group) => group.groupId));
    const ourGroups = names.groups.filter((group) => groups.has(group));
    if (ourGroups.length > 0) await admin.deleteGroups(ourGroups);
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
