//! The alert outbox: one row per alert and sink, worked through by the delivery loop
//! (`alert::dispatch`) as jobs of the writer. A delivery is claimed for a lease (so
//! another process does not send it meanwhile, and a dead one's claims lapse), then recorded as
//! delivered, retried with backoff, or given up.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};
use serde::Serialize;

use super::{Store, StoreError, sqlite_err};
use crate::config::RetryPolicy;

/// One delivery the loop should attempt now.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: i64,
    pub alert_id: i64,
    pub sink: String,
    pub attempts: u32,
    /// The claim: when it lapses (ms). Recording an outcome checks it is still this process's.
    pub lease: i64,
    pub watchlist: String,
    /// When the alert was raised (seconds).
    pub created_at: i64,
    /// What the alert says ([`super::alerts::AlertFacts`] as JSON).
    pub facts: String,
}

/// Delivery state per sink, for `status`. Field names are part of `status --format json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SinkStatus {
    pub sink: String,
    pub pending: i64,
    pub delivered: i64,
    /// Given up on (after the retry limit, or a failure retrying cannot fix).
    pub failed: i64,
    /// Deliveries whose last attempt failed and that will be retried.
    pub retrying: i64,
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
    pub last_delivered_at: Option<DateTime<Utc>>,
}

/// The outbox, worked through by the delivery loop as jobs of the writer.
impl Store {
    /// Claims up to `limit` deliveries due by `due_ms` for one of `sinks`, highest priority
    /// first, until `now_ms + lease`: another process does not take them meanwhile, and if this
    /// one dies they are due again when the lease ends. Deliveries for sinks this process does
    /// not know stay queued for one that does.
    pub fn claim_deliveries(
        &mut self,
        due_ms: i64,
        now_ms: i64,
        lease: Duration,
        sinks: &[&str],
        limit: usize,
    ) -> Result<Vec<Delivery>, StoreError> {
        let sinks = serde_json::to_string(sinks).unwrap_or_else(|_| "[]".into());
        let until = now_ms.saturating_add(lease.as_millis() as i64);
        let mut rows = self.write(|s| {
            s.conn
                .prepare_cached(
                    "UPDATE outbox SET next_attempt_ms = ?2 WHERE id IN (
                    SELECT id FROM outbox INDEXED BY outbox_pending
                    WHERE state = 'pending' AND next_attempt_ms <= ?1
                      AND sink IN (SELECT value FROM json_each(?4))
                    ORDER BY priority DESC, id LIMIT ?3)
                 RETURNING id, alert_id, sink, attempts, next_attempt_ms,
                    (SELECT payload FROM alerts WHERE alerts.id = outbox.alert_id),
                    (SELECT watchlist FROM alerts WHERE alerts.id = outbox.alert_id),
                    (SELECT created_at FROM alerts WHERE alerts.id = outbox.alert_id)",
                )
                .and_then(|mut st| {
                    st.query_map(params![due_ms, until, limit as i64, sinks], |r| {
                        Ok(Delivery {
                            id: r.get(0)?,
                            alert_id: r.get(1)?,
                            sink: r.get(2)?,
                            attempts: r.get(3)?,
                            lease: r.get(4)?,
                            facts: r.get::<_, Option<String>>(5)?.unwrap_or_default(),
                            watchlist: r.get::<_, Option<String>>(6)?.unwrap_or_default(),
                            created_at: r.get::<_, Option<i64>>(7)?.unwrap_or_default(),
                        })
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()
                })
                .map_err(sqlite_err(&s.path))
        })?;
        rows.sort_by_key(|d| d.id);
        Ok(rows)
    }

    /// Records a successful delivery: it is never attempted again. Returns false when the
    /// claim had lapsed and another process already recorded the delivery's outcome.
    pub fn delivered(&mut self, d: &Delivery, now_ms: i64) -> Result<bool, StoreError> {
        let n = self.write(|s| {
            s.conn
                .prepare_cached(
                    "UPDATE outbox SET state = 'delivered', attempts = attempts + 1,
                    last_attempt_ms = ?2, delivered_ms = ?2
                 WHERE id = ?1 AND state = 'pending' AND next_attempt_ms = ?3",
                )
                .and_then(|mut st| st.execute(params![d.id, now_ms, d.lease]))
                .map_err(sqlite_err(&s.path))
        })?;
        Ok(n == 1)
    }

    /// Records a failed attempt of a claimed delivery; schedules the next one, or gives up
    /// when `permanent` or the policy's attempts are spent. Returns whether it gave up, or
    /// `None` when the claim had lapsed (another process took the delivery over).
    pub fn delivery_failed(
        &mut self,
        d: &Delivery,
        now_ms: i64,
        error: &str,
        permanent: bool,
        policy: &RetryPolicy,
    ) -> Result<Option<bool>, StoreError> {
        let attempts = d.attempts + 1;
        let give_up = permanent || attempts >= policy.max_attempts;
        let next = now_ms.saturating_add(policy.delay(attempts).as_millis() as i64);
        let n = self.write(|s| {
            s.conn
                .prepare_cached(
                    "UPDATE outbox SET attempts = ?2, last_attempt_ms = ?3, last_error = ?4,
                    next_attempt_ms = ?5, state = CASE WHEN ?6 THEN 'failed' ELSE 'pending' END
                 WHERE id = ?1 AND state = 'pending' AND next_attempt_ms = ?7",
                )
                .and_then(|mut st| {
                    st.execute(params![
                        d.id, attempts, now_ms, error, next, give_up, d.lease
                    ])
                })
                .map_err(sqlite_err(&s.path))
        })?;
        Ok((n == 1).then_some(give_up))
    }

    /// When the next pending delivery for one of `sinks` is due (ms), if any is pending.
    pub fn next_delivery_due(&self, sinks: &[&str]) -> Result<Option<i64>, StoreError> {
        let sinks = serde_json::to_string(sinks).unwrap_or_else(|_| "[]".into());
        self.conn
            .query_row(
                "SELECT min(next_attempt_ms) FROM outbox
                 WHERE state = 'pending' AND sink IN (SELECT value FROM json_each(?1))",
                [sinks],
                |r| r.get(0),
            )
            .map_err(sqlite_err(&self.path))
    }

    /// Delivery state per sink.
    pub fn outbox_status(&self) -> Result<Vec<SinkStatus>, StoreError> {
        sink_status(&self.conn).map_err(sqlite_err(&self.path))
    }
}

/// Delivery state per sink, read through any connection.
pub fn sink_status(conn: &Connection) -> rusqlite::Result<Vec<SinkStatus>> {
    let ms = |v: Option<i64>| v.and_then(DateTime::from_timestamp_millis);
    conn.prepare(
        "SELECT sink,
            sum(state = 'pending'), sum(state = 'delivered'), sum(state = 'failed'),
            sum(state = 'pending' AND last_error IS NOT NULL),
            (SELECT last_error FROM outbox o2 WHERE o2.sink = o.sink AND o2.last_error IS NOT NULL
             ORDER BY last_attempt_ms DESC LIMIT 1),
            max(CASE WHEN last_error IS NOT NULL THEN last_attempt_ms END),
            max(delivered_ms)
         FROM outbox o GROUP BY sink ORDER BY sink",
    )?
    .query_map([], |r| {
        Ok(SinkStatus {
            sink: r.get(0)?,
            pending: r.get(1)?,
            delivered: r.get(2)?,
            failed: r.get(3)?,
            retrying: r.get(4)?,
            last_error: r.get(5)?,
            last_error_at: ms(r.get(6)?),
            last_delivered_at: ms(r.get(7)?),
        })
    })?
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};

