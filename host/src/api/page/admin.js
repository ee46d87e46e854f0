// Mooring operator page, part 4 of 5: webhook endpoints with their recent deliveries,
// and the loaded plugin versions.

function unavailable(view, title, what) {
  fill(view, h("div", { class: "toolbar" }, h("h2", null, title)),
    h("p", { class: "panel calm" }, "This host does not serve " + what + " yet."));
}

function endpointStatus(w) {
  if (!w.enabled) return [h("span", { class: "state disabled" }, "disabled"),
    w.disabled_reason ? h("div", { class: "reason small" }, w.disabled_reason) : null];
  if (w.failing_since != null) return [h("span", { class: "state degraded" }, "failing"),
    h("div", { class: "small" }, "since ", when(w.failing_since))];
  return h("span", { class: "state active" }, "delivering");
}

function lastAttempt(d) {
  const a = d.attempts && d.attempts.length ? d.attempts[d.attempts.length - 1] : null;
  return a;
}

function deliveriesTable(deliveries) {
  const rows = deliveries.map((d) => {
    const a = lastAttempt(d);
    return h("tr", { class: d.status === "failed" ? "broken" : null },
      td("Event", h("span", { class: "mono" }, "#" + d.event)),
      td("Status", h("span", { class: "run " + d.status }, d.status)),
      td("Attempts", h("span", { class: "num" }, (d.attempts || []).length)),
      td("Last attempt", a ? when(a.at) : muted("none")),
      td("Answer", a ? (a.status_code != null ? h("span", { class: "mono" }, "HTTP " + a.status_code) : null) : null,
        a && a.error ? h("span", { class: "error small" }, " " + a.error) : null,
        a ? h("span", { class: "muted small" }, " · " + duration(a.duration_ms)) : null),
      td("Next attempt", d.next_attempt_at != null ? when(d.next_attempt_at) : muted("—")));
  });
  return table(null, ["Event", "Status", "Attempts", "Last attempt", "Answer", "Next attempt"], rows, "No deliveries yet.");
}

async function toggleDeliveries(w, row, b) {
  const next = row.nextElementSibling;
  if (next && next.classList.contains("sub")) {
    next.remove();
    b.setAttribute("aria-expanded", "false");
    return;
  }
  const deliveries = await api("GET", "/api/webhooks/" + enc(w.id) + "/deliveries?limit=15");
  const cell = h("td", { colspan: 6 }, h("h4", null, "Recent deliveries to " + w.url), deliveriesTable(deliveries));
  row.after(h("tr", { class: "sub" }, cell));
  b.setAttribute("aria-expanded", "true");
}

async function renderWebhooks(view) {
  let endpoints;
  try { endpoints = await api("GET", "/api/webhooks"); } catch (e) {
    if (missingRoute(e)) return unavailable(view, "Webhooks", "webhooks");
    throw e;
  }
  const rows = endpoints.map((w) => {
    const row = h("tr", { "data-webhook": w.id, class: w.enabled && w.failing_since == null ? null : "broken" });
    const more = button("Deliveries", (b) => toggleDeliveries(w, row, b), { class: "quiet", label: "Recent deliveries to " + w.url });
    more.setAttribute("aria-expanded", "false");
    add(row, [
      td("Endpoint", h("span", { class: "mono url" }, w.url), w.description ? h("div", { class: "muted small" }, w.description) : null),
      td("Events", w.event_types.length ? w.event_types.map((t) => h("code", null, t)) : muted("all")),
      td("Status", endpointStatus(w)),
      td("Source", w.source),
      td("Created", when(w.created_at)),
      td("", more)]);
    return row;
  });
  fill(view,
    h("div", { class: "toolbar" }, h("h2", null, "Webhooks"),
      h("span", { class: "muted" }, "Endpoints that receive connection and plugin events, signed."),
      h("span", { class: "spacer" }), button("Refresh", () => render(), { class: "quiet" })),
    table(null, ["Endpoint", "Events", "Status", "Source", "Created", ""], rows,
      "No endpoints. Add one with POST /api/webhooks."));
}

function size(bytes) {
  if (bytes < 1024) return bytes + " B";
  if (bytes < 1024 * 1024) return (bytes / 1024).toFixed(0) + " KiB";
  return (bytes / 1024 / 1024).toFixed(1) + " MiB";
}

function compareVersions(a, b) {
  const parts = (v) => v.split(/[.+-]/).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  const x = parts(a); const y = parts(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if (x[i] === y[i]) continue;
    if (x[i] === undefined) return -1;
    if (y[i] === undefined) return 1;
    return typeof x[i] === "number" && typeof y[i] === "number" ? x[i] - y[i] : String(x[i]).localeCompare(String(y[i]));
  }
  return 0;
}

async function renderPlugins(view) {
  const plugins = await api("GET", "/api/plugins");
  plugins.sort((a, b) => a.id.localeCompare(b.id) || compareVersions(b.version, a.version));
  const rows = plugins.map((p) => h("tr", { class: p.active ? "current" : null },
    td("Provider", h("strong", null, p.id), h("div", { class: "muted small" }, p.name)),
    td("Version", h("span", { class: "mono" }, p.version)),
    td("Status", p.active ? h("span", { class: "state active" }, "active")
      : p.canary_percent ? h("span", { class: "state degraded" }, "canary " + p.canary_percent + "%")
        : muted("loaded")),
    td("Approved", p.approved ? "yes" : h("span", { class: "warn" }, "needs approval")),
    td("Streams", h("span", { title: p.streams.map((s) => s.name).join(", ") }, p.streams.length)),
    td("Hosts", h("span", { class: "small" }, p.capabilities.allowed_hosts.join(", "))),
    td("World", h("span", { class: "mono small" }, p.world)),
    td("Size", h("span", { class: "nw" }, size(p.size))),
    td("sha256", h("span", { class: "mono small", title: p.sha256 }, p.sha256.slice(0, 12) + "…"))));
  fill(view,
    h("div", { class: "toolbar" }, h("h2", null, "Plugins"),
      h("span", { class: "muted" }, "Every loaded version; change them with mooring plugin …"),
      h("span", { class: "spacer" }), button("Refresh", () => render(), { class: "quiet" })),
    table(null, ["Provider", "Version", "Status", "Approved", "Streams", "Hosts", "World", "Size", "sha256"], rows,
      "No plugins loaded."));
}
