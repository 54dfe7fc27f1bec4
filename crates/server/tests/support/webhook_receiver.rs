//! A real HTTP receiver for webhook tests: records every request and answers with a
//! chosen status.
#![allow(dead_code, reason = "each test binary uses part of it")]

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::time::{Instant, timeout};

/// One request the receiver got.
#[derive(Debug)]
pub(crate) struct Received {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub at: Instant,
}

impl Received {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    pub(crate) fn events(&self) -> Vec<Value> {
        self.json()["events"].as_array().unwrap().clone()
    }
}

pub(crate) struct Receiver {
    base: String,
    requests: mpsc::UnboundedReceiver<Received>,
}

impl Receiver {
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub(crate) async fn next(&mut self) -> Received {
        timeout(Duration::from_secs(10), self.requests.recv())
            .await
            .expect("no webhook within 10 s")
            .unwrap()
    }

    /// Everything received so far (after a `flush`, that is everything sent).
    pub(crate) fn drain(&mut self) -> Vec<Received> {
        let mut all = Vec::new();
        while let Ok(request) = self.requests.try_recv() {
            all.push(request);
        }
        all
    }
}

/// An HTTP receiver answering its `n`th request (from 0) with `status(n)`.
pub(crate) async fn receiver(status: fn(usize) -> u16) -> Receiver {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (sender, requests) = mpsc::unbounded_channel();
    let count = Arc::new(AtomicUsize::new(0));
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let (sender, count) = (sender.clone(), Arc::clone(&count));
            let service = service_fn(move |request: Request<Incoming>| {
                let (sender, count) = (sender.clone(), Arc::clone(&count));
                async move {
                    let path = request.uri().path().to_owned();
                    let headers = request.headers().clone();
                    let body = request.into_body().collect().await.unwrap().to_bytes();
                    let n = count.fetch_add(1, Ordering::SeqCst);
                    let _ = sender.send(Received {
                        path,
                        headers,
                        body,
                        at: Instant::now(),
                    });
                    let response = Response::builder()
                        .status(status(n))
                        .body(Full::new(Bytes::new()))
                        .unwrap();
                    Ok::<_, Infallible>(response)
                }
            });
            tokio::spawn(async move {
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Receiver { base, requests }
}

pub(crate) fn ok(_: usize) -> u16 {
    200
}
