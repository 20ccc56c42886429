// Civil comment counts for article lists: fills every <span data-civil-count="URL"> on the
// page with its number of comments, in one request. No dependencies; if Civil is slow or
// absent the spans keep whatever they held.
//   <script src="https://comments.example.com/assets/count.js" async></script>
(function () {
  "use strict";
  var script = document.currentScript;
  var base = script ? new URL(script.src, location.href).origin : "";
  function fill() {
    var spans = Array.prototype.slice.call(document.querySelectorAll("[data-civil-count]"));
    var urls = [];
    spans.forEach(function (span) {
      var url = new URL(span.getAttribute("data-civil-count"), location.href).href;
      span.civilUrl = url;
      if (urls.indexOf(url) < 0) urls.push(url);
    });
    // The API answers at most 100 URLs at once.
    for (var i = 0; i < urls.length; i += 100) {
      var query = urls.slice(i, i + 100).map(function (u) { return "url=" + encodeURIComponent(u); }).join("&");
      fetch(base + "/api/v1/counts?" + query, { credentials: "omit" })
        .then(function (r) { return r.ok ? r.json() : { counts: {} }; })
        .then(function (body) {
          spans.forEach(function (span) {
            var n = body.counts[span.civilUrl];
            if (typeof n === "number") {
              span.textContent = n === 1 ? "1 comment" : n + " comments";
              span.setAttribute("data-civil-count-value", String(n));
            }
          });
        })
        .catch(function () {});
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fill);
  else fill();
})();
