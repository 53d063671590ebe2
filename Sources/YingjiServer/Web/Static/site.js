// 应急指挥 — the live parts of the pages. Every page works without this file; it adds
// countdowns that follow the server's clock, live updates over server-sent events,
// confirmation before a move, and the duty desk's preview as the figures are typed.
(function () {
  "use strict";

  var body = document.body;
  var strings = {};
  try { strings = JSON.parse(body.getAttribute("data-strings") || "{}"); } catch (e) { strings = {}; }
  function t(key) { return strings["js." + key] || key; }

  // Server time minus this machine's time, so a duty PC with a wrong clock still counts right.
  var nowMeta = document.querySelector('meta[name="yingji-now"]');
  var skew = 0;
  if (nowMeta && !isNaN(Date.parse(nowMeta.content))) { skew = Date.parse(nowMeta.content) - Date.now(); }
  function now() { return Date.now() + skew; }

  var SOON_MS = 15 * 60 * 1000; // amber from a quarter of an hour before the deadline (the server's obligation.due_soon default)

  function span(ms) {
    var seconds = Math.floor(Math.abs(ms) / 1000);
    var days = Math.floor(seconds / 86400), hours = Math.floor(seconds % 86400 / 3600);
    var minutes = Math.floor(seconds % 3600 / 60), rest = seconds % 60;
    if (days > 0) { return days + " " + t("days") + " " + hours + " " + t("hours"); }
    if (hours > 0) { return hours + " " + t("hours") + " " + minutes + " " + t("minutes"); }
    return minutes + " " + t("minutes") + " " + (rest < 10 ? "0" : "") + rest + " " + t("seconds");
  }

  function tick() {
    var current = now();
    document.querySelectorAll("[data-due]").forEach(function (el) {
      var due = Date.parse(el.getAttribute("data-due"));
      if (isNaN(due)) { return; }
      var left = due - current;
      var state = left <= 0 ? "overdue" : left <= SOON_MS ? "soon" : "ok";
      el.textContent = left <= 0 ? t("overdue") + " " + span(left) : t("left") + " " + span(left);
      el.setAttribute("data-state", state);
      var row = el.closest("tr");
      if (row) { row.setAttribute("data-clock", state); }
    });
    document.querySelectorAll("[data-since]").forEach(function (el) {
      var since = Date.parse(el.getAttribute("data-since"));
      if (!isNaN(since)) { el.textContent = "（" + span(current - since) + t("ago") + "）"; }
    });
  }

  // Live regions: on an event about what this page shows, fetch the page again and swap in
  // each region, except one holding a form someone is typing in (never lose what is typed).
  function dirty(region) {
    var fields = region.querySelectorAll("input, textarea, select");
    for (var i = 0; i < fields.length; i++) {
      var field = fields[i];
      if (field.type === "hidden") { continue; }
      if (field === document.activeElement) { return true; }
      if (field.type === "checkbox" || field.type === "radio") {
        if (field.checked !== field.defaultChecked) { return true; }
      } else if (field.tagName === "SELECT") {
        // With no option marked selected the browser shows the first: that is untouched too.
        var initial = Array.prototype.findIndex.call(field.options, function (o) { return o.defaultSelected; });
        if (field.selectedIndex !== (initial < 0 ? 0 : initial)) { return true; }
      } else if (field.value !== field.defaultValue) { return true; }
    }
    return false;
  }

  var pageURL = body.getAttribute("data-url") || location.pathname + location.search;
  var reloadLink = document.querySelector("#live-notice a");
  if (reloadLink) { reloadLink.setAttribute("href", pageURL); }
  var refreshing = false, again = false;
  function refresh() {
    if (refreshing) { again = true; return; }
    refreshing = true;
    // The page's own address: after a refused form the browser is at the form's POST address.
    fetch(pageURL, { credentials: "same-origin", headers: { "Accept": "text/html" } }).then(function (response) {
      if (response.redirected || !response.ok) { throw new Error("status " + response.status); }
      return response.text();
    }).then(function (html) {
      var fresh = new DOMParser().parseFromString(html, "text/html");
      var held = false;
      document.querySelectorAll("[data-live-region]").forEach(function (region) {
        var replacement = fresh.getElementById(region.id);
        if (!replacement) { return; }
        if (dirty(region)) { held = true; return; }
        region.innerHTML = replacement.innerHTML;
      });
      var freshNow = fresh.querySelector('meta[name="yingji-now"]');
      if (freshNow && !isNaN(Date.parse(freshNow.content))) { skew = Date.parse(freshNow.content) - Date.now(); }
      document.getElementById("live-notice").hidden = !held;
      tick();
    }).catch(function () {
      document.getElementById("live-notice").hidden = false;
    }).then(function () {
      refreshing = false;
      if (again) { again = false; refresh(); }
    });
  }

  function listen(live) {
    if (!window.EventSource) { return; }
    var incident = live.indexOf("incident:") === 0 ? live.slice(9) : null;
    var warning = live.indexOf("warning:") === 0 ? live.slice(8) : null;
    var warnings = live === "warnings" || live === "public-warnings" || warning !== null;
    var source = new EventSource("/api/v1/events");
    function concerns(event) {
      if (!incident && !warning) { return true; }
      try {
        var data = JSON.parse(event.data);
        return warning ? data.warningID === warning : data.id === incident || data.incidentID === incident;
      } catch (e) { return false; }
    }
    // Warning pages follow the warnings; the incident pages and the board follow incidents.
    (warnings ? ["warning.changed", "warning.reported"]
      : ["incident.created", "incident.changed", "obligation.overdue", "obligation.due_soon", "task.escalated", "task.overdue"]).forEach(function (name) {
      source.addEventListener(name, function (event) { if (concerns(event)) { refresh(); } });
    });
    source.addEventListener("reset", refresh);
    source.addEventListener("open", function () { body.setAttribute("data-connected", "true"); });
    source.addEventListener("error", function () { body.setAttribute("data-connected", "false"); });
  }

  // A move is confirmed before it is sent; a form is sent once (its key makes a resend harmless).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { event.preventDefault(); return; }
    if (form.getAttribute("data-sent") === "true") { event.preventDefault(); return; }
    if (form.method.toLowerCase() === "post") {
      form.setAttribute("data-sent", "true");
      // If no answer comes (a lost connection), the form may be sent again; its key keeps that safe.
      setTimeout(function () { form.removeAttribute("data-sent"); }, 8000);
    }
  });
  // A page shown again from the back-forward cache starts with every form sendable.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-sent]").forEach(function (form) { form.removeAttribute("data-sent"); });
  });

  // The duty desk: the preview follows the typing (the same fragment the 预览 button renders).
  function desk(form) {
    var target = document.getElementById("preview-body");
    var timer = null, sequence = 0;
    function update() {
      // Only what the grade and the clocks depend on: names and the course of events stay out of URLs and logs.
      var wanted = (form.getAttribute("data-preview-fields") || "").split(" ");
      var data = new FormData(form), query = new URLSearchParams();
      data.forEach(function (value, key) { if (wanted.indexOf(key) >= 0) { query.append(key, value); } });
      var mine = ++sequence;
      fetch(form.getAttribute("data-preview") + "?" + query.toString(), { credentials: "same-origin" }).then(function (response) {
        if (!response.ok) { throw new Error("status " + response.status); }
        return response.text();
      }).then(function (html) {
        if (mine === sequence) { target.innerHTML = html; tick(); }
      }).catch(function () {
        if (mine === sequence) { target.textContent = t("previewFailed"); }
      });
    }
    form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(update, 250); });
    form.addEventListener("change", function () { clearTimeout(timer); timer = setTimeout(update, 50); });
  }

  tick();
  setInterval(tick, 1000);
  var live = body.getAttribute("data-live");
  if (live) { listen(live); }
  var deskForm = document.getElementById("desk-form");
  if (deskForm) { desk(deskForm); }
}());
