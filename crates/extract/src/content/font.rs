//! The fonts the own text reader can decode: any simple font (TrueType, Type1) and any
//! Type0 font with `Identity-H` encoding, each with a `ToUnicode` map — what LibreOffice,
//! Chromium and fpdf2 (every producer in the corpus) write. Each font becomes a flat code → text
//! and code → width table, built once per document. Anything else (Type3, predefined CJK
//! encodings, a font without `ToUnicode`, malformed metrics) is [`Unsupported`]: the page
//! goes to the PDF library's general extractor instead.

use std::io::Cursor;

use oxidize_pdf::parser::{PdfDictionary, PdfDocument, PdfObject};
use oxidize_pdf::text::sanitize_extracted_text;

use super::lexer::{Lexer, Operand, Token};

/// Why the own reader hands a page to the general extractor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unsupported(pub &'static str);

type Document<'a> = PdfDocument<Cursor<&'a [u8]>>;

/// Most code → text entries one font's `ToUnicode` may expand to.
const MAX_MAPPED_CODES: usize = 1 << 17;
/// A simple font's width for a code outside `FirstChar..=LastChar` when the descriptor has
/// no `MissingWidth` (the PDF library's convention, kept so both readers agree).
const SIMPLE_MISSING_WIDTH: f64 = 500.0;
/// A CID font's width when it has no `/DW`.
const CID_DEFAULT_WIDTH: f64 = 1000.0;

/// A decodable font: its code length, and per code the text and the advance width.
#[derive(Debug)]
pub(crate) struct Font {
    /// Codes are two bytes (Type0 Identity-H), else one.
    pub two_byte: bool,
    texts: Vec<Box<str>>,
    /// Code → index into `texts`.
    text_index: PagedTable<u32>,
    widths: PagedTable<f32>,
    default_width: f64,
    /// Advance of the code that reads as a space, in thousandths of the font size.
    pub space_width: Option<f64>,
}

/// One glyph of a shown string.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Glyph<'f> {
    /// What the glyph reads as; U+FFFD when the font maps it to nothing.
    pub text: &'f str,
    /// Advance in thousandths of the font size.
    pub width: f64,
    /// A single-byte code 32, the one code word spacing (`Tw`) applies to.
    pub is_space_code: bool,
}

const UNMAPPED: &str = "\u{FFFD}";

impl Font {
    /// The glyphs of `codes`, in order. A trailing odd byte of a two-byte font is one
    /// unmapped glyph.
    pub(crate) fn glyphs<'f, 'c>(&'f self, codes: &'c [u8]) -> impl Iterator<Item = Glyph<'f>> + 'c
    where
        'f: 'c,
    {
        let step = if self.two_byte { 2 } else { 1 };
        codes.chunks(step).map(move |chunk| {
            let code = match *chunk {
                [high, low] => u32::from(high) << 8 | u32::from(low),
                [byte] if !self.two_byte => u32::from(byte),
                _ => {
                    return Glyph {
                        text: UNMAPPED,
                        width: self.default_width,
                        is_space_code: false,
                    }
                }
            };
            let text = self
                .text_index
                .get(code)
                .and_then(|index| self.texts.get(index as usize))
                .map_or(UNMAPPED, |text| text);
            let width = self.widths.get(code).map_or(self.default_width, f64::from);
            Glyph {
                text,
                width,
                is_space_code: !self.two_byte && code == 32,
            }
        })
    }

    fn new(
        two_byte: bool,
        texts: Vec<Box<str>>,
        text_index: PagedTable<u32>,
        widths: PagedTable<f32>,
        default_width: f64,
    ) -> Font {
        let mut font = Font {
            two_byte,
            texts,
            text_index,
            widths,
            default_width,
            space_width: None,
        };
        font.space_width = font
            .text_index
            .first_code_where(|&index| {
                font.texts
                    .get(index as usize)
                    .is_some_and(|text| &**text == " ")
            })
            .map(|code| font.widths.get(code).map_or(default_width, f64::from));
        font
    }

    /// Reads a font dictionary, or says why the own reader cannot use it.
    pub(crate) fn load(dict: &PdfDictionary, document: &Document<'_>) -> Result<Font, Unsupported> {
        match name_of(dict.get("Subtype"), document).as_deref() {
            Some("Type0") => load_type0(dict, document),
            Some("TrueType" | "Type1" | "MMType1") => load_simple(dict, document),
            Some("Type3") => Err(Unsupported("Type3 font")),
            _ => Err(Unsupported("font without a known subtype")),
        }
    }
}

