/* The inbox: a poll that brings new conversations, their last texts, unread
   counts and consent badges without a reload. The page works without it. */
(function () {
  "use strict";

  var box = document.querySelector("[data-live-list]");
  if (!box) return;
  var interval = parseInt(box.dataset.interval, 10) || 4000;
  var shown = null;
  var timer = null;
  var inFlight = false;

  function apply(html) {
    if (html === shown) return;
    // Keyboard users keep their place: a list they are in waits for the
    // next tick after they leave it.
    if (box.contains(document.activeElement)) return;
    box.innerHTML = html;
    shown = html;
    window.ClientBay.localizeTimes(box);
  }

  function poll() {
    window.clearTimeout(timer);
    if (inFlight || document.hidden) return;
    inFlight = true;
    fetch(box.dataset.liveList, { headers: { Accept: "text/html" }, credentials: "same-origin" })
      .then(function (response) {
        // A redirect means the session ended: leave the list as it was.
        if (!response.ok || response.redirected) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(apply)
      .catch(function () { /* Try again at the next tick. */ })
      .then(function () {
        inFlight = false;
        timer = window.setTimeout(poll, interval);
      });
  }

  timer = window.setTimeout(poll, interval);
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) poll();
  });
})();
