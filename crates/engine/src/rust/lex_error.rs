//! What is wrong with Rust source that does not even lex, said the way rustc says it ("unclosed
//! delimiter", "unterminated string literal") with the position, where proc-macro2 only says
//! "cannot parse string into token stream". Uses rust-analyzer's published copy of rustc's own
//! lexer, so strings, raw strings, chars, lifetimes and nested comments are read as rustc reads
//! them.

use ra_ap_rustc_lexer::{FrontmatterAllowed, LiteralKind, TokenKind, tokenize};

/// The first lexical problem in `src`, with its byte offset; `None` if the lexer finds none.
pub(crate) fn diagnose(src: &str) -> Option<(String, usize)> {
    let mut open: Vec<(char, usize)> = Vec::new();
    let mut at = 0usize;
    for token in tokenize(src, FrontmatterAllowed::No) {
        let start = at;
        at += token.len as usize;
        let text = &src[start..at];
        let problem = match token.kind {
            TokenKind::OpenParen | TokenKind::OpenBrace | TokenKind::OpenBracket => {
                open.push((text.chars().next().unwrap_or('('), start));
                None
            }
            TokenKind::CloseParen | TokenKind::CloseBrace | TokenKind::CloseBracket => {
                let close = text.chars().next().unwrap_or(')');
                match open.pop() {
                    None => Some(format!("unexpected closing delimiter `{close}`")),
                    Some((opener, _)) if matching(opener) == close => None,
                    Some((opener, offset)) => Some(format!(
                        "mismatched closing delimiter `{close}`: the `{opener}` at {} is closed \
                         by `{}`",
                        position(src, offset),
                        matching(opener)
                    )),
                }
            }
            TokenKind::BlockComment {
                terminated: false, ..
            } => Some("unterminated block comment".to_string()),
            TokenKind::Literal { kind, .. } => {
                unterminated(kind).map(|what| format!("unterminated {what}"))
            }
            TokenKind::Unknown => Some(format!("unexpected character `{}`", text.escape_debug())),
            _ => None,
        };
        if let Some(message) = problem {
            return Some((message, start));
        }
    }
    open.pop()
        .map(|(opener, offset)| (format!("unclosed delimiter `{opener}`"), offset))
}

fn matching(opener: char) -> char {
    match opener {
        '(' => ')',
        '[' => ']',
        _ => '}',
    }
}

fn unterminated(kind: LiteralKind) -> Option<&'static str> {
    match kind {
        LiteralKind::Str { terminated: false } => Some("string literal"),
        LiteralKind::ByteStr { terminated: false } => Some("byte string literal"),
        LiteralKind::CStr { terminated: false } => Some("C string literal"),
        LiteralKind::Char { terminated: false } => Some("character literal"),
        LiteralKind::Byte { terminated: false } => Some("byte literal"),
        LiteralKind::RawStr { n_hashes: None }
        | LiteralKind::RawByteStr { n_hashes: None }
        | LiteralKind::RawCStr { n_hashes: None } => Some("raw string literal"),
        _ => None,
    }
}

fn position(src: &str, offset: usize) -> String {
    let at = crate::location::LineIndex::new(src).line_col(src, offset);
    format!("line {} column {}", at.line, at.column)
}

#[cfg(test)]
mod tests {
    use super::diagnose;

    #[test]
    fn each_problem_is_named_where_it_is() {
        let cases = [
            ("fn ok( {}\n", "unclosed delimiter `(`", 5),
            ("fn f() {}\n}\n", "unexpected closing delimiter `}`", 10),
            (
                "fn f() { (1, 2] }",
                "mismatched closing delimiter `]`: the `(` at line 1 column 10 is closed by `)`",
                14,
            ),
            ("fn f() { \"open }", "unterminated string literal", 9),
            ("fn f() { b\"open }", "unterminated byte string literal", 9),
            ("/* never closed", "unterminated block comment", 0),
            ("fn f() { r#\"x\" }", "unterminated raw string literal", 9),
            ("fn f() { \\ }", "unexpected character `\\\\`", 9),
        ];
        for (src, message, offset) in cases {
            assert_eq!(diagnose(src), Some((message.to_string(), offset)), "{src}");
        }
        // Delimiters inside strings, chars and comments are not delimiters; lifetimes are not chars.
        assert_eq!(
            diagnose("fn f<'a>(x: &'a str) { let _ = \"(\"; let _ = '{'; /* ] */ }"),
            None
        );
    }
}
