//! tree-sitter-elixir helpers shared by the Elixir editors: parse, find calls and lists structurally,
//! insert an element into a list the way `mix format` lays it out, and check that output parses.

use crate::error::{Error, Result};
use std::path::Path;
use tree_sitter::{Node, Parser, Tree};

/// Parse Elixir source. tree-sitter always returns a tree; errors show up as ERROR/MISSING nodes.
///
/// The last few trees are kept (detection, the editor and validation read the same files), so a
/// file is parsed once per run, and [`parse_edited`] can reparse an edit incrementally.
pub fn parse(src: &str) -> Tree {
    if let Some(tree) = cached(src) {
        return tree;
    }
    let tree = parse_with(src, None);
    remember(src, &tree);
    tree
}

/// Parse `after`, an edited `before`: when `before`'s tree is at hand, only the changed region is
/// parsed again (tree-sitter's incremental parse gives the same tree as a full parse).
pub fn parse_edited(before: &str, after: &str) -> Tree {
    // The editor validates its output, and the plan validates it again.
    if let Some(tree) = cached(after) {
        return tree;
    }
    let Some(mut old) = cached(before) else {
        return parse(after);
    };
    let prefix = before
        .bytes()
        .zip(after.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    let room = before.len().min(after.len()) - prefix;
    let suffix = before
        .bytes()
        .rev()
        .zip(after.bytes().rev())
        .take(room)
        .take_while(|(a, b)| a == b)
        .count();
    // Keep the edit on character boundaries.
    let start = floor_char_boundary(before, prefix).min(floor_char_boundary(after, prefix));
    let old_end = before.len() - suffix;
    let new_end = after.len() - suffix;
    let (old_end, new_end) = (
        ceil_char_boundary(before, old_end.max(start)),
        ceil_char_boundary(after, new_end.max(start)),
    );
    old.edit(&tree_sitter::InputEdit {
        start_byte: start,
        old_end_byte: old_end,
        new_end_byte: new_end,
        start_position: point_at(before, start),
        old_end_position: point_at(before, old_end),
        new_end_position: point_at(after, new_end),
    });
    let tree = parse_with(after, Some(&old));
    remember(after, &tree);
    tree
}

fn parse_with(src: &str, old: Option<&Tree>) -> Tree {
    let mut parser = Parser::new();
    parser
        .set_language(&tree_sitter_elixir::LANGUAGE.into())
        .expect("the bundled Elixir grammar matches the tree-sitter version");
    parser
        .parse(src, old)
        .expect("parsing without a timeout or cancellation flag always yields a tree")
}

/// Recently parsed sources and their trees, newest last.
const CACHE_SIZE: usize = 8;
thread_local! {
    static TREES: std::cell::RefCell<Vec<(String, Tree)>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn cached(src: &str) -> Option<Tree> {
    TREES.with(|t| {
        t.borrow()
            .iter()
            .find(|(s, _)| s == src)
            .map(|(_, tree)| tree.clone())
    })
}

fn remember(src: &str, tree: &Tree) {
    TREES.with(|t| {
        let mut trees = t.borrow_mut();
        if trees.len() == CACHE_SIZE {
            trees.remove(0);
        }
        trees.push((src.to_string(), tree.clone()));
    });
}

fn point_at(src: &str, byte: usize) -> tree_sitter::Point {
    let before = &src[..byte];
    let row = before.matches('\n').count();
    let column = byte - before.rfind('\n').map_or(0, |i| i + 1);
    tree_sitter::Point { row, column }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_char_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// Parse an Elixir file an editor is given, refusing it (exit 2, with the line) when Elixir would not
/// compile it: a syntax error, or a carriage return that ends no line (tree-sitter lets some pass).
pub fn parse_file(path: &Path, src: &str) -> Result<Tree> {
    let tree = parse(src);
    match syntax_error_at(&tree, src) {
        Some(at) => Err(syntax_error(path, at)),
        None => Ok(tree),
    }
}

/// Where the first syntax error is, as 1-based lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyntaxErrorAt {
    /// Where the code that does not parse starts.
    pub line: usize,
    /// Where it ends: an unclosed `[`, `{` or `do` makes it run on, and the mistake is somewhere
    /// in between.
    pub last: usize,
    /// An opening `[`, `{`, `(`, `<<`, `do` or `fn` in it that nothing closes, and its line: what
    /// Elixir's own message ("missing terminator") points at.
    pub unclosed: Option<(usize, &'static str)>,
}

/// The first reason [`parse_file`] refuses `src`, parsed as `tree`.
pub fn syntax_error_at(tree: &Tree, src: &str) -> Option<SyntaxErrorAt> {
    first_error_at(tree).or_else(|| {
        stray_carriage_return(src).map(|line| SyntaxErrorAt {
            line,
            last: line,
            unclosed: None,
        })
    })
}

/// `FILE line N: is not valid Elixir (syntax error)`, with the help every Elixir refusal gives;
/// for an error that spans lines, the opener nothing closes, or up to which line the mistake may be.
pub fn syntax_error(path: &Path, at: SyntaxErrorAt) -> Error {
    let SyntaxErrorAt {
        line,
        last,
        unclosed,
    } = at;
    let (line, message) = match unclosed {
        Some((opened, token)) => (
            opened,
            format!(
                "is not valid Elixir (syntax error: the `{token}` here is never closed; the code that does not parse runs from line {line} to line {last})"
            ),
        ),
        None if last > line => (
            line,
            format!("is not valid Elixir (a syntax error between here and line {last})"),
        ),
        None => (line, "is not valid Elixir (syntax error)".to_string()),
    };
    Error::input(path, Some(line), message)
        .with_help("fix the syntax error (`mix compile` shows it) and run flycluster again")
}

/// The first syntax error as a 1-based (line, column), if any.
pub fn first_error(tree: &Tree) -> Option<(usize, usize)> {
    first_error_node(tree).map(|n| {
        let p = n.start_position();
        (p.row + 1, p.column + 1)
    })
}

/// The first syntax error: the node tree-sitter could not parse (or a missing token), from its
/// start to its end, and the opener in it that nothing closes.
pub fn first_error_at(tree: &Tree) -> Option<SyntaxErrorAt> {
    first_error_node(tree).map(|n| {
        let (start, end) = (n.start_position(), n.end_position());
        // A node that ends at the start of a line ends on the line before.
        let last = if end.column == 0 && end.row > start.row {
            end.row
        } else {
            end.row + 1
        };
        SyntaxErrorAt {
            line: start.row + 1,
            last,
            unclosed: unclosed_opener(n),
        }
    })
}

/// The opening delimiter in an error node that is never closed, with its 1-based line: reading the
/// node's tokens in order as Elixir's tokenizer does, the opener on top when a closer of another
/// kind comes (`]` while a `{` is open), else the innermost one still open at the end.
fn unclosed_opener(error: Node<'_>) -> Option<(usize, &'static str)> {
    const PAIRS: [(&str, &str); 6] = [
        ("[", "]"),
        ("{", "}"),
        ("(", ")"),
        ("<<", ">>"),
        ("do", "end"),
        ("fn", "end"),
    ];
    let mut open: Vec<(usize, &'static str, &'static str)> = Vec::new();
    let mut mismatch = None;
    walk(error, &mut |token| {
        if mismatch.is_some() || token.child_count() > 0 {
            return;
        }
        let kind = token.kind();
        if let Some((opener, closer)) = PAIRS.iter().find(|(o, _)| *o == kind) {
            open.push((token.start_position().row + 1, opener, closer));
        } else if PAIRS.iter().any(|(_, c)| *c == kind) {
            match open.last() {
                Some((_, _, closer)) if *closer == kind => {
                    open.pop();
                }
                Some((line, opener, _)) => mismatch = Some((*line, *opener)),
                None => {}
            }
        }
    });
    mismatch.or_else(|| open.last().map(|(line, opener, _)| (*line, *opener)))
}

/// The first error or missing node, depth first; the root when tree-sitter marks an error it
/// puts in no node.
fn first_error_node(tree: &Tree) -> Option<Node<'_>> {
    let root = tree.root_node();
    if !root.has_error() {
        return None;
    }
    let mut found = None;
    walk(root, &mut |n| {
        if found.is_none() && (n.is_error() || n.is_missing()) {
            found = Some(n);
        }
    });
    Some(found.unwrap_or(root))
}

/// Visit every node under (and including) `node`, depth first, in source order. One cursor for the
/// whole walk: creating a cursor per node was most of the cost on large files.
pub fn walk<'t>(node: Node<'t>, f: &mut impl FnMut(Node<'t>)) {
    let mut cursor = node.walk();
    loop {
        f(cursor.node());
        if cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.node() == node {
                return;
            }
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return;
            }
        }
    }
}

