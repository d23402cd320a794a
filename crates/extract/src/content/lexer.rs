//! A content-stream tokenizer over the decoded bytes: operands and operators in stream order,
//! borrowing from the stream wherever no escape forces a copy. Arrays and dictionaries are
//! kept as the raw bytes between their brackets and read only when asked (so nothing is
//! built for them, and nesting costs no recursion); inline images are skipped whole;
//! malformed input yields tokens rather than errors — a content stream is read the way
//! viewers read it, leniently.

use std::borrow::Cow;

/// One operand of a content-stream operator.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Operand<'a> {
    Number(f64),
    /// A name without its slash, `#xx` escapes resolved.
    Name(Cow<'a, [u8]>),
    /// A literal string, escapes resolved.
    String(Cow<'a, [u8]>),
    /// A hexadecimal string: the digits between `<` and `>`, decoded on use.
    Hex(&'a [u8]),
    /// The bytes between `[` and `]`; [`Operand::items`] reads them.
    Array(&'a [u8]),
    /// The bytes between `<<` and `>>`; [`Operand::entry`] reads them.
    Dict(&'a [u8]),
    /// `true`, `false`, `null`, or anything else that cannot be used.
    Other,
}

impl<'a> Operand<'a> {
    pub(crate) fn number(&self) -> Option<f64> {
        match self {
            Operand::Number(value) => Some(*value),
            _ => None,
        }
    }

    /// The bytes of a string operand, literal or hexadecimal; a hex string is decoded into
    /// `scratch`, which is reused from call to call.
    pub(crate) fn string_bytes<'s>(&'s self, scratch: &'s mut Vec<u8>) -> Option<&'s [u8]> {
        match self {
            Operand::String(bytes) => Some(bytes),
            Operand::Hex(digits) => {
                scratch.clear();
                decode_hex(digits, scratch);
                Some(scratch)
            }
            _ => None,
        }
    }

    /// The bytes of a string operand, as a vector of their own.
    pub(crate) fn to_string_bytes(&self) -> Option<Vec<u8>> {
        self.string_bytes(&mut Vec::new()).map(<[u8]>::to_vec)
    }

    /// The elements of an array, in order (nothing for any other operand).
    pub(crate) fn items(&self) -> impl Iterator<Item = Operand<'a>> {
        let body: &'a [u8] = match self {
            Operand::Array(body) => body,
            _ => &[],
        };
        let mut lexer = Lexer::new(body);
        std::iter::from_fn(move || loop {
            match lexer.next_token()? {
                Token::Operand(operand) => return Some(operand),
                Token::Operator(_) => continue,
            }
        })
    }

    /// The value of `key` in a dictionary.
    pub(crate) fn entry(&self, key: &[u8]) -> Option<Operand<'a>> {
        let Operand::Dict(body) = self else {
            return None;
        };
        let mut items = Operand::Array(body).items();
        while let Some(item) = items.next() {
            if matches!(&item, Operand::Name(name) if name.as_ref() == key) {
                return items.next();
            }
        }
        None
    }
}

#[derive(Debug, PartialEq)]
pub(crate) enum Token<'a> {
    Operand(Operand<'a>),
    Operator(&'a [u8]),
}

pub(crate) struct Lexer<'a> {
    data: &'a [u8],
    pos: usize,
}

fn is_whitespace(byte: u8) -> bool {
    matches!(byte, b' ' | b'\n' | b'\r' | b'\t' | b'\x0c' | b'\0')
}

fn is_delimiter(byte: u8) -> bool {
    matches!(
        byte,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

fn is_regular(byte: u8) -> bool {
    !is_whitespace(byte) && !is_delimiter(byte)
}

fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

impl<'a> Lexer<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Lexer { data, pos: 0 }
    }

    /// The next token; `None` at the end of the stream. Inline images (`BI … ID … EI`)
    /// come out as the single operator `EI`.
    pub(crate) fn next_token(&mut self) -> Option<Token<'a>> {
        loop {
            self.skip_whitespace_and_comments();
            let &byte = self.data.get(self.pos)?;
            match byte {
                b')' | b'>' | b']' | b'}' | b'{' => {
                    // Stray closers and PostScript braces carry nothing: skip them.
                    self.pos += 1;
                }
                _ => {
                    if is_regular(byte) && !starts_number(byte) {
                        let word = self.regular_run();
                        return match word {
                            b"true" | b"false" | b"null" => Some(Token::Operand(Operand::Other)),
                            b"BI" => {
                                self.skip_inline_image();
                                Some(Token::Operator(b"EI"))
                            }
                            _ => Some(Token::Operator(word)),
                        };
                    }
                    return Some(Token::Operand(self.operand()));
                }
            }
        }
    }

    fn skip_whitespace_and_comments(&mut self) {
        while let Some(&byte) = self.data.get(self.pos) {
            if is_whitespace(byte) {
                self.pos += 1;
            } else if byte == b'%' {
                while let Some(&byte) = self.data.get(self.pos) {
                    if byte == b'\n' || byte == b'\r' {
                        break;
                    }
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    fn regular_run(&mut self) -> &'a [u8] {
        let start = self.pos;
        while self.data.get(self.pos).is_some_and(|&b| is_regular(b)) {
            self.pos += 1;
        }
        &self.data[start..self.pos]
    }

    /// Reads one operand at the current position (which is not whitespace).
    fn operand(&mut self) -> Operand<'a> {
        let Some(&byte) = self.data.get(self.pos) else {
            return Operand::Other;
        };
        match byte {
            b'/' => {
                self.pos += 1;
                Operand::Name(self.name())
            }
            b'(' => {
                self.pos += 1;
                Operand::String(self.literal_string())
            }
            b'<' if self.data.get(self.pos + 1) == Some(&b'<') => {
                self.pos += 2;
                Operand::Dict(self.nested_body(b"<<", b">>"))
            }
            b'<' => {
                self.pos += 1;
                Operand::Hex(self.hex_string())
            }
            b'[' => {
                self.pos += 1;
                Operand::Array(self.nested_body(b"[", b"]"))
            }
            _ if starts_number(byte) => {
                let word = self.regular_run();
                parse_number(word).map_or(Operand::Other, Operand::Number)
            }
            _ => {
                // A keyword inside an array or dictionary (true, false, null, junk).
                let word = self.regular_run();
                if word.is_empty() {
                    self.pos += 1;
                }
                Operand::Other
            }
        }
    }

    /// The bytes up to the closer matching an opener already consumed, which is skipped
    /// too. Strings and comments are skipped whole so brackets inside them do not count;
    /// an unclosed body runs to the end of the stream.
    fn nested_body(&mut self, open: &[u8], close: &[u8]) -> &'a [u8] {
        let start = self.pos;
        let mut depth = 1usize;
        while self.pos < self.data.len() {
            let rest = &self.data[self.pos..];
            if rest.starts_with(close) {
                depth -= 1;
                if depth == 0 {
                    let body = &self.data[start..self.pos];
                    self.pos += close.len();
                    return body;
                }
                self.pos += close.len();
            } else if rest.starts_with(open) {
                self.pos += open.len();
                depth += 1;
            } else {
                match rest[0] {
                    b'(' => {
                        self.pos += 1;
                        let _ = self.literal_string();
                    }
                    b'<' if rest.get(1) != Some(&b'<') => {
                        self.pos += 1;
                        let _ = self.hex_string();
                    }
                    b'%' => self.skip_whitespace_and_comments(),
                    _ => self.pos += 1,
                }
            }
        }
        &self.data[start..]
    }

    fn name(&mut self) -> Cow<'a, [u8]> {
        let raw = self.regular_run();
        if !raw.contains(&b'#') {
            return Cow::Borrowed(raw);
        }
        let mut out = Vec::with_capacity(raw.len());
        let mut index = 0;
        while index < raw.len() {
            let byte = raw[index];
            if byte == b'#' {
                if let (Some(high), Some(low)) = (
                    raw.get(index + 1).copied().and_then(hex_value),
                    raw.get(index + 2).copied().and_then(hex_value),
                ) {
                    out.push(high << 4 | low);
                    index += 3;
                    continue;
                }
            }
            out.push(byte);
            index += 1;
        }
        Cow::Owned(out)
    }

    /// A literal string whose `(` was consumed: balanced parentheses, escapes resolved.
    fn literal_string(&mut self) -> Cow<'a, [u8]> {
        let start = self.pos;
        let mut depth = 1usize;
        let mut escaped = false;
        let mut has_escape = false;
        while let Some(&byte) = self.data.get(self.pos) {
            self.pos += 1;
            if escaped {
                escaped = false;
                continue;
            }
            match byte {
                b'\\' => {
                    escaped = true;
                    has_escape = true;
                }
                b'(' => depth += 1,
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        let body = &self.data[start..self.pos - 1];
                        return if has_escape {
                            Cow::Owned(unescape(body))
                        } else {
                            Cow::Borrowed(body)
                        };
                    }
                }
                _ => {}
            }
        }
        // Unterminated: everything to the end of the stream.
        let body = &self.data[start..];
        if has_escape {
            Cow::Owned(unescape(body))
        } else {
            Cow::Borrowed(body)
        }
    }

    /// The digits of a hex string whose `<` was consumed, up to its `>` (consumed too).
    fn hex_string(&mut self) -> &'a [u8] {
        let start = self.pos;
        match self.data[start..].iter().position(|&b| b == b'>') {
            Some(length) => {
                self.pos = start + length + 1;
                &self.data[start..start + length]
            }
            None => {
                self.pos = self.data.len();
                &self.data[start..]
            }
        }
    }

    /// Skips an inline image whose `BI` was consumed: its dictionary up to `ID`, then the
    /// binary data up to an `EI` that stands alone between whitespace.
    fn skip_inline_image(&mut self) {
        loop {
            match self.next_token() {
                None => return,
                Some(Token::Operator(b"ID")) => break,
                Some(_) => {}
            }
        }
        // One whitespace byte separates ID from the data.
        self.pos += 1;
        while self.pos + 1 < self.data.len() {
            let at_ei = self.data[self.pos] == b'E' && self.data[self.pos + 1] == b'I';
            let before_ok = self.pos == 0 || is_whitespace(self.data[self.pos - 1]);
            let after_ok = self
                .data
                .get(self.pos + 2)
                .is_none_or(|&b| is_whitespace(b) || is_delimiter(b));
            if at_ei && before_ok && after_ok {
                self.pos += 2;
                return;
            }
            self.pos += 1;
        }
        self.pos = self.data.len();
    }
}

