"""A session of the official MCP Python SDK against `skillet serve --http`, for tests/it/serve.rs.

Usage: python close_session.py URL TOKEN
Opens a session, lists the tools, calls search, and closes the session (the SDK sends
DELETE). Prints one JSON object: the tool count, the call's text, and every warning the SDK
logged (it warns when closing the session fails).
"""

import asyncio
import json
import logging
import sys

from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client


class Collect(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(f"{record.name}: {record.getMessage()}")


async def main(url, token):
    warnings = Collect()
    logging.getLogger().addHandler(warnings)
    logging.getLogger().setLevel(logging.WARNING)
    http = create_mcp_http_client(headers={"Authorization": f"Bearer {token}"})
    async with http:
        async with streamable_http_client(url, http_client=http) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                tools = (await session.list_tools()).tools
                result = await session.call_tool("search", {"query": "echo", "limit": 1})
                text = "\n".join(c.text for c in result.content if c.type == "text")
    print(json.dumps({"tools": len(tools), "text": text, "warnings": warnings.messages}))


asyncio.run(main(sys.argv[1], sys.argv[2]))
