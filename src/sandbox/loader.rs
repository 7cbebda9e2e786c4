//! Module resolution inside a virtual root: the script is `/main.ts`; it may import the generated
//! API (`./servers/<server>`, `./servers/<server>/<tool>.ts`), `./client.js`, and saved skills
//! (`./skills/<name>`), and relative paths among those. Anything else is an ImportError.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};

use rquickjs::loader::{ImportAttributes, Loader, Resolver};
use rquickjs::module::Declared;
use rquickjs::{Ctx, Module};

use super::contained::{self, Probe, Root, Stamp};
use super::state::RunState;
use super::transpile::{self, Transpiled};
use super::{ErrorKind, RunError};

pub(crate) const MAIN: &str = "/main.ts";
const CLIENT: &str = "/client.ts";

/// What `./client.js` exports: the host-backed globals the prelude installed.
const CLIENT_MODULE: &str = "export const callMCPTool = globalThis.callMCPTool;
export const ToolError = globalThis.ToolError;
export const ToolArgumentError = globalThis.ToolArgumentError;
export const UpstreamError = globalThis.UpstreamError;
";

pub(crate) struct VirtualResolver(pub Arc<RunState>);
pub(crate) struct VirtualLoader(pub Arc<RunState>);

fn import_error(state: &RunState, specifier: &str, from: &str, why: &str) -> rquickjs::Error {
    let message = format!("cannot import \"{specifier}\" from {from}: {why}");
    if let Ok(mut slot) = state.import_error.lock()
        && slot.is_none()
    {
        *slot = Some(RunError::new(ErrorKind::Import, message.clone()));
    }
    rquickjs::Error::new_resolving_message(from, specifier, message)
}

impl Resolver for VirtualResolver {
    fn resolve<'js>(
        &mut self,
        _ctx: &Ctx<'js>,
        base: &str,
        name: &str,
        _attributes: Option<ImportAttributes<'js>>,
    ) -> rquickjs::Result<String> {
        let resolved = resolve(&self.0.env.api_dir, &self.0.env.skills_dir, base, name)
            .map_err(|why| import_error(&self.0, name, base, &why))?;
        if let (Some(gate), Some(rest)) =
            (&self.0.env.skill_gate, resolved.strip_prefix("/skills/"))
            && !base.starts_with(&format!(
                "/skills/{}/",
                rest.split('/').next().unwrap_or_default()
            ))
        {
            let skill = rest.split('/').next().unwrap_or_default();
            gate(skill).map_err(|why| import_error(&self.0, name, base, &why))?;
        }
        Ok(resolved)
    }
}

/// Resolves `name` imported from module `base` to a virtual path, or says why not.
pub(crate) fn resolve(
    api_dir: &Path,
    skills_dir: &Path,
    base: &str,
    name: &str,
) -> Result<String, String> {
    if !(name.starts_with("./") || name.starts_with("../")) {
        return Err(if name.starts_with("node:") {
            "Node.js modules are not available in the sandbox".into()
        } else if name.contains("://") {
            "the sandbox has no network; URLs cannot be imported".into()
        } else if name.starts_with('/') {
            "absolute paths cannot be imported; use ./servers/<server> or ./skills/<name>".into()
        } else {
            "packages cannot be imported; only ./servers/<server>, ./client.js and ./skills/<name>"
                .into()
        });
    }
    let mut parts: Vec<&str> = base.split('/').filter(|p| !p.is_empty()).collect();
    parts.pop(); // the importing file itself
    for part in name.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err("the path leaves the sandbox root".into());
                }
            }
            p => parts.push(p),
        }
    }
    let path = format!("/{}", parts.join("/"));
    // The first candidate that is a file inside the root, `None` if none is, or why one
    // cannot be used (it is there only through a link out of the root).
    let found = |root: Root, rel: &str| -> Result<Option<String>, String> {
        let stem = rel.strip_suffix(".js").unwrap_or(rel);
        let stem = stem.strip_suffix(".ts").unwrap_or(stem);
        for candidate in [format!("{stem}.ts"), format!("{stem}/index.ts")] {
            match contained::probe(root, candidate.trim_start_matches('/')) {
                Probe::File => return Ok(Some(candidate)),
                Probe::Missing => {}
                Probe::Outside(why) => return Err(why),
            }
        }
        Ok(None)
    };
    match parts.first().copied() {
        Some("client.js" | "client.ts" | "client") if parts.len() == 1 => Ok(CLIENT.into()),
        Some("servers") => {
            let rel = path.trim_start_matches("/servers");
            found(servers_root(&api_dir.join("servers")), rel)?
                .map(|p| format!("/servers{p}"))
                .ok_or_else(|| "no such module in the generated API\nhint: list servers/ to see what exists, or run `skillet gen`".into())
        }
        Some("skills") if parts.len() >= 2 => {
            let skill = parts[1];
            let rel = if parts.len() == 2 {
                // The skill itself: its entry point.
                format!("/{skill}/scripts/index")
            } else {
                path.trim_start_matches("/skills").to_owned()
            };
            found(skills_root(skills_dir), &rel)?
                .map(|p| format!("/skills{p}"))
                .ok_or_else(|| {
                    format!("no skill `{skill}` (or no such file in it) in the registry's skills/")
                })
        }
        _ => Err("only ./servers/..., ./client.js and ./skills/... can be imported".into()),
    }
}

