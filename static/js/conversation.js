/* The conversation page: the composer's live character and segment count,
   template insertion, and a poll that brings new texts, delivery statuses
   and consent changes without a reload. */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("composer-config").textContent);
  var thread = document.getElementById("thread");
  var scroller = document.querySelector("[data-thread-scroll]");
  var gate = document.getElementById("gate");

  function plural(n, word) {
    return n + " " + word + (n === 1 ? "" : "s");
  }

  // --- The composer ----------------------------------------------------------
  function setUpComposer() {
    var form = gate.querySelector("[data-composer]");
    if (!form || form.dataset.ready) return;
    form.dataset.ready = "1";
    var box = form.querySelector("textarea");
    var max = parseInt(form.dataset.maxLength, 10);
    var send = form.querySelector("[data-send]");
    var countLine = form.querySelector("[data-count]");
    var ucs2 = form.querySelector("[data-ucs2-warning]");
    var replace = form.querySelector("[data-replace-smart]");
    var tooLong = form.querySelector("[data-too-long]");

    function update() {
      var c = window.ClientBaySegments.countSegments(box.value, config);
      var over = c.characters > max;
      countLine.querySelector("[data-characters]").textContent =
        c.characters.toLocaleString("en-US");
      countLine.querySelector("[data-segments]").textContent = plural(c.segments, "segment");
      countLine.querySelector("[data-encoding]").textContent = c.encoding;
      countLine.classList.toggle("is-over", over);
      ucs2.hidden = c.encoding !== "UCS-2";
      ucs2.querySelector("[data-non-gsm]").textContent = c.nonGsm.join(" ");
      replace.hidden = !c.hasSmartPunctuation;
      tooLong.hidden = !over;
      send.disabled = over;
      box.setAttribute("aria-invalid", over ? "true" : "false");
      box.style.height = "auto";
      box.style.height = Math.min(box.scrollHeight + 2, window.innerHeight * 0.4) + "px";
    }

    box.addEventListener("input", update);
    replace.addEventListener("click", function () {
      box.value = window.ClientBaySegments.replaceSmartPunctuation(box.value, config);
      update();
      box.focus();
    });
    box.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.metaKey || event.ctrlKey) && !send.disabled) {
        form.requestSubmit();
      }
    });
    form.addEventListener("submit", function () {
      send.disabled = true;
    });

    var picker = gate.querySelector("[data-template-picker]");
    if (picker) {
      picker.addEventListener("submit", function (event) {
        event.preventDefault();
        var option = picker.querySelector("select").selectedOptions[0];
        var text = option ? option.dataset.text : "";
        var start = box.selectionStart, end = box.selectionEnd;
        box.value = box.value.slice(0, start) + text + box.value.slice(end);
        box.selectionStart = box.selectionEnd = start + text.length;
        update();
        box.focus();
      });
    }
    update();
  }

  // --- The poll ---------------------------------------------------------------
  var cursor = thread.dataset.cursor;
  var interval = parseInt(thread.dataset.interval, 10) || 4000;
  var timer = null;
  var inFlight = false;

  function nearBottom() {
    return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 120;
  }

  function scrollToEnd() {
    scroller.scrollTop = scroller.scrollHeight;
  }

  function fragment(html) {
    var template = document.createElement("template");
    template.innerHTML = html.trim();
    return template.content.firstElementChild;
  }

  function applyMessages(messages) {
    var stick = nearBottom();
    var added = false;
    messages.forEach(function (item) {
      var current = document.getElementById("message-" + item.id);
      if (current && current.dataset.version === item.version) return;
      var node = fragment(item.html);
      if (current) {
        current.replaceWith(node);
      } else {
        thread.appendChild(node);
        added = true;
      }
      window.ClientBay.localizeTimes(node);
    });
    if (added) {
      document.querySelector("[data-thread-empty]").hidden = true;
      if (stick) scrollToEnd();
    }
  }

  function applyBadge(badge) {
    var slot = document.getElementById("consent-badge-slot");
    var current = slot.querySelector(".badge");
    if (current && current.dataset.state === badge.key) return;
    slot.innerHTML = badge.html;
    var row = document.querySelector('.convo[aria-current="true"] .badge');
    if (row) row.replaceWith(fragment(badge.html));
  }

  function applyGate(next) {
    if (gate.dataset.gateKey === next.key) return;
    gate.dataset.gateKey = next.key;
    gate.innerHTML = next.html;
    setUpComposer();
  }

  function poll() {
    if (inFlight) return;
    inFlight = true;
    window.clearTimeout(timer);
    var url = thread.dataset.pollUrl + "&since=" + encodeURIComponent(cursor);
    if (document.hidden) url += "&hidden=1";
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) {
        cursor = data.cursor;
        applyMessages(data.messages);
        applyBadge(data.badge);
        applyGate(data.gate);
      })
      .catch(function () { /* Try again at the next tick. */ })
      .then(function () {
        inFlight = false;
        timer = window.setTimeout(poll, interval);
      });
  }

  setUpComposer();
  scrollToEnd();
  timer = window.setTimeout(poll, interval);
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) poll();
  });
})();
