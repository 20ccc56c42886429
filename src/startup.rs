//! Build the application: open the database, bind the listener (port 0 works, for tests), and
//! run until stopped.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::middleware::{from_fn, Compress};
use actix_web::{web, App as ActixApp, HttpServer};
use tracing_actix_web::TracingLogger;

use crate::clock::Clock;
use crate::config::Settings;
use crate::http::cache::ThreadCache;
use crate::http::security::{self, SecurityHeaders};
use crate::http::{observe, routes, State};
use crate::services::{accounts, App};

/// Blocks of this size and more get their own mapping from the system, returned when freed.
const LARGE_BLOCK: libc::c_int = 1024 * 1024;

/// Make glibc's allocator give large blocks back to the system when they are freed. Each
/// password hash takes 19 MiB (argon2id), on whichever blocking thread is free; by default glibc
/// raises its threshold for mapping a block apart to the largest block freed so far, after which
/// such blocks come from the thread's arena and stay resident there: a burst of sign-ups left
/// the server hundreds of MiB larger for good. Fixing the threshold also keeps glibc from
/// raising its trim threshold, so freed memory at the top of an arena goes back too.
pub fn give_large_blocks_back() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a parameter of the allocator; any value is valid to pass.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, LARGE_BLOCK);
    }
}

pub struct Application {
    port: u16,
    server: Server,
    pub app: App,
    /// The delivery worker and housekeeping, which stop with the server.
    worker: Option<std::sync::Arc<crate::outbox::Worker>>,
    housekeeping_stop: tokio::sync::watch::Sender<bool>,
    background: Vec<tokio::task::JoinHandle<()>>,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        Application::build_with_clock(settings, Clock::system()).await
    }

    /// `build`, reading time from `clock` (tests pass a movable one).
    pub async fn build_with_clock(settings: Settings, clock: Clock) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(&settings.listen)
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.listen))?;
        let port = listener.local_addr()?.port();
        let app = {
            let settings = settings.clone();
            tokio::task::spawn_blocking(move || App::open_with_clock(settings, clock)).await??
        };
        app.passwords.warm_up();
        if let Some(token) = accounts::issue_setup_token(&app).await? {
            let base = if settings.listen.ends_with(":0") {
                format!("http://127.0.0.1:{port}")
            } else {
                settings.base_url.clone()
            };
            tracing::warn!("No admin account exists yet. Create one at {base}/setup?token={token}");
        }
        let housekeeping_stop = tokio::sync::watch::channel(false).0;
        let mut background = vec![spawn_housekeeping(app.clone(), housekeeping_stop.subscribe())];
        // Live streams: read from the newest event on, before the first stream can open.
        let tip = crate::services::live::newest(&app).await?;
        background.push(tokio::spawn(crate::services::live::run(app.clone(), tip, housekeeping_stop.subscribe())));
        crate::services::live::spawn_listener(&app, housekeeping_stop.subscribe());
        let mut worker = None;
        if settings.worker {
            let mailer = crate::email::Mailer::with_connections(
                settings.smtp_url.as_deref(),
                &settings.mail_from,
                &settings.data_dir,
                settings.mail_connections,
            )?;
            let running = std::sync::Arc::new(crate::outbox::Worker::new(app.clone(), std::sync::Arc::new(mailer)));
            background.push(tokio::spawn(running.clone().run()));
            worker = Some(running);
        }
        let form_key = crate::services::tokens::form_key(&app).await?;
        let state = web::Data::new(State {
            app: app.clone(),
            form_key,
            thread_cache: ThreadCache::new(
                settings.thread_cache_size,
                settings.thread_cache_mb.saturating_mul(1 << 20),
            ),
        });
        crate::http::assets::prepare();
        let headers = SecurityHeaders::new(&settings);
        let server = HttpServer::new(move || {
            let headers = headers.clone();
            // The last `wrap` runs first: the headers go on every response, even one refused
            // for hostile bytes before any handler ran.
            ActixApp::new()
                .wrap(from_fn(crate::http::compress::dynamic))
                .wrap(Compress::default())
                .wrap(from_fn(crate::http::compress::vary))
                .wrap(from_fn(observe::record))
                .wrap(TracingLogger::default())
                .wrap(from_fn(move |req, next| security::add_headers(headers.clone(), req, next)))
                .app_data(state.clone())
                .app_data(web::FormConfig::default().limit(security::BODY_LIMIT))
                .configure(routes::configure)
        })
        .workers(settings.workers)
        // SIGTERM and SIGINT are ours (`run_until_signalled`), so the worker stops with the server.
        .disable_signals()
        .listen(listener)?
        .run();
        tracing::info!(port, "Civil is serving");
        Ok(Application { port, server, app, worker, housekeeping_stop, background })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }

    /// Serve until SIGTERM or SIGINT, then stop gracefully: no new connections; requests in
    /// flight are answered (for up to 30 s); the delivery worker claims nothing more and finishes
    /// and records the conversations it has started; housekeeping finishes its round.
    pub async fn run_until_signalled(self) -> anyhow::Result<()> {
        let Application { server, worker, housekeeping_stop, background, app, .. } = self;
        let handle = server.handle();
        tokio::pin!(server);
        let served = tokio::select! {
            served = &mut server => served,
            signal = shutdown_signal() => {
                tracing::info!(signal, "stopping: finishing the requests and e-mails in flight");
                if let Some(worker) = &worker {
                    worker.stop();
                }
                housekeeping_stop.send_replace(true);
                // Open event streams would hold the graceful stop for its whole timeout.
                app.live.close();
                // The stop command is sent at once; the server future must be polled to carry it out.
                drop(handle.stop(true));
                server.await
            }
        };
        if let Some(worker) = &worker {
            worker.stop();
        }
        housekeeping_stop.send_replace(true);
        for task in background {
            let _ = task.await;
        }
        tracing::info!("stopped");
        Ok(served?)
    }
}

/// The name of the first of SIGTERM or SIGINT to arrive.
pub async fn shutdown_signal() -> &'static str {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) else {
        tracing::error!("cannot listen for SIGTERM and SIGINT; stop with SIGKILL");
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    }
}

/// Once a minute: close discussions past the auto-close setting, prune the live event log, and send the weekly digest
/// when its time has come. A round in progress finishes before `stop` ends it.
fn spawn_housekeeping(app: App, mut stop: tokio::sync::watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stop.wait_for(|stopping| *stopping) => return,
            }
            if let Err(error) = crate::services::threads::close_expired_threads(&app).await {
                tracing::warn!(error = ?error, "closing expired threads failed");
            }
            if let Err(error) = crate::services::live::prune(&app).await {
                tracing::warn!(error = ?error, "pruning the live event log failed");
            }
            if let Some(schedule) = app.settings.digest_schedule {
                match crate::services::newsletter::send_scheduled_digest(&app, schedule).await {
                    Ok(Some(issue)) => tracing::info!(issue, "weekly digest queued"),
                    Ok(None) => {}
                    Err(error) => tracing::warn!(error = ?error, "sending the weekly digest failed"),
                }
            }
        }
    })
}
