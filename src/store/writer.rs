//! The single writer: one [`Store`] owns the read-write connection, and jobs sent from async
//! code run on it one at a time, on the runtime's blocking pool, so SQLite never blocks the
//! async workers and writes are serialised by construction.
//!
//! Jobs queue; a blocking task drains the queue while there is work and ends when it is empty
//! (so an idle writer holds no thread, and under a paused test clock time does not jump while
//! the database is working). Group commit: up to [`MAX_GROUP`] queued jobs run inside one
//! transaction, each in its own savepoint, and commit together. Every caller is answered only
//! after that commit, so a reply always means "on disk" (to WAL). One job's error rolls back
//! only its own savepoint.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use tokio::runtime::Handle;
use tokio::sync::oneshot;

use super::{Store, StoreError};

/// Most jobs committed together.
pub const MAX_GROUP: usize = 32;
/// How long an idle drain task waits for more jobs before it ends.
const LINGER: std::time::Duration = std::time::Duration::from_millis(5);

/// Sends a job's result once the commit it belongs to is known.
type Reply = Box<dyn FnOnce(Result<(), String>) + Send>;
type Job = Box<dyn FnOnce(&mut Store) -> Reply + Send>;

struct State {
    queue: VecDeque<Job>,
    /// The store, when no drain task holds it.
    store: Option<Store>,
    draining: bool,
    closed: bool,
}

struct Shared {
    state: Mutex<State>,
    /// Signalled when the drain task has given the store back.
    idle: Condvar,
    /// Signalled when a job is queued while a drain task runs.
    work: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Handle to the writer. Dropping it (or calling [`Writer::close`]) waits for queued jobs to
/// finish and closes the connection.
pub struct Writer {
    shared: Arc<Shared>,
    runtime: Handle,
}

impl Writer {
    /// Takes over `store`. Must be called within a Tokio runtime, whose blocking pool runs the
    /// jobs.
    pub fn spawn(store: Store) -> Self {
        Self {
            shared: Arc::new(Shared {
                state: Mutex::new(State {
                    queue: VecDeque::new(),
                    store: Some(store),
                    draining: false,
                    closed: false,
                }),
                idle: Condvar::new(),
                work: Condvar::new(),
            }),
            runtime: Handle::current(),
        }
    }

    /// Queues `f` at once, and returns a future of its result, ready once its writes are
    /// committed.
    pub fn call<R, F>(&self, f: F) -> impl Future<Output = Result<R, StoreError>> + use<R, F>
    where
        R: Send + 'static,
        F: FnOnce(&mut Store) -> R + Send + 'static,
    {
        let (tx, rx) = oneshot::channel::<Result<R, String>>();
        let job: Job = Box::new(move |store| {
            let result = f(store);
            Box::new(move |committed: Result<(), String>| {
                let _ = tx.send(committed.map(|()| result));
            })
        });
        let (queued, start) = {
            let mut st = self.shared.lock();
            if st.closed {
                (false, false)
            } else {
                st.queue.push_back(job);
                let start = !std::mem::replace(&mut st.draining, true);
                if !start {
                    self.shared.work.notify_one();
                }
                (true, start)
            }
        };
        if start {
            let shared = self.shared.clone();
            self.runtime.spawn_blocking(move || drain(&shared));
        }
        async move {
            if !queued {
                return Err(StoreError::WriterGone);
            }
            rx.await
                .map_err(|_| StoreError::WriterGone)?
                .map_err(StoreError::Commit)
        }
    }

    /// Waits for queued jobs to finish and closes the database.
    pub fn close(self) {}

