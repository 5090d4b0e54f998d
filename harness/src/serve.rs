//! An axum app served in the background on a listener the caller bound: what the in-process components (the
//! embedded IdP, the Dashboards stand-in) share. `stop` shuts down gracefully; drop aborts.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::middleware::Next;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub struct Background {
    addr: SocketAddr,
    delays: Delays,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

/// Answers made slower on purpose: a path and how long its requests wait before they are handled. For testing
/// the observer against a slow IdP or a slow Dashboards; empty (no delay) unless someone sets it.
#[derive(Clone, Debug, Default)]
pub struct Delays(Arc<Mutex<Vec<(String, Duration)>>>);

impl Delays {
    pub fn set(&self, delays: &[(String, Duration)]) {
        *self.0.lock().expect("delays lock") = delays.to_vec();
    }

    fn of(&self, path: &str) -> Option<Duration> {
        let delays = self.0.lock().expect("delays lock");
        delays.iter().find(|(p, _)| p == path).map(|(_, d)| *d)
    }
}

impl Background {
    pub fn start(app: Router, listener: TcpListener) -> std::io::Result<Background> {
        let addr = listener.local_addr()?;
        let delays = Delays::default();
        let app = app.layer(axum::middleware::from_fn({
            let delays = delays.clone();
            move |request: Request, next: Next| {
                let delay = delays.of(request.uri().path());
                async move {
                    if let Some(d) = delay {
                        tokio::time::sleep(d).await;
                    }
                    next.run(request).await
                }
            }
        }));
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(Background {
            addr,
            delays,
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn delays(&self) -> &Delays {
        &self.delays
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}
