//! Breaking type alias chains that TypeScript rejects.
//!
//! `type A = B | string; type B = A` is an error (TS2456): an alias may refer to itself only
//! through a deferred position such as an object member or an array element. Every
//! declaration on such a cycle becomes `unknown`. So does every declaration more than
//! [`MAX_CHAIN`] eager references away from the end of its chain, which would otherwise
//! overflow the compiler's stack.

use std::collections::HashMap;

use super::ts_type::{Declaration, TsType};

/// Longest chain of eagerly resolved aliases kept.
const MAX_CHAIN: usize = 64;

/// Replaces each declaration on an eager alias cycle, or at the head of an over-long eager
/// chain, by `unknown`, noting why in its doc.
pub(super) fn break_alias_cycles<'a>(declarations: impl IntoIterator<Item = &'a mut Declaration>) {
    let mut declarations: Vec<&mut Declaration> = declarations.into_iter().collect();
    let index: HashMap<&str, usize> = declarations
        .iter()
        .enumerate()
        .map(|(i, d)| (d.name.as_str(), i))
        .collect();
    let edges: Vec<Vec<usize>> = declarations
        .iter()
        .map(|d| {
            let mut names = Vec::new();
            immediate_names(&d.ty, &mut names);
            names.iter().filter_map(|n| index.get(n).copied()).collect()
        })
        .collect();
    let (cyclic, finished) = strongly_connected(&edges);
    // Chain lengths, children first (DFS completion order).
    let mut chain = vec![0; edges.len()];
    for &node in &finished {
        if !cyclic[node] {
            let longest = edges[node]
                .iter()
                .filter(|&&child| !cyclic[child])
                .map(|&child| chain[child])
                .max();
            chain[node] = longest.map_or(1, |l| l + 1);
        }
    }
    for (i, declaration) in declarations.iter_mut().enumerate() {
        let note = if cyclic[i] {
            "(Circular type alias in the schema; typed as `unknown`.)"
        } else if chain[i] > MAX_CHAIN {
            "(Type alias chain in the schema is too long; typed as `unknown`.)"
        } else {
            continue;
        };
        declaration.ty = TsType::Unknown;
        declaration.doc.push(note.to_owned());
    }
}

/// Names referenced where TypeScript may resolve them eagerly: the type itself, union and
/// intersection members, and (conservatively) anything inside a tuple or an array of tuples,
/// since TypeScript resolves nested tuples with optional elements eagerly. Object types
/// (printed as interfaces, literals or `Record`s without names) and arrays of other types
/// defer their members.
fn immediate_names<'a>(ty: &'a TsType, out: &mut Vec<&'a str>) {
    match ty {
        TsType::Named(name) => out.push(name),
        TsType::Union(members) | TsType::Intersection(members) => {
            members.iter().for_each(|m| immediate_names(m, out));
        }
        TsType::Tuple { items, rest } => {
            items.iter().for_each(|item| immediate_names(&item.ty, out));
            rest.iter().for_each(|rest| immediate_names(rest, out));
        }
        TsType::Array(element) if contains_tuple(element) => immediate_names(element, out),
        _ => {}
    }
}

/// Whether `ty` is a tuple or a union or intersection with a tuple member.
fn contains_tuple(ty: &TsType) -> bool {
    match ty {
        TsType::Tuple { .. } => true,
        TsType::Union(members) | TsType::Intersection(members) => {
            members.iter().any(contains_tuple)
        }
        _ => false,
    }
}

