//! The accessibility scan and the screenshots: axe-core, injected into each page in headless
//! Chromium, must find no serious or critical violation, in light and in dark mode; every page
//! is photographed at 375 px and 1280 px (under `target/screenshots`), nothing scrolls
//! sideways on the phone, and the page's content lines up with the site header. One browser visits every page.
//!
//! axe-core comes from npm (`.ci/run` installs it and sets `CIVIL_AXE_JS` to its `axe.min.js`);
//! without it the test is skipped, except under CI, where it must be there.

use std::path::PathBuf;

use civil::domain::role::Role;
use fantoccini::Client;
use serde_json::{json, Value};

use crate::browser::{browser, cdp, click, fill, Driver};
use crate::helpers::*;

/// Scanned signed out, as (name, path).
const SIGNED_OUT: &[(&str, &str)] = &[
    ("home", "/"),
    ("article", "/articles/budget"),
    ("sign-in", "/signin"),
    ("register", "/register"),
    ("profile", "/users/ada"),
    ("newsletter", "/newsletter"),
];

/// Scanned as an admin, who sees every page, the reader's own `/account` included.
const SIGNED_IN: &[(&str, &str)] = &[
    ("account", "/account"),
    ("article-signed-in", "/articles/budget"),
    ("moderation", "/moderation?tab=reported"),
    ("moderation-log", "/moderation/log"),
    ("admin", "/admin"),
    ("admin-settings", "/admin/settings"),
    ("admin-users", "/admin/users"),
    ("admin-newsletter", "/admin/newsletter"),
    ("newsletter-editor", "/admin/newsletter/issues/new"),
    ("newsletter-issue", "/admin/newsletter/issues/1"),
];

const WIDTHS: [u32; 2] = [375, 1280];
const SCHEMES: [&str; 2] = ["light", "dark"];

fn axe_script() -> Option<String> {
    let Some(path) = std::env::var_os("CIVIL_AXE_JS") else {
        assert!(std::env::var_os("CI").is_none(), "CI must install axe-core and set CIVIL_AXE_JS (see .ci/run)");
        eprintln!("skipped: set CIVIL_AXE_JS to axe-core's axe.min.js (npm install axe-core)");
        return None;
    };
    Some(std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("CIVIL_AXE_JS={}: {e}", path.to_string_lossy())))
}

fn screenshots_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn viewport(c: &Client, driver: &Driver, width: u32) {
    let params = json!({"width": width, "height": if width < 600 { 812 } else { 1000 }, "deviceScaleFactor": 1, "mobile": width < 600});
    cdp(c, driver, "Emulation.setDeviceMetricsOverride", params).await;
}

async fn color_scheme(c: &Client, driver: &Driver, scheme: &str) {
    let params = json!({"features": [{"name": "prefers-color-scheme", "value": scheme}]});
    cdp(c, driver, "Emulation.setEmulatedMedia", params).await;
}

/// axe's serious and critical violations on the page, one line each.
async fn violations(c: &Client, axe: &str) -> Vec<String> {
    c.execute(axe, vec![]).await.expect("axe-core loads");
    let found = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { resultTypes: ['violations'] }).then(r => done(r.violations
               .filter(v => v.impact === 'serious' || v.impact === 'critical')
               .map(v => v.impact + ' ' + v.id + ': ' + v.help + ' | ' +
                 v.nodes.slice(0, 4).map(n => n.target.join(' ') + ' (' + (n.failureSummary || '').replace(/\\s+/g, ' ') + ')').join(' ; '))),
               e => done(['axe failed: ' + e]));",
            vec![],
        )
        .await
        .expect("axe runs");
    found.as_array().unwrap().iter().map(|v| v.as_str().unwrap_or_default().to_owned()).collect()
}

async fn scan(c: &Client, driver: &Driver, axe: &str, base: &str, name: &str, path: &str, problems: &mut Vec<String>) {
    c.goto(&format!("{base}{path}")).await.unwrap();
    for scheme in SCHEMES {
        color_scheme(c, driver, scheme).await;
        for width in WIDTHS {
            viewport(c, driver, width).await;
            if width < 600 {
                let sizes: Value = c
                    .execute("return [document.documentElement.scrollWidth, window.innerWidth];", vec![])
                    .await
                    .unwrap();
                let (scroll, inner) = (sizes[0].as_i64().unwrap(), sizes[1].as_i64().unwrap());
                if scroll > inner {
                    problems.push(format!("{name} ({path}) scrolls sideways at {width} px: {scroll} > {inner}"));
                }
            }
            // The page's content starts where the header's does, at every width.
            let edges: Value = c
                .execute(
                    "const inner = el => { const r = el.getBoundingClientRect(), s = getComputedStyle(el);
                       return r.left + parseFloat(s.paddingLeft); };
                     return [inner(document.querySelector('header.site .wrap')), inner(document.querySelector('main'))];",
                    vec![],
                )
                .await
                .unwrap();
            let (header, main) = (edges[0].as_f64().unwrap(), edges[1].as_f64().unwrap());
            if (header - main).abs() > 1.0 {
                problems.push(format!(
                    "{name} ({path}) at {width} px: the header starts at {header} px, the page at {main} px"
                ));
            }
            let shot =
                cdp(c, driver, "Page.captureScreenshot", json!({"format": "png", "captureBeyondViewport": true})).await;
            use base64::Engine;
            let png = base64::engine::general_purpose::STANDARD.decode(shot["data"].as_str().unwrap()).unwrap();
            std::fs::write(screenshots_dir().join(format!("{name}-{width}-{scheme}.png")), png).unwrap();
            for violation in violations(c, axe).await {
                problems.push(format!("{name} ({path}) {scheme} {width} px: {violation}"));
            }
        }
    }
}

#[tokio::test]
async fn every_kind_of_page_passes_axe_in_light_and_dark_and_fits_a_phone() {
    let Some(axe) = axe_script() else { return };
    let Some((c, driver)) = browser().await else { return };
    let app = spawn().await;
    app.article("budget").await;
    app.site_settings(|s| {
        s.policy.new_commenter_comments = 0;
        s.policy.new_commenter_days = 0;
    })
    .await;
    let ada = app.reader("ada").await;
    let bob = app.reader("bob").await;
    let first = ada.comment("budget", "The council should publish the **whole** budget, line by line.").await;
    bob.reply("budget", first, "Agreed, and before the vote rather than after it.").await;
    let flagged = bob.comment("budget", "Buy cheap watches at my shop, best prices in town!").await;
    ada.api_post(&format!("/api/v1/comments/{flagged}/flags"), json!({"reason": "spam"})).await;
    let admin = app.signed_in("chief", Role::Admin).await;
    let issue = admin
        .submit(
            "/admin/newsletter/issues/new",
            "/admin/newsletter/issues",
            &[("subject", "This week"), ("body", "Hello *readers*.")],
        )
        .await;
    assert_eq!(issue.location(), "/admin/newsletter/issues/1", "SIGNED_IN names issue 1");

    let mut problems = Vec::new();
    for (name, path) in SIGNED_OUT {
        scan(&c, &driver, &axe, &app.address, name, path, &mut problems).await;
    }
    c.goto(&format!("{}/signin", app.address)).await.unwrap();
    fill(&c, "#login", "chief").await;
    fill(&c, "#password", PASSWORD).await;
    click(&c, "section.auth button[type=submit]").await;
    c.wait().for_element(fantoccini::Locator::Css("form[action='/signout']")).await.unwrap();
    for (name, path) in SIGNED_IN {
        scan(&c, &driver, &axe, &app.address, name, path, &mut problems).await;
    }
    c.close().await.unwrap();
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}
