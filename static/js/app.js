/* Small touches for every page: times in the reader's own time zone, and
   selects that apply themselves. Everything works without this script. */
(function () {
  "use strict";

  var timeOnly = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" });
  var dayTime = new Intl.DateTimeFormat(undefined, {
    month: "short", day: "numeric", hour: "numeric", minute: "2-digit"
  });
  var weekday = new Intl.DateTimeFormat(undefined, { weekday: "short" });
  var day = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric" });
  var full = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

  function sameDay(a, b) {
    return a.toDateString() === b.toDateString();
  }

  function label(date, style) {
    var now = new Date();
    if (style === "long") return full.format(date);
    if (style === "short") {
      if (sameDay(date, now)) return timeOnly.format(date);
      if (now - date < 6 * 864e5) return weekday.format(date);
      return day.format(date);
    }
    return sameDay(date, now) ? timeOnly.format(date) : dayTime.format(date);
  }

  function localizeTimes(root) {
    (root || document).querySelectorAll("time[data-local]").forEach(function (el) {
      var date = new Date(el.getAttribute("datetime"));
      if (isNaN(date)) return;
      el.textContent = label(date, el.dataset.local);
      el.title = full.format(date);
    });
  }

  window.ClientBay = { localizeTimes: localizeTimes };

  document.addEventListener("DOMContentLoaded", function () {
    localizeTimes(document);
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
    // A form that sends texts is sent once: its send button waits after a
    // click (the server also refuses the same form twice).
    document.querySelectorAll("form[data-send-once]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        var button = event.submitter;
        if (!button || button.name) return;  // a search, not the send
        if (form.dataset.sending) {
          event.preventDefault();
          return;
        }
        form.dataset.sending = "1";
        button.setAttribute("aria-disabled", "true");
      });
    });
    // A menu in the top bar closes on a click elsewhere or on Escape.
    var menus = document.querySelectorAll("details[data-nav-menu]");
    document.addEventListener("click", function (event) {
      menus.forEach(function (menu) {
        if (menu.open && !menu.contains(event.target)) menu.open = false;
      });
    });
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") return;
      menus.forEach(function (menu) {
        if (menu.open) {
          menu.open = false;
          menu.querySelector("summary").focus();
        }
      });
    });
  });
})();
