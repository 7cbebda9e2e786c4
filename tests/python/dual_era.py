"""The official MCP Python SDK's dual-era client (mode "auto") against `skillet serve --http`,
for tests/it/serve/python_sdk.rs.

Usage: python dual_era.py URL TOKEN
The client probes `server/discover` at the newest modern revision (2026-07-28), then falls back
to the initialize handshake on a legacy server. Prints one JSON object: the protocol version the
connection settled on and the tools listed.
"""

import asyncio
import json
import sys

from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client


async def main(url, token):
    http = create_mcp_http_client(headers={"Authorization": f"Bearer {token}"})
    async with http:
        transport = streamable_http_client(url, http_client=http)
        async with Client(transport, mode="auto") as client:
            tools = [t.name for t in (await client.list_tools()).tools]
            print(json.dumps({"protocol_version": client.protocol_version, "tools": tools}))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
