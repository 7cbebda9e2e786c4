//! One run: a fresh QuickJS runtime with limits, the prelude and host functions, the script as
//! the module `/main.ts`, its default export, and the classification of how it ended.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use rquickjs::function::{Async, Func};
use rquickjs::{
    AsyncContext, AsyncRuntime, CatchResultExt, CaughtError, Ctx, Function, Module, Object, Value,
};

use super::convert;
use super::loader::{MAIN, VirtualLoader, VirtualResolver};
use super::state::RunState;
use super::transpile::{self, Transpiled};
use super::{ErrorKind, Limits, RECORD_TEXT_MAX, RunError, RunOutcome, SandboxEnv, Script};

const PRELUDE: &str = include_str!("prelude.js");
/// The prelude's module name, as it appears in stack frames (which are dropped from reports).
const PRELUDE_NAME: &str = "skillet:prelude";
/// The largest script accepted.
const MAX_SCRIPT_BYTES: usize = 1024 * 1024;
/// How long after the deadline the host waits for the script to notice it before cutting it off.
const DEADLINE_GRACE: Duration = Duration::from_millis(100);

/// [`execute`] as its own task on a runtime worker, whatever thread awaits it (a CLI's
/// `block_on`, say), so tool answers are served without waking a parked thread. Dropping the
/// returned future cancels the run. Runs in place on a current-thread runtime.
pub async fn execute_on_worker(script: &Script, env: &SandboxEnv, limits: &Limits) -> RunOutcome {
    let on_workers = tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
    if !on_workers {
        return execute(script, env, limits).await;
    }
    let started = Instant::now();
    let (script, env, limits) = (script.clone(), env.clone(), limits.clone());
    let mut task = AbortOnDrop(tokio::spawn(async move {
        execute(&script, &env, &limits).await
    }));
    match (&mut task.0).await {
        Ok(outcome) => outcome,
        Err(join) => RunOutcome {
            output: String::new(),
            result: None,
            error: Some(RunError::new(
                ErrorKind::Internal,
                format!("the sandbox task failed: {join}"),
            )),
            tool_calls: Vec::new(),
            duration: started.elapsed(),
        },
    }
}

/// Aborts a spawned task when its handle is dropped (the caller stopped waiting).
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs a script in a fresh sandbox. Never panics on any script; every failure is a [`RunError`].
///
/// The run is polled by the task that awaits it. Callers that make many tool calls should await
/// it on a runtime worker (as `serve` does) rather than in `block_on`: a tool's answer then wakes
/// a thread that is already polling the transports instead of a parked one.
pub async fn execute(script: &Script, env: &SandboxEnv, limits: &Limits) -> RunOutcome {
    let started = Instant::now();
    let failed = |error: RunError| RunOutcome {
        output: String::new(),
        result: None,
        error: Some(error),
        tool_calls: Vec::new(),
        duration: started.elapsed(),
    };
    if script.source.len() > MAX_SCRIPT_BYTES {
        return failed(RunError::new(
            ErrorKind::Syntax,
            format!(
                "the script is {} bytes; the limit is {MAX_SCRIPT_BYTES}",
                script.source.len()
            ),
        ));
    }
    // Type stripping runs off the async threads and within the run's deadline: some hostile
    // TypeScript makes the parser slow, and nothing can interrupt it.
    let strip = crate::timing::Phase::start("sandbox.strip");
    let (source, name) = (script.source.clone(), script.name.clone());
    let stripped = match transpile::strip_types_here(&source, &name) {
        // Shallow scripts are quick to strip and safe on this thread.
        Some(result) => Ok(Ok(result)),
        None => {
            tokio::time::timeout(
                limits.timeout(),
                tokio::task::spawn_blocking(move || transpile::strip_types(&source, &name)),
            )
            .await
        }
    };
    let stripped = match stripped {
        Ok(Ok(result)) => result,
        Ok(Err(join)) => {
            return failed(RunError::new(
                ErrorKind::Internal,
                format!("type stripping failed: {join}"),
            ));
        }
        Err(_) => {
            return failed(RunError::new(
                ErrorKind::Timeout,
                format!(
                    "stripping the script's types did not finish within the deadline of {} ms",
                    limits.timeout_ms
                ),
            ));
        }
    };
    drop(strip);
    let main = match stripped {
        Ok(t) => Arc::new(t),
        Err(e) => {
            let mut error =
                RunError::new(ErrorKind::Syntax, format!("{}\n{}", e.message, e.snippet));
            error.file = Some(e.file.clone());
            error.line = Some(e.line);
            error.column = Some(e.column);
            return failed(error);
        }
    };
    let state = Arc::new(RunState::new(env.clone(), limits.clone()));
    if let Ok(mut modules) = state.modules.lock() {
        modules.insert(MAIN.to_owned(), Arc::clone(&main));
    }
    let input = match script.input.as_ref().map(serde_json::to_string).transpose() {
        Ok(input) => input,
        Err(e) => {
            return failed(RunError::new(
                ErrorKind::Internal,
                format!("the input cannot be encoded: {e}"),
            ));
        }
    };
    let outcome = run_in_runtime(&state, &main, &script.name, input).await;
    let (result, mut error) = match outcome {
        Ok(result) => (result, None),
        Err(e) => (None, Some(e)),
    };
    // A limit hit decides the kind, even if the script caught what it was thrown.
    if let Some(fatal) = state.fatal() {
        error = Some(fatal);
    }
    // What a script threw is kept whole in the record, up to a bound.
    if let Some(error) = &mut error {
        error.bound_for_record();
    }
    let output = state.output.lock().map(|o| o.clone()).unwrap_or_default();
    RunOutcome {
        output,
        result: if error.is_none() { result } else { None },
        error,
        tool_calls: {
            state.finalize();
            state.take_calls()
        },
        duration: started.elapsed(),
    }
}

