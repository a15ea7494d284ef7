import pg from "pg";

/**
 * A schema of its own for one test file, so runs (and files) never see each other's rows; `drop()`
 * removes it with everything in it.
 */
export function testSchema(url: string, label: string): { name: string; drop: () => Promise<void> } {
  const name = `prism_test_${label}_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  return {
    name,
    drop: async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}
