import { searchDocuments, getDocument } from "../../../servers/docs/index.js";

/** Find the quarterly planning call transcript and list its action items, reading the transcript only inside the sandbox. */
export async function meetingActionItems(): Promise<void> {
  // Pull the action items out of the planning call without reading the whole transcript.
  const { results } = await searchDocuments({ query: "planning call transcript", limit: 1 });
  const text = (await getDocument({ id: results[0].id })) as string;
  const items = text.split("\n").filter((line) => /action item/i.test(line));
  console.log(`${items.length} action items in "${results[0].title}":`);
  for (const item of items.slice(0, 10)) console.log(`- ${item.trim().slice(0, 160)}`);
}

export default meetingActionItems;
