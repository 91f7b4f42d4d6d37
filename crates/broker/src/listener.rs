//! The broker's accept loop, on the gRPC port and the console's: at most
//! [`Limits::max_connections`] connections at a time on each, and a connection that has not
//! finished its TLS handshake and its first bytes within [`Limits::header_timeout`] is closed.
//!
//! Why: tonic and axum accept every connection the kernel hands them and keep it until the
//! peer closes it, and neither has a deadline for the HTTP/2 preface. A red-team pass opened
//! ~20,000 idle TCP connections (or connections that sent half a preface, or half a request's
//! headers) and the broker ran out of file descriptors: SQLite, the warehouse's Parquet files
//! and every new client failed. Here a connection takes a permit before it is accepted, so
//! beyond the cap new connections wait in the kernel's backlog and hold no file of ours, and
//! a permit comes back when its connection closes, whoever closes it.

use crate::limits::Limits;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio::time::{Instant, Sleep};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// The bytes a client sends first on the gRPC port: the HTTP/2 connection preface
/// (`PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`). After it, HTTP/2 keepalive pings find dead peers.
pub(crate) const HTTP2_PREFACE_BYTES: usize = 24;

/// An accepted connection, plain or TLS, holding its place under the cap.
pub(crate) struct Connection {
    io: Io,
    /// Given back to the cap when the connection is dropped.
    _permit: OwnedSemaphorePermit,
    /// Until the first bytes have arrived: how many are still missing, and by when.
    first_bytes: Option<FirstBytes>,
}

enum Io {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

struct FirstBytes {
    missing: usize,
    deadline: Pin<Box<Sleep>>,
}

/// Accepts connections on `tcp` under `limits`, each through a TLS handshake if `tls` is
/// given, and hands them over once handshaken. On the connection a protocol reads, the first
/// `first_bytes` bytes must arrive within the header timeout (counted from the accept,
/// handshake included), or reading fails and the server closes it. With `first_bytes` 0 only
/// the handshake has a deadline (the console's HTTP/1.1 server times its headers itself).
pub(crate) fn accept(
    tcp: TcpListener,
    limits: &Limits,
    tls: Option<TlsAcceptor>,
    first_bytes: usize,
) -> mpsc::Receiver<Connection> {
    let (sender, connections) = mpsc::channel(64);
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    tokio::spawn(accept_each(
        tcp,
        permits,
        tls,
        limits.header_timeout,
        first_bytes,
        sender,
    ));
    connections
}

async fn accept_each(
    tcp: TcpListener,
    permits: Arc<Semaphore>,
    tls: Option<TlsAcceptor>,
    header_timeout: Duration,
    first_bytes: usize,
    connections: mpsc::Sender<Connection>,
) {
    loop {
        // The permit before the accept: beyond the cap, a connection waits in the kernel's
        // backlog (its client sees a slow connect, then a refusal once the backlog is full).
        let Ok(permit) = Arc::clone(&permits).acquire_owned().await else {
            return;
        };
        let (stream, _) = loop {
            match tcp.accept().await {
                Ok(accepted) => break accepted,
                // Out of file descriptors and the like: wait, as tonic's and axum's loops do.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        };
        if connections.is_closed() {
            return;
        }
        // gRPC answers are small frames: without it, Nagle's algorithm holds each for the
        // client's delayed acknowledgement.
        let _ = stream.set_nodelay(true);
        let deadline = Instant::now() + header_timeout;
        let (tls, connections) = (tls.clone(), connections.clone());
        // Each handshake in a task of its own: a client that stalls holds up no one else.
        tokio::spawn(async move {
            let io = match tls {
                None => Io::Plain(stream),
                Some(acceptor) => match tokio::time::timeout_at(deadline, acceptor.accept(stream)).await {
                    Ok(Ok(session)) => Io::Tls(Box::new(session)),
                    // Failed (no client certificate, another CA, a port scan) or too slow.
                    _ => return,
                },
            };
            let first_bytes = (first_bytes > 0).then(|| FirstBytes {
                missing: first_bytes,
                deadline: Box::pin(tokio::time::sleep_until(deadline)),
            });
            let connection = Connection {
                io,
                _permit: permit,
                first_bytes,
            };
            let _ = connections.send(connection).await;
        });
    }
}

impl Connection {
    fn tcp(&self) -> &TcpStream {
        match &self.io {
            Io::Plain(tcp) => tcp,
            Io::Tls(session) => session.get_ref().0,
        }
    }
}

impl tonic::transport::server::Connected for Connection {
    type ConnectInfo = tonic::transport::server::TcpConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.tcp().connect_info()
    }
}

impl AsyncRead for Connection {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Some(first) = &mut this.first_bytes
            && first.deadline.as_mut().poll(cx).is_ready()
        {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client did not send its first bytes in time",
            )));
        }
        let before = buf.filled().len();
        let polled = match &mut this.io {
            Io::Plain(tcp) => Pin::new(tcp).poll_read(cx, buf),
            Io::Tls(session) => Pin::new(session.as_mut()).poll_read(cx, buf),
        };
        if let (Poll::Ready(Ok(())), Some(first)) = (&polled, &mut this.first_bytes) {
            first.missing = first.missing.saturating_sub(buf.filled().len() - before);
            if first.missing == 0 {
                this.first_bytes = None;
            }
        }
        polled
    }
}

impl AsyncWrite for Connection {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match &mut self.get_mut().io {
            Io::Plain(tcp) => Pin::new(tcp).poll_write(cx, buf),
            Io::Tls(session) => Pin::new(session.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match &mut self.get_mut().io {
            Io::Plain(tcp) => Pin::new(tcp).poll_write_vectored(cx, bufs),
            Io::Tls(session) => Pin::new(session.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match &self.io {
            Io::Plain(tcp) => tcp.is_write_vectored(),
            Io::Tls(session) => session.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().io {
            Io::Plain(tcp) => Pin::new(tcp).poll_flush(cx),
            Io::Tls(session) => Pin::new(session.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().io {
            Io::Plain(tcp) => Pin::new(tcp).poll_shutdown(cx),
            Io::Tls(session) => Pin::new(session.as_mut()).poll_shutdown(cx),
        }
    }
}