fn load_simple(dict: &PdfDictionary, document: &Document<'_>) -> Result<Font, Unsupported> {
    let (texts, text_index) = to_unicode(dict, document, 1)?;
    let descriptor = dict
        .get("FontDescriptor")
        .and_then(|d| document.resolve(d).ok())
        .filter(|d| !matches!(d, PdfObject::Null));
    let missing = match descriptor.as_ref().map(|d| d.as_dict()) {
        None => None,
        Some(None) => return Err(Unsupported("font descriptor is not a dictionary")),
        Some(Some(descriptor)) => optional_number(descriptor.get("MissingWidth"), document)?,
    };
    let default_width = missing.unwrap_or(SIMPLE_MISSING_WIDTH);
    let first = optional_byte(dict.get("FirstChar"), document)?;
    let last = optional_byte(dict.get("LastChar"), document)?;
    if first.zip(last).is_some_and(|(first, last)| first > last) {
        return Err(Unsupported("FirstChar after LastChar"));
    }
    let widths_array = match dict.get("Widths").map(|w| document.resolve(w)) {
        None => return Err(Unsupported("simple font without Widths")),
        Some(Ok(PdfObject::Array(array))) => array,
        Some(_) => return Err(Unsupported("unreadable Widths")),
    };
    let first = first.unwrap_or(0);
    let last = last.unwrap_or(255);
    let mut widths = PagedTable::new();
    for (offset, width) in widths_array.0.iter().enumerate() {
        let code = first + offset as u32;
        if code > last {
            break;
        }
        let width = number(width, document).ok_or(Unsupported("Widths holds a non-number"))?;
        widths.set(code, width as f32);
    }
    Ok(Font::new(false, texts, text_index, widths, default_width))
}

fn load_type0(dict: &PdfDictionary, document: &Document<'_>) -> Result<Font, Unsupported> {
    if name_of(dict.get("Encoding"), document).as_deref() != Some("Identity-H") {
        return Err(Unsupported("Type0 font not in Identity-H encoding"));
    }
    let (texts, text_index) = to_unicode(dict, document, 2)?;
    let descendant = match dict.get("DescendantFonts").map(|d| document.resolve(d)) {
        Some(Ok(PdfObject::Array(array))) => array
            .0
            .first()
            .and_then(|d| document.resolve(d).ok())
            .and_then(|d| d.as_dict().cloned()),
        _ => None,
    }
    .ok_or(Unsupported("Type0 font without a descendant font"))?;
    let default_width =
        optional_number(descendant.get("DW"), document)?.unwrap_or(CID_DEFAULT_WIDTH);
    let widths = match descendant.get("W").map(|w| document.resolve(w)) {
        None | Some(Ok(PdfObject::Null)) => PagedTable::new(),
        Some(Ok(PdfObject::Array(entries))) => cid_widths(&entries.0, document)?,
        Some(_) => return Err(Unsupported("unreadable W array")),
    };
    Ok(Font::new(true, texts, text_index, widths, default_width))
}

/// A CID font's `/W`: `first [w1 w2 …]` and `first last w` entries. Explicit widths win
/// over ranges, and a later range over an earlier one (as the PDF library reads them).
fn cid_widths(
    entries: &[PdfObject],
    document: &Document<'_>,
) -> Result<PagedTable<f32>, Unsupported> {
    let invalid = Unsupported("malformed W array");
    let cid = |object: &PdfObject| -> Result<u32, Unsupported> {
        match document.resolve(object) {
            Ok(PdfObject::Integer(value)) => u16::try_from(value)
                .map(u32::from)
                .map_err(|_| invalid.clone()),
            _ => Err(invalid.clone()),
        }
    };
    let mut explicit: Vec<(u32, f32)> = Vec::new();
    let mut ranges: Vec<(u32, u32, f32)> = Vec::new();
    let mut index = 0;
    while index < entries.len() {
        let first = cid(&entries[index])?;
        match entries.get(index + 1).map(|e| document.resolve(e)) {
            Some(Ok(PdfObject::Array(widths))) => {
                if widths.0.len() > 65_536 - first as usize {
                    return Err(invalid);
                }
                for (offset, width) in widths.0.iter().enumerate() {
                    let width = number(width, document).ok_or(invalid.clone())?;
                    explicit.push((first + offset as u32, width as f32));
                }
                index += 2;
            }
            Some(Ok(_)) => {
                let last = cid(&entries[index + 1])?;
                let width = entries
                    .get(index + 2)
                    .and_then(|w| number(w, document))
                    .ok_or(invalid.clone())?;
                if last < first {
                    return Err(invalid);
                }
                ranges.push((first, last, width as f32));
                index += 3;
            }
            _ => return Err(invalid),
        }
    }
    let mut table = PagedTable::new();
    let covered: usize = ranges.iter().map(|(f, l, _)| (l - f + 1) as usize).sum();
    if covered > 4 * 65_536 {
        return Err(Unsupported("W ranges too large"));
    }
    for (first, last, width) in ranges {
        for code in first..=last {
            table.set(code, width);
        }
    }
    for (code, width) in explicit {
        table.set(code, width);
    }
    Ok(table)
}

