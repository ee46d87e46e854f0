// Mooring operator page, part 1 of 5: the API client, DOM building and times.
// The page's scripts are concatenated into /ui/app.js (see page.rs) and share one
// scope. Nothing here writes HTML: every text from the API goes through text nodes,
// attributes through setAttribute, and links through safeUrl.
"use strict";

const TOKEN_KEY = "mooring-admin-token";
const BROKEN = ["needs_reauth", "needs_scope", "degraded"];
const $ = (id) => document.getElementById(id);

function token() { return sessionStorage.getItem(TOKEN_KEY); }

// Calls the admin API; resolves to {data, headers}; rejects with an Error carrying
// the API's message and the HTTP status.
async function request(method, path, body) {
  const headers = { Authorization: "Bearer " + token() };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const message = (data.error && data.error.message) || response.statusText || "request failed";
    const error = new Error(message);
    error.status = response.status;
    error.code = data.error && data.error.code;
    throw error;
  }
  return { data, headers: response.headers };
}

async function api(method, path, body) {
  return (await request(method, path, body)).data;
}

// Every page of an array list that pages with `X-Next-Cursor` (at most `pages`).
async function apiAll(path, pages) {
  let out = [];
  let cursor = null;
  for (let i = 0; i < (pages || 20); i++) {
    const sep = path.includes("?") ? "&" : "?";
    const r = await request("GET", cursor ? path + sep + "cursor=" + encodeURIComponent(cursor) : path);
    out = out.concat(r.data);
    cursor = r.headers.get("x-next-cursor");
    if (!cursor) break;
  }
  return out;
}

// A route another part of the host may not serve yet answers 404 `not_found`
// ("no such API route"); views show that as "not available" instead of an error.
function missingRoute(error) {
  return error && error.status === 404 && /no such (API )?route/i.test(error.message);
}

const enc = encodeURIComponent;

// h("tag", {attrs}, ...children): strings become text nodes, never markup.
function h(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (k === "href") e.setAttribute(k, safeUrl(v));
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  add(e, children);
  return e;
}

// Replaces `parent`'s children (nulls and falses skipped, strings as text).
function fill(parent, ...children) {
  parent.replaceChildren();
  return add(parent, children);
}

function add(parent, children) {
  for (const c of [children].flat(Infinity)) {
    if (c == null || c === false || c === "") continue;
    parent.append(c instanceof Node ? c : String(c));
  }
  return parent;
}

// Only http(s) URLs and in-page links become hrefs.
function safeUrl(url) {
  const text = String(url);
  if (text.startsWith("#")) return text;
  try {
    const parsed = new URL(text, location.href);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : "#";
  } catch (_) {
    return "#";
  }
}

function say(text, isError) {
  const el = $("message");
  el.textContent = text || "";
  el.className = isError ? "message error" : "message";
}

// A button that runs `action`, disabled while it runs; failures go to the message line.
function button(label, action, opts) {
  const o = opts || {};
  const b = h("button", { type: "button", class: o.class, "aria-label": o.label, title: o.title }, label);
  b.addEventListener("click", async () => {
    b.disabled = true;
    try { await action(b); } catch (e) { say(e.message, true); }
    b.disabled = false;
  });
  return b;
}

function badge(state) {
  return h("span", { class: "state " + state }, state.replace(/_/g, " "));
}

function muted(text) { return h("span", { class: "muted" }, text); }

// ---- times ---------------------------------------------------------------------------

const UNITS = [
  ["year", 365 * 86400], ["month", 30 * 86400], ["day", 86400],
  ["hour", 3600], ["min", 60],
];

// "3 min ago", "in 12 days", "just now".
function relative(ms, now) {
  const seconds = Math.round((ms - (now || Date.now())) / 1000);
  const size = Math.abs(seconds);
  if (size < 45) return seconds < 0 || size < 5 ? "just now" : "in a few seconds";
  for (const [unit, length] of UNITS) {
    // Days up to 100: a refresh token dying "in 59 days" says more than "in 2 months".
    if (size >= (unit === "month" ? 100 * 86400 : length) || unit === "min") {
      const n = Math.max(1, Math.round(size / length));
      const word = unit === "min" || n === 1 ? unit : unit + "s";
      return seconds < 0 ? n + " " + word + " ago" : "in " + n + " " + word;
    }
  }
  return "";
}

function absolute(ms) {
  return new Date(ms).toLocaleString(undefined, {
    year: "numeric", month: "short", day: "numeric",
    hour: "2-digit", minute: "2-digit", second: "2-digit", timeZoneName: "short",
  });
}

// A <time> showing a relative time, the absolute one in its title (kept fresh).
function when(ms, empty) {
  if (ms == null) return muted(empty || "never");
  return h("time", { datetime: new Date(ms).toISOString(), title: absolute(ms), "data-ms": ms },
    relative(ms));
}

function duration(ms) {
  if (ms == null) return "";
  if (ms < 1000) return ms + " ms";
  const s = ms / 1000;
  if (s < 60) return s.toFixed(s < 10 ? 1 : 0) + " s";
  const m = Math.floor(s / 60);
  if (m < 60) return m + " min " + Math.round(s % 60) + " s";
  return Math.floor(m / 60) + " h " + (m % 60) + " min";
}

// An interval in seconds: "15 min", "1 h", "1 h 30 min", "2 days".
function every(seconds) {
  if (seconds % 86400 === 0) return seconds / 86400 + (seconds === 86400 ? " day" : " days");
  if (seconds >= 3600) {
    const m = Math.round((seconds % 3600) / 60);
    return Math.floor(seconds / 3600) + " h" + (m ? " " + m + " min" : "");
  }
  if (seconds >= 60) return Math.round(seconds / 60) + " min";
  return seconds + " s";
}

function plural(n, one, many) { return n + " " + (n === 1 ? one : many); }

function refreshTimes() {
  const now = Date.now();
  for (const t of document.querySelectorAll("time[data-ms]")) {
    t.textContent = relative(Number(t.dataset.ms), now);
  }
}

// ---- copying -------------------------------------------------------------------------

async function copyText(text, input) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch (_) {
    if (input) { input.focus(); input.select(); }
    return document.execCommand && document.execCommand("copy");
  }
}

// A read-only field holding `url` with a Copy button (for links sent to customers).
function copyField(url, label, extra) {
  const input = h("input", { type: "text", readonly: true, value: url, "aria-label": label, class: "copy-input" });
  input.addEventListener("focus", () => input.select());
  const copy = button("Copy", async (b) => {
    const ok = await copyText(url, input);
    b.textContent = ok ? "Copied" : "Select and copy";
    setTimeout(() => { b.textContent = "Copy"; }, 2000);
  }, { label: "Copy " + label });
  return h("div", { class: "copy" }, input, copy, extra);
}

function table(caption, headings, rows, empty) {
  const head = h("tr", null, headings.map((t) => h("th", { scope: "col" }, t)));
  const body = h("tbody", null, rows);
  if (!rows.length) body.append(h("tr", null, h("td", { colspan: headings.length, class: "muted" }, empty || "Nothing yet.")));
  return h("div", { class: "scroll" },
    h("table", { class: "list" }, caption ? h("caption", null, caption) : null, h("thead", null, head), body));
}

// A table cell with its heading repeated for the narrow (stacked) layout.
function td(heading, ...children) {
  return h("td", { "data-label": heading }, children);
}