/// Every node of `kind` under `node`, in source order.
pub fn descendants_of_kind<'t>(node: Node<'t>, kind: &str) -> Vec<Node<'t>> {
    // Compared by symbol id: a node's kind name costs a lookup and a UTF-8 check, and these walks
    // visit every node of files with thousands of children.
    let ids = kind_ids(node, kind);
    let mut out = Vec::new();
    walk(node, &mut |n| {
        if ids.contains(&n.kind_id()) {
            out.push(n)
        }
    });
    out
}

/// Every node of `kind` under `node` that is not inside a list literal. Statements, bindings and
/// calls of a function body are found without visiting each element of a children list, which
/// in a large application can be most of the file.
pub fn descendants_of_kind_outside_lists<'t>(node: Node<'t>, kind: &str) -> Vec<Node<'t>> {
    let ids = kind_ids(node, kind);
    let lists = kind_ids(node, "list");
    let mut out = Vec::new();
    let mut cursor = node.walk();
    loop {
        let current = cursor.node();
        if ids.contains(&current.kind_id()) {
            out.push(current);
        }
        let skip = current != node && lists.contains(&current.kind_id());
        if !skip && cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.node() == node {
                return out;
            }
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return out;
            }
        }
    }
}

/// The grammar's symbol ids named `kind` (one name can have several, through aliases).
fn kind_ids(node: Node<'_>, kind: &str) -> Vec<u16> {
    thread_local! {
        static IDS: std::cell::RefCell<Vec<(String, Vec<u16>)>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    if let Some(ids) = IDS.with(|c| {
        c.borrow()
            .iter()
            .find(|(k, _)| k == kind)
            .map(|(_, ids)| ids.clone())
    }) {
        return ids;
    }
    let language = node.language();
    let ids: Vec<u16> = (0..language.node_kind_count() as u16)
        .filter(|&id| language.node_kind_for_id(id) == Some(kind))
        .collect();
    IDS.with(|c| c.borrow_mut().push((kind.to_string(), ids.clone())));
    ids
}

pub fn text<'s>(node: Node<'_>, src: &'s str) -> &'s str {
    &src[node.byte_range()]
}

/// The name a call is made with: `def` for `def start(...)`, `Supervisor.start_link` for a remote call.
pub fn call_name<'s>(call: Node<'_>, src: &'s str) -> Option<&'s str> {
    if call.kind() != "call" {
        return None;
    }
    call.child_by_field_name("target").map(|t| text(t, src))
}

/// The `arguments` node of a call.
pub fn call_args(call: Node<'_>) -> Option<Node<'_>> {
    let mut cursor = call.walk();
    call.named_children(&mut cursor)
        .find(|c| c.kind() == "arguments")
}

/// The `do_block` node of a call.
pub fn do_block(call: Node<'_>) -> Option<Node<'_>> {
    let mut cursor = call.walk();
    call.named_children(&mut cursor)
        .find(|c| c.kind() == "do_block")
}

/// The first named child that is not a comment, without collecting the others.
pub fn first_item(node: Node<'_>) -> Option<Node<'_>> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor)
        .find(|c| c.kind() != "comment")
}

/// Named children that are not comments.
pub fn items(node: Node<'_>) -> Vec<Node<'_>> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor)
        .filter(|c| c.kind() != "comment")
        .collect()
}

/// The name of a `def`/`defp` call (`start` in `def start(_type, _args) do`).
pub fn def_name<'s>(def: Node<'_>, src: &'s str) -> Option<&'s str> {
    let args = call_args(def)?;
    let head = items(args).into_iter().next()?;
    match head.kind() {
        "identifier" => Some(text(head, src)),
        "call" => call_name(head, src),
        // `def start(a, b) when ...`
        "binary_operator" => {
            let left = head.child_by_field_name("left")?;
            match left.kind() {
                "call" => call_name(left, src),
                "identifier" => Some(text(left, src)),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Every `def`/`defp` named `name` in the tree.
pub fn find_defs<'t>(root: Node<'t>, src: &str, name: &str) -> Vec<Node<'t>> {
    // A definition is never an element of a list.
    descendants_of_kind_outside_lists(root, "call")
        .into_iter()
        .filter(|c| matches!(call_name(*c, src), Some("def" | "defp")))
        .filter(|c| def_name(*c, src) == Some(name))
        .collect()
}

/// The value of `key:` in a keyword list (`[app: :hello, ...]`) or a `keywords` node.
pub fn keyword_value<'t>(list: Node<'t>, src: &str, key: &str) -> Option<Node<'t>> {
    let keywords = if list.kind() == "keywords" {
        list
    } else {
        items(list).into_iter().find(|c| c.kind() == "keywords")?
    };
    for pair in items(keywords) {
        let k = pair.child_by_field_name("key")?;
        let name = text(k, src).trim_end().trim_end_matches(':');
        if name == key {
            return pair.child_by_field_name("value");
        }
    }
    None
}

/// The last expression of a do-block (what a function returns).
pub fn last_expression(block: Node<'_>) -> Option<Node<'_>> {
    items(block).into_iter().rfind(|c| {
        !matches!(
            c.kind(),
            "do" | "end" | "else_block" | "after_block" | "rescue_block" | "catch_block"
        )
    })
}

/// What a function returns: the last expression of its do-block, or its `, do: value`.
pub fn def_result<'t>(def: Node<'t>, src: &str) -> Option<Node<'t>> {
    if let Some(block) = do_block(def) {
        return last_expression(block);
    }
    let args = call_args(def)?;
    let kw = items(args).into_iter().find(|n| n.kind() == "keywords")?;
    keyword_value(kw, src, "do")
}

