//! The architecture's invariants, checked on the source tree (ARCHITECTURE.md, "Layers"):
//! every file's imports point down the layers or across its own layer, a model never
//! imports another model, no two files import each other (directly or around a longer
//! cycle), and no file in `src/` is over 1,000 lines unless ARCHITECTURE.md says why.
//!
//! Imports are read as text: every `crate::a::b` path and every `super::` / `self::` path in
//! code (comments and string literals removed), and in a `mod.rs` (or `lib.rs`) every path
//! through a child module it declares. `pub use` re-exports and `mod` declarations are not
//! dependencies and are skipped.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layer of each top-level module, bottom (0) up. A file may import its own layer or
/// lower ones. The models share one layer, but one model never imports another.
const LAYERS: &[(&str, u8, &str)] = &[
    ("sim", 0, "ground"),
    ("value", 0, "ground"),
    ("func", 0, "ground"),
    ("cluster", 1, "shared"),
    ("io", 1, "shared"),
    ("ledger", 1, "shared"),
    ("event_time", 1, "shared"),
    ("models", 2, "models"),
    ("scenario", 3, "scenario compiler"),
    ("check", 4, "checking"),
    ("repl", 5, "front end"),
    ("plot", 5, "front end"),
    ("book", 5, "front end"),
    ("bench", 5, "front end"),
    ("spark", 5, "front end"),
    ("report", 5, "front end"),
    ("challenge", 5, "front end"),
    ("main", 6, "binary"),
    ("lib", 6, "crate root"),
];

/// Files allowed over 1,000 lines, each with its reason in ARCHITECTURE.md.
const MAX_LINES: usize = 1000;

/// A source file as a module path (`["models", "dstream", "job_generator"]`), whether it is
/// a `mod.rs`/`lib.rs` (whose children are its submodules), and its text.
struct File {
    module: Vec<String>,
    is_mod: bool,
    text: String,
}

fn module_of(rel: &Path) -> (Vec<String>, bool) {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap_or_default();
    let stem = last.trim_end_matches(".rs").to_string();
    match stem.as_str() {
        "mod" => (parts, true),
        "lib" if parts.is_empty() => (vec![], true),
        "main" if parts.is_empty() => (vec!["main".into()], false),
        _ => {
            parts.push(stem);
            (parts, false)
        }
    }
}

fn read_tree(root: &Path) -> Vec<File> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("readable src/")
            .map(|e| e.expect("entry").path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "rs") {
                let rel = p.strip_prefix(root).expect("under src/");
                let (module, is_mod) = module_of(rel);
                let text = std::fs::read_to_string(&p).expect("utf-8 source");
                out.push(File {
                    module,
                    is_mod,
                    text,
                });
            }
        }
    }
    out
}

