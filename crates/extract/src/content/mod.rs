//! The own text reader: a page's content stream (and the form XObjects it paints) run
//! through a lean text-state machine that emits positioned [`Fragment`]s, with fonts decoded
//! through flat tables built once per document.
//!
//! It reads what almost every cover letter is made of — simple and Identity-H fonts that
//! carry a `ToUnicode` map — and nothing else: a page that shows text in any other kind of
//! font, or whose content stream does not decode, comes back [`PageFailure::Unsupported`]
//! and is read by the PDF library's general extractor instead. Both readers feed the same
//! layout code, and a test holds them to the same text on the whole fixture corpus.

mod font;
mod lexer;

use std::collections::HashMap;
use std::io::Cursor;
use std::rc::Rc;
use std::time::Instant;

use oxidize_pdf::parser::{
    ParseError, ParsedPage, PdfDictionary, PdfDocument, PdfObject, PdfStream, PdfString,
};

use font::Font;
pub(crate) use font::Unsupported;
use lexer::{Lexer, Operand, Token};

use crate::layout::Fragment;
use crate::{ExtractError, Limits};

type Document<'a> = PdfDocument<Cursor<&'a [u8]>>;
type Matrix = [f64; 6];

const IDENTITY: Matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];
/// Form XObjects painting form XObjects deeper than this are not followed.
const MAX_FORM_DEPTH: usize = 12;
/// `q` nested deeper than this is counted, not stored.
const MAX_SAVED_STATES: usize = 256;
/// Operands beyond this many before an operator are dropped (no operator takes more).
const MAX_OPERANDS: usize = 64;
/// The time budget is checked every this many operators.
const OPERATORS_PER_TIME_CHECK: u32 = 4096;
/// Consecutive runs this close (in ems) on one baseline form one fragment. Below the
/// layout's smallest word gap (0.15 em), so joining runs here never drops a space the
/// layout would have put between them.
const ADJACENT_RUN_GAP: f64 = 0.1;

/// Why a page was not read by the own reader.
#[derive(Debug)]
pub(crate) enum PageFailure {
    /// The general extractor should read this page.
    Unsupported(Unsupported),
    /// The file fails, whoever reads it (a limit was reached).
    Failed(ExtractError),
}

impl From<Unsupported> for PageFailure {
    fn from(why: Unsupported) -> Self {
        PageFailure::Unsupported(why)
    }
}

impl From<ExtractError> for PageFailure {
    fn from(error: ExtractError) -> Self {
        PageFailure::Failed(error)
    }
}

/// How many decoded bytes of page content the whole document may still produce.
#[derive(Debug)]
pub(crate) struct DecodeBudget {
    pub cap: usize,
    pub used: usize,
}

impl DecodeBudget {
    pub(crate) fn exceeded(&self) -> ExtractError {
        ExtractError::TooLarge(format!(
            "page content inflates past the limit of {} bytes",
            self.cap
        ))
    }

    /// Decodes `stream` within what is left of the budget and counts what it decoded to:
    /// `None` when the stream does not decode (it is damaged), an error when the budget
    /// runs out.
    pub(crate) fn inflate(
        &mut self,
        document: &Document<'_>,
        stream: &PdfStream,
    ) -> Result<Option<Vec<u8>>, ExtractError> {
        let remaining = self.cap.saturating_sub(self.used);
        match document.decode_stream_with_limit(stream, remaining.saturating_add(1)) {
            Ok(data) => {
                self.used = self.used.saturating_add(data.len());
                if self.used > self.cap {
                    return Err(self.exceeded());
                }
                Ok(Some(data))
            }
            Err(ParseError::StreamDecodeError(message))
                if crate::pdf::is_resource_limit(&message) =>
            {
                Err(self.exceeded())
            }
            Err(_) => Ok(None),
        }
    }