/// The list literals joined by `++` in `node` (a lone list gives itself), left to right.
pub fn concatenated_lists<'t>(node: Node<'t>, src: &str) -> Vec<Node<'t>> {
    match node.kind() {
        "list" => vec![node],
        "binary_operator"
            if node
                .child_by_field_name("operator")
                .is_some_and(|o| text(o, src) == "++") =>
        {
            ["left", "right"]
                .into_iter()
                .filter_map(|side| node.child_by_field_name(side))
                .flat_map(|n| concatenated_lists(n, src))
                .collect()
        }
        _ => Vec::new(),
    }
}

/// An atom literal's name without the colon (`:hello` → `hello`).
pub fn atom_name<'s>(node: Node<'_>, src: &'s str) -> Option<&'s str> {
    (node.kind() == "atom").then(|| text(node, src).trim_start_matches(':'))
}

/// Byte offset of the start of the line holding `byte`.
pub fn line_start(src: &str, byte: usize) -> usize {
    src[..byte].rfind('\n').map_or(0, |i| i + 1)
}

/// Byte offset just past the newline ending the line holding `byte` (or the end of `src`).
pub fn line_end(src: &str, byte: usize) -> usize {
    src[byte..].find('\n').map_or(src.len(), |i| byte + i + 1)
}

