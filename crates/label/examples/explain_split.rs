//! Debugging aid: `cargo run -p narratix-label --example explain_split < text.txt`.
use std::io::Read;
fn main() {
    let mut text = String::new();
    let _ = std::io::stdin().read_to_string(&mut text);
    let lines = narratix_label::lines::labeling_lines(&text);
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    print!("{}", narratix_label::offline::explain(&refs));
    for pair in narratix_label::offline::split(&refs).pairs {
        println!("pair q{:?} a{:?}", pair.question, pair.answer);
    }
}