    /// [`DecodeBudget::inflate`] for the own reader: a damaged stream is the general
    /// extractor's to recover.
    fn decode(
        &mut self,
        document: &Document<'_>,
        stream: &PdfStream,
    ) -> Result<Vec<u8>, PageFailure> {
        self.inflate(document, stream)?
            .ok_or_else(|| Unsupported("content stream does not decode").into())
    }
}

/// A page's content streams, in order (`/Contents` is one stream or an array of them).
pub(crate) fn page_streams(
    document: &Document<'_>,
    page: &ParsedPage,
) -> Result<Vec<PdfStream>, ParseError> {
    let Some(contents) = page.dict.get("Contents") else {
        return Ok(Vec::new());
    };
    match document.resolve(contents)? {
        PdfObject::Stream(stream) => Ok(vec![stream]),
        PdfObject::Array(items) => {
            let mut streams = Vec::with_capacity(items.0.len());
            for item in &items.0 {
                if let PdfObject::Stream(stream) = document.resolve(item)? {
                    streams.push(stream);
                }
            }
            Ok(streams)
        }
        PdfObject::Null => Ok(Vec::new()),
        _ => Err(ParseError::SyntaxError {
            position: 0,
            message: "page Contents is neither a stream nor an array of streams".into(),
        }),
    }
}

/// Reads pages of one document, keeping its fonts between pages.
pub(crate) struct TextReader<'d, 'b> {
    document: &'d Document<'b>,
    fonts: HashMap<(u32, u16), Result<Rc<Font>, Unsupported>>,
    limits: &'d Limits,
    started: Instant,
    /// Most bytes of text one page may produce.
    page_text_cap: usize,
}

impl<'d, 'b> TextReader<'d, 'b> {
    pub(crate) fn new(document: &'d Document<'b>, limits: &'d Limits, started: Instant) -> Self {
        TextReader {
            document,
            fonts: HashMap::new(),
            limits,
            started,
            page_text_cap: limits.page_text_bytes(),
        }
    }

    /// The text fragments of `page`, in the order the content stream draws them.
    pub(crate) fn read_page(
        &mut self,
        page: &ParsedPage,
        budget: &mut DecodeBudget,
    ) -> Result<Vec<Fragment>, PageFailure> {
        let content = self.page_content(page, budget)?;
        self.read_content(page, &content, budget)
    }

    /// Runs `content` as the content stream of `page`, with the page's resources.
    fn read_content(
        &mut self,
        page: &ParsedPage,
        content: &[u8],
        budget: &mut DecodeBudget,
    ) -> Result<Vec<Fragment>, PageFailure> {
        let resources = match page.dict.get("Resources") {
            Some(object) => self
                .document
                .resolve(object)
                .ok()
                .and_then(|o| o.as_dict().cloned()),
            None => page.inherited_resources.clone(),
        };
        let mut run = Run {
            reader: self,
            budget,
            out: Collector::new(),
            marked: Vec::new(),
            capture: None,
            forms: Vec::new(),
            operators: 0,
        };
        let scope = Scope::new(resources.as_ref(), run.reader.document);
        run.execute(content, &scope, GraphicsState::default())?;
        Ok(run.out.fragments)
    }

    /// The page's content streams, decoded and joined with a line break between them.
    fn page_content(
        &self,
        page: &ParsedPage,
        budget: &mut DecodeBudget,
    ) -> Result<Vec<u8>, PageFailure> {
        let streams = page_streams(self.document, page)
            .map_err(|_| Unsupported("unreadable page contents"))?;
        let mut content = Vec::new();
        for stream in &streams {
            content.extend_from_slice(&budget.decode(self.document, stream)?);
            content.push(b'\n');
        }
        Ok(content)
    }

