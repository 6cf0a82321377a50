//! The HTTP side of `--metrics`: `GET /metrics` answers the newest frame in
//! the OpenMetrics text format when the request's `Accept` names it (as
//! Prometheus's does), else in the Prometheus text format 0.0.4 (`curl`,
//! `promtool check metrics`); any other request is 404. Served by hyper
//! on a thread of its own ("corescope-metrics") with a current-thread tokio
//! runtime, so neither the screen nor the sampler waits for a scraper.

use std::convert::Infallible;
use std::sync::Arc;

use anyhow::{Context, Result};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::watch;

use super::Frame;
use super::encode::{Format, exposition};

/// How long a client may take to send its request's headers.
const HEADER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

type Frames = watch::Receiver<Option<Arc<Frame>>>;

/// Serves `listener` from a new thread until the process ends.
pub(super) fn spawn(listener: std::net::TcpListener, frames: Frames) -> Result<()> {
    listener
        .set_nonblocking(true)
        .context("cannot set up the --metrics socket")?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the --metrics server")?;
    std::thread::Builder::new()
        .name("corescope-metrics".to_owned())
        .spawn(move || runtime.block_on(accept(listener, frames)))
        .context("cannot start the --metrics thread")?;
    Ok(())
}

async fn accept(listener: std::net::TcpListener, frames: Frames) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    loop {
        // A failed accept (too many open files) is the scraper's problem
        // this once; the next one may succeed.
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            continue;
        };
        let frames = frames.clone();
        tokio::task::spawn(async move {
            let service = service_fn(move |request| {
                let frames = frames.clone();
                async move { Ok::<_, Infallible>(respond(&request, &frames)) }
            });
            // A client that hangs up mid-answer ends only its connection;
            // one that never finishes its request is dropped.
            let _ = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// The answer to one request.
fn respond(request: &Request<Incoming>, frames: &Frames) -> Response<Full<Bytes>> {
    if request.method() != Method::GET || request.uri().path() != "/metrics" {
        return answer(
            StatusCode::NOT_FOUND,
            "text/plain",
            "not found: try GET /metrics\n",
        );
    }
    let accept = request
        .headers()
        .get(hyper::header::ACCEPT)
        .and_then(|a| a.to_str().ok());
    let format = Format::negotiate(accept);
    match exposition(frames, format) {
        Ok(text) => answer(StatusCode::OK, format.content_type(), text),
        Err(_) => answer(
            StatusCode::INTERNAL_SERVER_ERROR,
            "text/plain",
            "the metrics could not be encoded\n",
        ),
    }
}

fn answer(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    if let Ok(value) = content_type.parse() {
        response
            .headers_mut()
            .insert(hyper::header::CONTENT_TYPE, value);
    }
    response
}
