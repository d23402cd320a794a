//! Every function in the SAM template names a crate of this workspace and one of its binaries,
//! so `sam build` (cargo-lambda) finds what it is asked to build. Kept in its own test target:
//! a function crate that is not written yet fails exactly this check, and the message lists
//! every function the template expects.

use narratix_system_tests::*;

#[test]
fn every_function_names_a_workspace_crate_and_binary() {
    let template = load_template();
    let members = workspace_members();
    let mut expected = Vec::new();
    let mut problems = Vec::new();
    for function in template.resources_of_type("AWS::Serverless::Function") {
        let id = function.logical_id;
        let code_uri = function.property("CodeUri").and_then(|v| v.as_str());
        let binary = function.body["Metadata"]["BuildProperties"]["Binary"].as_str();
        let (Some(code_uri), Some(binary)) = (code_uri, binary) else {
            problems.push(format!(
                "{id}: needs CodeUri and Metadata.BuildProperties.Binary (got {code_uri:?}, {binary:?})"
            ));
            continue;
        };
        expected.push(format!("{id}: {code_uri}/ binary {binary}"));
        if !is_workspace_member(code_uri, &members) {
            problems.push(format!(
                "{id}: {code_uri} is not covered by the workspace members {members:?}"
            ));
        }
        match read_package(code_uri) {
            Ok(package) if package.binaries.contains(binary) => {}
            Ok(package) => problems.push(format!(
                "{id}: package {} in {} has binaries {:?}, not {binary:?}",
                package.name,
                package.dir.display(),
                package.binaries
            )),
            Err(missing) => problems.push(format!("{id}: {missing}")),
        }
    }
    assert!(
        !expected.is_empty(),
        "the template is expected to define functions"
    );
    assert!(
        problems.is_empty(),
        "functions the template builds:\n  {}\nproblems:\n  {}",
        expected.join("\n  "),
        problems.join("\n  ")
    );
}
