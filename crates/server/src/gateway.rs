//! The running gateway: the hosted apps, the listener, and graceful shutdown.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use domvia_protocol::{CloseCode, SocketId};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::app::App;
use crate::config::ServerConfig;
use crate::http::ExtraRoutes;
use crate::metrics::Metrics;
use crate::webhook::Webhooks;

/// The state every connection and request shares.
#[derive(Debug)]
pub struct Gateway {
    config: ServerConfig,
    apps_by_key: HashMap<String, Arc<App>>,
    apps_by_id: HashMap<String, Arc<App>>,
    metrics: Arc<Metrics>,
    webhooks: Webhooks,
    shutdown: watch::Sender<bool>,
    socket_high: u64,
    socket_seq: AtomicU64,
    /// Routes served beside the gateway's own (see [`ExtraRoutes`]); set once at start.
    extra_routes: Option<Arc<dyn ExtraRoutes>>,
}

impl Gateway {
    /// Builds the gateway's state and starts the webhook dispatcher. Must be called inside a
    /// tokio runtime.
    #[must_use]
    pub fn new(config: ServerConfig) -> Arc<Self> {
        Self::with_extra_routes(config, None)
    }

    /// [`Gateway::new`], also serving `extra_routes` for the paths the gateway does not own.
    #[must_use]
    pub fn with_extra_routes(
        config: ServerConfig,
        extra_routes: Option<Arc<dyn ExtraRoutes>>,
    ) -> Arc<Self> {
        let metrics = Arc::new(Metrics::default());
        let webhooks = Webhooks::start(config.webhooks, &config.apps, Arc::clone(&metrics));
        let mut apps_by_key = HashMap::new();
        let mut apps_by_id = HashMap::new();
        for app_config in &config.apps {
            let app = Arc::new(App::new(
                app_config.clone(),
                Arc::clone(&metrics),
                webhooks.clone(),
            ));
            apps_by_key.insert(app_config.key.as_str().to_owned(), Arc::clone(&app));
            apps_by_id.insert(app_config.id.clone(), app);
        }
        let (shutdown, _) = watch::channel(false);
        Arc::new(Self {
            config,
            apps_by_key,
            apps_by_id,
            metrics,
            webhooks,
            shutdown,
            // Socket ids are `{high}.{low}`: a per-process random part and a counter, so ids
            // are unique within a process and unlikely to repeat across restarts.
            socket_high: RandomState::new().hash_one(0_u8) % 1_000_000_000,
            socket_seq: AtomicU64::new(1),
            extra_routes,
        })
    }

    /// The configuration the gateway runs with.
    #[must_use]
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// The app clients connect to with `key`.
    #[must_use]
    pub fn app_by_key(&self, key: &str) -> Option<&Arc<App>> {
        self.apps_by_key.get(key)
    }

    /// The app the HTTP API names by `id`.
    #[must_use]
    pub fn app_by_id(&self, id: &str) -> Option<&Arc<App>> {
        self.apps_by_id.get(id)
    }

    /// The routes served beside the gateway's own, if any.
    #[must_use]
    pub fn extra_routes(&self) -> Option<&Arc<dyn ExtraRoutes>> {
        self.extra_routes.as_ref()
    }

    /// The process's counters.
    #[must_use]
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// A fresh socket id.
    #[must_use]
    pub fn next_socket_id(&self) -> SocketId {
        SocketId::from_parts(
            self.socket_high,
            self.socket_seq.fetch_add(1, Ordering::Relaxed),
        )
    }

    /// Becomes `true` when the gateway starts shutting down.
    #[must_use]
    pub fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    /// Whether a shutdown has begun.
    #[must_use]
    pub fn is_shutting_down(&self) -> bool {
        *self.shutdown.borrow()
    }

    /// Starts a graceful shutdown: every connection is closed with 4200 (reconnect
    /// immediately, to another instance), and idle HTTP connections are closed.
    pub fn begin_shutdown(&self) {
        self.shutdown.send_replace(true);
        for app in self.apps_by_id.values() {
            app.close_all(CloseCode::ReconnectImmediately);
        }
    }
}

