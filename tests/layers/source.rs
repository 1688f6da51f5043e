//! What one Rust file says about its neighbours, read from its text: the modules it declares,
//! what its `use` declarations bind, the qualified paths its code names, and the items it
//! defines. Comments, strings and `#[cfg(test)]` items are left out: only the code that is
//! built counts.

use std::collections::BTreeSet;

/// A path as written: `super::hub::Hub` is `["super", "hub", "Hub"]`.
pub type Path = Vec<String>;

/// One binding of a `use` declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Use {
    /// The path, from the file's module.
    pub path: Path,
    /// The name it binds (`None` for `as _` and for globs).
    pub binds: Option<String>,
    pub glob: bool,
}

/// The facts of one file.
#[derive(Debug, Default)]
pub struct Source {
    /// `mod name;` declarations: the child modules in files of their own.
    pub children: BTreeSet<String>,
    pub uses: Vec<Use>,
    /// Qualified paths (two segments or more) in the code outside `use` declarations.
    pub paths: Vec<Path>,
    /// Items defined at the file's top level, macro-made ones included when the macro spells
    /// `enum Name` or `struct Name`.
    pub defines: BTreeSet<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Ident(String),
    /// `::`
    Sep,
    Punct(char),
}

impl Source {
    pub fn read(text: &str) -> Self {
        let tokens = without_test_items(tokens(&code_only(text)));
        let mut source = Source::default();
        let mut depth = 0usize;
        let mut i = 0;
        while i < tokens.len() {
            match &tokens[i] {
                Token::Punct('{') => depth += 1,
                Token::Punct('}') => depth = depth.saturating_sub(1),
                Token::Ident(word) if word == "use" => {
                    let end = position_from(&tokens, i, &Token::Punct(';'));
                    use_tree(&tokens[i + 1..end], &Vec::new(), &mut source.uses);
                    i = end;
                    continue;
                }
                Token::Ident(word) if depth == 0 => source.declared(word, &tokens[i + 1..]),
                _ => {}
            }
            if let Some((path, next)) = qualified_path(&tokens, i) {
                source.paths.push(path);
                i = next;
                continue;
            }
            i += 1;
        }
        source
    }

    /// An item keyword at the top level, and what follows it.
    fn declared(&mut self, word: &str, rest: &[Token]) {
        let name = match rest.first() {
            Some(Token::Ident(name)) => name.clone(),
            // `macro_rules! name`
            Some(Token::Punct('!')) if word == "macro_rules" => match rest.get(1) {
                Some(Token::Ident(name)) => name.clone(),
                _ => return,
            },
            _ => return,
        };
        match word {
            "mod" if rest.get(1) == Some(&Token::Punct(';')) => {
                self.children.insert(name);
            }
            "mod" | "fn" | "struct" | "enum" | "trait" | "type" | "const" | "static" | "union"
            | "macro_rules" => {
                self.defines.insert(name);
            }
            _ => {}
        }
    }
}

/// The index of the first `token` at or after `from`, or the end.
fn position_from(tokens: &[Token], from: usize, token: &Token) -> usize {
    tokens[from..]
        .iter()
        .position(|t| t == token)
        .map_or(tokens.len(), |p| from + p)
}

/// `a::b::c` starting at `i` (not right after a `::`, and not into a turbofish): the path and
/// the index after it.
fn qualified_path(tokens: &[Token], i: usize) -> Option<(Path, usize)> {
    if i > 0 && tokens[i - 1] == Token::Sep {
        return None;
    }
    let Token::Ident(first) = &tokens[i] else {
        return None;
    };
    let mut path = vec![first.clone()];
    let mut j = i + 1;
    while let (Some(Token::Sep), Some(Token::Ident(next))) = (tokens.get(j), tokens.get(j + 1)) {
        path.push(next.clone());
        j += 2;
    }
    (path.len() > 1).then_some((path, j))
}

/// Expands a use tree (`super::{a, b::{c as d, self}, e::*}`) into its bindings.
fn use_tree(tokens: &[Token], prefix: &Path, out: &mut Vec<Use>) {
    let mut path = prefix.clone();
    for (i, token) in tokens.iter().enumerate() {
        match token {
            Token::Ident(word) if word == "as" => {
                let binds = match tokens.get(i + 1) {
                    Some(Token::Ident(name)) if name != "_" => Some(name.clone()),
                    _ => None,
                };
                out.push(Use {
                    path,
                    binds,
                    glob: false,
                });
                return;
            }
            // `{self, …}`: the group's prefix itself.
            Token::Ident(word) if word == "self" && i == 0 && !prefix.is_empty() => {}
            Token::Ident(word) => path.push(word.clone()),
            Token::Punct('*') => {
                out.push(Use {
                    path,
                    binds: None,
                    glob: true,
                });
                return;
            }
            Token::Punct('{') => {
                let close = matching(tokens, i);
                for part in split_top_level(&tokens[i + 1..close]) {
                    use_tree(part, &path, out);
                }
                return;
            }
            _ => {}
        }
    }
    if !path.is_empty() {
        let binds = path.last().cloned();
        out.push(Use {
            path,
            binds,
            glob: false,
        });
    }
}

