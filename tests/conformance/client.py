#!/usr/bin/env python3
"""skillet as the client of the MCP conformance suite (`conformance client --command ...`).

The suite runs this with its test server's URL as the last argument, the scenario's name in
MCP_CONFORMANCE_SCENARIO and, for some scenarios, client credentials in MCP_CONFORMANCE_CONTEXT.
Everything goes through the skillet binary (SKILLET_BIN), as a user would: a throwaway registry
whose .mcp.json names the server, `skillet auth login` for `auth/*` scenarios (the suite's
authorization server approves at once; tests/fixtures/headless_browser.py is the browser),
`skillet gen` (initialize, tools/list), then `skillet call` of one tool. A scenario whose
context carries a machine's credentials (client credentials with a secret or a private key, an
enterprise IdP's ID token) gets an `oauth.grant` instead of a login: `gen` fetches the token. A call refused for want
of a scope (a 403: step-up) is skillet's to handle: with a browser configured, `skillet call`
logs in again by itself and calls once more, never in a loop. For the elicitation scenario the call runs on a pseudo-terminal
(tests/fixtures/on_a_terminal.py), where a person accepts the server's form and takes every
default by pressing Enter.
"""

import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
BROWSER = f"{sys.executable} {os.path.join(HERE, '..', 'fixtures', 'headless_browser.py')}"
ON_A_TERMINAL = os.path.join(HERE, "..", "fixtures", "on_a_terminal.py")
# Accept the form, then Enter (the default) for each of its fields.
ACCEPT_DEFAULTS = "@" + json.dumps([["Answer?", "a"]] + [["default", ""]] * 16)
# A client ID metadata document URL the suite's CIMD scenario expects (SEP-991).
CIMD_URL = "https://conformance-test.local/client-metadata.json"


def main():
    with tempfile.TemporaryDirectory(prefix="skillet-conformance-") as work:
        return scenario(work)


def scenario(work):
    url = sys.argv[-1]
    scenario = os.environ.get("MCP_CONFORMANCE_SCENARIO", "")
    context = json.loads(os.environ.get("MCP_CONFORMANCE_CONTEXT") or "{}")
    skillet = os.environ["SKILLET_BIN"]
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.path.join(work, "home"),
        "NO_COLOR": "1",
        "BROWSER": BROWSER,
        "TMPDIR": work,
    }
    os.makedirs(env["HOME"])
    registry = os.path.join(work, "registry")
    os.makedirs(registry)

    def skillet_run(*args, terminal=None):
        command = [skillet, *args]
        if terminal is not None:
            command = [sys.executable, ON_A_TERMINAL, terminal, *command]
        done = subprocess.run(command, cwd=registry, env=env, capture_output=True,
                              text=True, stdin=subprocess.DEVNULL, timeout=90)
        sys.stderr.write(f"$ skillet {' '.join(args)} -> {done.returncode}\n{done.stderr}")
        sys.stdout.write(done.stdout)
        return done

    if skillet_run("init").returncode != 0:
        return 1
    server = {"type": "http", "url": url}
    oauth = machine_grant(scenario, context, work, env)
    if oauth is None:
        oauth = {}
        if context.get("client_id"):
            oauth["clientId"] = context["client_id"]
            if context.get("client_secret"):
                oauth["clientSecret"] = context["client_secret"]
    if scenario == "auth/basic-cimd":
        oauth["clientMetadataUrl"] = CIMD_URL
    if oauth:
        server["oauth"] = oauth
    with open(os.path.join(registry, ".mcp.json"), "w") as f:
        json.dump({"mcpServers": {"conf": server}}, f)

    # A machine grant needs no login: `gen` gets the token by itself.
    is_auth = scenario.startswith("auth/") and "grant" not in oauth
    if is_auth and skillet_run("auth", "login", "conf", "--timeout", "20").returncode != 0:
        return 1
    if skillet_run("gen").returncode != 0:
        return 1
    with open(os.path.join(registry, ".skillet", "tools.json")) as f:
        catalog = json.load(f)
    tools = [t["name"] for t in catalog_tools(catalog)]
    if not tools:
        return 0
    tool = "add_numbers" if "add_numbers" in tools else tools[0]
    arguments = {"a": 5, "b": 3} if tool == "add_numbers" else {}
    terminal = ACCEPT_DEFAULTS if scenario.startswith("elicitation-") else None
    done = skillet_run("call", "conf", tool, json.dumps(arguments), terminal=terminal)
    return 0 if done.returncode == 0 else 1


def machine_grant(scenario, context, work, env):
    """The `oauth` entry of a scenario whose context is a machine's credentials, as a user would
    write it: secrets as ${VAR} (set in skillet's environment), keys and tokens in files."""
    if context.get("idp_id_token"):
        # Enterprise-managed authorization (SEP-990): the IdP's ID token for an ID-JAG.
        id_token = os.path.join(work, "id_token")
        with open(id_token, "w") as f:
            f.write(context["idp_id_token"])
        env["CONF_CLIENT_SECRET"] = context["client_secret"]
        return {"grant": "enterprise", "clientId": context["client_id"],
                "clientSecret": "${CONF_CLIENT_SECRET}",
                "idp": {"issuer": context["idp_issuer"],
                        "tokenEndpoint": context["idp_token_endpoint"],
                        "clientId": context["idp_client_id"], "idTokenFile": id_token}}
    if context.get("private_key_pem"):
        key = os.path.join(work, "client-key.pem")
        with open(key, "w") as f:
            f.write(context["private_key_pem"])
        os.chmod(key, 0o600)
        return {"grant": "client_credentials", "clientId": context["client_id"],
                "privateKeyFile": key, "signingAlg": context.get("signing_algorithm", "RS256")}
    if scenario.startswith("auth/client-credentials"):
        env["CONF_CLIENT_SECRET"] = context["client_secret"]
        return {"grant": "client_credentials", "clientId": context["client_id"],
                "clientSecret": "${CONF_CLIENT_SECRET}"}
    return None


def catalog_tools(catalog):
    """The tools of .skillet/tools.json, whatever its exact shape (a list, or per server)."""
    if isinstance(catalog, list):
        return [t for t in catalog if isinstance(t, dict) and "name" in t]
    if isinstance(catalog, dict):
        found = []
        for value in catalog.values():
            found.extend(catalog_tools(value))
        return found
    return []


if __name__ == "__main__":
    sys.exit(main())
