//! The fonts the own text reader decodes, each into a flat code → text and code → width
//! table built once per document:
//!
//! - simple fonts (TrueType, Type1, Type3): the `ToUnicode` map where there is one, else (and
//!   for the codes it leaves out) the font's encoding — `WinAnsiEncoding`, `MacRomanEncoding`
//!   or `StandardEncoding` with `/Differences`, glyph names read through the Adobe Glyph List
//!   (`uniXXXX` names included). Standard-14 fonts without `/Widths` take the standard metrics.
//!   Type3 widths are scaled by the font's `FontMatrix`.
//! - Type0 fonts in `Identity-H` (with `ToUnicode`, or an Adobe-Korea1 font without one, read
//!   through the Korea1 CID → Unicode table), and in the predefined Korean CMaps
//!   `UniKS-UCS2-H`, `UniKS-UTF16-H`, `KSCms-UHC-H`, `KSC-EUC-H` (and their `-HW-` forms),
//!   as Hancom 한글 and older Acrobat write them for fonts they do not embed: the code is the
//!   character (UCS-2, UTF-16, CP949), and the width is looked up by its Adobe-Korea1 CID. The
//!   tables are those the PDF library ships (Adobe's Korea1 CID ↔ Unicode) and `encoding_rs`'
//!   CP949; nothing is read at run time.
//!
//! A glyph no table maps reads as U+FFFD: the quality check counts those and the cleaner
//! drops them. Anything else (another predefined CMap, a simple font whose codes nothing
//! maps, malformed metrics) is [`Unsupported`]: the page goes to the PDF library's general
//! extractor instead.

use std::collections::HashMap;
use std::io::Cursor;
use std::sync::OnceLock;

use oxidize_pdf::parser::{PdfDictionary, PdfDocument, PdfObject};
use oxidize_pdf::text::cid_to_unicode::AdobeCidCollection;
use oxidize_pdf::text::{glyph_name_to_unicode_sequence, sanitize_extracted_text, TextEncoding};

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
/// Highest CID of Adobe-Korea1-2.
const KOREA1_LAST_CID: u16 = 18351;

/// How a shown string splits into character codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CodeScheme {
    /// Simple fonts.
    OneByte,
    /// `Identity-H`, `UniKS-UCS2-H`.
    TwoByte,
    /// `KSCms-UHC-H`, `KSC-EUC-H`: a byte below 0x81 alone, else a pair.
    Uhc,
    /// `UniKS-UTF16-H`: pairs, a high surrogate with the pair after it.
    Utf16,
}

/// What a code is, when the font's tables do not map it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Native {
    /// Nothing: unmapped.
    Nothing,
    /// The code is the character (UCS-2, UTF-16).
    Unicode,
    /// The code is a CP949 character.
    Cp949,
    /// The code is an Adobe-Korea1 CID (`Identity-H` over a Korea1 font).
    Korea1Cid,
}

/// A decodable font: how its codes split, and per code the text and the advance width.
#[derive(Debug)]
pub(crate) struct Font {
    pub scheme: CodeScheme,
    texts: Vec<Box<str>>,
    /// Code → index into `texts`.
    text_index: PagedTable<u32>,
    native: Native,
    /// Widths by code, or (predefined CMaps) by the code's Adobe-Korea1 CID.
    widths: PagedTable<f32>,
    widths_by_korea1_cid: bool,
    default_width: f64,
    /// Advance of the code that reads as a space, in thousandths of the font size.
    pub space_width: Option<f64>,
}

/// What one glyph reads as.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum GlyphText<'f> {
    Str(&'f str),
    Char(char),
    /// No table maps the code.
    Unmapped,
}

/// One glyph of a shown string.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Glyph<'f> {
    pub text: GlyphText<'f>,
    /// Advance in thousandths of the font size.
    pub width: f64,
    /// A single-byte code 32, the one code word spacing (`Tw`) applies to.
    pub is_space_code: bool,
}

impl GlyphText<'_> {
    pub(crate) fn push_to(self, out: &mut String) {
        match self {
            GlyphText::Str(text) => out.push_str(text),
            GlyphText::Char(ch) => out.push(ch),
            GlyphText::Unmapped => out.push('\u{FFFD}'),
        }
    }
}

/// The glyphs of a string, in order.
pub(crate) struct Glyphs<'f, 'c> {
    font: &'f Font,
    codes: &'c [u8],
    at: usize,
}