    fn shutdown(&mut self) {
        let mut st = self.shared.lock();
        st.closed = true;
        self.shared.work.notify_all();
        while st.draining {
            st = self.shared.idle.wait(st).unwrap_or_else(|p| p.into_inner());
        }
        drop(st.store.take());
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Runs queued jobs in groups until the queue is empty, then gives the store back.
fn drain(shared: &Shared) {
    let Some(mut store) = shared.lock().store.take() else {
        return;
    };
    loop {
        let group: Vec<Job> = {
            let mut st = shared.lock();
            if st.queue.is_empty() && !st.closed {
                // Linger briefly: a poll sends jobs in quick succession, and a task that stays
                // costs less than one started per job.
                st = shared
                    .work
                    .wait_timeout(st, LINGER)
                    .map(|(g, _)| g)
                    .unwrap_or_else(|p| p.into_inner().0);
            }
            if st.queue.is_empty() {
                st.store = Some(store);
                st.draining = false;
                shared.idle.notify_all();
                return;
            }
            let n = st.queue.len().min(MAX_GROUP);
            st.queue.drain(..n).collect()
        };
        run_group(&mut store, group);
    }
}

fn run_group(store: &mut Store, group: Vec<Job>) {
    // A lone job commits by itself (and may be one that must run outside a transaction, such as
    // a checkpoint).
    let grouped = group.len() > 1 && store.begin_batch().is_ok();
    // A job that panics loses only its own answer (its caller sees the writer as gone); the
    // store and the other jobs go on.
    let replies: Vec<Reply> = group
        .into_iter()
        .filter_map(|job| {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(store))).ok()
        })
        .collect();
    let committed = if grouped {
        store.commit_batch().map_err(|e| e.to_string())
    } else {
        Ok(())
    };
    if let Err(e) = &committed {
        tracing::error!(error = %e, jobs = replies.len(), "group commit failed");
    }
    for reply in replies {
        reply(committed.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::FeedConfig;
    use chrono::Utc;
    use std::time::Duration;

    #[test]
    fn queued_jobs_commit_together_and_answer_after_commit() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("db");
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let writer = {
            let _in_runtime = rt.enter();
            Writer::spawn(Store::open(&path, Default::default()).unwrap())
        };
        let feeds: Vec<FeedConfig> = (0..50)
            .map(|i| FeedConfig {
                name: format!("f{i}"),
                url: url::Url::parse(&format!("http://f{i}.example/")).unwrap(),
                interval: Duration::from_secs(60),
                timezone: chrono::FixedOffset::east_opt(0).unwrap().into(),
                captured_at: None,
            })
            .collect();
        // Hold the writer on a gate while 50 jobs queue, so they run as groups.
        let (open, gate) = std::sync::mpsc::channel::<()>();
        let held = writer.call(move |_| gate.recv().is_ok());
        let calls: Vec<_> = feeds
            .iter()
            .cloned()
            .map(|f| writer.call(move |s| s.sync_feeds(&[f], Utc::now()).map(|v| v[0].id)))
            .collect();
        open.send(()).unwrap();
        let ids = rt.block_on(async {
            assert!(held.await.unwrap());
            let mut ids = Vec::new();
            for c in calls {
                ids.push(c.await.unwrap().unwrap());
            }
            ids
        });
        assert_eq!(ids.len(), 50);
        let reader = crate::store::Reader::open(&path).unwrap();
        assert_eq!(
            reader.feeds().unwrap().len(),
            50,
            "every answered job is committed"
        );

        // A failing job inside a group rolls back only its own writes.
        let (open, gate) = std::sync::mpsc::channel::<()>();
        let held = writer.call(move |_| gate.recv().is_ok());
        let late = FeedConfig {
            name: "late".into(),
            ..feeds[0].clone()
        };
        // Recording for a feed that does not exist violates a foreign key half-way through.
        let bad = writer.call(|s| {
            let item = crate::model::ParsedItem {
                guid: Some("g".into()),
                title: "orphan".into(),
                ..Default::default()
            };
            let ready = crate::dedup::ready(item);
            s.record(
                999,
                crate::store::FetchRecord::Fetched {
                    http_status: 200,
                    validators: Default::default(),
                    bytes: 0,
                    elapsed: Duration::ZERO,
                    title: None,
                    site_link: None,
                    items: vec![ready],
                    warnings: Vec::new(),
                },
                Utc::now(),
            )
        });
        let good = writer.call(move |s| s.sync_feeds(&[late], Utc::now()).is_ok());
        open.send(()).unwrap();
        rt.block_on(async {
            assert!(held.await.unwrap());
            assert!(bad.await.unwrap().is_err());
            assert!(good.await.unwrap());
        });
        let names: Vec<String> = reader
            .feeds()
            .unwrap()
            .into_iter()
            .map(|f| f.name)
            .collect();
        assert!(names.contains(&"late".to_string()));
        assert!(
            reader.list(&Default::default()).unwrap().is_empty(),
            "the failed job left nothing"
        );
        writer.close();
    }
}
