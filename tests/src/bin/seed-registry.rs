//! `seed-registry ENDPOINT TABLE SEED_FILE`: creates the client registry table on a local
//! DynamoDB-compatible server and writes the seed items (used by `make demo`).

use std::path::Path;

use shared::mtls::dynamodb::LocalEndpoint;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [endpoint, table, seed_file] = args.as_slice() else {
        eprintln!("usage: seed-registry ENDPOINT TABLE SEED_FILE");
        std::process::exit(1);
    };
    match authorizer_tests::registry::seed(&LocalEndpoint::dummy(endpoint), table, Path::new(seed_file)).await {
        Ok(n) => println!("seed-registry: {n} items written to {table} at {endpoint}"),
        Err(e) => {
            eprintln!("seed-registry: {e}");
            std::process::exit(1);
        }
    }
}
