//! The connection under the IMAP client: plain TCP, or TLS (implicit, or after STARTTLS) through
//! rustls with Mozilla's root certificates, the same stack outgoing mail uses through lettre.

use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};

/// Per address tried.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);
/// A server silent this long is treated as gone, so a poll never hangs the poller.
const IO_TIMEOUT: Duration = Duration::from_secs(60);
/// Longest line accepted before TLS starts (the greeting and the STARTTLS answer).
const MAX_LINE: usize = 8 * 1024;

pub enum Stream {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    Tls,
    StartTls,
    None,
}

impl Security {
    /// From the validated `imap_security` key.
    pub fn parse(value: &str) -> Security {
        match value {
            "starttls" => Security::StartTls,
            "none" => Security::None,
            _ => Security::Tls,
        }
    }
}

/// Connects and secures the connection. Returns the stream and whether the server's greeting
/// was already read (STARTTLS reads it before TLS starts; no second one follows).
pub fn connect(host: &str, port: u16, security: Security) -> Result<(Stream, bool), String> {
    let tcp = tcp(host, port)?;
    match security {
        Security::None => Ok((Stream::Plain(tcp), false)),
        Security::Tls => Ok((tls(host, tcp)?, false)),
        Security::StartTls => {
            let mut tcp = tcp;
            starttls(&mut tcp)?;
            Ok((tls(host, tcp)?, true))
        }
    }
}

fn tcp(host: &str, port: u16) -> Result<TcpStream, String> {
    let addrs = (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {host}: {e}"))?;
    let mut last = format!("{host} has no address");
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT) {
            Ok(s) => {
                s.set_read_timeout(Some(IO_TIMEOUT))
                    .and_then(|()| s.set_write_timeout(Some(IO_TIMEOUT)))
                    .map_err(|e| format!("cannot set timeouts: {e}"))?;
                return Ok(s);
            }
            Err(e) => last = format!("cannot connect to {addr}: {e}"),
        }
    }
    Err(last)
}

/// TLS with the public web PKI roots; the handshake is done here so that a certificate problem
/// is reported as one rather than as a failed read later.
fn tls(host: &str, tcp: TcpStream) -> Result<Stream, String> {
    let roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let config =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS setup: {e}"))?
            .with_root_certificates(roots)
            .with_no_client_auth();
    let name = ServerName::try_from(host.to_string())
        .map_err(|e| format!("{host:?} cannot be checked against a certificate: {e}"))?;
    let conn =
        ClientConnection::new(Arc::new(config), name).map_err(|e| format!("TLS setup: {e}"))?;
    let mut stream = StreamOwned::new(conn, tcp);
    while stream.conn.is_handshaking() {
        stream
            .conn
            .complete_io(&mut stream.sock)
            .map_err(|e| format!("TLS handshake with {host}: {e}"))?;
    }
    Ok(Stream::Tls(Box::new(stream)))
}

/// Reads the greeting and asks for TLS (RFC 3501 6.2.1), on the bare socket.
fn starttls(tcp: &mut TcpStream) -> Result<(), String> {
    let greeting = read_line(tcp)?;
    if !greeting.starts_with("* OK") {
        return Err(format!("unexpected greeting: {}", greeting.trim_end()));
    }
    tcp.write_all(b"S0 STARTTLS\r\n")
        .map_err(|e| format!("sending STARTTLS: {e}"))?;
    loop {
        let line = read_line(tcp)?;
        // Untagged lines (a capability list) may come first.
        if line.starts_with("* ") {
            continue;
        }
        if line.starts_with("S0 OK") {
            return Ok(());
        }
        return Err(format!("STARTTLS refused: {}", line.trim_end()));
    }
}

/// One line, read a byte at a time: nothing past it may be consumed, since TLS starts right
/// after the STARTTLS answer.
fn read_line(tcp: &mut TcpStream) -> Result<String, String> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while line.len() < MAX_LINE {
        match tcp.read(&mut byte) {
            Ok(0) => return Err("the server closed the connection".into()),
            Ok(_) => {
                line.push(byte[0]);
                if byte[0] == b'\n' {
                    return Ok(String::from_utf8_lossy(&line).into_owned());
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("reading from the server: {e}")),
        }
    }
    Err("the server sent an overlong line".into())
}
