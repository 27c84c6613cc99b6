//! The HTTP client the SDK's clients send through: HTTP/1.1 (hyper's connection) over rustls on
//! ring, trusting the system's roots (`SSL_CERT_FILE` too), with the idle connections of each
//! endpoint kept for the next call. The SDK's own client does the same and also links HTTP/2,
//! which no AWS API this function calls needs: 215 KB of each zip (bench/README.md). Retries,
//! timeouts of an attempt, signing and endpoints stay the SDK's; an error here is a
//! `ConnectorError` the SDK classifies as it does its own client's (a dropped or refused
//! connection is an I/O error, retried; a connect timeout, a timeout).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use hyper::client::conn::http1::{handshake, SendRequest};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

type Sender = SendRequest<SdkBody>;

/// The client: one for every SDK client, so that they share its connections.
#[derive(Clone, Debug)]
pub struct Http1 {
    inner: Arc<Inner>,
}

/// The TLS set-up, and the idle connections by endpoint (`scheme:host:port`).
struct Inner {
    tls: TlsConnector,
    idle: Mutex<HashMap<String, Vec<Sender>>>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Http1")
    }
}

impl Http1 {
    /// The client, trusting the system's root certificates (those it cannot read are left out,
    /// as the SDK's client does).
    pub fn new() -> Http1 {
        let mut roots = rustls::RootCertStore::empty();
        roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            // Only fails for a provider without the default versions' cipher suites: ring has them.
            .expect("ring supports TLS 1.2 and 1.3")
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Http1 {
            inner: Arc::new(Inner {
                tls: TlsConnector::from(Arc::new(config)),
                idle: Mutex::new(HashMap::new()),
            }),
        }
    }
}

impl HttpClient for Http1 {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        _: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(Connector {
            inner: self.inner.clone(),
            connect_timeout: settings.connect_timeout().unwrap_or(Duration::from_secs(3)),
        })
    }
}

/// The connector of one SDK client, with its connect timeout.
#[derive(Debug)]
struct Connector {
    inner: Arc<Inner>,
    connect_timeout: Duration,
}

impl Inner {
    /// An idle connection to `key` ready for a request; closed ones are forgotten. One still
    /// reading its last response is left for later.
    fn take(&self, key: &str) -> Option<Sender> {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        let senders = idle.get_mut(key)?;
        senders.retain(|s| !s.is_closed());
        let ready = senders.iter().position(|s| s.is_ready())?;
        Some(senders.swap_remove(ready))
    }

    /// Keeps a connection for the next request: it takes one once its last response is read.
    fn put(&self, key: String, sender: Sender) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        idle.entry(key).or_default().push(sender);
    }

    /// A new connection to `host:port` (TLS for `https`), its TCP connect bounded by `limit`;
    /// hyper drives it on a task of its own.
    async fn connect(
        &self,
        https: bool,
        host: &str,
        port: u16,
        limit: Duration,
    ) -> Result<Sender, ConnectorError> {
        let io = |e: std::io::Error| ConnectorError::io(e.into());
        let tcp = tokio::time::timeout(limit, TcpStream::connect((host, port)))
            .await
            .map_err(|e| ConnectorError::timeout(e.into()))?
            .map_err(io)?;
        let _ = tcp.set_nodelay(true);
        let hs = |e: hyper::Error| ConnectorError::io(e.into());
        if https {
            let name = ServerName::try_from(host.to_string())
                .map_err(|e| ConnectorError::user(e.into()))?;
            let tls = self.tls.connect(name, tcp).await.map_err(io)?;
            let (sender, conn) = handshake(TokioIo::new(tls)).await.map_err(hs)?;
            tokio::spawn(conn);
            Ok(sender)
        } else {
            let (sender, conn) = handshake(TokioIo::new(tcp)).await.map_err(hs)?;
            tokio::spawn(conn);
            Ok(sender)
        }
    }
}

impl HttpConnector for Connector {
    /// Sends `request` on an idle connection to its endpoint, else a new one, in origin form with
    /// a `Host` header, as HTTP/1.1 asks; the connection is kept once the response's head is in.
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let mut request = match request.try_into_http1x() {
            Ok(request) => request,
            Err(e) => return HttpConnectorFuture::ready(Err(ConnectorError::user(e.into()))),
        };
        let (inner, limit) = (self.inner.clone(), self.connect_timeout);
        HttpConnectorFuture::new(async move {
            let uri = request.uri().clone();
            let https = uri.scheme_str() == Some("https");
            let host = uri.host().unwrap_or_default().to_string();
            let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
            let key = format!("{https}:{host}:{port}");
            if !request.headers().contains_key(http::header::HOST) {
                let authority = uri.authority().map(|a| a.as_str()).unwrap_or_default();
                if let Ok(value) = http::HeaderValue::from_str(authority) {
                    request.headers_mut().insert(http::header::HOST, value);
                }
            }
            let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
            *request.uri_mut() = path
                .parse()
                .map_err(|e: http::uri::InvalidUri| ConnectorError::user(e.into()))?;
            let mut sender = match inner.take(&key) {
                Some(sender) => sender,
                None => inner.connect(https, &host, port, limit).await?,
            };
            let response = sender
                .send_request(request)
                .await
                .map_err(|e| ConnectorError::io(e.into()))?;
            inner.put(key, sender);
            HttpResponse::try_from(response.map(SdkBody::from_body_1_x))
                .map_err(|e| ConnectorError::other(e.into(), None))
        })
    }
}
