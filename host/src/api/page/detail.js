// Mooring operator page, part 3 of 5: one connection in detail: its facts (plugin
// version, refresh token lifetime), streams with record counts, runs, state history.

// Reads a list that another part of the host may not serve yet as null.
async function optional(path) {
  try { return await api("GET", path); } catch (e) { if (missingRoute(e)) return null; throw e; }
}

function fact(term, ...value) {
  return h("div", null, h("dt", null, term), h("dd", null, value));
}

function wideFact(term, ...value) {
  return h("div", { class: "wide" }, h("dt", null, term), h("dd", null, value));
}

function pluginFact(streams, c) {
  if (streams && streams.plugin) {
    const p = streams.plugin;
    return [h("span", { class: "mono" }, p.provider + " " + p.version), " ",
      muted(p.via === "pinned" ? "(pinned)" : p.via === "canary" ? "(canary)" : "(active version)")];
  }
  return c.pinned_version ? [h("span", { class: "mono" }, c.pinned_version), " ", muted("(pinned)")] : muted("unknown");
}

function refreshFact(c) {
  const soft = c.refresh_token_expires_at;
  const hard = c.refresh_token_hard_expires_at;
  if (soft == null && hard == null) return muted(c.state === "active" || c.state === "degraded" ? "no expiry reported" : "—");
  const out = [];
  const soon = (ms) => ms != null && ms - Date.now() < 7 * 86400000;
  if (soft != null) {
    out.push(h("span", { class: soon(soft) ? "warn" : null }, "dies ", when(soft), " unless used"));
  }
  if (hard != null) {
    if (out.length) out.push(h("br"));
    out.push(h("span", { class: soon(hard) ? "warn" : null }, "ends ", when(hard), " whatever its use"));
  }
  return out;
}

function recordsFact(streams) {
  if (!streams) return muted("unknown");
  const live = streams.streams.reduce((n, s) => n + s.live, 0);
  const synced = streams.streams.filter((s) => s.last_sync_at != null).length;
  return [h("span", { class: "num" }, live.toLocaleString()), " ",
    muted("in " + plural(streams.streams.length, "stream", "streams") + " (" + synced + " synced)")];
}

function runStatus(status) { return h("span", { class: "run " + status }, status); }

function streamsTable(streams) {
  const rows = (streams ? streams.streams : []).map((s) => h("tr", null,
    td("Stream", h("span", { class: "mono" }, s.name)),
    td("Records", h("span", { class: "num" }, s.live.toLocaleString())),
    td("Tombstones", h("span", { class: "num" }, s.tombstones.toLocaleString())),
    td("Last sync", when(s.last_sync_at)),
    td("Last run", s.last_status ? runStatus(s.last_status) : muted("none"),
      s.last_error ? h("div", { class: "error small" }, s.last_error) : null),
    td("Every", s.interval ? h("span", { class: "nw" }, every(s.interval)) : muted("—"))));
  return table(null, ["Stream", "Records", "Tombstones", "Last sync", "Last run", "Every"], rows,
    streams ? "No streams." : "This host does not report streams.");
}

function runsTable(runs) {
  const rows = runs.slice(0, 30).map((r) => h("tr", { class: r.status === "failed" ? "broken" : null },
    td("Started", when(r.started_at)),
    td("Stream", h("span", { class: "mono" }, r.stream)),
    td("Status", runStatus(r.status)),
    td("Took", r.finished_at != null ? h("span", { class: "nw" }, duration(r.finished_at - r.started_at)) : muted("…")),
    td("Pages", h("span", { class: "num" }, r.pages)),
    td("Changes", h("span", { class: "num", title: "added / updated / deleted" },
      "+" + r.added.toLocaleString() + " ~" + r.updated.toLocaleString() + " −" + r.deleted.toLocaleString())),
    td("Retries", h("span", { class: "num" }, r.retries || 0)),
    td("Version", h("span", { class: "mono" }, r.plugin_version)),
    td("Error", r.error ? h("span", { class: "error" }, r.error) : "")));
  return table(runs.length > 30 ? "The newest 30 of " + runs.length + " runs" : null,
    ["Started", "Stream", "Status", "Took", "Pages", "Changes", "Retries", "Version", "Error"], rows, "No runs yet.");
}

// State transitions and other connection events; sync events are the runs above.
function historyTable(events) {
  const shown = events.filter((e) => !e.kind.startsWith("sync."));
  const hidden = events.length - shown.length;
  const rows = shown.map((e) => h("tr", null,
    td("When", when(e.at)),
    td("Event", h("span", { class: "mono small" }, e.kind)),
    td("Change", e.from || e.to ? h("span", { class: "nw" }, e.from ? badge(e.from) : muted("—"), " → ", e.to ? badge(e.to) : muted("—")) : ""),
    td("Cause", e.cause || ""),
    td("Reason", h("span", { class: "reason" }, e.reason || ""))));
  return table(hidden ? plural(hidden, "sync event", "sync events") + " not shown: see Runs." : null,
    ["When", "Event", "Change", "Cause", "Reason"], rows, "No events.");
}

async function renderDetail(view, id) {
  const base = "/api/connections/" + enc(id);
  const [c, events, runs, streams] = await Promise.all([
    api("GET", base), api("GET", base + "/events?limit=200"), api("GET", base + "/runs"),
    optional(base + "/streams")]);
  const slot = h("div", { class: "slot" });
  const broken = BROKEN.includes(c.state);
  const title = h("h2", { id: "detail-title", tabindex: "-1" }, connectionName(c));
  fill(view,
    h("p", { class: "crumbs" }, h("a", { href: "#/connections" }, "← Connections")),
    h("div", { class: "detail-head" }, title, badge(c.state),
      h("span", { class: "spacer" }), h("div", { class: "actions" }, actions(c, slot),
        button("Refresh", () => render(), { class: "quiet" }))),
    slot,
    c.reason ? h("p", { class: "panel reason-box " + (broken ? c.state : "calm"), id: "detail-reason" }, c.reason) : null,
    h("dl", { class: "facts" },
      fact("Id", h("span", { class: "mono" }, c.id)),
      fact("Organisation", c.tenant ? [c.tenant.name, " ", h("span", { class: "muted small mono" }, c.tenant.id)] : muted("not chosen")),
      fact("Integration", c.integration),
      fact("Plugin", pluginFact(streams, c)),
      fact("Refresh token", refreshFact(c)),
      fact("Records", recordsFact(streams)),
      fact("Last sync", when(c.last_sync_at)),
      fact("Created", when(c.created_at)),
      fact("State since", when(c.updated_at)),
      fact("Pinned", c.pinned_version ? h("span", { class: "mono" }, c.pinned_version) : muted("no: follows the provider")),
      wideFact("Scopes", c.scopes.length ? h("span", { class: "scopes" }, c.scopes.map((s) => h("code", null, s))) : muted("the integration's"))),
    h("section", { "aria-labelledby": "streams-title" }, h("h3", { id: "streams-title" }, "Streams"), streamsTable(streams)),
    h("section", { "aria-labelledby": "runs-title" }, h("h3", { id: "runs-title" }, "Runs"), runsTable(runs)),
    h("section", { "aria-labelledby": "history-title" }, h("h3", { id: "history-title" }, "State history"), historyTable(events)));
  document.title = "Mooring · " + connectionName(c);
}