async fn run_in_runtime(
    state: &Arc<RunState>,
    main: &Arc<Transpiled>,
    name: &str,
    input: Option<String>,
) -> Result<Option<serde_json::Value>, RunError> {
    let internal =
        |what: &str, e: rquickjs::Error| RunError::new(ErrorKind::Internal, format!("{what}: {e}"));
    let setup = crate::timing::Phase::start("sandbox.runtime");
    let (rt, ctx) = match spare::take() {
        Some(spare) => spare,
        None => {
            let rt = AsyncRuntime::new().map_err(|e| internal("cannot create the runtime", e))?;
            let ctx = AsyncContext::full(&rt)
                .await
                .map_err(|e| internal("cannot create the context", e))?;
            (rt, ctx)
        }
    };
    rt.set_memory_limit(usize::try_from(state.limits.memory_bytes).unwrap_or(usize::MAX))
        .await;
    rt.set_max_stack_size(usize::try_from(state.limits.stack_bytes).unwrap_or(usize::MAX))
        .await;
    let watch = Arc::clone(state);
    rt.set_interrupt_handler(Some(Box::new(move || watch.should_stop())))
        .await;
    rt.set_loader(
        VirtualResolver(Arc::clone(state)),
        VirtualLoader(Arc::clone(state)),
    )
    .await;

    drop(setup);
    let st = Arc::clone(state);
    let code = main.code.clone();
    let file = name.to_owned();
    let run = ctx.async_with(async move |ctx| -> Result<Option<String>, RunError> {
        let prelude = crate::timing::Phase::start("sandbox.prelude");
        install(&ctx, &st).map_err(|e| classify(&ctx, e, &st, &file))?;
        drop(prelude);
        let _script = crate::timing::Phase::start("sandbox.script");
        let module =
            Module::declare(ctx.clone(), MAIN, code).map_err(|e| classify(&ctx, e, &st, &file))?;
        let (module, evaluated) = module.eval().map_err(|e| classify(&ctx, e, &st, &file))?;
        evaluated
            .into_future::<Value>()
            .await
            .map_err(|e| classify(&ctx, e, &st, &file))?;
        let namespace = module
            .namespace()
            .map_err(|e| classify(&ctx, e, &st, &file))?;
        let mut value: Value = namespace
            .get("default")
            .map_err(|e| classify(&ctx, e, &st, &file))?;
        match (value.as_function(), input) {
            (Some(function), None) => {
                value = function
                    .call(())
                    .map_err(|e| classify(&ctx, e, &st, &file))?;
            }
            (Some(function), Some(input)) => {
                let input = ctx
                    .json_parse(input)
                    .map_err(|e| classify(&ctx, e, &st, &file))?;
                value = function
                    .call((input,))
                    .map_err(|e| classify(&ctx, e, &st, &file))?;
            }
            (None, Some(_)) => {
                return Err(RunError::new(
                    ErrorKind::Runtime,
                    "the script was given an input, but its default export is not a function: write `export default async function (input: T) { ... }`",
                ));
            }
            (None, None) => {}
        }
        if let Some(promise) = value.as_promise() {
            value = promise
                .clone()
                .into_future::<Value>()
                .await
                .map_err(|e| classify(&ctx, e, &st, &file))?;
        }
        if value.is_undefined() {
            return Ok(None);
        }
        let json = ctx
            .json_stringify(value)
            .map_err(|e| classify(&ctx, e, &st, &file))?;
        Ok(json.and_then(|s| s.to_string().ok()))
    });
    let cancel = state.env.cancel.clone().unwrap_or_default();
    let outcome = tokio::select! {
        outcome = tokio::time::timeout_at((state.deadline + DEADLINE_GRACE).into(), run) => outcome,
        // A limit hit while the script waits (a timer due after the deadline): the run ends
        // now, with that limit's kind, rather than at the end of the grace.
        () = state.stopped.cancelled() => {
            dispose(ctx, rt);
            return Err(state.fatal().unwrap_or_else(|| RunError::new(ErrorKind::Internal, "the run was stopped without a reason")));
        }
        () = cancel.cancelled() => {
            dispose(ctx, rt);
            state.fail(RunError::new(
                ErrorKind::Cancelled,
                "the run was cancelled (its client went away, or the server is shutting down)",
            ));
            return Err(state.fatal().unwrap_or_else(|| RunError::new(ErrorKind::Cancelled, "cancelled")));
        }
    };
    // Freeing a runtime takes about as long as making one: do it off the caller's path.
    dispose(ctx, rt);
    let json = match outcome {
        Ok(result) => result?,
        Err(_) => {
            return Err(state.fatal().unwrap_or_else(|| {
                RunError::new(
                    ErrorKind::Timeout,
                    format!(
                        "the run did not finish within its deadline of {} ms",
                        state.limits.timeout_ms
                    ),
                )
            }));
        }
    };
    match json {
        None => Ok(None),
        Some(text) if text.len() > RECORD_TEXT_MAX => Err(RunError::new(
            ErrorKind::OutputLimit,
            format!(
                "the default export's JSON is {} bytes; a run keeps at most {RECORD_TEXT_MAX}\nhint: export a summary, or write the data to ./workspace/ and export its path",
                text.len()
            ),
        )),
        Some(text) => serde_json::from_str(&text).map(Some).map_err(|e| {
            RunError::new(
                ErrorKind::Internal,
                format!("the default export's JSON does not parse: {e}"),
            )
        }),
    }
}