/// Indentation (leading spaces) of the line holding `byte`.
pub fn indent_of_line(src: &str, byte: usize) -> usize {
    let start = line_start(src, byte);
    src[start..].chars().take_while(|c| *c == ' ').count()
}

/// Where a new element goes in a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListPosition {
    /// Before every element.
    Start,
    /// Right after the element with this index (among [`items`]).
    After(usize),
}

/// The 1-based line of the first carriage return that ends no line. Editors get text with CRLF
/// already turned into LF, so any CR left is one; Elixir rejects it ("unexpected token: carriage
/// return", in code), while tree-sitter accepts it in some places, and an edit beside it may not
/// parse. One in a comment, which Elixir lets pass, is reported too: stricter, never wrong.
pub fn stray_carriage_return(src: &str) -> Option<usize> {
    let at = src.find('\r')?;
    Some(src[..at].matches('\n').count() + 1)
}

/// Whether text after `element` would continue it rather than follow it: a call without parentheses
/// (`supervisor Foo, []`) takes `, next` as one more argument, and a keyword list must stay last.
/// Both are found at the end of the element, however deeply nested (`x = worker Foo`).
pub fn ends_open(element: Node<'_>) -> bool {
    let mut node = element;
    loop {
        match node.kind() {
            "keywords" => return true,
            "arguments" if node.child(0).is_none_or(|first| first.kind() != "(") => return true,
            _ => {}
        }
        match node.child(node.child_count().saturating_sub(1)) {
            Some(last) => node = last,
            None => return false,
        }
    }
}

/// Why [`insert_in_list`] left a list alone: each names what it found, for the manual step's reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListRefusal {
    /// The element the new one would follow ends in a call without parentheses or in keywords, which
    /// would take `, new` as part of it (1-based line of the element).
    OpenElement(usize),
    /// Two elements share this line of a list laid out over several lines.
    SharedLine(usize),
    /// An element sits on the `[` line of a list laid out over several lines.
    ElementOnOpeningLine(usize),
    /// `]` shares this line with the element the new one would follow.
    ClosingOnElementLine(usize),
    /// The comma after the element on this line starts the next line.
    CommaOnNextLine(usize),
    /// A one-line list (on this line) that does not fit with the new element, where `mix format`
    /// would break more than the list, or where its elements cannot go one a line as they are.
    CannotBreak { line: usize, why: String },
    /// The edited text would not parse.
    WouldNotParse,
}

impl ListRefusal {
    /// The reason, for a list called `what` (`children list`, `deps list`).
    pub fn describe(&self, what: &str) -> String {
        match self {
            ListRefusal::OpenElement(line) => format!(
                "the element on line {line} of the {what} ends in a call without parentheses or in keywords, which would take a new element after it as part of itself"
            ),
            ListRefusal::SharedLine(line) => {
                format!("two elements of the {what} share line {line}")
            }
            ListRefusal::ElementOnOpeningLine(line) => {
                format!("the {what} has an element on its `[` line (line {line})")
            }
            ListRefusal::ClosingOnElementLine(line) => {
                format!("the {what}'s `]` shares line {line} with its last element")
            }
            ListRefusal::CommaOnNextLine(line) => format!(
                "the comma after the element on line {line} of the {what} starts the next line"
            ),
            ListRefusal::CannotBreak { line, why } => format!(
                "the {what} on line {line} is too long for one line with the new element, and {why}"
            ),
            ListRefusal::WouldNotParse => format!(
                "the file would not parse with the new element in the {what} (the parser reads code beside it differently from Elixir)"
            ),
        }
    }
}

/// Insert an element into a list laid out one element per line, as `mix format` leaves such a list,
/// or into a one-line list (broken one element a line, as the formatter would, when it no longer
/// fits). `layout(indent, trailing)` returns the element's lines (indented, `trailing` appended to
/// the last). Refuses when the list's layout is not one this can edit without reformatting the
/// user's code, or when the result would not parse (`src` must parse).
pub fn insert_in_list(
    src: &str,
    list: Node<'_>,
    position: ListPosition,
    layout: &dyn Fn(usize, &str) -> Vec<String>,
    line_length: usize,
) -> Result<String, ListRefusal> {
    let out = insert_unchecked(src, list, position, layout, line_length)?;
    // tree-sitter's error recovery accepts some code Elixir rejects, and an edit beside it can
    // tip the parse over; the caller then makes it a manual step instead of writing it.
    match first_error(&parse_edited(src, &out)) {
        None => Ok(out),
        Some(_) => Err(ListRefusal::WouldNotParse),
    }
}

fn line_of(node: Node<'_>) -> usize {
    node.start_position().row + 1
}