    fn font(&mut self, object: &PdfObject) -> Result<Rc<Font>, Unsupported> {
        let document = self.document;
        let load = |object: PdfObject| match object {
            PdfObject::Dictionary(dict) => Font::load(&dict, document).map(Rc::new),
            _ => Err(Unsupported("font resource is not a dictionary")),
        };
        match object {
            PdfObject::Reference(number, generation) => self
                .fonts
                .entry((*number, *generation))
                .or_insert_with(|| {
                    // A font object that does not parse (an integer past any range, a cut
                    // dictionary) is unreadable by any reader: its glyphs count as unmapped
                    // and the rest of the page still reads.
                    match document.get_object(*number, *generation) {
                        Ok(object) => load(object),
                        Err(_) => Ok(Rc::new(Font::unreadable())),
                    }
                })
                .clone(),
            inline => load(inline.clone()),
        }
    }
}

/// The resources in effect for one content stream.
struct Scope {
    fonts: Option<PdfDictionary>,
    xobjects: Option<PdfDictionary>,
    properties: Option<PdfDictionary>,
}

impl Scope {
    fn new(resources: Option<&PdfDictionary>, document: &Document<'_>) -> Scope {
        let part = |key: &str| -> Option<PdfDictionary> {
            let object = resources?.get(key)?;
            document.resolve(object).ok()?.as_dict().cloned()
        };
        Scope {
            fonts: part("Font"),
            xobjects: part("XObject"),
            properties: part("Properties"),
        }
    }
}

/// The parts of the graphics state that place text (saved by `q`, restored by `Q`).
#[derive(Clone)]
struct GraphicsState {
    ctm: Matrix,
    font: Option<Result<Rc<Font>, Unsupported>>,
    font_size: f64,
    char_space: f64,
    word_space: f64,
    /// `Tz` as a fraction.
    horizontal_scale: f64,
    leading: f64,
    rise: f64,
}

impl Default for GraphicsState {
    fn default() -> Self {
        GraphicsState {
            ctm: IDENTITY,
            font: None,
            font_size: 0.0,
            char_space: 0.0,
            word_space: 0.0,
            horizontal_scale: 1.0,
            leading: 0.0,
            rise: 0.0,
        }
    }
}

/// The text and text-line matrices of the open text object.
struct TextObject {
    matrix: Matrix,
    line: Matrix,
}

impl TextObject {
    fn new() -> Self {
        TextObject {
            matrix: IDENTITY,
            line: IDENTITY,
        }
    }

    fn set(&mut self, matrix: Matrix) {
        self.matrix = matrix;
        self.line = matrix;
    }

    fn next_line(&mut self, tx: f64, ty: f64) {
        self.set(multiply(&[1.0, 0.0, 0.0, 1.0, tx, ty], &self.line));
    }
}

/// One open marked-content sequence.
struct Marked {
    artifact: bool,
}

/// Text shown inside an `/ActualText` span, replaced by that text as one fragment.
struct Capture {
    text: String,
    /// Marked-content depth at which the span closes.
    depth: usize,
    /// Where the span's first glyph run stands, widened by each run after it.
    placement: Option<Placement>,
}

/// Where a glyph run stands on the page (page space).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Placement {
    x: f64,
    y: f64,
    width: f64,
    size: f64,
    /// Advance of the font's space at this size (with `Tc`, without `Tw`), when it has one.
    space: Option<f64>,
    /// The run's advance from its glyph widths and `Tc` alone: `width` less what `Tw` and
    /// `TJ` offsets added.
    natural: f64,
}

/// One page's interpretation.
struct Run<'r, 'd, 'b> {
    reader: &'r mut TextReader<'d, 'b>,
    budget: &'r mut DecodeBudget,
    out: Collector,
    marked: Vec<Marked>,
    capture: Option<Capture>,
    /// The form XObjects being painted, outermost first (for cycles and depth).
    forms: Vec<(u32, u16)>,
    operators: u32,
}

