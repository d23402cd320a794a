use narratix_auth::{Verifier, VerifierConfig};
use narratix_domain::config::Env;
use narratix_domain::lambda::serve;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let verifier = Verifier::new(VerifierConfig::from_env(&Env::process())?);
    serve(|event| ws_authorizer::handle(&verifier, event)).await
}