/// The code of a file without comments and string/char literals (so that prose naming a
/// module is not an import).
fn code_only(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
            i += 2;
            while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                i += 1;
            }
            i += 2;
        } else if b[i] == b'r' && (b.get(i + 1) == Some(&b'"') || b.get(i + 1) == Some(&b'#')) {
            // Raw string r"..." or r#"..."#.
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&b'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&b'"') {
                out.push(b[i] as char);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= b.len() {
                    break;
                }
                if b[j] == b'"'
                    && b[j + 1..]
                        .iter()
                        .take(hashes)
                        .filter(|c| **c == b'#')
                        .count()
                        == hashes
                {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if b[i] == b'\'' && b.get(i + 2) == Some(&b'\'') {
            i += 3;
        } else if b[i] == b'\'' && b.get(i + 1) == Some(&b'\\') {
            i += 2;
            while i < b.len() && b[i] != b'\'' {
                i += 1;
            }
            i += 1;
        } else {
            out.push(b[i] as char);
            i += 1;
        }
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Paths written as `head::a::b::...` in `code`, each as its segments after `head`.
fn paths_after(code: &str, head: &str) -> Vec<Vec<String>> {
    let pat = format!("{head}::");
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(k) = code[from..].find(&pat) {
        let start = from + k;
        from = start + pat.len();
        if start > 0 && code[..start].chars().next_back().is_some_and(is_ident) {
            continue;
        }
        let mut segs = Vec::new();
        let mut rest = &code[from..];
        loop {
            let seg: String = rest.chars().take_while(|c| is_ident(*c)).collect();
            if seg.is_empty() {
                // A group `{a, b::c}`: each member is a path of its own.
                if let Some(group) = rest.strip_prefix('{') {
                    let end = group.find('}').unwrap_or(group.len());
                    for member in group[..end].split(',') {
                        let m: Vec<String> = member
                            .trim()
                            .split("::")
                            .map(|s| s.trim().to_string())
                            .filter(|s| !s.is_empty() && s.chars().all(is_ident))
                            .collect();
                        if !m.is_empty() {
                            let mut p = segs.clone();
                            p.extend(m);
                            out.push(p);
                        }
                    }
                    segs.clear();
                }
                break;
            }
            rest = &rest[seg.len()..];
            segs.push(seg);
            match rest.strip_prefix("::") {
                Some(r) => rest = r,
                None => break,
            }
        }
        if !segs.is_empty() {
            out.push(segs);
        }
    }
    out
}

/// The lines of `code` that are dependencies: not `pub use` re-exports, not `mod` lines.
fn dependency_code(code: &str) -> String {
    code.lines()
        .filter(|l| {
            let t = l.trim_start();
            !(t.starts_with("pub use ")
                || t.starts_with("pub(crate) use ")
                || t.starts_with("mod ")
                || t.starts_with("pub mod ")
                || t.starts_with("pub(crate) mod "))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The child modules a `mod.rs` / `lib.rs` declares.
fn declared_children(code: &str) -> Vec<String> {
    code.lines()
        .filter_map(|l| {
            let t = l.trim_start();
            let t = t
                .strip_prefix("pub mod ")
                .or_else(|| t.strip_prefix("pub(crate) mod "))
                .or_else(|| t.strip_prefix("mod "))?;
            let name: String = t.chars().take_while(|c| is_ident(*c)).collect();
            (!name.is_empty() && t[name.len()..].trim_start().starts_with(';')).then_some(name)
        })
        .collect()
}

/// The longest prefix of `path` that names a file of the tree.
fn resolve(modules: &BTreeSet<Vec<String>>, path: &[String]) -> Option<Vec<String>> {
    (1..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|p| modules.contains(p))
}

/// Every file's imports of other files, as module paths.
fn import_graph(files: &[File]) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| f.module.clone()).collect();
    let mut graph = BTreeMap::new();
    for f in files {
        let code = code_only(&f.text);
        let deps = dependency_code(&code);
        // The module `super` and `self` name: for a mod.rs, self is the folder's module.
        let self_mod = f.module.clone();
        let parent = {
            let mut p = f.module.clone();
            p.pop();
            p
        };
        let mut targets = BTreeSet::new();
        for p in paths_after(&deps, "crate") {
            targets.extend(resolve(&modules, &p));
        }
        for p in paths_after(&deps, "super") {
            let mut full = parent.clone();
            full.extend(p);
            targets.extend(resolve(&modules, &full));
        }
        for p in paths_after(&deps, "self") {
            let mut full = self_mod.clone();
            full.extend(p);
            targets.extend(resolve(&modules, &full));
        }
        if f.is_mod {
            for child in declared_children(&code) {
                if !paths_after(&deps, &child).is_empty() {
                    let mut full = self_mod.clone();
                    full.push(child);
                    targets.extend(resolve(&modules, &full));
                }
            }
        }
        targets.remove(&f.module);
        graph.insert(f.module.clone(), targets);
    }
    graph
}

fn layer_of(module: &[String]) -> Option<(u8, &'static str)> {
    let top = module.first().map(String::as_str).unwrap_or("lib");
    LAYERS
        .iter()
        .find(|(name, ..)| *name == top)
        .map(|(_, l, n)| (*l, *n))
}

fn model_of(module: &[String]) -> Option<&str> {
    (module.first().map(String::as_str) == Some("models"))
        .then(|| module.get(1).map(String::as_str))
        .flatten()
}

fn show(m: &[String]) -> String {
    if m.is_empty() {
        "crate root".into()
    } else {
        m.join("::")
    }
}

/// Every violation of the layer rules.
fn layer_violations(graph: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Vec<String> {
    let mut out = Vec::new();
    for (from, tos) in graph {
        let Some((lf, nf)) = layer_of(from) else {
            out.push(format!(
                "{} is in no layer: add its top-level module to LAYERS in tests/architecture.rs and to ARCHITECTURE.md",
                show(from)
            ));
            continue;
        };
        for to in tos {
            let Some((lt, nt)) = layer_of(to) else {
                continue;
            };
            if lt > lf {
                out.push(format!(
                    "{} ({nf}) imports {} ({nt}), a higher layer",
                    show(from),
                    show(to)
                ));
            }
            if let (Some(a), Some(b)) = (model_of(from), model_of(to)) {
                if a != b {
                    out.push(format!(
                        "model {a} ({}) imports model {b} ({}): what two models share moves down",
                        show(from),
                        show(to)
                    ));
                }
            }
        }
    }
    out
}

/// The import cycles between files (strongly connected components of more than one file).
fn cycles(graph: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Vec<Vec<String>> {
    // Tarjan's algorithm, iteration order fixed by the BTreeMap.
    struct State<'a> {
        graph: &'a BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        index: BTreeMap<&'a Vec<String>, usize>,
        low: BTreeMap<&'a Vec<String>, usize>,
        stack: Vec<&'a Vec<String>>,
        on_stack: BTreeSet<&'a Vec<String>>,
        next: usize,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a Vec<String>) {
        s.index.insert(v, s.next);
        s.low.insert(v, s.next);
        s.next += 1;
        s.stack.push(v);
        s.on_stack.insert(v);
        if let Some(tos) = s.graph.get(v) {
            for w in tos {
                let Some((w, _)) = s.graph.get_key_value(w) else {
                    continue;
                };
                if !s.index.contains_key(w) {
                    visit(s, w);
                    let lw = s.low[w];
                    let lv = s.low[v];
                    s.low.insert(v, lv.min(lw));
                } else if s.on_stack.contains(w) {
                    let iw = s.index[w];
                    let lv = s.low[v];
                    s.low.insert(v, lv.min(iw));
                }
            }
        }
        if s.low[v] == s.index[v] {
            let mut scc = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                scc.push(show(w));
                if w == v {
                    break;
                }
            }
            if scc.len() > 1 {
                scc.sort();
                s.out.push(scc);
            }
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v) {
            visit(&mut s, v);
        }
    }
    s.out
}

fn src_tree() -> Vec<File> {
    read_tree(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
}

/// No file imports a higher layer, and no model imports another model.
#[test]
fn layers_only_look_down() {
    let v = layer_violations(&import_graph(&src_tree()));
    assert!(
        v.is_empty(),
        "layer rule broken (ARCHITECTURE.md, \"Layers\"):\n{}",
        v.join("\n")
    );
}

/// No two files import each other, directly or through a longer cycle.
#[test]
fn no_import_cycles_between_files() {
    let c = cycles(&import_graph(&src_tree()));
    assert!(
        c.is_empty(),
        "import cycles between files:\n{}",
        c.iter()
            .map(|s| s.join(" <-> "))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// A file over 1,000 lines is listed, with its reason, in ARCHITECTURE.md.
#[test]
fn no_file_over_a_thousand_lines_without_a_reason() {
    let arch =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("ARCHITECTURE.md"))
            .expect("ARCHITECTURE.md");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut long = Vec::new();
    for f in src_tree() {
        let lines = f.text.lines().count();
        if lines > MAX_LINES {
            let name = if f.is_mod {
                format!("{}/mod.rs", f.module.join("/"))
            } else {
                format!("{}.rs", f.module.join("/"))
            };
            if !arch.contains(&format!("`src/{name}`")) {
                long.push(format!("src/{name}: {lines} lines"));
            }
        }
    }
    assert!(root.is_dir());
    assert!(
        long.is_empty(),
        "files over {MAX_LINES} lines with no reason in ARCHITECTURE.md (\"Files over 1,000 lines\"):\n{}",
        long.join("\n")
    );
}

fn file(module: &str, is_mod: bool, text: &str) -> File {
    File {
        module: if module.is_empty() {
            vec![]
        } else {
            module.split("::").map(String::from).collect()
        },
        is_mod,
        text: text.into(),
    }
}

/// The checker itself finds what it must: an upward import, a model importing another
/// model, a cycle through `super::`, and a mod.rs using its child; and it ignores prose,
/// strings and re-exports.
#[test]
fn the_checker_finds_violations_in_a_made_up_tree() {
    let files = vec![
        file("", true, "pub mod cluster;\npub mod repl;\npub mod models;"),
        file("cluster", true, "use crate::repl::Session;\n// crate::check is only prose\nlet s = \"crate::scenario\";"),
        file("repl", true, "pub use crate::cluster::Cluster;"),
        file("models", true, "pub mod a;\npub mod b;"),
        file("models::a", true, "mod x;\nmod y;\nfn f() { x::go(); }"),
        file("models::a::x", false, "use super::y::Y;\nuse crate::models::b::{B, c::C};"),
        file("models::a::y", false, "use super::x::go;"),
        file("models::b", true, "use crate::{sim::Time, value::Value};"),
    ];
    let graph = import_graph(&files);
    let v = layer_violations(&graph);
    assert!(
        v.iter()
            .any(|l| l.starts_with("cluster (shared) imports repl")),
        "{v:?}"
    );
    assert!(
        v.iter()
            .any(|l| l.starts_with("model a (models::a::x) imports model b")),
        "{v:?}"
    );
    assert!(
        !v.iter()
            .any(|l| l.contains("check") || l.contains("scenario")),
        "{v:?}"
    );
    assert!(
        graph[&vec!["repl".to_string()]].is_empty(),
        "a re-export is not an import"
    );
    assert!(
        graph[&vec!["models".to_string(), "a".to_string()]].contains(&vec![
            "models".to_string(),
            "a".to_string(),
            "x".to_string()
        ])
    );
    let c = cycles(&graph);
    assert_eq!(
        c,
        vec![vec!["models::a::x".to_string(), "models::a::y".to_string()]]
    );
}
