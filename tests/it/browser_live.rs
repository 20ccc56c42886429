//! In a browser: a reader sees a comment another reader posts arrive, without reloading.