    /// A database with one alert queued for `sinks`.
    fn queued(dir: &Path, sinks: &[&str]) -> PathBuf {
        let db = dir.join("db");
        let s = Store::open(&db, Default::default()).unwrap();
        s.conn
            .execute_batch(
                "INSERT INTO alerts (id, watchlist, story_id, item_id, created_at, payload)
                 VALUES (1, 'w', 1, 1, 0, '{}');",
            )
            .unwrap();
        for sink in sinks {
            s.conn
                .execute(
                    "INSERT INTO outbox (alert_id, sink, priority, next_attempt_ms) VALUES (1, ?1, 1, 0)",
                    [sink],
                )
                .unwrap();
        }
        db
    }

    #[test]
    fn a_claim_excludes_others_until_it_lapses_and_a_lapsed_claim_records_nothing() {
        let d = tempfile::tempdir().unwrap();
        let db = queued(d.path(), &["hook", "gone"]);
        let (mut a, mut b) = (
            Store::open(&db, Default::default()).unwrap(),
            Store::open(&db, Default::default()).unwrap(),
        );
        let lease = Duration::from_secs(10);
        let mine = a
            .claim_deliveries(1_000, 1_000, lease, &["hook"], 8)
            .unwrap();
        assert_eq!(mine.len(), 1, "only deliveries for known sinks are claimed");
        assert_eq!(mine[0].lease, 11_000);
        assert!(
            b.claim_deliveries(5_000, 5_000, lease, &["hook"], 8)
                .unwrap()
                .is_empty()
        );
        // A's claim lapses; B takes the delivery over and delivers it.
        let theirs = b
            .claim_deliveries(12_000, 12_000, lease, &["hook"], 8)
            .unwrap();
        assert_eq!(theirs.len(), 1);
        assert!(b.delivered(&theirs[0], 12_500).unwrap());
        // A's late outcome changes nothing: the delivery stays delivered.
        let policy = RetryPolicy::default();
        assert_eq!(
            a.delivery_failed(&mine[0], 13_000, "late", false, &policy)
                .unwrap(),
            None
        );
        assert!(!a.delivered(&mine[0], 13_000).unwrap());
        let hook = &a.outbox_status().unwrap()[1];
        assert_eq!(
            (hook.sink.as_str(), hook.delivered, hook.pending),
            ("hook", 1, 0)
        );
        assert_eq!(a.next_delivery_due(&["hook"]).unwrap(), None);
        assert_eq!(a.next_delivery_due(&["gone"]).unwrap(), Some(0));
    }

    #[test]
    fn failures_back_off_then_give_up() {
        let d = tempfile::tempdir().unwrap();
        let db = queued(d.path(), &["hook"]);
        let mut o = Store::open(&db, Default::default()).unwrap();
        let policy = RetryPolicy {
            backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(3),
            max_attempts: 3,
        };
        let mut now = 0;
        let mut waits = Vec::new();
        for _ in 0..3 {
            let c = o
                .claim_deliveries(now, now, Duration::from_secs(5), &["hook"], 1)
                .unwrap();
            assert_eq!(c.len(), 1, "due at {now}");
            let gave_up = o
                .delivery_failed(&c[0], now, "HTTP 500", false, &policy)
                .unwrap()
                .unwrap();
            let next = o.next_delivery_due(&["hook"]).unwrap();
            if gave_up {
                assert_eq!(next, None);
                break;
            }
            waits.push(next.unwrap() - now);
            now = next.unwrap();
        }
        assert_eq!(waits, vec![1_000, 2_000]);
        let s = &o.outbox_status().unwrap()[0];
        assert_eq!((s.failed, s.pending), (1, 0));
        assert_eq!(s.last_error.as_deref(), Some("HTTP 500"));
    }
}