fn insert_unchecked(
    src: &str,
    list: Node<'_>,
    position: ListPosition,
    layout: &dyn Fn(usize, &str) -> Vec<String>,
    line_length: usize,
) -> Result<String, ListRefusal> {
    let elements = items(list);
    if let ListPosition::After(k) = position
        && let Some(element) = elements.get(k).filter(|e| ends_open(**e))
    {
        return Err(ListRefusal::OpenElement(line_of(*element)));
    }
    let open = list.start_byte();
    let close = list.end_byte() - 1;
    debug_assert_eq!(&src[close..=close], "]");
    let multiline = list.start_position().row != list.end_position().row;

    if !multiline {
        return insert_in_single_line_list(src, list, position, layout, line_length);
    }

    let indent = match elements.first() {
        Some(first) => first.start_position().column,
        None => indent_of_line(src, open) + 2,
    };
    // Every element must start its own line, or splicing a line in would scramble the order.
    for pair in elements.windows(2) {
        if pair[0].end_position().row == pair[1].start_position().row {
            return Err(ListRefusal::SharedLine(line_of(pair[1])));
        }
    }
    let opening_line = src[open + 1..line_end(src, open)].trim();
    if !opening_line.is_empty() && !opening_line.starts_with('#') {
        return Err(ListRefusal::ElementOnOpeningLine(line_of(list)));
    }

    let mut out = String::with_capacity(src.len() + 128);
    match position {
        ListPosition::Start => {
            let at = line_end(src, open);
            let trailing = if elements.is_empty() { "" } else { "," };
            out.push_str(&src[..at]);
            push_lines(&mut out, &layout(indent, trailing));
            out.push_str(&src[at..]);
        }
        ListPosition::After(k) => {
            let element = *elements
                .get(k)
                .expect("the position names an element of the list");
            let after_el = element.end_byte();
            let rest = &src[after_el..];
            let gap = rest.len() - rest.trim_start_matches([' ', '\t']).len();
            let has_comma = rest[gap..].starts_with(',');
            let is_last = k + 1 == elements.len();
            if element.end_position().row == list.end_position().row {
                return Err(ListRefusal::ClosingOnElementLine(
                    element.end_position().row + 1,
                ));
            }
            if !is_last && !has_comma {
                return Err(ListRefusal::CommaOnNextLine(element.end_position().row + 1));
            }
            if is_last && !has_comma {
                let at = line_end(src, after_el);
                out.push_str(&src[..after_el]);
                out.push(',');
                out.push_str(&src[after_el..at]);
                push_lines(&mut out, &layout(indent, ""));
                out.push_str(&src[at..]);
            } else {
                let at = line_end(src, after_el + gap);
                out.push_str(&src[..at]);
                push_lines(&mut out, &layout(indent, ","));
                out.push_str(&src[at..]);
            }
        }
    }
    Ok(out)
}

fn push_lines(out: &mut String, lines: &[String]) {
    for line in lines {
        out.push_str(line);
        out.push('\n');
    }
}

/// The new element inline when the line still fits; else the list broken one element a line.
fn insert_in_single_line_list(
    src: &str,
    list: Node<'_>,
    position: ListPosition,
    layout: &dyn Fn(usize, &str) -> Vec<String>,
    line_length: usize,
) -> Result<String, ListRefusal> {
    let elements = items(list);
    if let [new] = layout(0, "").as_slice() {
        let (at, piece) = match (position, elements.is_empty()) {
            (_, true) => (list.start_byte() + 1, new.to_string()),
            (ListPosition::Start, false) => (elements[0].start_byte(), format!("{new}, ")),
            (ListPosition::After(k), false) => (elements[k].end_byte(), format!(", {new}")),
        };
        let mut out = String::with_capacity(src.len() + piece.len());
        out.push_str(&src[..at]);
        out.push_str(&piece);
        out.push_str(&src[at..]);
        // The edited line must still fit, or the formatter would break the list up.
        let width = out[line_start(&out, at)..line_end(&out, at)]
            .trim_end_matches('\n')
            .chars()
            .count();
        if width <= line_length {
            return Ok(out);
        }
    }
    break_single_line_list(src, list, position, layout, line_length)
}

