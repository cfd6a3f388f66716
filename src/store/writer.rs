//! The single writer: a dedicated thread owns the [`Store`] and runs jobs sent from async code,
//! so SQLite never blocks the runtime and writes are serialised by construction.
//!
//! Group commit: when jobs queue up (the writer is the busy side), up to [`MAX_GROUP`] of them
//! run inside one transaction, each in its own savepoint, and commit together. Every caller is
//! answered only after that commit, so a reply always means "on disk" (to WAL). One job's error
//! rolls back only its own savepoint.

use std::sync::mpsc;
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use super::{Store, StoreError};

/// Most jobs committed together.
pub const MAX_GROUP: usize = 32;

/// Sends a job's result once the commit it belongs to is known.
type Reply = Box<dyn FnOnce(Result<(), String>) + Send>;
type Job = Box<dyn FnOnce(&mut Store) -> Reply + Send>;

/// Handle to the writer thread. Dropping it (or calling [`Writer::close`]) lets the thread
/// finish the queued jobs and exit, closing the connection.
pub struct Writer {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl Writer {
    /// Moves `store` onto its own thread.
    pub fn spawn(mut store: Store) -> Self {
        let (tx, rx) = mpsc::channel::<Job>();
        let thread = std::thread::Builder::new()
            .name("db-writer".into())
            .spawn(move || {
                while let Ok(first) = rx.recv() {
                    let mut group = vec![first];
                    while group.len() < MAX_GROUP {
                        match rx.try_recv() {
                            Ok(job) => group.push(job),
                            Err(_) => break,
                        }
                    }
                    run_group(&mut store, group);
                }
            })
            .expect("spawning the writer thread");
        Self {
            jobs: Some(tx),
            thread: Some(thread),
        }
    }

    /// Queues `f` for the writer thread at once, and returns a future of its result, ready once
    /// its writes are committed.
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
        let queued = self
            .jobs
            .as_ref()
            .is_some_and(|jobs| jobs.send(job).is_ok());
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
    pub fn close(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        drop(self.jobs.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn run_group(store: &mut Store, group: Vec<Job>) {
    // A lone job commits by itself (and may be one that must run outside a transaction, such as
    // a checkpoint).
    let grouped = group.len() > 1 && store.begin_batch().is_ok();
    let replies: Vec<Reply> = group.into_iter().map(|job| job(store)).collect();
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
        let writer = Writer::spawn(Store::open(&path).unwrap());
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let feeds: Vec<FeedConfig> = (0..50)
            .map(|i| FeedConfig {
                name: format!("f{i}"),
                url: url::Url::parse(&format!("http://f{i}.example/")).unwrap(),
                interval: Duration::from_secs(60),
                timezone: chrono::FixedOffset::east_opt(0).unwrap(),
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
            let ready = crate::model::ReadyItem {
                identity: crate::dedup::identify(&item),
                item,
                matches: vec![],
            };
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