/// A runtime and context made ahead of the next run, off its caller's path (`serve`, where
/// runs follow each other). Nothing has run in it: it is what [`run_in_runtime`] would make.
pub(super) mod spare {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, Ordering};

    use rquickjs::{AsyncContext, AsyncRuntime};

    static ON: AtomicBool = AtomicBool::new(false);
    static SPARE: Mutex<Option<(AsyncRuntime, AsyncContext)>> = Mutex::new(None);

    /// From now on, each run takes a prepared runtime and leaves one prepared for the next.
    pub(crate) fn keep_ready() {
        ON.store(true, Ordering::Relaxed);
        prepare();
    }

    /// The spare runtime, if one is ready; another is prepared meanwhile.
    pub(super) fn take() -> Option<(AsyncRuntime, AsyncContext)> {
        if !ON.load(Ordering::Relaxed) {
            return None;
        }
        let taken = SPARE.lock().ok().and_then(|mut s| s.take());
        prepare();
        taken
    }

    /// Makes a runtime on the blocking pool (nothing when there is no tokio runtime).
    fn prepare() {
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            return;
        };
        drop(handle.spawn_blocking(|| {
            let Ok(rt) = AsyncRuntime::new() else {
                return;
            };
            let Ok(ctx) = futures::executor::block_on(AsyncContext::full(&rt)) else {
                return;
            };
            if let Ok(mut spare) = SPARE.lock()
                && spare.is_none()
            {
                *spare = Some((rt, ctx));
            }
        }));
    }
}

