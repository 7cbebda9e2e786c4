// A real MCP client (the official TypeScript SDK) that drives `skillet serve` for the
// integration tests. Usage: node mcp-client.mjs '<plan JSON>'
//
// plan: { connect: {transport: "stdio", command, args, cwd, env} | {transport: "http", url, token},
//         steps: [ {op: "listTools"} | {op: "call", name, args} | {op: "listResources"}
//                | {op: "readResource", uri} | {op: "listTemplates"}
//                | {op: "callAndLeave", name, args, afterMs}   // start a call, then drop the connection
//                | {op: "callUntil", name, args, contains, withinMs}
//                | {op: "parallel", sessions, calls, name, args} ] }
// Prints one JSON object per step on stdout, as a JSON array.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";

const plan = JSON.parse(process.argv[2]);

function transport(connect) {
  if (connect.transport === "stdio") {
    return new StdioClientTransport({
      command: connect.command,
      args: connect.args ?? [],
      cwd: connect.cwd,
      env: { ...process.env, ...(connect.env ?? {}) },
      stderr: "inherit",
    });
  }
  const headers = connect.token ? { Authorization: `Bearer ${connect.token}` } : {};
  return new StreamableHTTPClientTransport(new URL(connect.url), { requestInit: { headers } });
}

// plan.elicit: "accept" or "decline" makes the client support elicitation and answer so.
const elicited = [];
async function open() {
  const capabilities = plan.elicit ? { elicitation: {} } : {};
  const client = new Client({ name: "skillet-test-client", version: "1.0.0" }, { capabilities });
  if (plan.elicit) {
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      elicited.push(request.params.message);
      return plan.elicit === "accept" ? { action: "accept", content: { approve: true } } : { action: "decline" };
    });
  }
  await client.connect(transport(plan.connect));
  return client;
}

const text = (result) => (result.content ?? []).filter((b) => b.type === "text").map((b) => b.text).join("\n");

async function step(client, s) {
  switch (s.op) {
    case "listTools": {
      const { tools } = await client.listTools();
      return { tools };
    }
    case "call": {
      const result = await client.callTool({ name: s.name, arguments: s.args ?? {} });
      return { text: text(result), isError: !!result.isError };
    }
    case "callUntil": {
      // Repeats a call until its text contains `contains` (a change the server makes on its own
      // time), for at most `withinMs`.
      const deadline = Date.now() + (s.withinMs ?? 10000);
      for (;;) {
        const result = await client.callTool({ name: s.name, arguments: s.args ?? {} });
        if (text(result).includes(s.contains) || Date.now() > deadline) {
          return { text: text(result), isError: !!result.isError };
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    case "elicited":
      return { messages: elicited };
    case "listResources": {
      const { resources } = await client.listResources();
      return { resources };
    }
    case "listTemplates": {
      const { resourceTemplates } = await client.listResourceTemplates();
      return { resourceTemplates };
    }
    case "readResource": {
      const { contents } = await client.readResource({ uri: s.uri });
      return { contents };
    }
    case "callAndLeave": {
      const pending = client.callTool({ name: s.name, arguments: s.args ?? {} }).catch(() => null);
      await new Promise((r) => setTimeout(r, s.afterMs ?? 300));
      await client.close();
      await Promise.race([pending, new Promise((r) => setTimeout(r, 100))]);
      return { left: true };
    }
    case "parallel": {
      const clients = await Promise.all(Array.from({ length: s.sessions }, open));
      const started = Date.now();
      const results = await Promise.all(
        clients.flatMap((c) =>
          Array.from({ length: s.calls }, (_, i) =>
            c
              .callTool({ name: s.name, arguments: JSON.parse(JSON.stringify(s.args).replaceAll("$i", String(i))) })
              .then((r) => ({ isError: !!r.isError, text: text(r) }))
              .catch((e) => ({ isError: true, text: `protocol error: ${e.message}` })),
          ),
        ),
      );
      const ms = Date.now() - started;
      await Promise.all(clients.map((c) => c.close()));
      return {
        ms,
        ok: results.filter((r) => !r.isError).length,
        busy: results.filter((r) => r.isError && r.text.startsWith("busy")).length,
        failed: results.filter((r) => r.isError && !r.text.startsWith("busy")).map((r) => r.text),
      };
    }
    default:
      throw new Error(`unknown step ${s.op}`);
  }
}

const out = [];
const client = await open();
try {
  for (const s of plan.steps) {
    out.push(await step(client, s));
    if (s.op === "callAndLeave") break;
  }
} finally {
  await client.close().catch(() => {});
}
process.stdout.write(JSON.stringify(out));
