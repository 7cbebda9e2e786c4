// A real MCP client (the official TypeScript SDK) that drives `skillet serve` for the
// integration tests. Usage: node mcp-client.mjs '<plan JSON>'
//
// plan: { connect: {transport: "stdio", command, args, cwd, env} | {transport: "http", url, token},
//         steps: [ {op: "listTools"} | {op: "call", name, args} | {op: "listResources"}
//                | {op: "readResource", uri} | {op: "listTemplates"}
//                | {op: "callAndLeave", name, args, afterMs}   // start a call, then drop the connection
//                | {op: "callUntil", name, args, contains, withinMs}
//                | {op: "writeFile", path, text}   // a hand edit: the file rewritten in place
//                | {op: "parallel", sessions, calls, name, args, release}
//                | {op: "sigterm", sessions, calls, name, args, markers, pid} ] }
// In `parallel` and `sigterm` args, "$i" is the call's number within its session and "$n" its
// number among all calls. parallel's `release: {file, afterBusy}` writes `file` once
// `afterBusy` calls were answered "busy" (runs that wait for it are then let go).
// sigterm starts every call, waits until the files `markers` names (with "$n") all exist,
// sends SIGTERM to `pid` (or, over stdio, to the server it started) and reports what came back.
// Prints one JSON object per step on stdout, as a JSON array.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { existsSync, writeFileSync } from "node:fs";

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

// plan.elicit: "accept" or "decline" makes the client support elicitation and answer so;
// plan.elicitContent is what it accepts with (default {approve: true}).
const elicited = [];
async function open() {
  const capabilities = plan.elicit ? { elicitation: {} } : {};
  const client = new Client({ name: "skillet-test-client", version: "1.0.0" }, { capabilities });
  if (plan.elicit) {
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      elicited.push(request.params.message);
      return plan.elicit === "accept" ? { action: "accept", content: plan.elicitContent ?? { approve: true } } : { action: "decline" };
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
      return { text: text(result), isError: !!result.isError, structured: result.structuredContent ?? null };
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
    case "writeFile": {
      writeFileSync(s.path, s.text);
      return {};
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
      const clients = [client, ...(await Promise.all(Array.from({ length: s.sessions - 1 }, open)))];
      const started = Date.now();
      let busy = 0;
      const results = await Promise.all(
        calls(clients, s).map((pending) =>
          pending.then((r) => {
            if (r.isError && r.text.startsWith("busy") && ++busy === s.release?.afterBusy) {
              writeFileSync(s.release.file, "go");
            }
            return r;
          }),
        ),
      );
      const ms = Date.now() - started;
      await Promise.all(clients.slice(1).map((c) => c.close()));
      return {
        ms,
        ok: results.filter((r) => !r.isError).length,
        busy: results.filter((r) => r.isError && r.text.startsWith("busy")).length,
        busyTexts: [...new Set(results.filter((r) => r.isError && r.text.startsWith("busy")).map((r) => r.text))],
        failed: results.filter((r) => r.isError && !r.text.startsWith("busy")).map((r) => r.text),
      };
    }
    case "sigterm": {
      const clients = [client, ...(await Promise.all(Array.from({ length: s.sessions - 1 }, open)))];
      const pending = calls(clients, s);
      const markers = pending.map((_, n) => s.markers.replaceAll("$n", String(n)));
      // The runs are under way once each wrote its marker (a condition, not a guess at timing).
      const deadline = Date.now() + 60000;
      while (!markers.every((m) => existsSync(m))) {
        if (Date.now() > deadline) throw new Error(`runs never started: ${markers.filter((m) => !existsSync(m))}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      process.kill(s.pid ?? client.transport.pid, "SIGTERM");
      // A lost answer is reported, not waited for forever.
      const bound = (p) =>
        Promise.race([
          p,
          new Promise((r) =>
            setTimeout(() => r({ isError: true, text: "protocol error: no answer" }), s.answerWithinMs ?? 120000).unref(),
          ),
        ]);
      const results = await Promise.all(pending.map(bound));
      const lost = results.filter((r) => r.text.startsWith("protocol error: ")).map((r) => r.text);
      await Promise.all(clients.slice(1).map((c) => c.close().catch(() => {})));
      return {
        calls: results.length,
        answered: results.length - lost.length,
        ok: results.filter((r) => !r.isError).length,
        cancelled: results.filter((r) => r.isError && r.text.includes("error (cancelled)")).map((r) => r.text),
        lost,
      };
    }
    default:
      throw new Error(`unknown step ${s.op}`);
  }
}

// Starts `s.calls` calls of `s.name` in each session; each settles to {isError, text}.
function calls(clients, s) {
  return clients.flatMap((c, session) =>
    Array.from({ length: s.calls }, (_, i) => {
      const n = session * s.calls + i;
      const args = JSON.stringify(s.args).replaceAll("$i", String(i)).replaceAll("$n", String(n));
      return c
        .callTool({ name: s.name, arguments: JSON.parse(args) }, undefined, { timeout: 600000 })
        .then((r) => ({ isError: !!r.isError, text: text(r) }))
        .catch((e) => ({ isError: true, text: `protocol error: ${e.message}` }));
    }),
  );
}

const out = [];
const client = await open();
try {
  for (const s of plan.steps) {
    out.push(await step(client, s));
    if (s.op === "callAndLeave" || s.op === "sigterm") break;
  }
} finally {
  await client.close().catch(() => {});
}
process.stdout.write(JSON.stringify(out));