/// Frees a runtime on the blocking pool when there is one, else here.
fn dispose(ctx: AsyncContext, rt: AsyncRuntime) {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => drop(handle.spawn_blocking(move || drop((ctx, rt)))),
        Err(_) => drop((ctx, rt)),
    }
}

/// The prelude compiled to QuickJS bytecode, once per process (parsing it cost more than
/// everything else in starting a sandbox).
fn prelude_bytecode() -> Result<&'static [u8], String> {
    static BYTECODE: OnceLock<Result<Vec<u8>, String>> = OnceLock::new();
    BYTECODE
        .get_or_init(|| {
            let rt = rquickjs::Runtime::new().map_err(|e| e.to_string())?;
            let ctx = rquickjs::Context::full(&rt).map_err(|e| e.to_string())?;
            ctx.with(|ctx| {
                Module::declare(ctx.clone(), PRELUDE_NAME, PRELUDE)
                    .and_then(|m| m.write(rquickjs::WriteOptions::default()))
                    .map_err(|e| format!("the sandbox prelude does not compile: {e}"))
            })
        })
        .as_deref()
        .map_err(Clone::clone)
}

/// Installs the prelude with a private host object holding the host functions.
fn install<'js>(ctx: &Ctx<'js>, state: &Arc<RunState>) -> rquickjs::Result<()> {
    let host = Object::new(ctx.clone())?;
    // call(server, tool, args, failure, objectPrototype): resolves to the result's value, or
    // rejects with what `failure(error, kind, message, violations, server, tool)` makes of a
    // stackless error. `objectPrototype` is the one the prelude found before any script ran.
    // (Host closures hold no script values: the garbage collector cannot see through them.)
    let st = Arc::clone(state);
    host.set(
        "call",
        Func::from(Async(
            move |ctx: Ctx<'js>,
                  server: String,
                  tool: String,
                  args: Value<'js>,
                  failure: Function<'js>,
                  object_prototype: Object<'js>| {
                // Read now: the script may change the object once the call is under way.
                let arguments = match convert::to_json(&ctx, &args, &object_prototype) {
                    Ok(value) => Ok(value.unwrap_or(serde_json::Value::Null)),
                    Err(convert::ConvertError::Thrown) => Err(thrown_message(&ctx, &ctx.catch())),
                    Err(convert::ConvertError::NotJson(why)) => Err(why),
                };
                // Boxed: the call's state is large, and the promise machinery moves the
                // future it is given several times.
                let call = arguments.map(|arguments| {
                    Box::pin(Arc::clone(&st).call_tool(server.clone(), tool.clone(), arguments))
                });
                async move {
                    let (kind, message, violations) = match call {
                        Ok(call) => match call.await {
                            Ok(json) => return ctx.json_parse(json),
                            Err(f) => (f.kind, f.message, f.violations),
                        },
                        Err(why) => (
                            "tool_argument",
                            format!(
                                "arguments of {server}.{tool} cannot be turned into JSON: {why}"
                            ),
                            Some(Vec::new()),
                        ),
                    };
                    let error = stackless_error(&ctx)?;
                    let error: Value =
                        failure.call((error, kind, message, violations, server, tool))?;
                    Err(ctx.throw(error))
                }
            },
        )),
    )?;
    let st = Arc::clone(state);
    host.set(
        "print",
        Func::from(move |level: String, text: String| st.print(&level, &text)),
    )?;
    let st = Arc::clone(state);
    host.set(
        "sleep",
        Func::from(Async(move |ms: f64| {
            let st = Arc::clone(&st);
            async move {
                let wanted =
                    Instant::now() + Duration::from_secs_f64((ms.max(0.0) / 1e3).min(86_400.0));
                if wanted <= st.deadline {
                    tokio::time::sleep_until(wanted.into()).await;
                    return;
                }
                // A timer due after the deadline never fires: at the deadline the run ends
                // with `timeout`, and the code waiting on the timer never runs.
                tokio::time::sleep_until(st.deadline.into()).await;
                st.fail(RunError::new(
                    ErrorKind::Timeout,
                    format!(
                        "the run did not finish within its deadline of {} ms (it was waiting on a timer of {} ms)",
                        st.limits.timeout_ms,
                        ms.max(0.0).round()
                    ),
                ));
                std::future::pending::<()>().await;
            }
        })),
    )?;
    let st = Arc::clone(state);
    host.set(
        "fs",
        Func::from(move |op: String, args: String| st.fs(&op, &args)),
    )?;
    let bytecode =
        prelude_bytecode().map_err(|e| rquickjs::Error::new_loading_message(PRELUDE_NAME, e))?;
    // SAFETY: the bytes were written by `Module::write` of this same QuickJS build, in this
    // process, from our own source; they never come from outside. They live for the process.
    #[allow(unsafe_code)]
    let module = unsafe { Module::load(ctx.clone(), bytecode) }?;
    let (module, _) = module.eval()?;
    let prelude: Function = module.get("default")?;
    prelude.call::<_, ()>((host,))?;
    Ok(())
}