/// Hex digits to bytes, appended to `out`: whitespace and stray characters ignored, an odd
/// final digit padded with 0.
fn decode_hex(digits: &[u8], out: &mut Vec<u8>) {
    let mut high: Option<u8> = None;
    for value in digits.iter().filter_map(|&b| hex_value(b)) {
        match high.take() {
            Some(h) => out.push(h << 4 | value),
            None => high = Some(value),
        }
    }
    if let Some(h) = high {
        out.push(h << 4);
    }
}

fn starts_number(byte: u8) -> bool {
    byte.is_ascii_digit() || matches!(byte, b'+' | b'-' | b'.')
}

/// PDF numbers: an optional sign, digits, an optional fraction. A doubled sign (`--5`, which
/// some producers write) reads as one; anything else that is not a number is `None`.
fn parse_number(word: &[u8]) -> Option<f64> {
    let mut index = 0;
    let mut negative = false;
    while let Some(&sign) = word.get(index) {
        match sign {
            b'-' => negative = true,
            b'+' => {}
            _ => break,
        }
        index += 1;
    }
    let mut value = 0f64;
    let mut digits = 0usize;
    while let Some(&digit) = word.get(index).filter(|b| b.is_ascii_digit()) {
        value = value * 10.0 + f64::from(digit - b'0');
        digits += 1;
        index += 1;
    }
    if word.get(index) == Some(&b'.') {
        index += 1;
        let mut scale = 0.1;
        while let Some(&digit) = word.get(index).filter(|b| b.is_ascii_digit()) {
            value += f64::from(digit - b'0') * scale;
            scale *= 0.1;
            digits += 1;
            index += 1;
        }
    }
    if digits == 0 || index != word.len() || !value.is_finite() {
        return None;
    }
    Some(if negative { -value } else { value })
}