/// The font's `ToUnicode` map as a flat table of codes `code_length` bytes long.
fn to_unicode(
    dict: &PdfDictionary,
    document: &Document<'_>,
    code_length: usize,
) -> Result<(Vec<Box<str>>, PagedTable<u32>), Unsupported> {
    let stream = match dict.get("ToUnicode").map(|t| document.resolve(t)) {
        Some(Ok(PdfObject::Stream(stream))) => stream,
        _ => return Err(Unsupported("font without a ToUnicode map")),
    };
    let data = document
        .decode_stream_with_limit(&stream, 4 * 1024 * 1024)
        .map_err(|_| Unsupported("undecodable ToUnicode stream"))?;
    let cmap = ToUnicode::parse(&data)?;
    let key = |bytes: &[u8]| -> Option<u32> {
        (bytes.len() == code_length)
            .then(|| bytes.iter().fold(0u32, |code, &b| code << 8 | u32::from(b)))
    };
    let mut texts: Vec<Box<str>> = Vec::new();
    let mut table = PagedTable::new();
    let mut mapped = 0usize;
    let mut foreign_keys = false;
    // Ranges first, the first range holding a code winning; single mappings override them.
    for (src_start, src_end, dst_start) in &cmap.ranges {
        let (Some(first), Some(last)) = (key(src_start), key(src_end)) else {
            foreign_keys = true;
            continue;
        };
        if last < first {
            continue;
        }
        mapped += (last - first + 1) as usize;
        if mapped > MAX_MAPPED_CODES {
            return Err(Unsupported("ToUnicode map too large"));
        }
        for code in first..=last {
            if table.get(code).is_some() {
                continue;
            }
            if let Some(text) = utf16_text(&offset_destination(dst_start, code - first)) {
                table.set(code, texts.len() as u32);
                texts.push(text);
            }
        }
    }
    for (src, dst) in &cmap.singles {
        let Some(code) = key(src) else {
            foreign_keys = true;
            continue;
        };
        mapped += 1;
        if mapped > MAX_MAPPED_CODES {
            return Err(Unsupported("ToUnicode map too large"));
        }
        match utf16_text(dst) {
            Some(text) => {
                table.set(code, texts.len() as u32);
                texts.push(text);
            }
            None => table.clear(code),
        }
    }
    // Codes of another length change how the library splits a string into codes; a map
    // that maps nothing at our code length is read better by the library's fallbacks.
    if foreign_keys || texts.is_empty() {
        return Err(Unsupported(
            "ToUnicode map keyed by codes of another length",
        ));
    }
    Ok((texts, table))
}

/// The mappings of a `ToUnicode` CMap, in the order it gives them: `bfchar` pairs and the
/// array form of `bfrange` as single mappings, the other `bfrange` form as ranges.
#[derive(Debug, Default, PartialEq)]
struct ToUnicode {
    singles: Vec<(Vec<u8>, Vec<u8>)>,
    ranges: Vec<(Vec<u8>, Vec<u8>, Vec<u8>)>,
}

