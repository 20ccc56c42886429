//! A real SMTP receiver for the tests, on a local port (mailin-embedded), that can be told to
//! accept, refuse for now (451), refuse for good (550), answer slowly, or fail the way relays do
//! when the fault is theirs or the sender's configuration (a policy refusal after DATA, relaying
//! denied, authentication required). `AuthRefusingRelay` refuses every password.

use std::io;
use std::net::{IpAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mailin_embedded::{response, Handler, Response, Server};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Accept,
    RefuseTransient,
    RefusePermanent,
    Slow(Duration),
    /// RCPT answered `550 5.7.1 Relaying denied`: the relay will not take mail from us at all.
    RelayingDenied,
    /// MAIL answered `530 5.7.0 Authentication required`: we are not signed in to the relay.
    AuthRequired,
    /// The message answered `554 5.7.1` after DATA: the relay's policy refuses what we send.
    PolicyRefusal,
}

#[derive(Debug, Clone)]
pub struct Received {
    pub to: Vec<String>,
    pub data: String,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<String> {
        let prefix = format!("{}:", name.to_ascii_lowercase());
        self.data
            .lines()
            .take_while(|l| !l.is_empty())
            .find(|l| l.to_ascii_lowercase().starts_with(&prefix))
            .map(|l| l[prefix.len()..].trim().to_owned())
    }

    /// The first link in the message under `path`, e.g. "/newsletter/confirm/".
    pub fn link(&self, path: &str) -> Option<String> {
        let unfolded = self.data.replace("=\r\n", "").replace("=\n", "");
        let start = unfolded.find(path)?;
        let before = unfolded[..start].rfind("http")?;
        let end = unfolded[start..]
            .find(|c: char| c.is_whitespace() || c == '"' || c == '<' || c == '>')
            .map_or(unfolded.len(), |e| start + e);
        Some(unfolded[before..end].to_owned())
    }
}

#[derive(Clone)]
struct Sink {
    received: Arc<Mutex<Vec<Received>>>,
    mode: Arc<Mutex<Mode>>,
    /// Addresses whose mailbox does not exist: RCPT gets `550 5.1.1`, whatever the mode.
    unknown: Arc<Mutex<Vec<String>>>,
    to: Vec<String>,
    data: Vec<u8>,
}

impl Handler for Sink {
    fn helo(&mut self, _ip: IpAddr, _domain: &str) -> Response {
        self.to.clear();
        response::OK
    }

    fn mail(&mut self, _ip: IpAddr, _domain: &str, _from: &str) -> Response {
        self.to.clear();
        self.data.clear();
        if *self.mode.lock().unwrap() == Mode::AuthRequired {
            return Response::custom(530, "5.7.0 Authentication required".to_owned());
        }
        response::OK
    }

    fn rcpt(&mut self, to: &str) -> Response {
        if self.unknown.lock().unwrap().iter().any(|a| a.eq_ignore_ascii_case(to)) {
            return Response::custom(550, "5.1.1 No such user here".to_owned());
        }
        match *self.mode.lock().unwrap() {
            Mode::RefusePermanent => return response::NO_MAILBOX,
            Mode::RefuseTransient => return Response::custom(451, "Try again later".to_owned()),
            Mode::RelayingDenied => return Response::custom(550, "5.7.1 Relaying denied".to_owned()),
            _ => {}
        }
        self.to.push(to.to_owned());
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let mode = *self.mode.lock().unwrap();
        if let Mode::Slow(delay) = mode {
            std::thread::sleep(delay);
        }
        if mode == Mode::PolicyRefusal {
            self.to.clear();
            self.data.clear();
            return Response::custom(554, "5.7.1 Message refused by policy".to_owned());
        }
        let message = Received {
            to: std::mem::take(&mut self.to),
            data: String::from_utf8_lossy(&std::mem::take(&mut self.data)).into_owned(),
        };
        self.received.lock().unwrap().push(message);
        response::OK
    }
}

pub struct SmtpSink {
    pub port: u16,
    received: Arc<Mutex<Vec<Received>>>,
    mode: Arc<Mutex<Mode>>,
    unknown: Arc<Mutex<Vec<String>>>,
}

impl SmtpSink {
    pub fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let mode = Arc::new(Mutex::new(Mode::Accept));
        let unknown = Arc::new(Mutex::new(Vec::new()));
        let handler = Sink {
            received: received.clone(),
            mode: mode.clone(),
            unknown: unknown.clone(),
            to: Vec::new(),
            data: Vec::new(),
        };
        let mut server = Server::new(handler);
        // As many conversations at once as the server's default mail_connections, so a slow
        // sink holds every sender at once.
        server.with_name("sink.test").with_num_threads(16).with_tcp_listener(listener);
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        SmtpSink { port, received, mode, unknown }
    }

    /// From now on, refuse this address at RCPT as a mailbox that does not exist.
    pub fn unknown_mailbox(&self, address: &str) {
        self.unknown.lock().unwrap().push(address.to_owned());
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn set_mode(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    pub fn messages(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    pub fn to(&self, address: &str) -> Vec<Received> {
        self.messages().into_iter().filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(address))).collect()
    }
}

/// A relay that offers AUTH and refuses every password (`535 5.7.8`), as a relay does when the
/// configured credentials are wrong. It speaks just enough SMTP for a client to get that far.
pub struct AuthRefusingRelay {
    pub port: u16,
    pub attempts: Arc<Mutex<u32>>,
}

impl AuthRefusingRelay {
    pub fn start() -> AuthRefusingRelay {
        use std::io::{BufRead, BufReader, Write};
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let attempts = Arc::new(Mutex::new(0));
        let counter = attempts.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let counter = counter.clone();
                std::thread::spawn(move || {
                    let mut out = stream.try_clone().unwrap();
                    let mut lines = BufReader::new(stream);
                    let _ = out.write_all(b"220 relay.test ESMTP\r\n");
                    let mut line = String::new();
                    while lines.read_line(&mut line).unwrap_or(0) > 0 {
                        let command = line.trim().to_ascii_uppercase();
                        let reply: &[u8] = if command.starts_with("EHLO") {
                            b"250-relay.test\r\n250 AUTH PLAIN LOGIN\r\n"
                        } else if command.starts_with("AUTH") {
                            *counter.lock().unwrap() += 1;
                            b"535 5.7.8 Authentication credentials invalid\r\n"
                        } else if command.starts_with("QUIT") {
                            let _ = out.write_all(b"221 Bye\r\n");
                            break;
                        } else if command.starts_with("NOOP") || command.starts_with("RSET") {
                            b"250 OK\r\n"
                        } else {
                            b"530 5.7.0 Authentication required\r\n"
                        };
                        if out.write_all(reply).is_err() {
                            break;
                        }
                        line.clear();
                    }
                });
            }
        });
        AuthRefusingRelay { port, attempts }
    }

    /// A relay URL with a user name and a (wrong) password.
    pub fn url(&self) -> String {
        format!("smtp://civil:wrong-password@127.0.0.1:{}", self.port)
    }
}