/// For each node, whether it lies on a cycle, plus all nodes in DFS completion order
/// (Kosaraju's strongly connected components, iterative so that long chains cannot overflow
/// the stack).
fn strongly_connected(edges: &[Vec<usize>]) -> (Vec<bool>, Vec<usize>) {
    let n = edges.len();
    // Pass 1: nodes in order of DFS completion.
    let mut visited = vec![false; n];
    let mut finished = Vec::with_capacity(n);
    for start in 0..n {
        if visited[start] {
            continue;
        }
        visited[start] = true;
        let mut stack = vec![(start, 0)];
        while let Some((node, next)) = stack.pop() {
            match edges[node].get(next) {
                Some(&child) => {
                    stack.push((node, next + 1));
                    if !visited[child] {
                        visited[child] = true;
                        stack.push((child, 0));
                    }
                }
                None => finished.push(node),
            }
        }
    }
    // Pass 2: components of the reversed graph, in reverse completion order.
    let mut reversed = vec![Vec::new(); n];
    for (from, targets) in edges.iter().enumerate() {
        for &to in targets {
            reversed[to].push(from);
        }
    }
    let mut component = vec![usize::MAX; n];
    let mut sizes = Vec::new();
    for &start in finished.iter().rev() {
        if component[start] != usize::MAX {
            continue;
        }
        let id = sizes.len();
        let mut size = 0;
        component[start] = id;
        let mut stack = vec![start];
        while let Some(node) = stack.pop() {
            size += 1;
            for &prev in &reversed[node] {
                if component[prev] == usize::MAX {
                    component[prev] = id;
                    stack.push(prev);
                }
            }
        }
        sizes.push(size);
    }
    let cyclic = (0..n)
        .map(|node| sizes[component[node]] > 1 || edges[node].contains(&node))
        .collect();
    (cyclic, finished)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codegen::ts_type::{ObjectType, Property};

    fn decl(name: &str, ty: TsType) -> Declaration {
        Declaration {
            name: name.into(),
            doc: Vec::new(),
            ty,
        }
    }

    fn named(name: &str) -> TsType {
        TsType::Named(name.into())
    }

    #[test]
    fn components() {
        let edges = vec![vec![1], vec![0], vec![0], vec![3], vec![]];
        assert_eq!(
            strongly_connected(&edges).0,
            [true, true, false, true, false]
        );
    }

    #[test]
    fn pure_alias_cycles_become_unknown() {
        let mut decls = vec![
            decl("A", TsType::union([named("B"), TsType::String])),
            decl("B", TsType::intersection([named("A"), named("C")])),
            decl("C", named("D")),
            decl("D", TsType::Number),
        ];
        break_alias_cycles(&mut decls);
        assert_eq!(decls[0].ty, TsType::Unknown);
        assert_eq!(decls[1].ty, TsType::Unknown);
        assert_eq!(decls[2].ty, named("D"));
        assert!(decls[0].doc[0].contains("Circular"));
    }

    #[test]
    fn cycles_through_structure_are_kept() {
        let object = TsType::Object(ObjectType {
            properties: vec![Property {
                name: "next".into(),
                optional: true,
                ty: named("List"),
                doc: Vec::new(),
            }],
            index: None,
        });
        let mut decls = vec![
            decl("List", object.clone()),
            decl(
                "Tree",
                TsType::union([TsType::String, TsType::Array(Box::new(named("Tree")))]),
            ),
        ];
        break_alias_cycles(&mut decls);
        assert_eq!(decls[0].ty, object);
        assert_ne!(decls[1].ty, TsType::Unknown);
    }

    #[test]
    fn cycles_through_tuples_are_broken() {
        // `type T = [[T?]?] | string` and `type U = [[U?]?][] | string` are TS2456 errors.
        let optional = |ty: TsType| TsType::Tuple {
            items: vec![crate::codegen::ts_type::TupleItem { ty, optional: true }],
            rest: None,
        };
        let mut decls = vec![
            decl(
                "T",
                TsType::union([optional(optional(named("T"))), TsType::String]),
            ),
            decl(
                "U",
                TsType::union([
                    TsType::Array(Box::new(optional(optional(named("U"))))),
                    TsType::String,
                ]),
            ),
        ];
        break_alias_cycles(&mut decls);
        assert_eq!(decls[0].ty, TsType::Unknown);
        assert_eq!(decls[1].ty, TsType::Unknown);
    }

    #[test]
    fn over_long_chains_are_cut() {
        let n = MAX_CHAIN + 10;
        let mut decls: Vec<_> = (0..n)
            .map(|i| {
                decl(
                    &format!("T{i}"),
                    TsType::union([named(&format!("T{}", i + 1)), TsType::Null]),
                )
            })
            .collect();
        break_alias_cycles(&mut decls);
        let unknown = decls.iter().filter(|d| d.ty == TsType::Unknown).count();
        assert_eq!(unknown, n - MAX_CHAIN);
        assert_eq!(decls[0].ty, TsType::Unknown);
        assert_ne!(decls[n - 1].ty, TsType::Unknown);
        assert!(decls[0].doc[0].contains("too long"));
    }

    #[test]
    fn long_cycles_do_not_overflow() {
        let mut decls: Vec<_> = (0..100_000)
            .map(|i| decl(&format!("T{i}"), named(&format!("T{}", (i + 1) % 100_000))))
            .collect();
        break_alias_cycles(&mut decls);
        assert!(decls.iter().all(|d| d.ty == TsType::Unknown));
    }
}
