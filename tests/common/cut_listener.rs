//! A loopback listener for fake HTTP servers that can drop a connection instead of sending
//! the reply: arm `cut`, and the next reply written on any connection is lost mid-way.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// Serves `router` on 127.0.0.1 port 0; returns its base URL and the cut switch.
pub async fn serve(router: axum::Router) -> (String, Arc<AtomicBool>) {
    let inner = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = inner.local_addr().expect("local addr");
    let cut = Arc::new(AtomicBool::new(false));
    let listener = CutListener {
        inner,
        cut: cut.clone(),
    };
    tokio::spawn(async move { axum::serve(listener, router).await });
    (format!("http://{addr}"), cut)
}

struct CutListener {
    inner: TcpListener,
    cut: Arc<AtomicBool>,
}

impl axum::serve::Listener for CutListener {
    type Io = CutStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (CutStream, SocketAddr) {
        loop {
            if let Ok((s, a)) = self.inner.accept().await {
                return (
                    CutStream {
                        inner: s,
                        cut: self.cut.clone(),
                    },
                    a,
                );
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

/// A TCP stream whose next write fails (and so closes the connection) once `cut` is armed.
struct CutStream {
    inner: TcpStream,
    cut: Arc<AtomicBool>,
}

impl AsyncRead for CutStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for CutStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.cut.swap(false, Ordering::SeqCst) {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "cut by the test",
            )));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
