import { createEntities, addObservations, searchNodes } from "../../../servers/memory/index.js";

/** Store a project and observations about it in the knowledge-graph memory server, then read them back. */
export async function rememberProjectFacts(): Promise<void> {
  // Remember a project and what we learned about it, then read it back.
  await createEntities({ entities: [{ name: "skillet", entityType: "project", observations: ["turns MCP servers into a TypeScript API"] }] });
  await addObservations({ observations: [{ entityName: "skillet", contents: ["runs agent code in a QuickJS sandbox"] }] });
  const found = await searchNodes({ query: "skillet" });
  console.log(JSON.stringify(found));
}

export default rememberProjectFacts;