/// The generated tree's `servers/` folder as a root.
fn servers_root(servers_dir: &Path) -> Root<'_> {
    Root {
        dir: servers_dir,
        label: ".skillet/servers/",
    }
}

/// The registry's `skills/` folder as a root.
fn skills_root(skills_dir: &Path) -> Root<'_> {
    Root {
        dir: skills_dir,
        label: "skills/",
    }
}

/// Transpiled files, shared across runs in a process, keyed by path and checked by the stamp
/// of the file opened (device, inode, length, mtime).
type TranspileCache = Mutex<HashMap<PathBuf, (Stamp, Arc<Transpiled>)>>;
static CACHE: LazyLock<TranspileCache> = LazyLock::new(|| Mutex::new(HashMap::new()));

/// Reads and transpiles `rel` under `root`, never through a link that leaves it (checked as the
/// file is opened, not only when the import was resolved).
fn load_file(root: Root, rel: &str, name: &str) -> Result<Arc<Transpiled>, String> {
    let key = root.dir.join(rel);
    contained::read(
        root,
        rel,
        |stamp| {
            CACHE
                .lock()
                .ok()
                .and_then(|c| c.get(&key).cloned())
                .and_then(|(cached, transpiled)| (cached == stamp).then_some(transpiled))
        },
        |stamp, source| {
            let transpiled =
                Arc::new(transpile::strip_types(&source, name).map_err(|e| e.to_string())?);
            if let Ok(mut cache) = CACHE.lock() {
                cache.insert(key.clone(), (stamp, Arc::clone(&transpiled)));
            }
            Ok(transpiled)
        },
    )
}

impl Loader for VirtualLoader {
    fn load<'js>(
        &mut self,
        ctx: &Ctx<'js>,
        name: &str,
        _attributes: Option<ImportAttributes<'js>>,
    ) -> rquickjs::Result<Module<'js, Declared>> {
        if name == CLIENT {
            return Module::declare(ctx.clone(), name, CLIENT_MODULE);
        }
        let env = &self.0.env;
        let servers = env.api_dir.join("servers");
        let loaded = if let Some(rel) = name.strip_prefix("/servers/") {
            load_file(servers_root(&servers), rel, name)
        } else if let Some(rel) = name.strip_prefix("/skills/") {
            load_file(skills_root(&env.skills_dir), rel, name)
        } else {
            return Err(import_error(&self.0, name, MAIN, "not a loadable module"));
        };
        let transpiled = loaded.map_err(|why| import_error(&self.0, name, MAIN, &why))?;
        let code = transpiled.code.clone();
        if let Ok(mut modules) = self.0.modules.lock() {
            modules.insert(name.to_owned(), transpiled);
        }
        Module::declare(ctx.clone(), name, code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolution_stays_inside_the_virtual_root() {
        let tmp = tempfile::tempdir().unwrap();
        let api = tmp.path().join("api");
        let skills = tmp.path().join("skills");
        fs_err::create_dir_all(api.join("servers/docs")).unwrap();
        fs_err::write(api.join("servers/docs/index.ts"), "").unwrap();
        fs_err::write(api.join("servers/docs/getDocument.ts"), "").unwrap();
        fs_err::create_dir_all(skills.join("my-skill/scripts")).unwrap();
        fs_err::write(skills.join("my-skill/scripts/index.ts"), "").unwrap();
        let ok = |base: &str, name: &str| resolve(&api, &skills, base, name).unwrap();
        let err = |base: &str, name: &str| resolve(&api, &skills, base, name).unwrap_err();
        assert_eq!(ok(MAIN, "./servers/docs"), "/servers/docs/index.ts");
        assert_eq!(
            ok(MAIN, "./servers/docs/index.js"),
            "/servers/docs/index.ts"
        );
        assert_eq!(
            ok(MAIN, "./servers/docs/getDocument.ts"),
            "/servers/docs/getDocument.ts"
        );
        assert_eq!(
            ok("/servers/docs/getDocument.ts", "../../client.js"),
            CLIENT
        );
        assert_eq!(
            ok("/servers/docs/index.ts", "./getDocument.js"),
            "/servers/docs/getDocument.ts"
        );
        assert_eq!(
            ok(MAIN, "./skills/my-skill"),
            "/skills/my-skill/scripts/index.ts"
        );
        assert!(err(MAIN, "/etc/passwd").contains("absolute"));
        assert!(err(MAIN, "../etc/passwd").contains("leaves the sandbox root"));
        assert!(err(MAIN, "node:fs").contains("Node.js"));
        assert!(err(MAIN, "https://example.com/x.js").contains("network"));
        assert!(err(MAIN, "lodash").contains("packages"));
        assert!(err(MAIN, "./servers/nope").contains("no such module"));
        assert!(err(MAIN, "./skills/other").contains("no skill `other`"));
        assert!(err(MAIN, "./secrets.ts").contains("only ./servers"));
    }
}
