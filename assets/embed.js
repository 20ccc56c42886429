// Civil's discussion on a publisher's page:
//   <div id="civil-thread" data-civil-url="https://news.example.com/2026/ai-story"></div>
//   <script src="https://comments.example.com/assets/embed.js" async></script>
// Optional attributes: data-civil-title (else the page's title), data-civil-theme ("light" or
// "dark"; else the reader's preference), data-civil-sso (a single sign-on token).
// No dependencies, nothing synchronous: a slow or absent Civil leaves the page as it was, with
// a short note at most.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !window.postMessage) return;
  var civil = new URL(script.src, location.href).origin;
  var STYLES = ["--civil-font-family", "--civil-text", "--civil-background", "--civil-accent", "--civil-muted", "--civil-radius"];

  function note(box, text) {
    var p = document.createElement("p");
    p.className = "civil-note";
    p.textContent = text;
    box.appendChild(p);
    return p;
  }

  function start() {
    var box = document.getElementById("civil-thread");
    if (!box || box.getAttribute("data-civil-started")) return;
    box.setAttribute("data-civil-started", "true");
    var url = box.getAttribute("data-civil-url") || location.href.split("#")[0];
    var title = box.getAttribute("data-civil-title") || document.title;
    var sso = box.getAttribute("data-civil-sso");
    var frame = document.createElement("iframe");
    frame.src = civil + "/embed/frame?url=" + encodeURIComponent(url) + (title ? "&title=" + encodeURIComponent(title) : "");
    frame.title = "Discussion";
    // Civil lets only the article's own site start its thread, and knows the site by this.
    frame.referrerPolicy = "origin";
    frame.setAttribute("scrolling", "no");
    frame.style.width = "100%";
    frame.style.border = "0";
    frame.style.display = "block";
    frame.style.height = "12rem";
    var heard = false;
    var first = true;
    var failed = null;
    // The frame says "ready" as its page loads. A page that Civil refused to show here, or no
    // Civil at all, says nothing: the reader gets a short note instead of an empty box.
    function giveUp() {
      if (heard || failed) return;
      frame.style.display = "none";
      failed = note(box, "The discussion could not be loaded.");
    }
    var timer = setTimeout(giveUp, 15000);
    frame.addEventListener("load", function () { if (!heard) setTimeout(giveUp, 2000); });

    function look() {
      var computed = getComputedStyle(box);
      var styles = {};
      STYLES.forEach(function (name) {
        var value = computed.getPropertyValue(name).trim();
        if (value) styles[name] = value;
      });
      return styles;
    }

    function tell(message) {
      if (frame.contentWindow) frame.contentWindow.postMessage(message, civil);
    }

    function commentInHash() {
      return /^#comment-\d+$/.test(location.hash) ? location.hash : "";
    }

    window.addEventListener("message", function (e) {
      // Only Civil's origin, and only this frame: other frames on the page are none of ours.
      if (e.origin !== civil || e.source !== frame.contentWindow || !e.data || typeof e.data !== "object") return;
      var m = e.data;
      if (m.civil === "ready") {
        heard = true;
        clearTimeout(timer);
        if (failed) { box.removeChild(failed); failed = null; }
        frame.style.display = "block";
        // The page's own link to a comment counts on the first load only, not after each form.
        tell({ civil: "init", styles: look(), theme: box.getAttribute("data-civil-theme") || "", hash: first ? commentInHash() : "", sso: sso || "" });
        first = false;
        sso = null; // a token works once; a reload of the frame has no use for it
      } else if (m.civil === "height" && typeof m.height === "number" && m.height > 0) {
        frame.style.height = Math.ceil(m.height) + "px";
      } else if (m.civil === "offset" && typeof m.top === "number") {
        var top = frame.getBoundingClientRect().top + window.pageYOffset + m.top;
        window.scrollTo(0, Math.max(0, top - 16));
      }
    });

    window.addEventListener("hashchange", function () {
      var hash = commentInHash();
      if (hash) tell({ civil: "show", id: hash.slice(1) });
    });

    // Follows the reader's light or dark mode when the page sets no theme.
    if (window.matchMedia && !box.getAttribute("data-civil-theme")) {
      var scheme = window.matchMedia("(prefers-color-scheme: dark)");
      var relook = function () { tell({ civil: "look", styles: look() }); };
      if (scheme.addEventListener) scheme.addEventListener("change", relook);
    }
    box.appendChild(frame);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