impl ToUnicode {
    /// Reads the CMap with the content-stream tokenizer (it is PostScript of the same
    /// lexical shape). A CMap that builds on another (`usecmap`) is not read here.
    fn parse(data: &[u8]) -> Result<ToUnicode, Unsupported> {
        let mut cmap = ToUnicode::default();
        let mut lexer = Lexer::new(data);
        let mut operands: Vec<Operand<'_>> = Vec::new();
        while let Some(token) = lexer.next_token() {
            let operator = match token {
                Token::Operand(operand) => {
                    operands.push(operand);
                    continue;
                }
                Token::Operator(operator) => operator,
            };
            match operator {
                b"endbfchar" => {
                    for pair in operands.chunks_exact(2) {
                        if let (Some(src), Some(dst)) =
                            (pair[0].to_string_bytes(), pair[1].to_string_bytes())
                        {
                            cmap.singles.push((src, dst));
                        }
                    }
                }
                b"endbfrange" => {
                    for triple in operands.chunks_exact(3) {
                        let (Some(start), Some(end)) =
                            (triple[0].to_string_bytes(), triple[1].to_string_bytes())
                        else {
                            continue;
                        };
                        match &triple[2] {
                            dsts @ Operand::Array(_) => cmap.push_range_array(&start, &end, dsts),
                            dst => {
                                if let Some(dst) = dst.to_string_bytes() {
                                    cmap.ranges.push((start, end, dst));
                                }
                            }
                        }
                    }
                }
                b"usecmap" => return Err(Unsupported("ToUnicode map inherits another CMap")),
                _ => {}
            }
            operands.clear();
        }
        Ok(cmap)
    }

    /// `<start> <end> [<dst0> <dst1> …]`: one destination per code from `start`, at most up
    /// to `end`.
    fn push_range_array(&mut self, start: &[u8], end: &[u8], dsts: &Operand<'_>) {
        let mut code = start.to_vec();
        for dst in dsts.items() {
            let Some(dst) = dst.to_string_bytes() else {
                continue;
            };
            self.singles.push((code.clone(), dst));
            if code.as_slice() >= end || !increment(&mut code) {
                break;
            }
        }
    }
}

/// Adds one to a big-endian code; false when it overflows.
fn increment(code: &mut [u8]) -> bool {
    for byte in code.iter_mut().rev() {
        if *byte == 0xff {
            *byte = 0;
        } else {
            *byte += 1;
            return true;
        }
    }
    false
}

/// `dst + offset`, big-endian with carry, as a `bfrange` destination advances.
fn offset_destination(dst: &[u8], offset: u32) -> Vec<u8> {
    let mut out = dst.to_vec();
    let mut carry = offset as u64;
    for byte in out.iter_mut().rev() {
        if carry == 0 {
            break;
        }
        let sum = u64::from(*byte) + carry;
        *byte = (sum & 0xff) as u8;
        carry = sum >> 8;
    }
    out
}

/// UTF-16BE destination bytes as text, with the control characters a text layer must not
/// carry folded by the PDF library's own sanitizer (NUL to a space, others dropped), as its
/// extractor folds them.
fn utf16_text(bytes: &[u8]) -> Option<Box<str>> {
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    // Nearly every destination is one character outside the surrogates and controls.
    if let [high, low] = *bytes {
        if let Some(ch) = char::from_u32(u32::from(high) << 8 | u32::from(low)) {
            if !ch.is_ascii_control() && !matches!(ch, '\u{2028}' | '\u{2029}') {
                let mut text = [0u8; 4];
                return Some(Box::from(&*ch.encode_utf8(&mut text)));
            }
        }
    }
    let units = bytes
        .chunks_exact(2)
        .map(|pair| u16::from_be_bytes([pair[0], pair[1]]));
    let text: String = char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .ok()?;
    Some(sanitize_extracted_text(&text).into_boxed_str())
}

fn name_of(object: Option<&PdfObject>, document: &Document<'_>) -> Option<String> {
    match document.resolve(object?).ok()? {
        PdfObject::Name(name) => Some(name.0),
        _ => None,
    }
}

fn number(object: &PdfObject, document: &Document<'_>) -> Option<f64> {
    document
        .resolve(object)
        .ok()?
        .as_real()
        .filter(|value| value.is_finite())
}

fn optional_number(
    object: Option<&PdfObject>,
    document: &Document<'_>,
) -> Result<Option<f64>, Unsupported> {
    match object.map(|o| document.resolve(o)) {
        None | Some(Ok(PdfObject::Null)) => Ok(None),
        Some(Ok(value)) => value
            .as_real()
            .filter(|v| v.is_finite())
            .map(Some)
            .ok_or(Unsupported("font metric is not a number")),
        Some(Err(_)) => Ok(None),
    }
}

fn optional_byte(
    object: Option<&PdfObject>,
    document: &Document<'_>,
) -> Result<Option<u32>, Unsupported> {
    match object.map(|o| document.resolve(o)) {
        None | Some(Ok(PdfObject::Null)) | Some(Err(_)) => Ok(None),
        Some(Ok(PdfObject::Integer(value))) => u8::try_from(value)
            .map(|v| Some(u32::from(v)))
            .map_err(|_| Unsupported("FirstChar/LastChar out of range")),
        Some(Ok(_)) => Err(Unsupported("FirstChar/LastChar not an integer")),
    }
}