/// A one-line list that no longer fits, laid out as `mix format` lays it out: `[` where it was, one
/// element a line two spaces in, `]` under the line's start. That is the formatter's layout only
/// where the list alone breaks: the right side of `name = ` at the start of its line, or a list on
/// a line of its own ending a do-block (`defp deps do`); elsewhere (a call's argument, `++`) the
/// formatter breaks the code around it first, and the user decides.
fn break_single_line_list(
    src: &str,
    list: Node<'_>,
    position: ListPosition,
    layout: &dyn Fn(usize, &str) -> Vec<String>,
    line_length: usize,
) -> Result<String, ListRefusal> {
    let line = line_of(list);
    let refuse = |why: &str| {
        Err(ListRefusal::CannotBreak {
            line,
            why: why.to_string(),
        })
    };
    let before = src[line_start(src, list.start_byte())..list.start_byte()].trim_start();
    let after = &src[list.end_byte()..line_end(src, list.end_byte())];
    let parent = list.parent();
    let assigned = parent.filter(|p| {
        p.kind() == "binary_operator"
            && p.child_by_field_name("operator")
                .is_some_and(|o| text(o, src) == "=")
            && p.child_by_field_name("right") == Some(list)
    });
    let fits_alone = match assigned {
        Some(bind) => bind
            .child_by_field_name("left")
            .is_some_and(|l| l.kind() == "identifier" && before == format!("{} = ", text(l, src))),
        None => before.is_empty() && parent.is_some_and(|p| p.kind() == "do_block"),
    };
    if !fits_alone {
        return refuse(&match parent.and_then(|p| p.parent()).and_then(|c| call_name(c, src)) {
            Some(call) if parent.is_some_and(|p| p.kind() == "arguments") => format!(
                "as an argument of `{call}` `mix format` would break the call around it first; assign the list to a variable (`children = [...]`) or break it one element a line"
            ),
            _ => "where it stands `mix format` would break the code around it first; assign the list to a variable (`children = [...]`) or break it one element a line".to_string(),
        });
    }
    if !after.trim().is_empty() {
        return refuse("code or a comment follows it on its line");
    }
    let elements = items(list);
    if let Some(keywords) = elements.iter().find(|e| e.kind() == "keywords") {
        return refuse(&format!(
            "its keywords (`{}`) would be broken a pair a line",
            text(*keywords, src)
        ));
    }
    let indent = indent_of_line(src, list.start_byte());
    let pad = " ".repeat(indent + 2);
    let new_at = match position {
        ListPosition::Start => 0,
        ListPosition::After(k) => k + 1,
    };
    let count = elements.len() + 1;
    let mut lines = Vec::with_capacity(count + 2);
    for (i, element) in elements.iter().enumerate() {
        let slot = if i < new_at { i } else { i + 1 };
        let trailing = if slot + 1 == count { "" } else { "," };
        let line = format!("{pad}{}{trailing}", text(*element, src));
        if line.chars().count() > line_length {
            return refuse(&format!(
                "its element `{}` would not fit on a line of its own",
                text(*element, src)
            ));
        }
        lines.push(line);
    }
    let trailing = if new_at + 1 == count { "" } else { "," };
    let new_lines = layout(indent + 2, trailing);
    lines.splice(new_at..new_at, new_lines);
    let mut broken = String::from("[\n");
    for l in &lines {
        broken.push_str(l);
        broken.push('\n');
    }
    broken.push_str(&" ".repeat(indent));
    broken.push(']');
    let mut out = String::with_capacity(src.len() + broken.len());
    out.push_str(&src[..list.start_byte()]);
    out.push_str(&broken);
    out.push_str(&src[list.end_byte()..]);
    Ok(out)
}

/// Render a template that offers `layouts` layouts of one piece of code (selected by its `layout`
/// variable, from one line to fully broken) and keep the first that `mix format` would keep, else
/// the most broken one.
///
/// The formatter's fit rule, measured against Elixir's own formatter: the one-line layout must fit
/// whole, trailing comma included; once a tuple is broken, its closing `}` and the comma after it
/// are not counted on the last line (`uncounted_tail` characters). A line that no layout breaks
/// further (it is in the most broken layout too) is left long rather than breaking the rest.
pub fn fitted_layout(
    template: &str,
    layouts: usize,
    ctx: minijinja::Value,
    line_length: usize,
    uncounted_tail: usize,
) -> Vec<String> {
    let rendered: Vec<Vec<String>> = (0..layouts)
        .map(|layout| {
            crate::templates::render(template, minijinja::context! { layout, ..ctx.clone() })
                .lines()
                .map(str::to_string)
                .collect()
        })
        .collect();
    let most_broken = rendered
        .last()
        .expect("a template offers at least one layout");
    let fits = |layout: usize, lines: &[String]| {
        let last = lines.len().saturating_sub(1);
        lines.iter().enumerate().all(|(i, line)| {
            let width = line.chars().count();
            let counted = if layout > 0 && i == last {
                width.saturating_sub(uncounted_tail)
            } else {
                width
            };
            counted <= line_length || (layout > 0 && most_broken.contains(line))
        })
    };
    rendered
        .iter()
        .enumerate()
        .find(|(layout, lines)| fits(*layout, lines))
        .map_or_else(|| most_broken.clone(), |(_, lines)| lines.clone())
}

/// The formatter's line length from `.formatter.exs` (`line_length: N`), default 98.
pub fn formatter_line_length(formatter_exs: Option<&str>) -> usize {
    const DEFAULT: usize = 98;
    let Some(src) = formatter_exs else {
        return DEFAULT;
    };
    let tree = parse(src);
    for pair in descendants_of_kind(tree.root_node(), "pair") {
        let Some(key) = pair.child_by_field_name("key") else {
            continue;
        };
        if text(key, src).trim_end().trim_end_matches(':') == "line_length"
            && let Some(v) = pair.child_by_field_name("value")
            && let Ok(n) = text(v, src).replace('_', "").parse::<usize>()
        {
            return n;
        }
    }
    DEFAULT
}

