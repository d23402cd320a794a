//! The parser glue: open the document (strictly, then leniently), refuse what is locked or
//! over the limits, and read the text of each page in reading order.

use std::io::Cursor;
use std::time::Instant;

use oxidize_pdf::parser::{ParseError, ParseOptions, ParsedPage, PdfDocument, PdfReader};
use oxidize_pdf::text::{ExtractionOptions, TextExtractor};

use crate::content::{page_streams, regroup, DecodeBudget, PageFailure, TextReader};
use crate::layout::{lines_from_fragments, Fragment, Line};
use crate::{ExtractError, Limits, Reader};

/// How far into the file the `%PDF-` marker may start (the spec allows leading junk).
const HEADER_WINDOW: usize = 1024;

/// Checks the cheap things before any parsing: size and the `%PDF-` marker.
pub(crate) fn check_envelope(bytes: &[u8], limits: &Limits) -> Result<(), ExtractError> {
    if bytes.is_empty() {
        return Err(ExtractError::NotPdf("the file is empty".into()));
    }
    if bytes.len() > limits.max_bytes {
        return Err(ExtractError::TooLarge(format!(
            "{} bytes, over the limit of {} bytes",
            bytes.len(),
            limits.max_bytes
        )));
    }
    let window = &bytes[..bytes.len().min(HEADER_WINDOW)];
    if !window.windows(5).any(|w| w == b"%PDF-") {
        return Err(ExtractError::NotPdf(format!(
            "no %PDF- marker in the first {HEADER_WINDOW} bytes ({})",
            sniff(bytes)
        )));
    }
    // Every complete PDF ends in %%EOF; a file without one was cut off in transfer, and any
    // text recovered from it would be an incomplete letter passed on as if it were whole.
    // Searched from the end, where it is.
    if !bytes.windows(5).rev().any(|w| w == b"%%EOF") {
        return Err(ExtractError::Corrupt(
            "truncated: the file has no %%EOF end-of-file marker".into(),
        ));
    }
    Ok(())
}

/// Names what the bytes look like instead, for the error cause (never echoes content).
fn sniff(bytes: &[u8]) -> &'static str {
    let head = &bytes[..bytes.len().min(512)];
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    let contains = |needle: &[u8]| lower.windows(needle.len()).any(|w| w == needle);
    if head.starts_with(b"PK\x03\x04") {
        "looks like a ZIP container such as .docx"
    } else if contains(b"<html") || contains(b"<!doctype") {
        "looks like an HTML page"
    } else if head.starts_with(b"\xD0\xCF\x11\xE0") {
        "looks like a legacy Office/HWP compound file"
    } else if std::str::from_utf8(head).is_ok() {
        "looks like plain text"
    } else {
        "unrecognised binary data"
    }
}

/// Opens the document and reads every page's lines, in page order: with [`Reader::Auto`],
/// each page by the own text reader when it can, else by the PDF library's general
/// extractor.
pub(crate) fn page_lines_with(
    bytes: &[u8],
    limits: &Limits,
    started: Instant,
    reader: Reader,
) -> Result<Vec<Vec<Line>>, ExtractError> {
    let body = strip_leading_junk(bytes);
    let document = open(body)?;
    let pages = document.page_count().map_err(classify)? as usize;
    if pages == 0 {
        return Err(ExtractError::Corrupt(
            "no pages found in the page tree".into(),
        ));
    }
    if pages > limits.max_pages {
        return Err(ExtractError::TooLarge(format!(
            "{pages} pages, over the limit of {}",
            limits.max_pages
        )));
    }
    check_time(limits, started)?;

    let mut budget = DecodeBudget {
        cap: usize::try_from(limits.max_decompressed_bytes).unwrap_or(usize::MAX),
        used: 0,
    };
    let mut own = TextReader::new(&document, limits, started);
    let mut library: Option<TextExtractor> = None;
    let mut texts = Vec::with_capacity(pages);
    for index in 0..pages {
        check_time(limits, started)?;
        let page = document.get_page(index as u32).map_err(classify)?;
        let own_read = (reader != Reader::Library).then(|| own.read_page(&page, &mut budget));
        let fragments = match own_read {
            Some(Ok(fragments)) => fragments,
            Some(Err(PageFailure::Failed(error))) => return Err(error),
            Some(Err(PageFailure::Unsupported(why))) if reader == Reader::Own => {
                return Err(ExtractError::Corrupt(format!(
                    "page {} is beyond the own reader: {}",
                    index + 1,
                    why.0
                )))
            }
            handed_over => {
                if let Some(Err(PageFailure::Unsupported(why))) = handed_over {
                    tracing::debug!(
                        page = index,
                        reason = why.0,
                        "page read by the general extractor"
                    );
                }
                check_decompressed_size(&document, &page, &mut budget, limits, started)?;
                let extractor = library
                    .get_or_insert_with(|| TextExtractor::with_options(extraction_options(limits)));
                let page_text = extractor
                    .extract_from_page(&document, index as u32)
                    .map_err(classify)?;
                regroup(page_text.fragments.into_iter().map(Fragment::from))
            }
        };
        texts.push(lines_from_fragments(&fragments));
    }
    check_time(limits, started)?;
    Ok(texts)
}