/// The index of the `}` closing the `{` at `open`.
fn matching(tokens: &[Token], open: usize) -> usize {
    let mut depth = 0;
    for (i, token) in tokens.iter().enumerate().skip(open) {
        match token {
            Token::Punct('{') => depth += 1,
            Token::Punct('}') => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
    }
    tokens.len()
}

/// The comma-separated parts of a group, commas inside nested groups aside.
fn split_top_level(tokens: &[Token]) -> Vec<&[Token]> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, token) in tokens.iter().enumerate() {
        match token {
            Token::Punct('{') => depth += 1,
            Token::Punct('}') => depth -= 1,
            Token::Punct(',') if depth == 0 => {
                parts.push(&tokens[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&tokens[start..]);
    parts.into_iter().filter(|p| !p.is_empty()).collect()
}

/// Drops each item marked `#[cfg(test)]`: a `mod tests { … }`, a `mod tests;`, a test-only
/// function or import.
fn without_test_items(code: Vec<Token>) -> Vec<Token> {
    let marker = tokens("#[cfg(test)]");
    let mut kept = Vec::with_capacity(code.len());
    let mut i = 0;
    while i < code.len() {
        if !code[i..].starts_with(&marker) {
            kept.push(code[i].clone());
            i += 1;
            continue;
        }
        let from = i + marker.len();
        let brace = position_from(&code, from, &Token::Punct('{'));
        let semicolon = position_from(&code, from, &Token::Punct(';'));
        i = if semicolon < brace {
            semicolon + 1
        } else {
            matching(&code, brace) + 1
        };
    }
    kept
}

fn tokens(code: &str) -> Vec<Token> {
    let chars: Vec<char> = code.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            tokens.push(Token::Ident(chars[start..i].iter().collect()));
            continue;
        }
        if c == ':' && chars.get(i + 1) == Some(&':') {
            tokens.push(Token::Sep);
            i += 2;
            continue;
        }
        if !c.is_whitespace() {
            tokens.push(Token::Punct(c));
        }
        i += 1;
    }
    tokens
}

/// The text with comments, string literals and character literals blanked out.
fn code_only(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let skipped = match (chars[i], chars.get(i + 1).copied()) {
            ('/', Some('/')) => skip_line(&chars, i),
            ('/', Some('*')) => skip_block_comment(&chars, i),
            ('"', _) => skip_string(&chars, i + 1),
            ('r', Some('"' | '#')) if starts_raw_string(&chars, i) => skip_raw_string(&chars, i),
            ('\'', _) => skip_char(&chars, i),
            _ => None,
        };
        match skipped {
            Some(next) => {
                out.push(' ');
                i = next;
            }
            None => {
                out.push(chars[i]);
                i += 1;
            }
        }
    }
    out
}

fn skip_line(chars: &[char], i: usize) -> Option<usize> {
    Some(
        chars[i..]
            .iter()
            .position(|&c| c == '\n')
            .map_or(chars.len(), |p| i + p),
    )
}

fn skip_block_comment(chars: &[char], mut i: usize) -> Option<usize> {
    let mut depth = 0;
    while i < chars.len() {
        match (chars[i], chars.get(i + 1).copied()) {
            ('/', Some('*')) => {
                depth += 1;
                i += 2;
            }
            ('*', Some('/')) => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => i += 1,
        }
    }
    Some(i)
}

/// From after the opening quote to after the closing one.
fn skip_string(chars: &[char], mut i: usize) -> Option<usize> {
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    Some(i)
}

/// `r"…"` or `r#"…"#`, not an identifier that happens to end in `r`.
fn starts_raw_string(chars: &[char], i: usize) -> bool {
    let after_ident = i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
    let hashes = chars[i + 1..].iter().take_while(|&&c| c == '#').count();
    after_ident && chars.get(i + 1 + hashes) == Some(&'"')
}

fn skip_raw_string(chars: &[char], i: usize) -> Option<usize> {
    let hashes = chars[i + 1..].iter().take_while(|&&c| c == '#').count();
    let closing: Vec<char> = std::iter::once('"')
        .chain(std::iter::repeat_n('#', hashes))
        .collect();
    let body = i + 2 + hashes;
    (body..chars.len())
        .find(|&j| chars[j..].starts_with(&closing))
        .map(|j| j + closing.len())
        .or(Some(chars.len()))
}

/// A character literal (`'{'`, `'\n'`, `'\u{7b}'`); a lifetime (`'a`) is left as it is.
fn skip_char(chars: &[char], i: usize) -> Option<usize> {
    match (chars.get(i + 1), chars.get(i + 2)) {
        (Some('\\'), _) => chars[i + 2..]
            .iter()
            .position(|&c| c == '\'')
            .map(|p| i + 2 + p + 1),
        (Some(_), Some('\'')) => Some(i + 3),
        _ => None,
    }
}
