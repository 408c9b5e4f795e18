//! Positions in source text: line and character column (what editors, JSON and SARIF show) and the
//! byte offsets a renderer needs.

use proc_macro2::Span;

/// A position: line and column both start at 1; the column counts characters, not bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LineCol {
    pub line: usize,
    pub column: usize,
}

/// A range in one file; `end` is exclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    pub start: LineCol,
    pub end: LineCol,
}

/// The first and last token of a syntax node: what a compile error spans (a proc macro cannot join
/// spans on stable Rust) and what a [`Location`] is made from.
#[derive(Clone, Copy, Debug)]
pub struct SpanRange {
    pub start: Span,
    pub end: Span,
}

impl SpanRange {
    pub fn of(node: &impl quote::ToTokens) -> SpanRange {
        let mut tokens = node.to_token_stream().into_iter();
        let first = tokens.next().map_or_else(Span::call_site, |t| t.span());
        let last = tokens.last().map_or(first, |t| t.span());
        SpanRange {
            start: first,
            end: last,
        }
    }
}

impl Location {
    /// The location of a span range from a string parsed with `proc-macro2`'s `span-locations`.
    pub fn of(range: SpanRange) -> Location {
        let (start, end) = (range.start.start(), range.end.end());
        Location {
            start: LineCol {
                line: start.line,
                column: start.column + 1,
            },
            end: LineCol {
                line: end.line,
                column: end.column + 1,
            },
        }
    }
}

/// The line a span starts on, for messages that point into another function ("line 12 of
/// `helper`"); 0 where spans carry no line (the attribute's compiler spans, tests).
pub trait SpanLine {
    fn line(&self) -> usize;
}

impl SpanLine for Location {
    fn line(&self) -> usize {
        self.start.line
    }
}

impl SpanLine for usize {
    fn line(&self) -> usize {
        0
    }
}

impl SpanLine for () {
    fn line(&self) -> usize {
        0
    }
}

/// The byte offset where each line starts, to turn a [`LineCol`] into a byte offset.
#[derive(Clone, Debug)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    /// The byte offset of `pos` in `text`, clamped to the line's end and the text's end.
    pub fn offset(&self, text: &str, pos: LineCol) -> usize {
        let Some(&line_start) = self.starts.get(pos.line.saturating_sub(1)) else {
            return text.len();
        };
        let line_end = self
            .starts
            .get(pos.line)
            .map_or(text.len(), |next| next.saturating_sub(1));
        let line = &text[line_start..line_end.max(line_start)];
        let within = line
            .char_indices()
            .nth(pos.column.saturating_sub(1))
            .map_or(line.len(), |(i, _)| i);
        line_start + within
    }

    /// The line and character column of a byte offset in `text`.
    pub fn line_col(&self, text: &str, offset: usize) -> LineCol {
        let offset = offset.min(text.len());
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts[line - 1];
        let column = text.get(start..offset).map_or(0, |s| s.chars().count()) + 1;
        LineCol { line, column }
    }

    /// The location of the byte range `start..end` of `text`.
    pub fn location(&self, text: &str, start: usize, end: usize) -> Location {
        Location {
            start: self.line_col(text, start),
            end: self.line_col(text, end),
        }
    }

    /// The byte range of `loc` in `text`.
    pub fn range(&self, text: &str, loc: Location) -> std::ops::Range<usize> {
        let start = self.offset(text, loc.start);
        let end = self.offset(text, loc.end).max(start);
        start..end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_characters_not_bytes() {
        let text = "fn é() {}\n\t// ünïcode\n\tlet x = 1;\n";
        let idx = LineIndex::new(text);
        // `(` on line 1 is the 5th character but starts at byte 5 (é is two bytes).
        assert_eq!(
            &text[idx.offset(text, LineCol { line: 1, column: 5 })..][..1],
            "("
        );
        // A tab is one character.
        let pos = LineCol { line: 3, column: 2 };
        assert_eq!(&text[idx.offset(text, pos)..][..3], "let");
        // Past the end of a line clamps to its end; past the last line to the text's end.
        assert_eq!(
            idx.offset(
                text,
                LineCol {
                    line: 1,
                    column: 99
                }
            ),
            10
        );
        assert_eq!(
            idx.offset(
                text,
                LineCol {
                    line: 99,
                    column: 1
                }
            ),
            text.len()
        );
    }

    #[test]
    fn byte_offsets_turn_into_character_columns_and_back() {
        let text = "x = 1\n\tñame = 'é'\n";
        let idx = LineIndex::new(text);
        let at = text.find('\'').unwrap();
        let pos = idx.line_col(text, at);
        assert_eq!(pos, LineCol { line: 2, column: 9 });
        assert_eq!(idx.offset(text, pos), at);
        assert_eq!(idx.line_col(text, 0), LineCol { line: 1, column: 1 });
        assert_eq!(
            idx.line_col(text, text.len()),
            LineCol { line: 3, column: 1 }
        );
    }

    #[test]
    fn spans_from_parsed_text_map_back_onto_the_text() {
        let text = "// ßß\nfn f() { let ü = \"日本\"; ü }\n";
        let file: syn::File = syn::parse_str(text).unwrap();
        let syn::Item::Fn(f) = &file.items[0] else {
            panic!()
        };
        let syn::Stmt::Expr(tail, None) = f.block.stmts.last().unwrap() else {
            panic!()
        };
        let loc = Location::of(SpanRange::of(tail));
        assert_eq!(
            loc.start,
            LineCol {
                line: 2,
                column: 24
            }
        );
        let idx = LineIndex::new(text);
        assert_eq!(&text[idx.range(text, loc)], "ü");
    }
}
