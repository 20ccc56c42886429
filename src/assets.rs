//! The static files, embedded in the binary so one file is the whole deployment. Pages link each
//! by a content-hashed name (`/assets/civil.3f2a9c1e.css`, from `url`), which browsers and
//! proxies may keep for a year: a new release that changes a file changes its name. The plain
//! names keep working for what publishers paste into their pages (`/assets/embed.js`,
//! `/assets/count.js`), with a short cache.

use std::sync::OnceLock;

use sha2::{Digest, Sha256};

pub struct File {
    pub name: &'static str,
    pub content_type: &'static str,
    /// As served: CSS and JavaScript minified (`minified`).
    pub bytes: Vec<u8>,
    /// `civil.3f2a9c1e.css`: the name with the first 8 hex digits of the content's SHA-256.
    pub hashed_name: String,
}

const FILES: &[(&str, &str, &[u8])] = &[
    ("civil.css", "text/css; charset=utf-8", include_bytes!("../assets/civil.css")),
    ("civil.js", "text/javascript; charset=utf-8", include_bytes!("../assets/civil.js")),
    ("civil-staff.js", "text/javascript; charset=utf-8", include_bytes!("../assets/civil-staff.js")),
    ("count.js", "text/javascript; charset=utf-8", include_bytes!("../assets/count.js")),
    ("embed.js", "text/javascript; charset=utf-8", include_bytes!("../assets/embed.js")),
    ("embed-frame.js", "text/javascript; charset=utf-8", include_bytes!("../assets/embed-frame.js")),
    ("embed.css", "text/css; charset=utf-8", include_bytes!("../assets/embed.css")),
    ("favicon.svg", "image/svg+xml", include_bytes!("../assets/favicon.svg")),
];

fn hashed(name: &str, bytes: &[u8]) -> String {
    let hex: String = Sha256::digest(bytes)[..4].iter().map(|b| format!("{b:02x}")).collect();
    match name.rsplit_once('.') {
        Some((stem, extension)) => format!("{stem}.{hex}.{extension}"),
        None => format!("{name}.{hex}"),
    }
}

/// CSS and JavaScript without their comments and spacing: the files in `assets/` stay readable,
/// and readers download a quarter less. A file the minifier cannot read is served as written.
fn minified(name: &str, bytes: &'static [u8]) -> Vec<u8> {
    let Ok(text) = std::str::from_utf8(bytes) else { return bytes.to_vec() };
    let small = match name.rsplit_once('.').map(|(_, extension)| extension) {
        Some("css") => minifier::css::minify(text).map(|m| m.to_string()).ok(),
        Some("js") => minifier::js::minify(text).map(|m| m.to_string()).ok(),
        _ => None,
    };
    small.map_or_else(|| bytes.to_vec(), String::into_bytes)
}

/// Every file, minified and with its hashed name, worked out once.
pub fn all() -> &'static [File] {
    static ALL: OnceLock<Vec<File>> = OnceLock::new();
    ALL.get_or_init(|| {
        FILES
            .iter()
            .map(|&(name, content_type, written)| {
                let bytes = minified(name, written);
                let hashed_name = hashed(name, &bytes);
                File { name, content_type, bytes, hashed_name }
            })
            .collect()
    })
}

/// The address pages link for the file `name` (one of ours: a typo is a bug, caught by tests).
pub fn url(name: &str) -> String {
    match all().iter().find(|file| file.name == name) {
        Some(file) => format!("/assets/{}", file.hashed_name),
        None => panic!("no asset named {name:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names_keep_the_extension_and_change_with_the_content() {
        assert_eq!(hashed("civil.css", b"a"), "civil.ca978112.css");
        assert_ne!(hashed("civil.css", b"a"), hashed("civil.css", b"b"));
        assert!(url("embed-frame.js").starts_with("/assets/embed-frame.") && url("embed-frame.js").ends_with(".js"));
    }

    /// The embed's script goes on publishers' pages: it stays small (before compression).
    #[test]
    fn the_embed_script_stays_under_ten_kilobytes() {
        let file = all().iter().find(|file| file.name == "embed.js").unwrap();
        assert!(file.bytes.len() < 10 * 1024, "embed.js is {} bytes", file.bytes.len());
    }
}

#[cfg(test)]
mod minified_tests {
    use super::*;

    /// Minifying must not break a script: each still parses (with node, where it is installed).
    #[test]
    fn minified_scripts_still_parse_and_are_smaller() {
        for file in all().iter().filter(|f| f.name.ends_with(".js") || f.name.ends_with(".css")) {
            let written = FILES.iter().find(|(name, _, _)| *name == file.name).unwrap().2;
            assert!(file.bytes.len() < written.len(), "{} is not smaller minified", file.name);
            if !file.name.ends_with(".js") {
                continue;
            }
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join(file.name);
            std::fs::write(&path, &file.bytes).unwrap();
            match std::process::Command::new("node").arg("--check").arg(&path).output() {
                Ok(out) => assert!(out.status.success(), "{}: {}", file.name, String::from_utf8_lossy(&out.stderr)),
                Err(_) => eprintln!("skipped the syntax check of {}: node is not installed", file.name),
            }
        }
    }
}
