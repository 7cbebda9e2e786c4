// The sandbox prelude: runs before the script, in a fresh runtime. It wraps the host functions
// (which read only JSON out of what they are given, so nothing a script does to prototypes
// reaches the host) into the globals scripts use, and locks them in place. It is a module (strict), compiled to
// bytecode once per process; its default export is called with the host object.
export default (host) => {
  // Intrinsics are captured now, so a script that replaces them breaks only its own code.
  const { stringify, parse } = JSON;
  const { max } = Math;
  const toNumber = Number;
  const toText = String;
  const define = (name, value) =>
    Object.defineProperty(globalThis, name, { value, writable: false, configurable: false, enumerable: false });

  class SkilletError extends Error {
    constructor(message, fields) {
      super(message);
      Object.assign(this, fields);
    }
    get name() {
      return this.constructor.name;
    }
  }
  class ToolError extends SkilletError {}
  class ToolArgumentError extends SkilletError {}
  class UpstreamError extends SkilletError {}
  class LimitError extends SkilletError {}
  class ReplayError extends SkilletError {}
  class FlowDeniedError extends SkilletError {}
  class DeniedError extends SkilletError {}
  const classes = {
    tool: ToolError,
    tool_argument: ToolArgumentError,
    upstream: UpstreamError,
    replay: ReplayError,
    flow_denied: FlowDeniedError,
    denied: DeniedError,
  };

  // A failed call rejects with an instance of its kind's class. The host makes the error
  // without a stack: QuickJS gives it one where it is first thrown, the script's `await`.
  const { setPrototypeOf, defineProperty } = Object;
  const failure = (error, kind, message, violations, server, tool) => {
    setPrototypeOf(error, (classes[kind] || LimitError).prototype);
    defineProperty(error, "message", { value: message, writable: true, configurable: true });
    error.kind = kind;
    error.server = server;
    error.tool = tool;
    error.violations = violations;
    return error;
  };
  const rejected = Promise.reject.bind(Promise);
  const objectPrototype = Object.prototype;
  // Not an async function: a call costs one promise, the host's, which resolves to the value.
  function callMCPTool(server, tool, args) {
    if (typeof server !== "string" || typeof tool !== "string") {
      return rejected(new TypeError("callMCPTool(server, tool, args): server and tool must be strings"));
    }
    return host.call(server, tool, args === undefined ? {} : args, failure, objectPrototype);
  }

  const show = (v) => {
    if (typeof v === "string") return v;
    if (v instanceof Error) return `${v.name}: ${v.message}`;
    if (typeof v === "function") return `[function ${v.name || "anonymous"}]`;
    if (typeof v === "bigint") return `${v}n`;
    if (v === undefined) return "undefined";
    try {
      const s = stringify(v);
      return s === undefined ? toText(v) : s;
    } catch {
      return toText(v);
    }
  };
  const print = (level) => (...args) => {
    let line = "";
    for (let i = 0; i < args.length; i++) line += (i ? " " : "") + show(args[i]);
    host.print(level, line);
  };
  define("console", Object.freeze({
    log: print("log"),
    info: print("info"),
    warn: print("warn"),
    error: print("error"),
    debug: print("debug"),
  }));

  let nextTimer = 1;
  const cleared = new Set();
  define("setTimeout", (fn, ms, ...rest) => {
    if (typeof fn !== "function") throw new TypeError("setTimeout needs a function");
    const id = nextTimer++;
    host.sleep(max(0, toNumber(ms) || 0)).then(() => {
      if (!cleared.delete(id)) fn(...rest);
    });
    return id;
  });
  define("clearTimeout", (id) => {
    cleared.add(id);
  });

  const fsCall = (op, ...args) => {
    const answer = parse(host.fs(op, stringify(args)));
    if (answer.ok) return answer.value;
    const e = new Error(answer.error);
    e.name = "FsError";
    throw e;
  };
  define("fs", Object.freeze({
    readFile: (path) => fsCall("readFile", path),
    writeFile: (path, data) => fsCall("writeFile", path, typeof data === "string" ? data : stringify(data)),
    appendFile: (path, data) => fsCall("appendFile", path, typeof data === "string" ? data : stringify(data)),
    readdir: (path = "./workspace") => fsCall("readdir", path),
    exists: (path) => fsCall("exists", path),
    mkdir: (path, options) => fsCall("mkdir", path, !!(options && options.recursive)),
    rm: (path, options) => fsCall("rm", path, !!(options && options.recursive)),
  }));

  define("callMCPTool", callMCPTool);
  define("ToolError", ToolError);
  define("ToolArgumentError", ToolArgumentError);
  define("UpstreamError", UpstreamError);
  define("LimitError", LimitError);
  define("ReplayError", ReplayError);
  define("FlowDeniedError", FlowDeniedError);
  define("DeniedError", DeniedError);
};