/// Resolves the escapes of a literal string body.
fn unescape(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    let mut index = 0;
    while index < body.len() {
        let byte = body[index];
        index += 1;
        if byte != b'\\' {
            out.push(byte);
            continue;
        }
        let Some(&next) = body.get(index) else {
            break;
        };
        index += 1;
        match next {
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'b' => out.push(0x08),
            b'f' => out.push(0x0c),
            b'\r' => {
                // A backslash before a line end continues the string on the next line.
                if body.get(index) == Some(&b'\n') {
                    index += 1;
                }
            }
            b'\n' => {}
            b'0'..=b'7' => {
                let mut value = u32::from(next - b'0');
                for _ in 0..2 {
                    match body.get(index) {
                        Some(&digit @ b'0'..=b'7') => {
                            value = value * 8 + u32::from(digit - b'0');
                            index += 1;
                        }
                        _ => break,
                    }
                }
                out.push((value & 0xff) as u8);
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(data: &[u8]) -> Vec<Token<'_>> {
        let mut lexer = Lexer::new(data);
        std::iter::from_fn(|| lexer.next_token()).collect()
    }

    fn op(name: &'static str) -> Token<'static> {
        Token::Operator(name.as_bytes())
    }

    fn num(value: f64) -> Token<'static> {
        Token::Operand(Operand::Number(value))
    }

    fn string(bytes: &[u8]) -> Operand<'_> {
        Operand::String(Cow::Borrowed(bytes))
    }

    #[test]
    fn reads_operands_and_operators_in_order() {
        assert_eq!(
            tokens(b"BT /F1 10.5 Tf 1 0 0 -1 .5 -3 Tm (Hi) Tj ET"),
            vec![
                op("BT"),
                Token::Operand(Operand::Name(Cow::Borrowed(b"F1"))),
                num(10.5),
                op("Tf"),
                num(1.0),
                num(0.0),
                num(0.0),
                num(-1.0),
                num(0.5),
                num(-3.0),
                op("Tm"),
                Token::Operand(string(b"Hi")),
                op("Tj"),
                op("ET"),
            ]
        );
    }

    #[test]
    fn reads_strings_with_escapes_nesting_and_hex() {
        assert_eq!(
            tokens(b"(a\\(b\\)c (d) \\101\\n\\\nz) <48 65 6c6c 6F> <4>"),
            vec![
                Token::Operand(Operand::String(Cow::Owned(b"a(b)c (d) A\nz".to_vec()))),
                Token::Operand(Operand::Hex(b"48 65 6c6c 6F")),
                Token::Operand(Operand::Hex(b"4")),
            ]
        );
        assert_eq!(
            Operand::Hex(b"48 65 6c6c 6F").to_string_bytes(),
            Some(b"Hello".to_vec())
        );
        assert_eq!(Operand::Hex(b"4").to_string_bytes(), Some(vec![0x40]));
        assert_eq!(Operand::Number(1.0).to_string_bytes(), None);
    }

    #[test]
    fn reads_tj_arrays_and_marked_content_dictionaries() {
        assert_eq!(
            tokens(b"[<0102> -250 (x)] TJ /Span <</ActualText (\\376\\377) /MCID 3>> BDC"),
            vec![
                Token::Operand(Operand::Array(b"<0102> -250 (x)")),
                op("TJ"),
                Token::Operand(Operand::Name(Cow::Borrowed(b"Span"))),
                Token::Operand(Operand::Dict(b"/ActualText (\\376\\377) /MCID 3")),
                op("BDC"),
            ]
        );
        let array = Operand::Array(b"<0102> -250 (x) [1 [2]] (])");
        assert_eq!(
            array.items().collect::<Vec<_>>(),
            vec![
                Operand::Hex(b"0102"),
                Operand::Number(-250.0),
                string(b"x"),
                Operand::Array(b"1 [2]"),
                string(b"]"),
            ]
        );
        let dict = Operand::Dict(b"/Lang (ko) /ActualText (\\376\\377) /MCID 3");
        assert_eq!(
            tokens(b"<</K <AB>>> BDC")[0],
            Token::Operand(Operand::Dict(b"/K <AB>"))
        );
        assert_eq!(
            dict.entry(b"ActualText"),
            Some(Operand::String(Cow::Owned(vec![0xfe, 0xff])))
        );
        assert_eq!(dict.entry(b"MCID"), Some(Operand::Number(3.0)));
        assert_eq!(dict.entry(b"Alt"), None);
    }

    #[test]
    fn skips_inline_images_and_comments() {
        let stream = b"q % a comment (not a string\nBI /W 2 /H 2 /BPC 8 ID \x00EI\xffE EI Q";
        assert_eq!(tokens(stream), vec![op("q"), op("EI"), op("Q")]);
    }

    #[test]
    fn resolves_name_escapes_and_odd_numbers() {
        assert_eq!(
            tokens(b"/A#20B --5 +.25 1.2.3"),
            vec![
                Token::Operand(Operand::Name(Cow::Owned(b"A B".to_vec()))),
                num(-5.0),
                num(0.25),
                Token::Operand(Operand::Other),
            ]
        );
    }

    #[test]
    fn bounded_on_hostile_nesting_and_truncation() {
        let mut deep = vec![b'['; 100_000];
        deep.extend_from_slice(b" 1 TJ");
        assert_eq!(tokens(&deep).len(), 1, "one (skipped) array");
        for cut in [
            &b"(unterminated"[..],
            b"<</A [1 2",
            b"<abc",
            b"BI /W 1 ID xyz",
        ] {
            let _ = tokens(cut);
        }
    }
}
