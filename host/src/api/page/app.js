// Mooring operator page: lists connections, highlights broken ones and reconnects
// them. Talks only to the admin API with the token the operator signs in with (kept in
// sessionStorage, sent as a bearer header). All data is rendered with textContent.
"use strict";

const TOKEN_KEY = "mooring-admin-token";
const BROKEN = new Set(["needs_reauth", "needs_scope", "degraded"]);
const $ = (id) => document.getElementById(id);

function token() { return sessionStorage.getItem(TOKEN_KEY); }

async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: Object.assign({ Authorization: "Bearer " + token() },
      body === undefined ? {} : { "Content-Type": "application/json" }),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const message = (data.error && data.error.message) || response.statusText;
    const error = new Error(message);
    error.status = response.status;
    throw error;
  }
  return data;
}

function say(text, isError) {
  const el = $("message");
  el.textContent = text || "";
  el.className = isError ? "message error" : "message";
}

function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text == null ? "" : String(text);
  if (className) td.className = className;
  return td;
}

function button(label, action) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = label;
  b.addEventListener("click", async () => {
    b.disabled = true;
    try { await action(); } catch (e) { say(e.message, true); }
    b.disabled = false;
  });
  return b;
}

function openConsent(url) {
  window.open(url, "_blank", "noopener");
  say("Consent opened in a new tab; refresh when it is done.");
}

function row(c) {
  const tr = document.createElement("tr");
  tr.appendChild(cell((c.label ? c.label + " · " : "") + c.id));
  tr.appendChild(cell(c.tenant ? c.tenant.name : "—"));
  const state = cell("");
  const badge = document.createElement("span");
  badge.className = "state " + c.state;
  badge.textContent = c.state;
  state.appendChild(badge);
  tr.appendChild(state);
  tr.appendChild(cell(c.reason || "", "reason"));
  tr.appendChild(cell(c.last_sync_at ? new Date(c.last_sync_at).toISOString() : "never"));
  const actions = cell("");
  if (c.state === "awaiting_tenant") {
    const pick = document.createElement("select");
    for (const t of c.tenant_choices) {
      const o = document.createElement("option");
      o.value = t.id;
      o.textContent = t.name;
      pick.appendChild(o);
    }
    actions.appendChild(pick);
    actions.appendChild(button("Choose", async () => {
      await api("POST", "/api/connections/" + encodeURIComponent(c.id) + "/tenant", { tenant_id: pick.value });
      await load();
    }));
  } else if (c.tenant) {
    actions.appendChild(button("Reconnect", async () => {
      const r = await api("POST", "/api/connections/" + encodeURIComponent(c.id) + "/reconnect", {});
      openConsent(r.authorize_url);
    }));
    if (c.state === "active" || c.state === "degraded") {
      actions.appendChild(button("Sync now", async () => {
        await api("POST", "/api/connections/" + encodeURIComponent(c.id) + "/sync");
        say("Sync queued for " + c.id + ".");
      }));
    }
  }
  tr.appendChild(actions);
  return tr;
}

async function load() {
  const [connections, integrations] = await Promise.all([
    api("GET", "/api/connections"), api("GET", "/api/integrations")]);
  const rows = $("rows");
  rows.replaceChildren();
  // Connections that need a person first, then by label and id.
  connections.sort((a, b) => (BROKEN.has(b.state) - BROKEN.has(a.state))
    || (a.label || "").localeCompare(b.label || "") || a.id.localeCompare(b.id));
  const brokenOnly = $("broken-only").checked;
  const shown = connections.filter((c) => !brokenOnly || BROKEN.has(c.state));
  for (const c of shown) rows.appendChild(row(c));
  const broken = connections.filter((c) => BROKEN.has(c.state)).length;
  $("who").textContent = connections.length + " connections, " + broken + " need attention";
  const select = $("integration");
  select.replaceChildren();
  for (const i of integrations) {
    const o = document.createElement("option");
    o.value = i.id;
    o.textContent = i.id + " (" + i.provider + ")";
    select.appendChild(o);
  }
}

async function showApp() {
  try {
    await load();
    $("signin").hidden = true;
    $("app").hidden = false;
  } catch (e) {
    sessionStorage.removeItem(TOKEN_KEY);
    $("signin-error").textContent = e.status === 401 ? "That token was not accepted." : e.message;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("signin-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $("token").value.trim());
    $("token").value = "";
    await showApp();
  });
  $("refresh").addEventListener("click", () => load().catch((e) => say(e.message, true)));
  $("broken-only").addEventListener("change", () => load().catch((e) => say(e.message, true)));
  $("connect").addEventListener("click", async () => {
    try {
      const r = await api("POST", "/api/connections", { integration: $("integration").value });
      openConsent(r.authorize_url);
      await load();
    } catch (e) { say(e.message, true); }
  });
  $("signout").addEventListener("click", () => {
    sessionStorage.removeItem(TOKEN_KEY);
    location.reload();
  });
  if (token()) showApp();
});