/// Turns a failure into a [`RunError`]: limits first (from the run state), then the thrown value.
fn classify<'js>(ctx: &Ctx<'js>, error: rquickjs::Error, state: &RunState, file: &str) -> RunError {
    if let Some(fatal) = state.fatal() {
        return fatal;
    }
    if let Some(import) = state.import_error.lock().ok().and_then(|i| i.clone()) {
        return import;
    }
    let caught = Err::<(), _>(error).catch(ctx).err();
    let (name, message, stack) = match &caught {
        Some(CaughtError::Exception(e)) => (
            e.get::<_, String>("name")
                .unwrap_or_else(|_| "Error".into()),
            e.message().unwrap_or_default(),
            e.stack(),
        ),
        Some(CaughtError::Value(v)) => ("Error".into(), show(ctx, v), None),
        Some(CaughtError::Error(e)) => ("Error".into(), e.to_string(), None),
        None => ("Error".into(), "unknown failure".into(), None),
    };
    let lowered = message.to_ascii_lowercase();
    let kind = if Instant::now() >= state.deadline || lowered == "interrupted" {
        ErrorKind::Timeout
    } else if lowered.contains("out of memory") {
        ErrorKind::Memory
    } else if lowered.contains("stack overflow") || lowered.contains("call stack size exceeded") {
        ErrorKind::Stack
    } else {
        match name.as_str() {
            "ToolError" => ErrorKind::Tool,
            "ToolArgumentError" => ErrorKind::ToolArgument,
            "UpstreamError" => ErrorKind::Upstream,
            "ReplayError" => ErrorKind::Replay,
            "FlowDeniedError" => ErrorKind::FlowDenied,
            "DeniedError" => ErrorKind::Denied,
            "SyntaxError" if stack.is_none() => ErrorKind::Syntax,
            _ => ErrorKind::Runtime,
        }
    };
    let message = match kind {
        ErrorKind::Timeout => format!(
            "the run did not finish within its deadline of {} ms",
            state.limits.timeout_ms
        ),
        ErrorKind::Memory => format!(
            "the script used more than {} MiB of memory",
            state.limits.memory_bytes / (1024 * 1024)
        ),
        ErrorKind::Stack => "the script recursed too deeply (stack overflow)".to_owned(),
        _ if name == "Error" || message.starts_with(&format!("{name}:")) => message,
        _ => format!("{name}: {message}"),
    };
    let mut run_error = RunError::new(kind, message);
    if let Some(stack) = stack {
        let (mapped, first) = map_stack(&stack, state, file);
        if let Some((file, line, column)) = first {
            run_error.file = Some(file);
            run_error.line = Some(line);
            run_error.column = Some(column);
        }
        if !mapped.trim().is_empty() {
            run_error.stack = Some(mapped);
        }
    }
    run_error
}