/// A table over codes 0..=0xFFFF in pages of 256, allocated as codes appear: a subset
/// font's codes fill a handful of pages.
#[derive(Debug)]
struct PagedTable<T> {
    pages: Vec<Option<Box<[Option<T>; 256]>>>,
}

impl<T: Copy> PagedTable<T> {
    fn new() -> Self {
        PagedTable { pages: Vec::new() }
    }

    fn get(&self, code: u32) -> Option<T> {
        let page = self.pages.get((code >> 8) as usize)?.as_ref()?;
        page[(code & 0xff) as usize]
    }

    fn set(&mut self, code: u32, value: T) {
        let index = (code >> 8) as usize;
        if index > 0xff {
            return;
        }
        if self.pages.len() <= index {
            self.pages.resize_with(index + 1, || None);
        }
        let page = self.pages[index].get_or_insert_with(|| Box::new([None; 256]));
        page[(code & 0xff) as usize] = Some(value);
    }

    /// The lowest code whose value satisfies `wanted`.
    fn first_code_where(&self, wanted: impl Fn(&T) -> bool) -> Option<u32> {
        self.pages
            .iter()
            .enumerate()
            .find_map(|(page_index, page)| {
                let position = page
                    .as_ref()?
                    .iter()
                    .position(|v| v.as_ref().is_some_and(&wanted))?;
                Some((page_index as u32) << 8 | position as u32)
            })
    }

    fn clear(&mut self, code: u32) {
        if let Some(Some(page)) = self.pages.get_mut((code >> 8) as usize) {
            page[(code & 0xff) as usize] = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_tounicode_maps_in_every_form() {
        let map = b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap
            /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def
            1 begincodespacerange <0000> <FFFF> endcodespacerange
            2 beginbfchar <0001> <0020> <000F><002E> endbfchar
            1 beginbfrange <0010> <0012> <AC00> endbfrange
            1 beginbfrange <0020> <0021> [<D55C> <0066 0069>] endbfrange
            endcmap CMapName currentdict /CMap defineresource pop end end";
        let cmap = ToUnicode::parse(map).expect("parses");
        assert_eq!(
            cmap.singles,
            vec![
                (vec![0, 1], vec![0, 0x20]),
                (vec![0, 0x0f], vec![0, 0x2e]),
                (vec![0, 0x20], vec![0xd5, 0x5c]),
                (vec![0, 0x21], vec![0, 0x66, 0, 0x69]),
            ]
        );
        assert_eq!(
            cmap.ranges,
            vec![(vec![0, 0x10], vec![0, 0x12], vec![0xac, 0])]
        );
        assert!(ToUnicode::parse(b"/Other usecmap").is_err());
    }

    #[test]
    fn bfrange_destinations_advance_with_carry() {
        assert_eq!(offset_destination(&[0xAC, 0x00], 3), vec![0xAC, 0x03]);
        assert_eq!(offset_destination(&[0x00, 0xFF], 1), vec![0x01, 0x00]);
    }

    #[test]
    fn destinations_decode_as_utf16_and_fold_controls() {
        assert_eq!(utf16_text(&[0xD5, 0x5C]).as_deref(), Some("한"));
        assert_eq!(utf16_text(&[0x00, 0x66, 0x00, 0x69]).as_deref(), Some("fi"));
        assert_eq!(utf16_text(&[0x00, 0x00]).as_deref(), Some(" "));
        assert_eq!(utf16_text(&[0x00, 0x07]).as_deref(), Some(""));
        assert_eq!(utf16_text(&[0xD8, 0x00]), None, "lone surrogate");
        assert_eq!(utf16_text(&[0x00]), None, "odd length");
    }

    #[test]
    fn paged_table_allocates_only_used_pages() {
        let mut table = PagedTable::new();
        table.set(0x0A57, 7u32);
        table.set(0x10000, 1); // beyond two-byte codes: ignored
        assert_eq!(table.get(0x0A57), Some(7));
        assert_eq!(table.get(0x0A58), None);
        assert_eq!(table.get(0xFFFF), None);
        assert_eq!(table.pages.iter().filter(|p| p.is_some()).count(), 1);
        table.clear(0x0A57);
        assert_eq!(table.get(0x0A57), None);
    }
}
