// Civil's side of the embed: runs inside the iframe that embed.js puts on a publisher's page.
// It talks only to its parent (the browser lets only allowed sites frame this page, see the
// frame's CSP), and only after the parent has said hello, so it knows the parent's origin.
(function () {
  "use strict";
  if (window.parent === window) return;
  var host = null; // the parent's origin, from its first message
  // The host's custom properties, and the properties of civil.css they set.
  var STYLES = {
    "--civil-font-family": ["--sans", "--serif"],
    "--civil-text": ["--text"],
    "--civil-background": ["--bg"],
    "--civil-accent": ["--accent", "--link"],
    "--civil-muted": ["--muted"],
    "--civil-radius": ["--radius"]
  };

  function send(message) {
    if (host) window.parent.postMessage(message, host);
  }

  var lastHeight = 0;
  function reportHeight() {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (host && height !== lastHeight) {
      lastHeight = height;
      send({ civil: "height", height: height });
    }
  }

  // Open and report where a comment is, for the parent to scroll its window there.
  function show(id) {
    var el = document.getElementById(id);
    if (!el) return;
    for (var p = el.parentElement; p; p = p.parentElement) {
      if (p.tagName === "DETAILS") p.open = true;
    }
    if (location.hash !== "#" + id) location.hash = id; // for :target's highlight
    reportHeight();
    send({ civil: "offset", top: Math.max(0, el.getBoundingClientRect().top + window.scrollY) });
  }

  function applyLook(styles, theme) {
    var root = document.documentElement.style;
    Object.keys(STYLES).forEach(function (name) {
      var value = styles && typeof styles[name] === "string" ? styles[name].trim() : "";
      if (value) STYLES[name].forEach(function (target) { root.setProperty(target, value); });
    });
    if (theme === "light" || theme === "dark") document.documentElement.setAttribute("data-theme", theme);
  }

  function csrfToken() {
    var field = document.querySelector("input[name=csrf_token]");
    return field ? field.value : "";
  }

  // Single sign-on: the token came by message (never in a URL, where logs and referrers would
  // keep it). Signed in, the frame reloads itself to show the reader's controls.
  function signIn(token) {
    if (document.body.getAttribute("data-signed-in") === "true" || !window.fetch) return;
    fetch("/api/v1/sso", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": csrfToken(), "Civil-Frame": "1" },
      body: JSON.stringify({ token: token })
    }).then(function (response) {
      if (response.ok) { location.reload(); return; }
      return response.json().then(function (body) {
        var note = document.createElement("p");
        note.className = "embed-note";
        note.setAttribute("role", "alert");
        note.textContent = "Signing you in failed: " + ((body && body.error && body.error.message) || response.status);
        document.getElementById("main").insertBefore(note, document.getElementById("main").firstChild);
        reportHeight();
      });
    }).catch(function () {});
  }

  window.addEventListener("message", function (e) {
    if (e.source !== window.parent || !e.data || typeof e.data !== "object") return;
    var m = e.data;
    if (m.civil === "init") {
      if (host && host !== e.origin) return;
      host = e.origin;
      applyLook(m.styles, m.theme);
      reportHeight();
      // The frame's own fragment (a comment just posted) before the page's (a link followed).
      var target = /^#comment-\d+$/.test(location.hash) ? location.hash : m.hash || "";
      if (/^#comment-\d+$/.test(target)) show(target.slice(1));
      if (typeof m.sso === "string" && m.sso) signIn(m.sso);
    } else if (e.origin === host && m.civil === "look") {
      applyLook(m.styles, "");
      reportHeight();
    } else if (e.origin === host && m.civil === "show" && /^comment-\d+$/.test(m.id || "")) {
      show(m.id);
    }
  });

  // Only the frame's own pages may be shown in it (the others send frame-ancestors 'none'): a
  // link to any other page of Civil (a profile, the moderation queue) opens in a new tab.
  var FRAMED = /^\/(embed\/frame$|articles\/[^/]+$|comments\/\d+(\/edit)?$|signin$|register$|password\/forgot$)/;
  document.addEventListener("click", function (e) {
    var a = e.target && e.target.closest ? e.target.closest("a[href]") : null;
    if (!a || a.target || a.origin !== location.origin || a.getAttribute("href").charAt(0) === "#") return;
    if (!FRAMED.test(a.pathname)) a.target = "_blank";
  });

  if (window.ResizeObserver) new ResizeObserver(reportHeight).observe(document.documentElement);
  window.addEventListener("load", reportHeight);
  // Nobody can be told anything before the parent says who it is.
  window.parent.postMessage({ civil: "ready" }, "*");
})();