/// What the file binds the variables `node` uses to (`app_name = System.get_env("FLY_APP_NAME")`).
pub fn bound_values<'t>(node: Node<'t>, root: Node<'t>, src: &str) -> Vec<Node<'t>> {
    let mut names: Vec<&str> = descendants_of_kind(node, "identifier")
        .into_iter()
        .map(|i| text(i, src))
        .collect();
    if node.kind() == "identifier" {
        names.push(text(node, src));
    }
    descendants_of_kind(root, "binary_operator")
        .into_iter()
        .filter(|b| {
            b.child_by_field_name("operator")
                .is_some_and(|o| text(o, src) == "=")
                && b.child_by_field_name("left")
                    .is_some_and(|l| l.kind() == "identifier" && names.contains(&text(l, src)))
        })
        .filter_map(|b| b.child_by_field_name("right"))
        .collect()
}

/// The node's text followed by what its variables are bound to, for "does it read X" questions.
pub fn expanded_text(node: Node<'_>, root: Node<'_>, src: &str) -> String {
    let mut out = text(node, src).to_string();
    for value in bound_values(node, root, src) {
        out.push(' ');
        out.push_str(text(value, src));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(indent: usize, trailing: &str) -> Vec<String> {
        vec![format!("{}New{trailing}", " ".repeat(indent))]
    }

    fn insert(src: &str, pos: ListPosition) -> Result<String, ListRefusal> {
        insert_at(src, pos, 98)
    }

    fn insert_at(src: &str, pos: ListPosition, line_length: usize) -> Result<String, ListRefusal> {
        let tree = parse(src);
        let list = descendants_of_kind(tree.root_node(), "list")[0];
        insert_in_list(src, list, pos, &one, line_length)
    }

    #[test]
    fn inserts_after_an_element_keeping_its_trailing_comment() {
        let src = "x = [\n  A, # a\n  # about B\n  B\n]\n";
        assert_eq!(
            insert(src, ListPosition::After(0)).unwrap(),
            "x = [\n  A, # a\n  New,\n  # about B\n  B\n]\n"
        );
    }

    /// Found by fuzzing: a comma at the start of the next element's line (`A\n, B`) left the new
    /// element without one.
    #[test]
    fn never_inserts_between_an_element_and_a_comma_on_the_next_line() {
        let src = "x = [\n  A\n  , B\n]\n";
        assert_eq!(
            insert(src, ListPosition::After(0)),
            Err(ListRefusal::CommaOnNextLine(2))
        );
        assert_eq!(
            insert(src, ListPosition::After(1)).unwrap(),
            "x = [\n  A\n  , B,\n  New\n]\n"
        );
    }

    /// Found by fuzzing: a comma after a call without parentheses, or after keywords, makes the new
    /// element one more argument (`supervisor(Foo, [], New)`) or a syntax error.
    #[test]
    fn never_appends_after_an_element_that_would_swallow_it() {
        for src in [
            "x = [\n  A,\n  supervisor Foo, []\n]\n",
            "x = [\n  A,\n  a = worker Foo\n]\n",
            "x = [\n  A,\n  tart a worker by calling: B.start_link(arg)\n]\n",
            "x = [\n  {:a, \"~> 1.0\"},\n  test: [\"test\"]\n]\n",
            "x = [A, supervisor Foo, []]\n",
            "x = [A, b: 1]\n",
        ] {
            let n = items(descendants_of_kind(parse(src).root_node(), "list")[0]).len();
            assert!(
                matches!(
                    insert(src, ListPosition::After(n - 1)),
                    Err(ListRefusal::OpenElement(_))
                ),
                "{src}"
            );
            // Before every element is still safe.
            let out = insert(src, ListPosition::Start).unwrap();
            assert!(first_error(&parse(&out)).is_none(), "{out}");
        }
        for closed in [
            "x = [\n  A,\n  foo(a, b)\n]\n",
            "x = [\n  A,\n  foo a do\n    b\n  end\n]\n",
        ] {
            assert!(insert(closed, ListPosition::After(1)).is_ok(), "{closed}");
        }
    }

    #[test]
    fn appends_after_the_last_element_adding_its_comma() {
        let src = "x = [\n  A,\n  B # b\n  # trailing comment\n]\n";
        assert_eq!(
            insert(src, ListPosition::After(1)).unwrap(),
            "x = [\n  A,\n  B, # b\n  New\n  # trailing comment\n]\n"
        );
    }

    #[test]
    fn inserts_at_the_start() {
        let src = "x = [\n  A\n]\n";
        assert_eq!(
            insert(src, ListPosition::Start).unwrap(),
            "x = [\n  New,\n  A\n]\n"
        );
    }

    #[test]
    fn single_line_lists_are_edited_inline_when_they_still_fit() {
        assert_eq!(
            insert("x = [A, B]\n", ListPosition::After(0)).unwrap(),
            "x = [A, New, B]\n"
        );
        assert_eq!(
            insert("x = []\n", ListPosition::Start).unwrap(),
            "x = [New]\n"
        );
    }

    /// A one-line list that no longer fits is broken as `mix format` breaks it: one element a
    /// line, where only the list breaks (assigned at the start of its line, or ending a do-block).
    #[test]
    fn a_one_line_list_too_long_for_the_new_element_is_broken_one_element_a_line() {
        assert_eq!(
            insert_at("children = [Foo, Bar]\n", ListPosition::After(0), 16).unwrap(),
            "children = [\n  Foo,\n  New,\n  Bar\n]\n"
        );
        assert_eq!(
            insert_at("x = []\n", ListPosition::Start, 5).unwrap(),
            "x = [\n  New\n]\n"
        );
        assert_eq!(
            insert_at(
                "defp deps do\n  [{:a, \"1\"}]\nend\n",
                ListPosition::After(0),
                14
            )
            .unwrap(),
            "defp deps do\n  [\n    {:a, \"1\"},\n    New\n  ]\nend\n"
        );
    }

    #[test]
    fn a_one_line_list_the_formatter_would_break_differently_is_refused_with_what_was_found() {
        let refusal = |src: &str, length: usize| match insert_at(src, ListPosition::Start, length) {
            Err(refusal) => refusal.describe("list"),
            Ok(out) => panic!("{src:?} was edited:\n{out}"),
        };
        assert_eq!(
            refusal("Supervisor.start_link([A, B], c)\n", 20),
            "the list on line 1 is too long for one line with the new element, and as an argument of `Supervisor.start_link` `mix format` would break the call around it first; assign the list to a variable (`children = [...]`) or break it one element a line"
        );
        assert_eq!(
            refusal("x = [A] ++ y\n", 10),
            "the list on line 1 is too long for one line with the new element, and where it stands `mix format` would break the code around it first; assign the list to a variable (`children = [...]`) or break it one element a line"
        );
        assert_eq!(
            refusal("x = [A] # about A\n", 12),
            "the list on line 1 is too long for one line with the new element, and code or a comment follows it on its line"
        );
        assert_eq!(
            refusal("x = [Abcdefgh]\n", 9),
            "the list on line 1 is too long for one line with the new element, and its element `Abcdefgh` would not fit on a line of its own"
        );
        assert_eq!(
            refusal("x = [A, b: 1]\n", 10),
            "the list on line 1 is too long for one line with the new element, and its keywords (`b: 1`) would be broken a pair a line"
        );
    }

    #[test]
    fn two_elements_on_one_line_are_not_guessed_at() {
        assert_eq!(
            insert("x = [\n  A, B,\n  C\n]\n", ListPosition::After(0)),
            Err(ListRefusal::SharedLine(2))
        );
    }

    #[test]
    fn reports_the_first_syntax_error() {
        let tree = parse("defmodule X do\n  def f do\n    [1, 2\n  end\nend\n");
        assert!(first_error(&tree).is_some());
        assert_eq!(first_error(&parse("x = 1\n")), None);
    }

    #[test]
    fn a_syntax_error_points_at_the_opener_nothing_closes() {
        // The `{` on line 4 lacks its `}`: Elixir says "The \"{\" at line 4 is missing
        // terminator"; tree-sitter's error node starts at the list on line 2.
        let src =
            "defmodule X do\n  def f do\n    [\n      {A, name: B,\n      C\n    ]\n  end\nend\n";
        let at = syntax_error_at(&parse(src), src).unwrap();
        assert_eq!(at.unclosed, Some((4, "{")), "{at:?}");
        let err = syntax_error(Path::new("lib/x.ex"), at).to_string();
        assert!(
            err.starts_with("`lib/x.ex` line 4: is not valid Elixir (syntax error: the `{` here is never closed; the code that does not parse runs from line "),
            "{err}"
        );
        // A mistake on one line is named by that line alone.
        let src = "x = [\n  A\n  B\n]\n";
        let at = syntax_error_at(&parse(src), src).unwrap();
        assert_eq!((at.unclosed, at.line == at.last), (None, true), "{at:?}");
        assert!(
            syntax_error(Path::new("a.exs"), at)
                .to_string()
                .ends_with("is not valid Elixir (syntax error)"),
        );
    }

    #[test]
    fn an_incremental_parse_finds_what_a_full_parse_finds() {
        let cases = [
            ("x = [\n  A\n]\n", "x = [\n  A,\n  B\n]\n"),
            ("x = [\n  A\n]\n", "x = [\n  A,\n  B\n"),
            ("défmodule = [1]\n", "défmodule = [1, 2]\n"),
            ("a = 1\n", "a = 1\nb = (\n"),
            ("", "x = 1\n"),
        ];
        for (before, after) in cases {
            parse(before);
            let incremental = parse_edited(before, after);
            let full = parse_with(after, None);
            assert_eq!(
                incremental.root_node().to_sexp(),
                full.root_node().to_sexp(),
                "{before:?} -> {after:?}"
            );
        }
    }

    #[test]
    fn reads_line_length_from_formatter_exs() {
        assert_eq!(formatter_line_length(None), 98);
        assert_eq!(
            formatter_line_length(Some("[inputs: [\"*.exs\"], line_length: 120]\n")),
            120
        );
    }
}
