//! Links `narratix` as a position-dependent executable on Linux.
//!
//! Every `narratix extract` is a process of its own, and a position-independent build spends
//! milliseconds of each start in the dynamic loader, applying ~130,000 relative relocations
//! (mostly the PDF parser's CID-to-Unicode tables of `&str`) and dirtying the ~3 MB of
//! pages they live in. A fixed load address resolves them at link time instead. The code is
//! still compiled position-independent, so only this one link changes: no other crate, build
//! script or proc-macro in the shared target directory is rebuilt.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
