//! A real SMTP receiver for the tests, on a local port (mailin-embedded), that can be told to
//! accept, refuse for now (451), refuse for good (550), or answer slowly.

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
        response::OK
    }

    fn rcpt(&mut self, to: &str) -> Response {
        match *self.mode.lock().unwrap() {
            Mode::RefusePermanent => return response::NO_MAILBOX,
            Mode::RefuseTransient => return Response::custom(451, "Try again later".to_owned()),
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
}

impl SmtpSink {
    pub fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let mode = Arc::new(Mutex::new(Mode::Accept));
        let handler = Sink { received: received.clone(), mode: mode.clone(), to: Vec::new(), data: Vec::new() };
        let mut server = Server::new(handler);
        server.with_name("sink.test").with_num_threads(4).with_tcp_listener(listener);
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        SmtpSink { port, received, mode }
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