/// A bound, running server.
#[derive(Debug)]
pub struct Server {
    local_addr: SocketAddr,
    gateway: Arc<Gateway>,
    accept_task: JoinHandle<()>,
}

impl Server {
    /// Binds `config.listen` and starts serving. Must be called inside a tokio runtime.
    ///
    /// # Errors
    /// When the address cannot be bound or the TLS files cannot be loaded.
    pub async fn bind(config: ServerConfig) -> io::Result<Self> {
        Self::bind_with_extra_routes(config, None).await
    }

    /// [`Server::bind`], also serving `extra_routes` for the paths the gateway does not
    /// own (see [`ExtraRoutes`]).
    ///
    /// # Errors
    /// As [`Server::bind`].
    pub async fn bind_with_extra_routes(
        config: ServerConfig,
        extra_routes: Option<Arc<dyn ExtraRoutes>>,
    ) -> io::Result<Self> {
        let tls = match &config.tls {
            Some(tls) => Some(crate::tls::acceptor(tls)?),
            None => None,
        };
        let listener = TcpListener::bind(config.listen).await?;
        let local_addr = listener.local_addr()?;
        let gateway = Gateway::with_extra_routes(config, extra_routes);
        let accept_task = tokio::spawn(accept_loop(listener, Arc::clone(&gateway), tls));
        Ok(Self {
            local_addr,
            gateway,
            accept_task,
        })
    }

    /// The address actually bound (useful with port 0).
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The shared state.
    #[must_use]
    pub fn gateway(&self) -> &Arc<Gateway> {
        &self.gateway
    }

    /// Stops accepting, closes every WebSocket with 4200 and waits up to the configured
    /// grace period for connections to finish closing.
    pub async fn shutdown(self) {
        self.accept_task.abort();
        self.gateway.begin_shutdown();
        let grace = self.gateway.config.shutdown_grace;
        let metrics = Arc::clone(&self.gateway.metrics);
        let drained = async {
            while metrics.connections.load(Ordering::Relaxed) > 0 {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        if tokio::time::timeout(grace, drained).await.is_err() {
            tracing::warn!(
                open = metrics.connections.load(Ordering::Relaxed),
                "shutdown grace period over with connections still open"
            );
        }
        // Departures held by the debounce go out now rather than being lost.
        if tokio::time::timeout(grace, self.gateway.webhooks.flush())
            .await
            .is_err()
        {
            tracing::warn!("shutdown grace period over with webhooks still in flight");
        }
    }
}

async fn accept_loop(
    listener: TcpListener,
    gateway: Arc<Gateway>,
    tls: Option<tokio_rustls::TlsAcceptor>,
) {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of file descriptors and similar: back off instead of spinning.
                tracing::warn!(%error, "accept failed");
                gateway.metrics.error("accept_failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let gateway = Arc::clone(&gateway);
        let tls = tls.clone();
        tokio::spawn(async move {
            match tls {
                Some(acceptor) => match acceptor.accept(stream).await {
                    Ok(stream) => serve_connection(TokioIo::new(stream), gateway, peer).await,
                    Err(error) => {
                        tracing::debug!(%peer, %error, "TLS handshake failed");
                        gateway.metrics.error("tls_handshake_failed");
                    }
                },
                None => serve_connection(TokioIo::new(stream), gateway, peer).await,
            }
        });
    }
}

async fn serve_connection<I>(io: I, gateway: Arc<Gateway>, peer: SocketAddr)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let mut shutdown = gateway.shutdown_signal();
    let service_gateway = Arc::clone(&gateway);
    let service =
        service_fn(move |request| crate::http::handle(Arc::clone(&service_gateway), request, peer));
    let connection = http1::Builder::new()
        .max_buf_size(64 * 1024)
        .serve_connection(io, service)
        .with_upgrades();
    tokio::pin!(connection);
    let stopping = async move {
        let _ = shutdown.wait_for(|stopping| *stopping).await;
    };
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(error) = result {
                tracing::debug!(%peer, %error, "HTTP connection ended with an error");
            }
            return;
        }
        () = stopping => {}
    }
    connection.as_mut().graceful_shutdown();
    let _ = connection.await;
}
