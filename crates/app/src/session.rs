//! A connection lives no longer than its token: once the token's `exp` has passed, nothing is
//! posted to the connection but one `sessionExpired`, after which the server closes it
//! (`DELETE @connections/{id}`) and forgets it. Every sender checks before posting (notices,
//! subscribe answers, the deletion notice), and the scheduled sweep closes the idle ones.

use narratix_domain::messages::ServerMessage;
use narratix_store::ports::{ConnectionPoster, ConnectionStore, ExpiredConnections, PostError};
use narratix_store::{ConnectionEntry, Moment, StoreError};
use serde::{Deserialize, Serialize};

/// The closing message of a connection whose token expired at `token_expires_at`.
pub fn session_expired(token_expires_at: i64) -> ServerMessage {
    ServerMessage::SessionExpired {
        expired_at: Moment::from_epoch_seconds(token_expires_at).rfc3339(),
    }
}

/// How closing one expired connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closing {
    /// Told, closed and forgotten.
    Closed,
    /// The client had gone already: forgotten.
    Gone,
    /// The close failed (not a 410): the item is kept, so the next sender or sweep tries
    /// again. The socket is never posted anything else meanwhile.
    Failed,
}

/// Tells the connection its session expired, closes it and deletes its items. The message is
/// best effort (a client that does not get it still sees the close); the close is not: the
/// item stays until `DELETE @connections` succeeded or answered 410.
pub async fn close_expired<C, P>(connections: &C, poster: &P, entry: &ConnectionEntry) -> Closing
where
    C: ConnectionStore,
    P: ConnectionPoster,
{
    let connection_id = entry.connection_id.as_str();
    let message = session_expired(entry.token_expires_at).to_json_bytes();
    let told = poster.post(connection_id, &message).await;
    let outcome = match told {
        Err(PostError::Gone) => Closing::Gone,
        told => {
            if let Err(error) = told {
                let error = narratix_domain::error_chain(&error);
                tracing::warn!(
                    connection_id,
                    error,
                    "could not tell an expired connection; closing it all the same"
                );
            }
            match poster.close(connection_id).await {
                Ok(()) => Closing::Closed,
                Err(PostError::Gone) => Closing::Gone,
                Err(error) => {
                    let error = narratix_domain::error_chain(&error);
                    tracing::warn!(
                        connection_id,
                        error,
                        "could not close an expired connection; kept for the next try"
                    );
                    return Closing::Failed;
                }
            }
        }
    };
    if let Err(error) = connections.delete_connection(connection_id).await {
        tracing::warn!(connection_id, %error, "could not delete an expired connection");
    }
    tracing::info!(
        connection_id,
        token_expires_at = entry.token_expires_at,
        gone = outcome == Closing::Gone,
        "connection closed: its token expired"
    );
    outcome
}

/// What one sweep of expired connections did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionSweep {
    /// Connections told `sessionExpired` and closed.
    pub closed: u32,
    /// Connections whose client had gone already: forgotten.
    pub gone: u32,
    /// Closes that failed: left for the next sweep.
    pub failed: u32,
}

/// Closes up to `limit` connections whose token expired by `now` (soonest expired first), so
/// an idle socket outlives its token by at most one sweep interval.
pub async fn close_expired_connections<C, P>(
    connections: &C,
    poster: &P,
    now: &Moment,
    limit: u32,
) -> Result<ConnectionSweep, StoreError>
where
    C: ConnectionStore + ExpiredConnections,
    P: ConnectionPoster,
{
    let expired = connections.expired_connections(now, limit).await?;
    let mut sweep = ConnectionSweep::default();
    for entry in &expired {
        match close_expired(connections, poster, entry).await {
            Closing::Closed => sweep.closed += 1,
            Closing::Gone => sweep.gone += 1,
            Closing::Failed => sweep.failed += 1,
        }
    }
    Ok(sweep)
}

#[cfg(test)]
mod tests {
    use super::*;
    use narratix_store::memory::{MemoryStore, RecordingPoster, UnavailableStore};
    use narratix_store::Connection;
    use serde_json::json;

    fn now() -> Moment {
        Moment::from_epoch_seconds(1_795_000_000)
    }

    async fn connect(store: &MemoryStore, id: &str, token_expires_at: i64) {
        store
            .put_connection(&Connection {
                connection_id: id.into(),
                owner: "alice".into(),
                connected_at: now().rfc3339(),
                expires_at: now().plus_seconds(3600).epoch_seconds(),
                token_expires_at,
            })
            .await
            .expect("connect");
    }

    #[tokio::test]
    async fn the_sweep_closes_only_connections_whose_token_expired() {
        let store = MemoryStore::new();
        let expired_at = now().epoch_seconds() - 30;
        connect(&store, "old", expired_at).await;
        connect(&store, "edge", now().epoch_seconds()).await;
        connect(&store, "valid", now().epoch_seconds() + 1).await;
        connect(&store, "left", expired_at - 60).await;
        let poster = RecordingPoster::new().with_gone("left");
        let sweep = close_expired_connections(&store, &poster, &now(), 10)
            .await
            .expect("sweep");
        assert_eq!(
            sweep,
            ConnectionSweep {
                closed: 2,
                gone: 1,
                failed: 0
            }
        );
        assert_eq!(
            poster.posted(),
            [
                (
                    "old".to_owned(),
                    json!({"type": "sessionExpired", "expiredAt": "2026-11-18T11:06:10Z"})
                ),
                (
                    "edge".to_owned(),
                    json!({"type": "sessionExpired", "expiredAt": "2026-11-18T11:06:40Z"})
                ),
            ]
        );
        assert_eq!(poster.closed(), ["old", "edge"]);
        for id in ["old", "edge", "left"] {
            assert!(store.connection(id).await.expect("read").is_none(), "{id}");
        }
        assert!(store.connection("valid").await.expect("read").is_some());
        let again = close_expired_connections(&store, &poster, &now(), 10)
            .await
            .expect("sweep");
        assert_eq!(again, ConnectionSweep::default(), "nothing left to close");
    }

    #[tokio::test]
    async fn a_failed_close_keeps_the_connection_for_the_next_sweep() {
        let store = MemoryStore::new();
        connect(&store, "c1", now().epoch_seconds() - 1).await;
        let poster = RecordingPoster::new().with_failing_close("c1");
        let sweep = close_expired_connections(&store, &poster, &now(), 10)
            .await
            .expect("sweep");
        assert_eq!(sweep.failed, 1);
        assert!(store.connection("c1").await.expect("read").is_some());
        let error = close_expired_connections(&UnavailableStore, &poster, &now(), 10)
            .await
            .expect_err("down");
        assert_eq!(error.kind().name(), "Storage.Unavailable");
    }

    #[tokio::test]
    async fn the_limit_bounds_one_sweep_soonest_expired_first() {
        let store = MemoryStore::new();
        for (id, ago) in [("c1", 10), ("c2", 30), ("c3", 20)] {
            connect(&store, id, now().epoch_seconds() - ago).await;
        }
        let poster = RecordingPoster::new();
        let sweep = close_expired_connections(&store, &poster, &now(), 2)
            .await
            .expect("sweep");
        assert_eq!(sweep.closed, 2);
        assert_eq!(poster.closed(), ["c2", "c3"]);
    }
}