impl<'f> Iterator for Glyphs<'f, '_> {
    type Item = Glyph<'f>;

    fn next(&mut self) -> Option<Glyph<'f>> {
        let codes = self.codes;
        let first = *codes.get(self.at)?;
        let pair = |at: usize| -> Option<u32> {
            Some(u32::from(*codes.get(at)?) << 8 | u32::from(*codes.get(at + 1)?))
        };
        let (code, length) = match self.font.scheme {
            CodeScheme::OneByte => (Some(u32::from(first)), 1),
            CodeScheme::Uhc if first < 0x81 => (Some(u32::from(first)), 1),
            CodeScheme::TwoByte | CodeScheme::Uhc => (pair(self.at), 2),
            CodeScheme::Utf16 => match pair(self.at) {
                Some(high @ 0xD800..=0xDBFF) => match pair(self.at + 2) {
                    Some(low @ 0xDC00..=0xDFFF) => {
                        (Some(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)), 4)
                    }
                    _ => (None, 2),
                },
                other => (other, 2),
            },
        };
        self.at += length;
        let Some(code) = code else {
            // A trailing odd byte of a multi-byte font.
            self.at = codes.len();
            return Some(Glyph {
                text: GlyphText::Unmapped,
                width: self.font.default_width,
                is_space_code: false,
            });
        };
        Some(self.font.glyph(code, length))
    }
}

impl Font {
    /// The glyphs of `codes`, in order. A trailing odd byte of a two-byte font is one
    /// unmapped glyph.
    pub(crate) fn glyphs<'f, 'c>(&'f self, codes: &'c [u8]) -> Glyphs<'f, 'c> {
        Glyphs {
            font: self,
            codes,
            at: 0,
        }
    }

