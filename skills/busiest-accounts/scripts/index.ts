import { exportActivities, getRecord } from "../../../servers/crm/index.js";

/** Rank CRM records by how many calls, emails, meetings and notes were logged against them in December, and name the top five. */
export async function busiestAccounts(): Promise<void> {
  // Count activities per record since December, keep the top five, and name them.
  const { activities } = await exportActivities({ since: "2025-12-01" });
  const counts = new Map<string, number>();
  for (const a of activities) counts.set(a.record_id, (counts.get(a.record_id) ?? 0) + 1);
  const top = [...counts.entries()].sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0])).slice(0, 5);
  const named = await Promise.all(top.map(async ([id, n]) => {
    const { record } = await getRecord({ id });
    return `${record.name} (${id}): ${n} activities`;
  }));
  console.log(named.join("\n"));
}

export default busiestAccounts;
