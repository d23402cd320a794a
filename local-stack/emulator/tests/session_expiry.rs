//! A WebSocket does not outlive its token, on the real local stack (ws-authorizer, ws-connect,
//! ws-subscribe, the reaper, moto's table, the `@connections` emulation): three sockets of one
//! user, two opened with a token good for two seconds and one with a token good for ten
//! minutes. Past the short tokens' expiry, a `subscribe` on one of them is not answered: it
//! gets `sessionExpired` and the server closes it; the reaper's sweep, run now through the
//! control API with EventBridge's Scheduled Event, closes the other (idle) one the same way;
//! the valid socket is untouched and still served. Every message is checked against
//! contracts/websocket-messages.schema.json.
//!
//! Not here: the sweep ending a job RUNNING past the state machine's timeout. The timeout the
//! reaper is given is a template literal (7200 s) and `startedAt` is written by the api's
//! start from the real clock, so a job could only look that old by writing the table behind
//! the pipeline's back; that path stays with the unit tests (crates/app/tests/job_end.rs).
//!
//! Needs the venv of `scripts/setup-local` and the built functions (run it first). Without the
//! venv the test says so and does nothing, unless `NARRATIX_REQUIRE_LOCAL_STACK=1` (the suite).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::{SinkExt, StreamExt};
use narratix_auth::mint_dev_token;
use narratix_local_emulator::up;
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use narratix_local_emulator::testing::{isolated_config, repository_root, stack_available};

const MESSAGES_SCHEMA: &str = include_str!("../../../contracts/websocket-messages.schema.json");
const SHORT_TOKEN: Duration = Duration::from_secs(2);
const WAIT: Duration = Duration::from_secs(20);

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// What a socket showed next.
#[derive(Debug, PartialEq)]
enum Seen {
    Text(Value),
    /// A close frame or the end of the stream.
    Closed,
    Nothing,
}

async fn next(socket: &mut Socket, wait: Duration) -> Seen {
    let deadline = Instant::now() + wait;
    loop {
        let Some(remaining) = deadline.checked_duration_since(Instant::now()) else {
            return Seen::Nothing;
        };
        match tokio::time::timeout(remaining, socket.next()).await {
            Err(_) => return Seen::Nothing,
            Ok(Some(Ok(Message::Text(text)))) => {
                return Seen::Text(serde_json::from_str(text.as_str()).expect("a JSON message"))
            }
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => {}
            Ok(Some(Ok(Message::Close(_)))) | Ok(None) | Ok(Some(Err(_))) => return Seen::Closed,
            Ok(Some(Ok(other))) => panic!("unexpected WebSocket frame {other:?}"),
        }
    }
}

fn epoch_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(0)
}

async fn subscribe(socket: &mut Socket, job_id: &str) {
    socket
        .send(Message::Text(
            json!({"action": "subscribe", "jobId": job_id})
                .to_string()
                .into(),
        ))
        .await
        .expect("sent");
}

