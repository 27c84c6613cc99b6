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
        let found = rustls_native_certs::load_native_certs();
        let unread = found.errors.len();
        let (added, _) = roots.add_parsable_certificates(found.certs);
        if added == 0 || unread > 0 {
            tracing::warn!(
                added,
                unread,
                "root certificates: with none, every HTTPS call fails (SSL_CERT_FILE?)"
            );
        }
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

    /// A new connection to `host:port` (TLS for `https`), name lookup, TCP, TLS and HTTP
    /// handshakes bounded by `limit`; hyper drives it on a task of its own.
    async fn connect(
        &self,
        https: bool,
        (host, port): (&str, u16),
        limit: Duration,
    ) -> Result<Sender, ConnectorError> {
        let connecting = async {
            let io = |e: std::io::Error| ConnectorError::io(e.into());
            let tcp = TcpStream::connect((host, port)).await.map_err(io)?;
            let _ = tcp.set_nodelay(true);
            if https {
                let name = ServerName::try_from(host.to_string())
                    .map_err(|e| ConnectorError::user(e.into()))?;
                let tls = self.tls.connect(name, tcp).await.map_err(io)?;
                let (sender, conn) = handshake(TokioIo::new(tls)).await.map_err(error)?;
                tokio::spawn(conn);
                Ok(sender)
            } else {
                let (sender, conn) = handshake(TokioIo::new(tcp)).await.map_err(error)?;
                tokio::spawn(conn);
                Ok(sender)
            }
        };
        (tokio::time::timeout(limit, connecting).await)
            .map_err(|e| ConnectorError::timeout(e.into()))?
    }
}

/// The `Host` header of a request to `uri`, as the SDK signs it: the host, and the port only when
/// it is not the scheme's default.
fn host_header(uri: &http::Uri) -> String {
    let default_port = if uri.scheme_str() == Some("https") {
        443
    } else {
        80
    };
    let host = uri.host().unwrap_or_default();
    match uri.port_u16().filter(|&port| port != default_port) {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

/// A hyper error as the SDK's own client classifies it: a request it could not send is the
/// caller's; a response it could not read, other (neither is retried); a connection that failed
/// or closed, I/O (retried).
fn error(e: hyper::Error) -> ConnectorError {
    if e.is_user() {
        ConnectorError::user(e.into())
    } else if e.is_parse() || e.is_parse_status() {
        ConnectorError::other(e.into(), None)
    } else {
        ConnectorError::io(e.into())
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
            let default_port = if https { 443 } else { 80 };
            // An IPv6 literal without its brackets, as sockets and TLS name it.
            let host = uri.host().unwrap_or_default();
            let host = host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_string();
            let port = uri.port_u16().unwrap_or(default_port);
            let key = format!("{https}:{host}:{port}");
            if let Ok(value) = http::HeaderValue::from_str(&host_header(&uri)) {
                (request.headers_mut())
                    .entry(http::header::HOST)
                    .or_insert(value);
            }
            let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
            *request.uri_mut() = path
                .parse()
                .map_err(|e: http::uri::InvalidUri| ConnectorError::user(e.into()))?;
            let (mut sender, reused) = match inner.take(&key) {
                Some(sender) => (sender, true),
                None => (inner.connect(https, (&host, port), limit).await?, false),
            };
            let response = match sender.try_send_request(request).await {
                Ok(response) => response,
                Err(mut e) => match e.take_message() {
                    // A kept connection the server closed while it was idle (a frozen sandbox
                    // does not see the close): the request was never written, so it goes on a
                    // new connection, without spending one of the SDK's attempts.
                    Some(request) if reused => {
                        sender = inner.connect(https, (&host, port), limit).await?;
                        sender.send_request(request).await.map_err(error)?
                    }
                    _ => return Err(error(e.into_error())),
                },
            };
            inner.put(key, sender);
            HttpResponse::try_from(response.map(SdkBody::from_body_1_x))
                .map_err(|e| ConnectorError::other(e.into(), None))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_header_names_a_port_only_when_it_is_not_the_schemes() {
        let cases = [
            (
                "https://codedeploy.us-east-1.amazonaws.com/",
                "codedeploy.us-east-1.amazonaws.com",
            ),
            (
                "https://sqs.eu-west-1.amazonaws.com:443/1234/q",
                "sqs.eu-west-1.amazonaws.com",
            ),
            ("http://localhost:80/", "localhost"),
            ("http://127.0.0.1:4599/", "127.0.0.1:4599"),
            ("https://[::1]:8443/", "[::1]:8443"),
        ];
        for (uri, host) in cases {
            assert_eq!(host_header(&uri.parse().unwrap()), host, "{uri}");
        }
    }
}
