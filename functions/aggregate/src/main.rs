use narratix_domain::config::Env;
use narratix_domain::lambda::serve;
use narratix_store::aws::TableSettings;
use narratix_store::Moment;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let store = TableSettings::from_env(&Env::process())?.connect().await;
    serve(|event| aggregate::handle(&store, event, Moment::now())).await
}