impl Run<'_, '_, '_> {
    fn execute(
        &mut self,
        content: &[u8],
        scope: &Scope,
        mut state: GraphicsState,
    ) -> Result<(), PageFailure> {
        let mut lexer = Lexer::new(content);
        let mut operands: Vec<Operand<'_>> = Vec::with_capacity(8);
        let mut saved: Vec<GraphicsState> = Vec::new();
        let mut unsaved_depth = 0usize;
        let mut text: Option<TextObject> = None;
        let mut scratch = Vec::new();
        while let Some(token) = lexer.next_token() {
            let operator = match token {
                Token::Operand(operand) => {
                    if operands.len() < MAX_OPERANDS {
                        operands.push(operand);
                    }
                    continue;
                }
                Token::Operator(operator) => operator,
            };
            self.operators = self.operators.wrapping_add(1);
            if self.operators.is_multiple_of(OPERATORS_PER_TIME_CHECK) {
                crate::pdf::check_time(self.reader.limits, self.reader.started)?;
            }
            if self.out.bytes > self.reader.page_text_cap {
                break;
            }
            let n = |i: usize| operands.get(i).and_then(Operand::number);
            match operator {
                b"q" => {
                    if saved.len() < MAX_SAVED_STATES {
                        saved.push(state.clone());
                    } else {
                        unsaved_depth += 1;
                    }
                }
                b"Q" => {
                    if unsaved_depth > 0 {
                        unsaved_depth -= 1;
                    } else if let Some(previous) = saved.pop() {
                        state = previous;
                    }
                }
                b"cm" => {
                    if let Some(matrix) = six(&operands) {
                        state.ctm = multiply(&matrix, &state.ctm);
                    }
                }
                b"BT" => text = Some(TextObject::new()),
                b"ET" => text = None,
                b"Tc" => state.char_space = n(0).unwrap_or(state.char_space),
                b"Tw" => state.word_space = n(0).unwrap_or(state.word_space),
                b"Tz" => {
                    state.horizontal_scale = n(0).map_or(state.horizontal_scale, |v| v / 100.0)
                }
                b"TL" => state.leading = n(0).unwrap_or(state.leading),
                b"Ts" => state.rise = n(0).unwrap_or(state.rise),
                b"Tf" => {
                    if let (Some(Operand::Name(name)), Some(size)) = (operands.first(), n(1)) {
                        state.font = Some(self.select_font(scope, name));
                        state.font_size = size;
                    }
                }
                b"Td" | b"TD" => {
                    if let (Some(object), Some(tx), Some(ty)) = (text.as_mut(), n(0), n(1)) {
                        if operator == b"TD" {
                            state.leading = -ty;
                        }
                        object.next_line(tx, ty);
                    }
                }
                b"Tm" => {
                    if let (Some(object), Some(matrix)) = (text.as_mut(), six(&operands)) {
                        object.set(matrix);
                    }
                }
                b"T*" => {
                    if let Some(object) = text.as_mut() {
                        object.next_line(0.0, -state.leading);
                    }
                }
                b"Tj" => {
                    let codes = operands.first().and_then(|o| o.string_bytes(&mut scratch));
                    if let (Some(object), Some(codes)) = (text.as_mut(), codes) {
                        self.show(codes, &state, object)?;
                    }
                }
                b"'" | b"\"" => {
                    let string_at = if operator == b"\"" {
                        state.word_space = n(0).unwrap_or(state.word_space);
                        state.char_space = n(1).unwrap_or(state.char_space);
                        2
                    } else {
                        0
                    };
                    if let Some(object) = text.as_mut() {
                        object.next_line(0.0, -state.leading);
                        if let Some(codes) = operands
                            .get(string_at)
                            .and_then(|o| o.string_bytes(&mut scratch))
                        {
                            self.show(codes, &state, object)?;
                        }
                    }
                }
                b"TJ" => {
                    if let (Some(object), Some(array)) = (text.as_mut(), operands.first()) {
                        for item in array.items() {
                            match item {
                                Operand::Number(adjustment) => {
                                    let tx = -adjustment / 1000.0
                                        * state.font_size
                                        * state.horizontal_scale;
                                    object.matrix = translate_x(tx, &object.matrix);
                                }
                                string => {
                                    if let Some(codes) = string.string_bytes(&mut scratch) {
                                        self.show(codes, &state, object)?;
                                    }
                                }
                            }
                        }
                    }
                }
                b"BMC" | b"BDC" => {
                    let artifact = matches!(operands.first(), Some(Operand::Name(tag)) if tag.as_ref() == b"Artifact");
                    let actual_text = match operator {
                        b"BDC" => self.actual_text(scope, operands.get(1)),
                        _ => None,
                    };
                    self.begin_marked(artifact, actual_text);
                }
                b"EMC" => self.end_marked(),
                b"Do" => {
                    if let Some(Operand::Name(name)) = operands.first() {
                        self.paint_form(scope, name, &state)?;
                    }
                }
                _ => {}
            }
            operands.clear();
        }
        Ok(())
    }

    fn select_font(&mut self, scope: &Scope, name: &[u8]) -> Result<Rc<Font>, Unsupported> {
        let entry = scope
            .fonts
            .as_ref()
            .and_then(|fonts| fonts.get(&String::from_utf8_lossy(name)))
            .ok_or(Unsupported("font not in the page resources"))?;
        self.reader.font(entry)
    }

    /// Shows one string: decodes its glyphs, emits them as a run and advances the pen.
    fn show(
        &mut self,
        codes: &[u8],
        state: &GraphicsState,
        object: &mut TextObject,
    ) -> Result<(), PageFailure> {
        let font = match &state.font {
            Some(Ok(font)) => font.clone(),
            Some(Err(why)) => return Err(why.clone().into()),
            None => return Err(Unsupported("text shown without a font").into()),
        };
        if codes.is_empty() {
            return Ok(());
        }
        let mut text = std::mem::take(&mut self.out.scratch);
        text.clear();
        let mut advance = 0.0;
        let mut word_spacing = 0.0;
        for glyph in font.glyphs(codes) {
            glyph.text.push_to(&mut text);
            advance += glyph.width / 1000.0 * state.font_size + state.char_space;
            if glyph.is_space_code {
                word_spacing += state.word_space;
            }
        }
        let natural_advance = advance;
        advance += word_spacing;
        let rendering = multiply(&object.matrix, &state.ctm);
        let (x, y) = transform(0.0, state.rise, &rendering);
        let x_scale = rendering[0].hypot(rendering[1]);
        let y_scale = rendering[2].hypot(rendering[3]);
        let page_units = state.horizontal_scale.abs() * x_scale;
        let width = advance * page_units;
        let size = state.font_size * y_scale;
        let space = font
            .space_width
            .map(|w| (w / 1000.0 * state.font_size + state.char_space) * page_units)
            .filter(|w| w.is_finite());
        let natural = natural_advance * page_units;
        if [x, y, width, size, natural].iter().all(|v| v.is_finite()) {
            self.emit(
                &text,
                Placement {
                    x,
                    y,
                    width,
                    size,
                    space,
                    natural,
                },
            );
        }
        self.out.scratch = text;
        object.matrix = translate_x(advance * state.horizontal_scale, &object.matrix);
        Ok(())
    }

    fn emit(&mut self, text: &str, at: Placement) {
        if self.marked.last().is_some_and(|m| m.artifact) {
            return;
        }
        if let Some(capture) = self.capture.as_mut() {
            match capture.placement.as_mut() {
                Some(span) => {
                    span.width += at.width;
                    span.natural += at.natural;
                }
                None => capture.placement = Some(at),
            }
            return;
        }
        self.out.push_run(text, at);
    }

    fn begin_marked(&mut self, artifact: bool, actual_text: Option<String>) {
        let inherited = self.marked.last().is_some_and(|m| m.artifact);
        if let Some(text) = actual_text {
            // The innermost span wins, as in the PDF library.
            self.capture = Some(Capture {
                text,
                depth: self.marked.len(),
                placement: None,
            });
        }
        self.marked.push(Marked {
            artifact: artifact || inherited,
        });
    }

    fn end_marked(&mut self) {
        let Some(closed) = self.marked.pop() else {
            return;
        };
        if self
            .capture
            .as_ref()
            .is_some_and(|c| c.depth == self.marked.len())
        {
            if let Some(Capture {
                text,
                placement: Some(span),
                ..
            }) = self.capture.take()
            {
                if !closed.artifact {
                    self.out.push_run(&text, span);
                }
            }
        }
    }

    /// The `/ActualText` of a `BDC`'s properties (inline, or named in the resources).
    fn actual_text(&self, scope: &Scope, properties: Option<&Operand<'_>>) -> Option<String> {
        match properties? {
            dict @ Operand::Dict(_) => {
                let bytes = dict.entry(b"ActualText")?.to_string_bytes()?;
                Some(PdfString(bytes).to_text())
            }
            Operand::Name(name) => {
                let entry = scope
                    .properties
                    .as_ref()?
                    .get(&String::from_utf8_lossy(name))?;
                let dict = self.reader.document.resolve(entry).ok()?;
                match self
                    .reader
                    .document
                    .resolve(dict.as_dict()?.get("ActualText")?)
                    .ok()?
                {
                    PdfObject::String(text) => Some(text.to_text()),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// `Do`: runs a form XObject's content with its matrix and resources; images and
    /// anything unreadable paint no text.
    fn paint_form(
        &mut self,
        scope: &Scope,
        name: &[u8],
        state: &GraphicsState,
    ) -> Result<(), PageFailure> {
        let Some(entry) = scope
            .xobjects
            .as_ref()
            .and_then(|x| x.get(&String::from_utf8_lossy(name)))
        else {
            return Ok(());
        };
        let Some(reference) = entry.as_reference() else {
            return Ok(());
        };
        if self.forms.contains(&reference) || self.forms.len() >= MAX_FORM_DEPTH {
            return Ok(());
        }
        let document = self.reader.document;
        let Ok(PdfObject::Stream(stream)) = document.get_object(reference.0, reference.1) else {
            return Ok(());
        };
        let subtype = stream
            .dict
            .get("Subtype")
            .and_then(|s| s.as_name())
            .map(|n| n.as_str());
        if subtype != Some("Form") {
            return Ok(());
        }
        let content = self.budget.decode(document, &stream)?;
        let matrix = stream
            .dict
            .get("Matrix")
            .and_then(|m| document.resolve(m).ok())
            .and_then(|m| {
                let PdfObject::Array(items) = m else {
                    return None;
                };
                let values: Vec<f64> = items.0.iter().filter_map(|v| v.as_real()).collect();
                <[f64; 6]>::try_from(values.as_slice()).ok()
            })
            .unwrap_or(IDENTITY);
        let own_resources = stream
            .dict
            .get("Resources")
            .and_then(|r| document.resolve(r).ok())
            .and_then(|r| r.as_dict().cloned());
        let form_scope;
        let scope = match own_resources.as_ref() {
            Some(resources) => {
                form_scope = Scope::new(Some(resources), document);
                &form_scope
            }
            None => scope,
        };
        let mut inner = state.clone();
        inner.ctm = multiply(&matrix, &state.ctm);
        self.forms.push(reference);
        let result = self.execute(&content, scope, inner);
        self.forms.pop();
        result
    }
}

/// The fragments of a page, built run by run: a run that continues the previous one on the
/// same baseline joins it, blank runs only carry a space into the next joined run.
pub(crate) struct Collector {
    fragments: Vec<Fragment>,
    /// Where the pen stood after the last run joined to the last fragment.
    pen_end: f64,
    pending_space: bool,
    bytes: usize,
    scratch: String,
}

/// Regroups fragments another reader produced (the PDF library's, one per glyph run, blank
/// ones included) the way the own reader groups its runs.
pub(crate) fn regroup(fragments: impl IntoIterator<Item = Fragment>) -> Vec<Fragment> {
    let mut out = Collector::new();
    for fragment in fragments {
        let at = Placement {
            x: fragment.x,
            y: fragment.y,
            width: fragment.width,
            size: fragment.size,
            space: fragment.space,
            natural: fragment.natural,
        };
        out.push_run(&fragment.text, at);
    }
    out.fragments
}

impl Collector {
    fn new() -> Self {
        Collector {
            fragments: Vec::new(),
            pen_end: 0.0,
            pending_space: false,
            bytes: 0,
            scratch: String::new(),
        }
    }

    /// Adds one run. A run that continues the last fragment on its baseline (within
    /// [`ADJACENT_RUN_GAP`]) joins it; a blank run joined so only carries a space into the
    /// next joined run, and one standing apart is kept as a blank fragment: both are space
    /// glyphs the producer drew, which the layout needs to see. A space carried when a new
    /// fragment starts stays at the end of the last one (a trailing space glyph).
    fn push_run(&mut self, text: &str, at: Placement) {
        let Placement {
            x,
            y,
            width,
            size,
            space,
            natural,
        } = at;
        let blank = text.chars().all(char::is_whitespace);
        if let Some(last) = self.fragments.last_mut() {
            let em = size.abs().max(f64::MIN_POSITIVE);
            let same_line =
                (last.y - y).abs() <= 0.01 * em && (last.size - size).abs() <= 0.01 * em;
            let last_blank = last.text.chars().all(char::is_whitespace);
            if same_line && !last_blank && (x - self.pen_end).abs() <= ADJACENT_RUN_GAP * em {
                self.pen_end = x + width;
                last.natural += natural;
                if blank {
                    self.pending_space |= !text.is_empty();
                    return;
                }
                if std::mem::take(&mut self.pending_space) {
                    last.text.push(' ');
                }
                last.text.push_str(text);
                last.width = last.width.max(x + width - last.x);
                if last.space.is_none() {
                    last.space = space;
                }
                self.bytes += text.len();
                return;
            }
            if std::mem::take(&mut self.pending_space) && !last_blank {
                last.text.push(' ');
            }
        }
        if blank && text.is_empty() {
            return;
        }
        self.pending_space = false;
        self.pen_end = x + width;
        self.bytes += text.len();
        self.fragments.push(Fragment {
            text: if blank {
                " ".to_owned()
            } else {
                text.to_owned()
            },
            x,
            y,
            width,
            size,
            space,
            natural,
        });
    }
}

fn six(operands: &[Operand<'_>]) -> Option<Matrix> {
    let mut matrix = [0.0; 6];
    if operands.len() < 6 {
        return None;
    }
    for (slot, operand) in matrix.iter_mut().zip(&operands[operands.len() - 6..]) {
        *slot = operand.number()?;
    }
    Some(matrix)
}

/// `a × b` for PDF's row-vector matrices: apply `a`, then `b`.
fn multiply(a: &Matrix, b: &Matrix) -> Matrix {
    [
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4],
        a[4] * b[1] + a[5] * b[3] + b[5],
    ]
}

/// `[1 0 0 1 tx 0] × m`.
fn translate_x(tx: f64, m: &Matrix) -> Matrix {
    [m[0], m[1], m[2], m[3], tx * m[0] + m[4], tx * m[1] + m[5]]
}

fn transform(x: f64, y: f64, m: &Matrix) -> (f64, f64) {
    (x * m[0] + y * m[2] + m[4], x * m[1] + y * m[3] + m[5])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// xorshift64*: a seeded, dependency-free source of mutations.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    const FRAGMENTS: [&[u8]; 14] = [
        b"BT",
        b"ET",
        b" Tj ",
        b" TJ ",
        b"[",
        b"]",
        b"(",
        b")",
        b"<",
        b">>",
        b" q ",
        b" Q ",
        b" 1e308 0 0 -1e308 0 0 cm ",
        b" /Fm0 Do ",
    ];

    /// Thousands of damaged versions of real content streams (bytes flipped, cut, spliced
    /// with operators and brackets) through the interpreter, outside any panic guard: each
    /// ends with fragments or a page failure, never a panic or a hang.
    #[test]
    fn damaged_content_streams_never_panic() {
        let root = std::path::Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default())
            .join("../../tests/fixtures");
        let limits = Limits::default();
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for name in [
            "corpus/lo-docx-01.pdf",
            "corpus/chromium-hf-01.pdf",
            "corpus/fpdf-xobject-01.pdf",
            "hostile/self-recursive-xobject.pdf",
        ] {
            let Ok(bytes) = std::fs::read(root.join(name)) else {
                panic!("fixture {name} missing");
            };
            let document = crate::pdf::open_for_tests(&bytes);
            let page = document.get_page(0).expect("page 0");
            let mut reader = TextReader::new(&document, &limits, Instant::now());
            let mut budget = DecodeBudget {
                cap: usize::MAX,
                used: 0,
            };
            let content = reader.page_content(&page, &mut budget).expect("content");
            assert!(!reader
                .read_content(&page, &content, &mut budget)
                .expect("intact")
                .is_empty());
            for _ in 0..400 {
                let mut damaged = content.clone();
                for _ in 0..1 + rng.below(8) {
                    let at = rng.below(damaged.len());
                    match rng.below(4) {
                        0 => damaged[at] = rng.next() as u8,
                        1 => damaged.truncate(at),
                        2 => {
                            let piece = FRAGMENTS[rng.below(FRAGMENTS.len())];
                            damaged.splice(at..at, piece.iter().copied());
                        }
                        _ => {
                            let end = (at + rng.below(64)).min(damaged.len());
                            damaged.drain(at..end);
                        }
                    }
                    if damaged.is_empty() {
                        break;
                    }
                }
                let _ = reader.read_content(&page, &damaged, &mut budget);
            }
        }
    }

    #[test]
    fn matrices_compose_in_pdf_order() {
        let scale = [2.0, 0.0, 0.0, 2.0, 0.0, 0.0];
        let shift = [1.0, 0.0, 0.0, 1.0, 10.0, 5.0];
        // Scale first, then shift: the origin lands at the shift.
        assert_eq!(transform(1.0, 1.0, &multiply(&scale, &shift)), (12.0, 7.0));
        assert_eq!(transform(1.0, 1.0, &multiply(&shift, &scale)), (22.0, 12.0));
        assert_eq!(
            translate_x(3.0, &scale),
            multiply(&[1.0, 0.0, 0.0, 1.0, 3.0, 0.0], &scale)
        );
    }

    fn collect(runs: &[(&str, f64, f64, f64)]) -> Vec<(String, f64, f64)> {
        let mut out = Collector::new();
        for &(text, x, y, width) in runs {
            let at = Placement {
                x,
                y,
                width,
                size: 10.0,
                space: None,
                natural: width,
            };
            out.push_run(text, at);
        }
        out.fragments
            .into_iter()
            .map(|f| (f.text, f.x, f.width))
            .collect()
    }

    #[test]
    fn adjacent_runs_join_and_carry_blank_runs_as_one_space() {
        assert_eq!(
            collect(&[
                ("자기", 0.0, 700.0, 20.0),
                ("소개", 20.5, 700.0, 20.0),
                (" ", 40.5, 700.0, 3.0),
                ("서", 43.5, 700.0, 10.0)
            ]),
            vec![("자기소개 서".to_string(), 0.0, 53.5)]
        );
    }

    #[test]
    fn gaps_new_baselines_and_lone_blanks_start_fragments() {
        assert_eq!(
            collect(&[
                (" ", 0.0, 700.0, 3.0),
                ("a", 3.0, 700.0, 5.0),
                ("b", 20.0, 700.0, 5.0),
                ("c", 25.0, 686.0, 5.0)
            ]),
            vec![
                // A space glyph standing alone is kept: the layout reads it as a space.
                (" ".to_string(), 0.0, 3.0),
                ("a".to_string(), 3.0, 5.0),
                ("b".to_string(), 20.0, 5.0),
                ("c".to_string(), 25.0, 5.0)
            ]
        );
    }
}