fn extraction_options(limits: &Limits) -> ExtractionOptions {
    ExtractionOptions {
        // Positioned fragments: reading order comes from the page, not the content stream.
        preserve_layout: true,
        max_extracted_bytes: Some(limits.page_text_bytes()),
        ..ExtractionOptions::default()
    }
}

/// The parser expects `%PDF-` at offset 0; leading junk (allowed by readers) is skipped.
fn strip_leading_junk(bytes: &[u8]) -> &[u8] {
    let window = &bytes[..bytes.len().min(HEADER_WINDOW)];
    match window.windows(5).position(|w| w == b"%PDF-") {
        Some(start) => &bytes[start..],
        None => bytes,
    }
}

/// Opens strictly first (fast, exact), then with the parser's recovery for damaged files.
fn open(bytes: &[u8]) -> Result<PdfDocument<Cursor<&[u8]>>, ExtractError> {
    let strict = ParseOptions {
        lenient_streams: true,
        ..ParseOptions::default()
    };
    let reader = match PdfReader::new_with_options(Cursor::new(bytes), strict) {
        Ok(reader) => reader,
        Err(first) => {
            if is_encryption_error(&first) {
                return Err(ExtractError::Encrypted);
            }
            let mut tolerant = ParseOptions::tolerant();
            tolerant.log_recovery_details = false;
            PdfReader::new_with_options(Cursor::new(bytes), tolerant).map_err(|second| {
                tracing::debug!(strict = %first, tolerant = %second, "PDF did not open");
                classify(second)
            })?
        }
    };
    // Owner-password-only files were unlocked with the empty user password on open; a
    // reader that is still locked needs a password we do not have.
    if reader.is_encrypted() && !reader.is_unlocked() {
        return Err(ExtractError::Encrypted);
    }
    Ok(PdfDocument::new(reader))
}

/// Opens a fixture for the content reader's own tests.
#[cfg(test)]
pub(crate) fn open_for_tests(bytes: &[u8]) -> PdfDocument<Cursor<&[u8]>> {
    match open(strip_leading_junk(bytes)) {
        Ok(document) => document,
        Err(error) => panic!("fixture does not open: {error}"),
    }
}

fn is_encryption_error(err: &ParseError) -> bool {
    matches!(
        err,
        ParseError::EncryptionNotSupported | ParseError::WrongPassword | ParseError::PdfLocked
    )
}

/// Maps a parser error onto the named failures.
fn classify(err: ParseError) -> ExtractError {
    if is_encryption_error(&err) {
        return ExtractError::Encrypted;
    }
    match err {
        ParseError::EmptyFile => ExtractError::NotPdf("the file is empty".into()),
        ParseError::StreamDecodeError(message) if is_resource_limit(&message) => {
            ExtractError::TooLarge("a stream inflates past the parser's limit".into())
        }
        other => ExtractError::Corrupt(format!(
            "the PDF parser could not read it ({})",
            parse_error_kind(&other)
        )),
    }
}

