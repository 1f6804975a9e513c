// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // Resend cooldown: disable "Send a new code" and count down on screen.
  // The page says how many milliseconds are left as it was made; they are
  // counted from when it loaded on the monotonic clock, so a device whose
  // clock is wrong counts right.
  var loaded = performance.now();
  function tick() {
    var now = performance.now() - loaded, pending = false;
    document.querySelectorAll("[data-cooldown-ms]").forEach(function (b) {
      var left = Math.ceil((Number(b.dataset.cooldownMs) - now) / 1000);
      b.disabled = left > 0;
      if (left > 0) pending = true;
    });
    document.querySelectorAll("[data-cooldown-note-ms]").forEach(function (p) {
      var left = Math.ceil((Number(p.dataset.cooldownNoteMs) - now) / 1000);
      p.textContent = left > 0 ? "You can ask for a new code in " + left + (left === 1 ? " second." : " seconds.") : "";
    });
    if (pending) setTimeout(tick, 1000);
  }
  // Code lifetime: a screen left open until the code expires says so
  // instead of how long the code works.
  function expiry() {
    document.querySelectorAll("[data-expires-in]").forEach(function (el) {
      setTimeout(function () { el.textContent = el.dataset.expiredNote; }, 1000 * Number(el.dataset.expiresIn));
    });
  }
  // WebOTP: offer the code from the text message (its last line names this site).
  function webOTP() {
    var input = document.querySelector('input[autocomplete="one-time-code"]');
    if (!input || !("OTPCredential" in window)) return;
    var ac = new AbortController();
    input.form.addEventListener("submit", function () { ac.abort(); });
    navigator.credentials.get({ otp: { transport: ["sms"] }, signal: ac.signal }).then(function (otp) {
      if (otp && otp.code) { input.value = otp.code; input.form.submit(); }
    }).catch(function () {});
  }
  // Delivery status: while the message is on its way, ask the portal now
  // and then, and show the screen again once it has gone out (or not).
  function pollDelivery() {
    var el = document.querySelector("[data-delivery-poll]");
    if (!el || !window.fetch) return;
    var tries = 0;
    (function ask() {
      if (++tries > 90) return;
      fetch(el.dataset.deliveryPoll, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (s) {
          if (!s) return;
          if (s.status === "queued" || s.status === "sending") { setTimeout(ask, 1500); return; }
          var code = document.querySelector('input[autocomplete="one-time-code"]');
          if (code && code.value) return; // never throw away what is being typed
          location.reload();
        })
        .catch(function () { setTimeout(ask, 3000); });
    })();
  }
  document.addEventListener("DOMContentLoaded", function () {
    tick();
    expiry();
    pollDelivery();
    webOTP();
    var summary = document.getElementById("error-summary");
    if (summary) summary.focus();
  });
})();
