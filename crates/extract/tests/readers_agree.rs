//! The own content-stream reader against the PDF library's general extractor: on every
//! corpus document (and every held-out one) the own reader reads every page by itself
//! (`Reader::Own`: no page falls back) and its text is never further from the ground truth
//! than the library's, in words and in characters; on every hostile file both end the same
//! way. (The library's text is no longer the reference space for space: the own reader
//! sees the space glyphs and natural advances the spacing rule needs, which the library's
//! fragments do not carry.)

#[path = "support/mod.rs"]
mod support;

use narratix_extract::{extract_with, ExtractError, Limits, Reader};
use support::{accuracy, corpus, repo_root, word_accuracy};

#[test]
fn own_reader_reads_the_whole_corpus_at_least_as_well_as_the_library() {
    let mut documents = corpus(&repo_root().join("tests/fixtures/corpus"));
    assert!(documents.len() >= 10, "corpus missing: {}", documents.len());
    documents.extend(corpus(&repo_root().join("tests/fixtures/heldout")));
    let limits = Limits::default();
    let mut differences = Vec::new();
    for doc in &documents {
        let bytes = std::fs::read(&doc.pdf).expect("read pdf");
        let own = extract_with(&bytes, &limits, Reader::Own)
            .unwrap_or_else(|e| panic!("{}: own reader: {e}", doc.truth.id));
        let library = extract_with(&bytes, &limits, Reader::Library)
            .unwrap_or_else(|e| panic!("{}: library: {e}", doc.truth.id));
        let (own_words, library_words) = (
            word_accuracy(&own.text, &doc.truth.text),
            word_accuracy(&library.text, &doc.truth.text),
        );
        let (own_chars, library_chars) = (
            accuracy(&own.text, &doc.truth.text),
            accuracy(&library.text, &doc.truth.text),
        );
        println!(
            "{:<20} word accuracy own {own_words:.4}  library {library_words:.4}",
            doc.truth.id,
        );
        if own_words < library_words || own_chars < library_chars {
            differences.push(first_difference(&doc.truth.id, &own.text, &library.text));
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

#[test]
fn both_readers_end_every_hostile_file_the_same_way() {
    let dir = repo_root().join("tests/fixtures/hostile");
    let limits = Limits::default();
    let mut differences = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("hostile fixtures")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pdf"))
        .collect();
    files.sort();
    for path in files {
        let bytes = std::fs::read(&path).expect("read");
        let auto = extract_with(&bytes, &limits, Reader::Auto);
        let library = extract_with(&bytes, &limits, Reader::Library);
        let same = match (&auto, &library) {
            (Ok(a), Ok(b)) => a.pages == b.pages,
            (Err(a), Err(b)) => a.kind() == b.kind(),
            // The own reader is never worse: it may read a file the library cannot parse
            // (an integer past 64 bits in a font's /Widths, which pdftotext reads too).
            (Ok(_), Err(ExtractError::Corrupt(_))) => true,
            _ => false,
        };
        if !same {
            differences.push(format!(
                "{}: auto {:?} / library {:?}",
                path.display(),
                auto.map(|e| e.chars),
                library.map(|e| e.chars)
            ));
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

fn first_difference(id: &str, own: &str, library: &str) -> String {
    let at = own
        .char_indices()
        .zip(library.chars())
        .find(|((_, a), b)| a != b)
        .map_or(own.len().min(library.len()), |((i, _), _)| i);
    let context = |text: &str| -> String {
        let start = text.floor_char_boundary(at.saturating_sub(40));
        let end = text.ceil_char_boundary((at + 40).min(text.len()));
        text[start..end].replace('\n', "⏎")
    };
    format!(
        "{id}: differs at byte {at}\n  own:     {}\n  library: {}",
        context(own),
        context(library)
    )
}