/// The parser error's kind (its variant name), never its message: messages such as
/// "expected …, found …" quote the document's own bytes, which must not reach a cause (the
/// execution history, the user's screen, the logs).
fn parse_error_kind(err: &ParseError) -> String {
    let debug = format!("{err:?}");
    let kind: String = debug
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .take(40)
        .collect();
    if kind.is_empty() {
        "unknown".into()
    } else {
        kind
    }
}

pub(crate) fn is_resource_limit(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    message.contains("exceeds limit") || message.contains("ratio") || message.contains("too large")
}

pub(crate) fn check_time(limits: &Limits, started: Instant) -> Result<(), ExtractError> {
    if started.elapsed() > limits.time_budget {
        return Err(ExtractError::TooLarge(format!(
            "time budget of {} ms exceeded",
            limits.time_budget.as_millis()
        )));
    }
    Ok(())
}

/// Stops a flate bomb in a page's content before the general extractor inflates it without
/// a bound: the page's streams are inflated under what is left of the document's decode
/// budget, and count against it. (The own reader decodes under the same budget as it reads;
/// only pages it hands over are decoded twice.) Damaged streams are left to the extractor,
/// with its recovery.
fn check_decompressed_size(
    document: &PdfDocument<Cursor<&[u8]>>,
    page: &ParsedPage,
    budget: &mut DecodeBudget,
    limits: &Limits,
    started: Instant,
) -> Result<(), ExtractError> {
    for stream in &page_streams(document, page).map_err(classify)? {
        check_time(limits, started)?;
        budget.inflate(document, stream)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_rejects_non_pdfs_by_name() {
        let limits = Limits::default();
        let cases: [(&[u8], &str); 4] = [
            (b"", "empty"),
            (
                b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>",
                "HTML",
            ),
            (b"PK\x03\x04\x14\x00\x06\x00word/document.xml", "ZIP"),
            (&[0x8e, 0x11, 0xfe, 0x00, 0x42, 0x99, 0x10], "binary"),
        ];
        for (bytes, expect) in cases {
            match check_envelope(bytes, &limits) {
                Err(ExtractError::NotPdf(cause)) => assert!(cause.contains(expect), "{cause}"),
                other => panic!("{expect}: {other:?}"),
            }
        }
    }

    #[test]
    fn parser_errors_become_causes_in_our_own_words() {
        let secret = "지원 동기는 제가 3년 동안";
        for err in [
            ParseError::UnexpectedToken {
                expected: "dictionary".into(),
                found: secret.into(),
            },
            ParseError::SyntaxError {
                position: 7,
                message: format!("bad token {secret}"),
            },
            ParseError::MissingKey(secret.into()),
            ParseError::StreamDecodeError(format!("exceeds limit near {secret}")),
        ] {
            let cause = classify(err).to_string();
            assert!(!cause.contains(secret), "{cause}");
            assert!(!cause.contains("지원"), "{cause}");
        }
        assert_eq!(
            classify(ParseError::MissingKey("x".into())).to_string(),
            ExtractError::Corrupt("the PDF parser could not read it (MissingKey)".into())
                .to_string()
        );
    }

    #[test]
    fn envelope_accepts_marker_after_leading_junk() {
        let mut bytes = vec![b' '; 300];
        bytes.extend_from_slice(b"%PDF-1.7\n%%EOF\n");
        assert!(check_envelope(&bytes, &Limits::default()).is_ok());
        assert!(strip_leading_junk(&bytes).starts_with(b"%PDF-"));
        let mut late = vec![b' '; 2000];
        late.extend_from_slice(b"%PDF-1.7\n");
        assert!(matches!(
            check_envelope(&late, &Limits::default()),
            Err(ExtractError::NotPdf(_))
        ));
    }

    #[test]
    fn envelope_rejects_a_file_cut_before_its_end() {
        assert!(matches!(
            check_envelope(b"%PDF-1.7\n1 0 obj << >> endobj\n", &Limits::default()),
            Err(ExtractError::Corrupt(_))
        ));
    }

    #[test]
    fn envelope_rejects_files_over_the_byte_limit() {
        let limits = Limits {
            max_bytes: 10,
            ..Limits::default()
        };
        assert!(matches!(
            check_envelope(b"%PDF-1.7 0123456789 %%EOF", &limits),
            Err(ExtractError::TooLarge(_))
        ));
    }
}