/// The open connections' ids, as the gateway's fault route lists them.
async fn open_connections(http: &reqwest::Client, control: &str) -> Vec<String> {
    let listed: Value = http
        .get(format!("{control}/websocket/connections"))
        .send()
        .await
        .expect("listing")
        .json()
        .await
        .expect("JSON");
    listed
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|connection| connection["connectionId"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_socket_is_closed_with_session_expired_once_its_token_expires() {
    let root = repository_root();
    if !stack_available(&root) {
        return;
    }
    let state = tempfile::tempdir().expect("temp dir");
    let config = isolated_config(&root, state.path());
    let stack = up(&config).await.expect("the stack starts");
    let manifest = stack.manifest.clone();
    let web_socket = manifest.web_socket_url.clone().expect("a WebSocket API");
    let control = manifest.control_url.clone();
    let identity = &manifest.identity;
    let token = |ttl: Duration| {
        mint_dev_token(
            &identity.dev_secret,
            &identity.issuer,
            &identity.audience,
            "carol",
            ttl,
        )
        .expect("a dev token")
    };
    let validator = jsonschema::validator_for(
        &serde_json::from_str::<Value>(MESSAGES_SCHEMA).expect("schema JSON"),
    )
    .expect("schema compiles");
    let check = |message: &Value| {
        let errors: Vec<String> = validator
            .iter_errors(message)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{message}: {errors:?}");
    };
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("an HTTP client");

    let short = token(SHORT_TOKEN);
    let short_exp = epoch_seconds() + SHORT_TOKEN.as_secs();
    let open = |token: String| {
        let url = format!("{web_socket}?token={token}");
        async move {
            tokio_tungstenite::connect_async(url)
                .await
                .map(|(socket, _)| socket)
                .expect("a valid token connects")
        }
    };
    let mut asking = open(short.clone()).await;
    let mut idle = open(short).await;
    let mut valid = open(token(Duration::from_secs(600))).await;
    assert_eq!(open_connections(&http, &control).await.len(), 3);

    // While the token is valid, the socket is served: an unknown job is answered.
    subscribe(&mut asking, "no-such-job").await;
    match next(&mut asking, WAIT).await {
        Seen::Text(answer) => {
            check(&answer);
            assert_eq!(answer["error"], "Job.NotFound", "{answer}");
        }
        other => panic!("no answer before expiry: {other:?}"),
    }

    // Past the expiry (the token's exp is whole seconds; a second more for the clocks).
    while epoch_seconds() <= short_exp {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;

    // A subscribe on an expired socket: no answer, the closing message, then the close.
    subscribe(&mut asking, "no-such-job").await;
    let closing = match next(&mut asking, WAIT).await {
        Seen::Text(message) => message,
        other => panic!("no closing message: {other:?}"),
    };
    check(&closing);
    assert_eq!(closing["type"], "sessionExpired", "{closing}");
    let expired_at = closing["expiredAt"].as_str().expect("expiredAt").to_owned();
    assert_eq!(next(&mut asking, WAIT).await, Seen::Closed);

    // The idle one: nothing until the sweep runs.
    assert_eq!(
        next(&mut idle, Duration::from_millis(500)).await,
        Seen::Nothing
    );
    let swept = http
        .post(format!("{control}/functions/reaper/schedule"))
        .send()
        .await
        .expect("the control API answers");
    assert_eq!(swept.status(), StatusCode::OK);
    let swept: Value = swept.json().await.expect("JSON");
    assert_eq!(swept["event"], "Sweep", "{swept}");
    assert_eq!(swept["functionError"], false, "{swept}");
    assert_eq!(
        swept["output"]["connections"],
        json!({"closed": 1, "gone": 0, "failed": 0}),
        "{swept}"
    );
    match next(&mut idle, WAIT).await {
        Seen::Text(message) => {
            check(&message);
            assert_eq!(
                message,
                json!({"type": "sessionExpired", "expiredAt": expired_at})
            );
        }
        other => panic!("the sweep did not tell the idle socket: {other:?}"),
    }
    assert_eq!(next(&mut idle, WAIT).await, Seen::Closed);

    // The valid socket was left alone and is still served; a second sweep closes nothing.
    assert_eq!(
        next(&mut valid, Duration::from_millis(500)).await,
        Seen::Nothing
    );
    subscribe(&mut valid, "no-such-job").await;
    match next(&mut valid, WAIT).await {
        Seen::Text(answer) => assert_eq!(answer["error"], "Job.NotFound", "{answer}"),
        other => panic!("the valid socket is not served: {other:?}"),
    }
    let again: Value = http
        .post(format!("{control}/functions/reaper/schedule"))
        .send()
        .await
        .expect("the control API answers")
        .json()
        .await
        .expect("JSON");
    assert_eq!(again["output"]["connections"]["closed"], 0, "{again}");
    assert_eq!(open_connections(&http, &control).await.len(), 1);

    // A function without a Schedule event is refused by the control route.
    let none = http
        .post(format!("{control}/functions/notify/schedule"))
        .send()
        .await
        .expect("answer");
    assert_eq!(none.status(), StatusCode::NOT_FOUND);

    stack.stop().await;
}