    fn glyph(&self, code: u32, length: usize) -> Glyph<'_> {
        let mapped = (code <= 0xFFFF)
            .then(|| self.text_index.get(code))
            .flatten()
            .and_then(|index| self.texts.get(index as usize));
        let native = self.native_char(code, length);
        let text = match mapped {
            Some(text) => GlyphText::Str(text),
            None => match self.native {
                Native::Korea1Cid => u16::try_from(code)
                    .ok()
                    .and_then(|cid| AdobeCidCollection::Korea1.cid_to_unicode_sequence(cid))
                    .map_or(GlyphText::Unmapped, GlyphText::Str),
                _ => native.map_or(GlyphText::Unmapped, GlyphText::Char),
            },
        };
        let width_key = if self.widths_by_korea1_cid {
            native.and_then(korea1_cid).map(u32::from)
        } else {
            Some(code)
        };
        let width = width_key
            .and_then(|key| self.widths.get(key))
            .map_or(self.default_width, f64::from);
        Glyph {
            text,
            width,
            is_space_code: length == 1 && code == 32,
        }
    }

    /// The character a predefined CMap's code stands for.
    fn native_char(&self, code: u32, length: usize) -> Option<char> {
        match self.native {
            Native::Unicode => char::from_u32(code).filter(|c| !c.is_control()),
            Native::Cp949 if length == 1 => (code < 0x80)
                .then(|| char::from_u32(code))
                .flatten()
                .filter(|c| !c.is_control()),
            Native::Cp949 => {
                let bytes = [(code >> 8) as u8, code as u8];
                let text = encoding_rs::EUC_KR
                    .decode_without_bom_handling_and_without_replacement(&bytes)?;
                let mut chars = text.chars();
                match (chars.next(), chars.next()) {
                    (Some(ch), None) => Some(ch),
                    _ => None,
                }
            }
            Native::Nothing | Native::Korea1Cid => None,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn new(
        scheme: CodeScheme,
        texts: Vec<Box<str>>,
        text_index: PagedTable<u32>,
        native: Native,
        widths: PagedTable<f32>,
        widths_by_korea1_cid: bool,
        default_width: f64,
    ) -> Font {
        let mut font = Font {
            scheme,
            texts,
            text_index,
            native,
            widths,
            widths_by_korea1_cid,
            default_width,
            space_width: None,
        };
        let space_code = font
            .text_index
            .first_code_where(|&index| {
                font.texts
                    .get(index as usize)
                    .is_some_and(|text| &**text == " ")
            })
            .or(match native {
                Native::Unicode | Native::Cp949 => Some(32),
                Native::Korea1Cid => Some(1),
                Native::Nothing => None,
            });
        font.space_width = space_code.map(|code| {
            let length = if scheme == CodeScheme::TwoByte || code > 0xFF {
                2
            } else {
                1
            };
            font.glyph(code, length).width
        });
        font
    }

    /// A font whose dictionary does not parse: every glyph unmapped.
    pub(crate) fn unreadable() -> Font {
        Font::new(
            CodeScheme::OneByte,
            Vec::new(),
            PagedTable::new(),
            Native::Nothing,
            PagedTable::new(),
            false,
            SIMPLE_MISSING_WIDTH,
        )
    }

    /// Reads a font dictionary, or says why the own reader cannot use it.
    pub(crate) fn load(dict: &PdfDictionary, document: &Document<'_>) -> Result<Font, Unsupported> {
        match name_of(dict.get("Subtype"), document).as_deref() {
            Some("Type0") => load_type0(dict, document),
            Some(subtype @ ("TrueType" | "Type1" | "MMType1" | "Type3")) => {
                load_simple(dict, document, subtype == "Type3")
            }
            _ => Err(Unsupported("font without a known subtype")),
        }
    }
}

/// The Adobe-Korea1 CID of a character, as the predefined Korean CMaps assign them (the
/// lowest CID of the character, from the Korea1 CID → Unicode table the PDF library ships).
fn korea1_cid(ch: char) -> Option<u16> {
    static CIDS: OnceLock<HashMap<char, u16>> = OnceLock::new();
    CIDS.get_or_init(|| {
        let mut cids = HashMap::with_capacity(18_000);
        for cid in 1..=KOREA1_LAST_CID {
            if let Some(ch) = AdobeCidCollection::Korea1.cid_to_unicode(cid) {
                cids.entry(ch).or_insert(cid);
            }
        }
        cids
    })
    .get(&ch)
    .copied()
}

/// A simple font's base encoding, by name.
fn base_encoding(name: &str) -> Option<[Option<char>; 256]> {
    let mut table = [None; 256];
    match name {
        "WinAnsiEncoding" => {
            for (code, slot) in table.iter_mut().enumerate().skip(32) {
                let byte = code as u8;
                let ch = TextEncoding::WinAnsiEncoding
                    .decode(&[byte])
                    .chars()
                    .next()
                    .filter(|&c| c != '?' || byte == b'?');
                *slot = match byte {
                    0x7F => None,
                    0xA0 => Some(' '),
                    0xAD => Some('-'),
                    _ => ch,
                };
            }
        }
        "StandardEncoding" | "MacRomanEncoding" => {
            for code in 32u8..127 {
                table[code as usize] = Some(code as char);
            }
            if name == "StandardEncoding" {
                table[0x27] = Some('\u{2019}');
                table[0x60] = Some('\u{2018}');
                for &(code, ch) in &STANDARD_HIGH {
                    table[code as usize] = Some(ch);
                }
            } else {
                for (slot, ch) in table[0x80..].iter_mut().zip(MAC_ROMAN_HIGH.chars()) {
                    *slot = (ch != '\u{FFFD}').then_some(ch);
                }
            }
        }
        _ => return None,
    }
    Some(table)
}

/// `StandardEncoding` above 0x7F.
const STANDARD_HIGH: [(u8, char); 54] = [
    (0xA1, '¡'),
    (0xA2, '¢'),
    (0xA3, '£'),
    (0xA4, '⁄'),
    (0xA5, '¥'),
    (0xA6, 'ƒ'),
    (0xA7, '§'),
    (0xA8, '¤'),
    (0xA9, '\''),
    (0xAA, '“'),
    (0xAB, '«'),
    (0xAC, '‹'),
    (0xAD, '›'),
    (0xAE, 'ﬁ'),
    (0xAF, 'ﬂ'),
    (0xB1, '–'),
    (0xB2, '†'),
    (0xB3, '‡'),
    (0xB4, '·'),
    (0xB6, '¶'),
    (0xB7, '•'),
    (0xB8, '‚'),
    (0xB9, '„'),
    (0xBA, '”'),
    (0xBB, '»'),
    (0xBC, '…'),
    (0xBD, '‰'),
    (0xBF, '¿'),
    (0xC1, '`'),
    (0xC2, '´'),
    (0xC3, 'ˆ'),
    (0xC4, '˜'),
    (0xC5, '¯'),
    (0xC6, '˘'),
    (0xC7, '˙'),
    (0xC8, '¨'),
    (0xCA, '˚'),
    (0xCB, '¸'),
    (0xCD, '˝'),
    (0xCE, '˛'),
    (0xCF, 'ˇ'),
    (0xD0, '—'),
    (0xE1, 'Æ'),
    (0xE3, 'ª'),
    (0xE8, 'Ł'),
    (0xE9, 'Ø'),
    (0xEA, 'Œ'),
    (0xEB, 'º'),
    (0xF1, 'æ'),
    (0xF5, 'ı'),
    (0xF8, 'ł'),
    (0xF9, 'ø'),
    (0xFA, 'œ'),
    (0xFB, 'ß'),
];

/// `MacRomanEncoding` from 0x80 to 0xFF, in code order (PDF's table: 0xCA is a space, 0xDB
/// the currency sign, 0xF0 unused).
const MAC_ROMAN_HIGH: &str = "ÄÅÇÉÑÖÜáàâäãåçéèêëíìîïñóòôöõúùûü†°¢£§•¶ß®©™´¨≠ÆØ∞±≤≥¥µ∂∑∏π∫ªºΩæø¿¡¬√ƒ≈∆«»… ÀÃÕŒœ–—“”‘’÷◊ÿŸ⁄¤‹›ﬁﬂ‡·‚„‰ÂÊÁËÈÍÎÏÌÓÔ\u{FFFD}ÒÚÛÙıˆ˜¯˘˙˚¸˝˛ˇ";

/// Simple fonts: TrueType, Type1 and Type3.
fn load_simple(
    dict: &PdfDictionary,
    document: &Document<'_>,
    type3: bool,
) -> Result<Font, Unsupported> {
    let descriptor = dict
        .get("FontDescriptor")
        .and_then(|d| document.resolve(d).ok())
        .filter(|d| !matches!(d, PdfObject::Null));
    let descriptor = match descriptor.as_ref().map(|d| d.as_dict()) {
        None => None,
        Some(None) => return Err(Unsupported("font descriptor is not a dictionary")),
        Some(Some(descriptor)) => Some(descriptor),
    };
    let missing = match descriptor {
        Some(descriptor) => optional_number(descriptor.get("MissingWidth"), document)?,
        None => None,
    };
    // Type3 glyph space: widths scale by FontMatrix (0.001 for a 1000-unit em). The em
    // stays the text size, whatever units the glyphs are drawn in (a FontMatrix of 1 and
    // widths near 1 is as common as 0.001 and widths near 1000).
    let width_scale = if type3 {
        let matrix = match dict.get("FontMatrix").map(|m| document.resolve(m)) {
            Some(Ok(PdfObject::Array(items))) => items
                .0
                .iter()
                .map(|v| number(v, document))
                .collect::<Option<Vec<f64>>>(),
            _ => None,
        }
        .filter(|m| m.len() == 6 && m[0] != 0.0 && m[3] != 0.0)
        .ok_or(Unsupported("Type3 font without a usable FontMatrix"))?;
        matrix[0] * 1000.0
    } else {
        1.0
    };
    let standard = standard_font(dict, document);
    let (mut texts, mut text_index) =
        to_unicode(dict, document, &[1])?.unwrap_or_else(|| (Vec::new(), PagedTable::new()));
    let symbolic = descriptor
        .and_then(|d| d.get("Flags"))
        .and_then(|f| document.resolve(f).ok())
        .and_then(|f| f.as_integer())
        .is_some_and(|flags| flags & 4 != 0 && flags & 32 == 0);
    // The encoding fills in every code the ToUnicode map leaves out.
    for (code, text) in simple_encoding(dict, document, type3 || (symbolic && standard.is_none()))
        .into_iter()
        .enumerate()
    {
        let code = code as u32;
        if let (Some(text), None) = (text, text_index.get(code)) {
            text_index.set(code, texts.len() as u32);
            texts.push(text);
        }
    }
    if texts.is_empty() {
        return Err(Unsupported("simple font whose codes nothing maps"));
    }
    let default_width = missing.unwrap_or(SIMPLE_MISSING_WIDTH) * width_scale;
    let first = optional_byte(dict.get("FirstChar"), document)?;
    let last = optional_byte(dict.get("LastChar"), document)?;
    if first.zip(last).is_some_and(|(first, last)| first > last) {
        return Err(Unsupported("FirstChar after LastChar"));
    }
    let mut widths = PagedTable::new();
    match dict.get("Widths").map(|w| document.resolve(w)) {
        Some(Ok(PdfObject::Array(array))) => {
            let first = first.unwrap_or(0);
            let last = last.unwrap_or(255);
            for (offset, width) in array.0.iter().enumerate() {
                let code = first + offset as u32;
                if code > last {
                    break;
                }
                let width =
                    number(width, document).ok_or(Unsupported("Widths holds a non-number"))?;
                widths.set(code, (width * width_scale) as f32);
            }
        }
        None if standard.is_some() => {
            // A standard-14 font may leave its widths to the standard metrics.
            let font = standard.unwrap_or(oxidize_pdf::text::Font::Helvetica);
            for code in 0..=255u32 {
                let text = text_index
                    .get(code)
                    .and_then(|i| texts.get(i as usize))
                    .and_then(|t| t.chars().next());
                if let Some(ch) = text {
                    let width = oxidize_pdf::text::measure_char(ch, font.clone(), 1000.0);
                    widths.set(code, width as f32);
                }
            }
        }
        None => return Err(Unsupported("simple font without Widths")),
        Some(_) => return Err(Unsupported("unreadable Widths")),
    }
    Ok(Font::new(
        CodeScheme::OneByte,
        texts,
        text_index,
        Native::Nothing,
        widths,
        false,
        default_width,
    ))
}

/// The standard-14 font a simple font names, when it embeds no font program of its own.
fn standard_font(dict: &PdfDictionary, document: &Document<'_>) -> Option<oxidize_pdf::text::Font> {
    use oxidize_pdf::text::Font as F;
    let name = name_of(dict.get("BaseFont"), document)?;
    let name = name.split_once('+').map_or(name.as_str(), |(_, n)| n);
    Some(match name {
        "Helvetica" | "Arial" | "ArialMT" => F::Helvetica,
        "Helvetica-Bold" | "Arial-BoldMT" | "Arial,Bold" => F::HelveticaBold,
        "Helvetica-Oblique" | "Arial-ItalicMT" => F::HelveticaOblique,
        "Helvetica-BoldOblique" | "Arial-BoldItalicMT" => F::HelveticaBoldOblique,
        "Times-Roman" | "TimesNewRomanPSMT" | "TimesNewRoman" => F::TimesRoman,
        "Times-Bold" | "TimesNewRomanPS-BoldMT" => F::TimesBold,
        "Times-Italic" | "TimesNewRomanPS-ItalicMT" => F::TimesItalic,
        "Times-BoldItalic" | "TimesNewRomanPS-BoldItalicMT" => F::TimesBoldItalic,
        "Courier" | "CourierNewPSMT" => F::Courier,
        "Courier-Bold" | "CourierNewPS-BoldMT" => F::CourierBold,
        "Courier-Oblique" => F::CourierOblique,
        "Courier-BoldOblique" => F::CourierBoldOblique,
        _ => return None,
    })
}

/// What each code of a simple font reads as through its `/Encoding`: a base encoding
/// (named, or `StandardEncoding` for a non-symbolic font that names none) with its
/// `/Differences`, glyph names read through the Adobe Glyph List. A symbolic or Type3 font
/// without a base encoding has only its differences.
fn simple_encoding(
    dict: &PdfDictionary,
    document: &Document<'_>,
    no_implicit_base: bool,
) -> Vec<Option<Box<str>>> {
    let mut table: Vec<Option<Box<str>>> = vec![None; 256];
    let encoding = dict.get("Encoding").and_then(|e| document.resolve(e).ok());
    let (base_name, differences) = match &encoding {
        Some(PdfObject::Name(name)) => (Some(name.0.clone()), None),
        Some(PdfObject::Dictionary(encoding)) => (
            name_of(encoding.get("BaseEncoding"), document),
            encoding
                .get("Differences")
                .and_then(|d| document.resolve(d).ok()),
        ),
        _ => (None, None),
    };
    let base = match base_name {
        Some(name) => base_encoding(&name),
        None if no_implicit_base => None,
        None => base_encoding("StandardEncoding"),
    };
    if let Some(base) = base {
        for (slot, ch) in table.iter_mut().zip(base) {
            *slot = ch.map(|c| Box::from(c.encode_utf8(&mut [0u8; 4]) as &str));
        }
    }
    if let Some(PdfObject::Array(items)) = differences {
        let mut code: Option<u32> = None;
        for item in &items.0 {
            match document.resolve(item) {
                Ok(PdfObject::Integer(start)) => code = u32::try_from(start).ok(),
                Ok(PdfObject::Name(glyph)) => {
                    if let Some(at) = code.filter(|&c| c < 256) {
                        table[at as usize] = glyph_text(&glyph.0);
                        code = Some(at + 1);
                    }
                }
                _ => {}
            }
        }
    }
    table
}

/// A glyph name's text: the Adobe Glyph List, `uniXXXX`/`uXXXXX` names, and ligature-style
/// names (`f_i`); `None` for names that say nothing (`g12`, `.notdef`).
fn glyph_text(name: &str) -> Option<Box<str>> {
    if name == ".notdef" {
        return None;
    }
    let text = glyph_name_to_unicode_sequence(name)?;
    let text = sanitize_extracted_text(&text);
    (!text.is_empty() && !text.chars().any(|c| c == '\u{FFFD}')).then(|| text.into_boxed_str())
}

/// Type0 fonts: `Identity-H` and the predefined Korean CMaps.
fn load_type0(dict: &PdfDictionary, document: &Document<'_>) -> Result<Font, Unsupported> {
    let descendant = match dict.get("DescendantFonts").map(|d| document.resolve(d)) {
        Some(Ok(PdfObject::Array(array))) => array
            .0
            .first()
            .and_then(|d| document.resolve(d).ok())
            .and_then(|d| d.as_dict().cloned()),
        _ => None,
    }
    .ok_or(Unsupported("Type0 font without a descendant font"))?;
    let ordering = descendant
        .get("CIDSystemInfo")
        .and_then(|i| document.resolve(i).ok())
        .and_then(|i| i.as_dict().cloned())
        .and_then(|i| match i.get("Ordering").map(|o| document.resolve(o)) {
            Some(Ok(PdfObject::String(s))) => Some(s.to_text()),
            _ => None,
        });
    let encoding = name_of(dict.get("Encoding"), document);
    let (scheme, native, by_korea1_cid, lengths): (_, _, _, &[usize]) = match encoding.as_deref() {
        Some("Identity-H") => {
            let native = if ordering.as_deref() == Some("Korea1") {
                Native::Korea1Cid
            } else {
                Native::Nothing
            };
            (CodeScheme::TwoByte, native, false, &[2])
        }
        Some("UniKS-UCS2-H" | "UniKS-UCS2-HW-H") => {
            (CodeScheme::TwoByte, Native::Unicode, true, &[2])
        }
        Some("UniKS-UTF16-H") => (CodeScheme::Utf16, Native::Unicode, true, &[2]),
        Some("KSCms-UHC-H" | "KSCms-UHC-HW-H" | "KSC-EUC-H") => {
            (CodeScheme::Uhc, Native::Cp949, true, &[1, 2])
        }
        _ => {
            return Err(Unsupported(
                "Type0 font in an encoding the own reader does not know",
            ))
        }
    };
    let (texts, text_index) =
        to_unicode(dict, document, lengths)?.unwrap_or_else(|| (Vec::new(), PagedTable::new()));
    let default_width =
        optional_number(descendant.get("DW"), document)?.unwrap_or(CID_DEFAULT_WIDTH);
    let widths = match descendant.get("W").map(|w| document.resolve(w)) {
        None | Some(Ok(PdfObject::Null)) => PagedTable::new(),
        Some(Ok(PdfObject::Array(entries))) => cid_widths(&entries.0, document)?,
        Some(_) => return Err(Unsupported("unreadable W array")),
    };
    Ok(Font::new(
        scheme,
        texts,
        text_index,
        native,
        widths,
        by_korea1_cid,
        default_width,
    ))
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

/// A code → text table (what `ToUnicode` maps and the encodings fill in).
type TextTable = (Vec<Box<str>>, PagedTable<u32>);

/// The font's `ToUnicode` map as a flat table of codes `lengths` bytes long; `None` when
/// the font has none, or one that does not decode or maps nothing.
fn to_unicode(
    dict: &PdfDictionary,
    document: &Document<'_>,
    lengths: &[usize],
) -> Result<Option<TextTable>, Unsupported> {
    let stream = match dict.get("ToUnicode").map(|t| document.resolve(t)) {
        Some(Ok(PdfObject::Stream(stream))) => stream,
        _ => return Ok(None),
    };
    let Ok(data) = document.decode_stream_with_limit(&stream, 4 * 1024 * 1024) else {
        return Ok(None);
    };
    let cmap = ToUnicode::parse(&data)?;
    let key = |bytes: &[u8]| -> Option<u32> {
        lengths
            .contains(&bytes.len())
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
    // Codes of another length change how the library splits a string into codes (only a
    // font with one code length is held to that).
    if foreign_keys && lengths.len() == 1 {
        return Err(Unsupported(
            "ToUnicode map keyed by codes of another length",
        ));
    }
    Ok((!texts.is_empty()).then_some((texts, table)))
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
