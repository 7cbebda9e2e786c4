"""An agent loop of the official MCP Python SDK against `skillet serve --http`, for
tests/it/serve/python_sdk.rs.

Usage: python agent_loop.py URL TOKEN QUERY
Discovers a tool with search, reads its generated file, runs a script written from the search
answer's import line, saves the run as a skill, searches for the skill and reads it. Prints one
JSON object: each step's text and isError, by step name, and the tool names listed.
"""

import asyncio
import json
import re
import sys

from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client


async def main(url, token, query):
    steps = {}
    http = create_mcp_http_client(headers={"Authorization": f"Bearer {token}"})

    async def call(session, step, name, args):
        result = await session.call_tool(name, args)
        text = "\n".join(c.text for c in result.content if c.type == "text")
        steps[step] = {"text": text, "isError": bool(result.is_error), "structured": result.structured_content}
        return text

    async with http:
        async with streamable_http_client(url, http_client=http) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                tools = [t.name for t in (await session.list_tools()).tools]
                found = await call(session, "search", "search", {"query": query, "limit": 1})
                # What a model does with the answer: the import line, then a call of the function.
                match = re.search(r'import \{ (\w+) \} from "(\./servers/([^/]+)/index\.js)";', found)
                function, module, folder = match.group(1), match.group(2), match.group(3)
                await call(session, "read", "read", {"path": f"servers/{folder}/{function}.ts"})
                code = f'import {{ {function} }} from "{module}";\nconst r = await {function}({{}});\nconsole.log(`got ${{JSON.stringify(r).length}} chars`);'
                ran = await call(session, "run", "run_code", {"code": code})
                run_id = re.search(r"\[run ([^\] ]+)", ran).group(1)
                await call(session, "save", "save_skill", {
                    "run_id": run_id,
                    "name": "list-the-documents",
                    "description": "List every document of the document store. Use to see what documents exist.",
                })
                await call(session, "find", "search", {"query": "which documents exist in the store"})
                await call(session, "skill", "read", {"path": "skills/list-the-documents"})
    print(json.dumps({"tools": tools, "steps": steps}))


asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3]))