/// A new `Error` without a stack. QuickJS gives such an error its stack where it is first
/// thrown, which for a failed tool call is the script's `await`: the error points at the
/// script's line, and no call pays for capturing a stack in case it fails.
fn stackless_error<'js>(ctx: &Ctx<'js>) -> rquickjs::Result<Value<'js>> {
    use rquickjs::qjs;
    /// QuickJS's class id of `Error` objects (the same in every runtime of the process).
    static ERROR_CLASS: OnceLock<qjs::JSClassID> = OnceLock::new();
    let raw = ctx.as_raw().as_ptr();
    #[allow(unsafe_code)]
    // SAFETY: QuickJS calls on this live context. `JS_NewError` and `JS_NewObjectClass`
    // return owned values (or the exception marker, checked), which `Value::from_raw` takes
    // over and frees on drop; `JS_GetClassID` only reads its argument.
    unsafe {
        let class = match ERROR_CLASS.get() {
            Some(class) => *class,
            None => {
                // Kept only once known: a probe that failed (out of memory) says nothing.
                let probe = qjs::JS_NewError(raw);
                if qjs::JS_IsException(probe) {
                    return Err(rquickjs::Error::Exception);
                }
                let probe = Value::from_raw(ctx.clone(), probe);
                *ERROR_CLASS.get_or_init(|| qjs::JS_GetClassID(probe.as_raw()))
            }
        };
        let error = qjs::JS_NewObjectClass(raw, class);
        if qjs::JS_IsException(error) {
            return Err(rquickjs::Error::Exception);
        }
        Ok(Value::from_raw(ctx.clone(), error))
    }
}

/// What a thrown value says: an error's message, or the value itself.
fn thrown_message<'js>(ctx: &Ctx<'js>, value: &Value<'js>) -> String {
    match value
        .as_object()
        .map(|o| o.get::<_, Option<String>>("message"))
    {
        Some(Ok(Some(message))) => return message,
        // A getter that threw: its exception must not stay pending in the context.
        Some(Err(_)) => drop(ctx.catch()),
        _ => {}
    }
    show(ctx, value)
}

/// A value as text for a message; script code it runs (a `toJSON`) cannot leave an exception
/// pending.
fn show<'js>(ctx: &Ctx<'js>, value: &Value<'js>) -> String {
    if let Some(s) = value.as_string() {
        return s.to_string().unwrap_or_default();
    }
    match ctx.json_stringify(value.clone()) {
        Ok(Some(s)) => s.to_string().unwrap_or_default(),
        Ok(None) => format!("{value:?}"),
        Err(_) => {
            drop(ctx.catch());
            format!("{value:?}")
        }
    }
}

/// Rewrites `at f (/main.ts:LINE:COL)` frames to TypeScript positions and drops the prelude's
/// own frames; returns the first frame in the script itself (else the first mapped one).
fn map_stack(stack: &str, state: &RunState, file: &str) -> (String, Option<(String, u32, u32)>) {
    let modules = state.modules.lock().map(|m| m.clone()).unwrap_or_default();
    let mut in_main = None;
    let mut first = None;
    let mut out = Vec::new();
    for line in stack.lines() {
        if line.contains(PRELUDE_NAME) || line.trim().is_empty() {
            continue;
        }
        let mapped = frame_location(line).and_then(|(start, end)| {
            let mut parts = line[start..end].rsplitn(3, ':');
            let (col, ln, module) = (parts.next()?, parts.next()?, parts.next()?);
            let (ln, col) = (ln.parse::<u32>().ok()?, col.parse::<u32>().ok()?);
            let transpiled = modules.get(module)?;
            let (ts_line, ts_col) = transpiled.original_position(ln, col).unwrap_or((ln, col));
            let shown = if module == MAIN {
                file.to_owned()
            } else {
                module.trim_start_matches('/').to_owned()
            };
            Some((start, end, module == MAIN, shown, ts_line, ts_col))
        });
        match mapped {
            Some((start, end, is_main, shown, ts_line, ts_col)) => {
                if is_main && in_main.is_none() {
                    in_main = Some((shown.clone(), ts_line, ts_col));
                }
                if first.is_none() {
                    first = Some((shown.clone(), ts_line, ts_col));
                }
                out.push(format!(
                    "{}{shown}:{ts_line}:{ts_col}{}",
                    &line[..start],
                    &line[end..]
                ));
            }
            None => out.push(line.to_owned()),
        }
    }
    (out.join("\n"), in_main.or(first))
}

/// The byte range of `file:line:col` in a stack frame line (inside parentheses, or after `at `).
fn frame_location(line: &str) -> Option<(usize, usize)> {
    if let (Some(open), Some(close)) = (line.rfind('('), line.rfind(')'))
        && open < close
    {
        return Some((open + 1, close));
    }
    let at = line.find("at ")? + 3;
    Some((at, line.len()))
}
