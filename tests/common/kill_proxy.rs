//! A loopback TCP proxy that places a kill: it forwards bytes between the daemon and one
//! server (HTTP carrier or SMTP) and, when armed, watches the daemon's bytes for a needle
//! (a request line, a body field, the end of SMTP DATA). At the armed moment it runs the
//! kill and drops the connection, so the kill lands at a known point of the exchange
//! whatever the daemon does inside.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Where, relative to the exchange that carries the needle, the kill lands.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum When {
    /// The daemon's bytes holding the needle are held back: the server never sees them.
    Request,
    /// The server's answer to them is held back: the server acted, the daemon never hears.
    Reply,
    /// The answer is passed on and traffic keeps flowing; the kill follows after the delay.
    AfterReply,
}

/// One armed kill: fires once.
pub struct Arm {
    pub needle: String,
    pub when: When,
    /// Waited before the kill (for `AfterReply`, after the answer was passed on).
    pub delay: Duration,
    pub kill: Box<dyn FnOnce() + Send>,
}

type Slot = Arc<Mutex<Option<Arm>>>;

/// A running proxy to `upstream` (host:port); threads end with the test process.
pub struct Proxy {
    pub port: u16,
    slot: Slot,
    fired: Arc<AtomicBool>,
}

impl Proxy {
    pub fn start(upstream: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let port = listener.local_addr().expect("addr").port();
        let slot: Slot = Arc::default();
        let fired = Arc::new(AtomicBool::new(false));
        let (s, f, up) = (slot.clone(), fired.clone(), upstream.to_string());
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let (s, f, up) = (s.clone(), f.clone(), up.clone());
                std::thread::spawn(move || connection(client, &up, s, f));
            }
        });
        Self { port, slot, fired }
    }

    /// Arms a kill; the previous one, if it never fired, is dropped.
    pub fn arm(&self, arm: Arm) {
        self.fired.store(false, Ordering::SeqCst);
        *self.slot.lock().unwrap() = Some(arm);
    }

    pub fn disarm(&self) {
        self.slot.lock().unwrap().take();
    }

    /// Whether the armed kill ran.
    pub fn fired(&self) -> bool {
        self.fired.load(Ordering::SeqCst)
    }
}

/// Proxies one connection; stops both directions once a kill ran on it.
fn connection(client: TcpStream, upstream: &str, slot: Slot, fired: Arc<AtomicBool>) {
    let Ok(server) = TcpStream::connect(upstream) else {
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    // Set by the daemon-to-server side when it forwarded a needle whose answer is watched.
    let pending: Arc<Mutex<Option<Arm>>> = Arc::default();
    let (c2, s2, p2, f2) = (
        client.try_clone().unwrap(),
        server.try_clone().unwrap(),
        pending.clone(),
        fired.clone(),
    );
    let back = std::thread::spawn(move || server_to_client(s2, c2, p2, f2));
    client_to_server(client, server, slot, pending, fired);
    let _ = back.join();
}

fn client_to_server(
    mut client: TcpStream,
    mut server: TcpStream,
    slot: Slot,
    pending: Arc<Mutex<Option<Arm>>>,
    fired: Arc<AtomicBool>,
) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match client.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let chunk = &buf[..n];
        let hit = {
            let mut s = slot.lock().unwrap();
            let matches = s
                .as_ref()
                .is_some_and(|a| contains(chunk, a.needle.as_bytes()));
            if matches { s.take() } else { None }
        };
        if let Some(arm) = hit {
            if arm.when == When::Request {
                fire(arm, &fired);
                break;
            }
            *pending.lock().unwrap() = Some(arm);
        }
        if server.write_all(chunk).is_err() {
            break;
        }
    }
    let _ = server.shutdown(Shutdown::Both);
    let _ = client.shutdown(Shutdown::Both);
}

fn server_to_client(
    mut server: TcpStream,
    mut client: TcpStream,
    pending: Arc<Mutex<Option<Arm>>>,
    fired: Arc<AtomicBool>,
) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match server.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let armed = pending.lock().unwrap().take();
        match armed {
            Some(arm) if arm.when == When::Reply => {
                fire(arm, &fired);
                break;
            }
            Some(arm) => {
                // The kill comes later on its own clock; the exchange goes on meanwhile
                // (an SMTP QUIT and its 221, the next HTTP request on this connection).
                let fired = fired.clone();
                std::thread::spawn(move || fire(arm, &fired));
                if client.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
            None => {
                if client.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = client.shutdown(Shutdown::Both);
    let _ = server.shutdown(Shutdown::Both);
}

fn fire(arm: Arm, fired: &AtomicBool) {
    if !arm.delay.is_zero() {
        // The seeded delay is the kill's position in time, not a wait for anything.
        std::thread::sleep(arm.delay);
    }
    // Marked first: the test may see the daemon gone before this thread runs again.
    fired.store(true, Ordering::SeqCst);
    (arm.kill)();
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}
