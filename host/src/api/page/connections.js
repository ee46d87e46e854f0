// Mooring operator page, part 2 of 5: the connection list, "needs attention" grouped
// by reason, and the actions shared with the detail view (reconnect, reconnect links,
// sync now, choosing a tenant).

const cache = { connections: [], integrations: [] };

function connectionName(c) { return c.label || (c.tenant && c.tenant.name) || c.id; }

function detailHref(c) { return "#/connections/" + enc(c.id); }

async function loadConnections() {
  const [connections, integrations] = await Promise.all([
    apiAll("/api/connections"), api("GET", "/api/integrations")]);
  cache.connections = connections;
  cache.integrations = integrations;
  const broken = connections.filter((c) => BROKEN.includes(c.state)).length;
  $("attention-count").textContent = broken ? String(broken) : "";
  $("attention-count").setAttribute("aria-label", broken + " connections need attention");
  $("who").textContent = plural(connections.length, "connection", "connections") + " · "
    + (broken ? broken + " need" + (broken === 1 ? "s" : "") + " attention" : "all working");
  return connections;
}

// ---- actions -------------------------------------------------------------------------

// Shows where to send the person to consent, as a link to open and a field to copy.
function showConsent(url, what) {
  const panel = $("consent");
  fill(panel,
    h("p", null, h("strong", null, what), " Send the person to the provider's consent page: open it here, or copy the link for them."),
    copyField(url, "consent link",
      h("a", { id: "consent-link", class: "button", href: url, target: "_blank", rel: "noopener noreferrer" }, "Open consent page")),
    button("Done", () => { panel.hidden = true; render(); }, { class: "quiet" }));
  panel.hidden = false;
  panel.scrollIntoView({ block: "nearest" });
  $("consent-link").focus();
}

async function reconnect(c) {
  const r = await api("POST", "/api/connections/" + enc(c.id) + "/reconnect", {});
  showConsent(r.authorize_url, "Reconnect " + connectionName(c) + ".");
}

async function syncNow(c) {
  await api("POST", "/api/connections/" + enc(c.id) + "/sync");
  say("Sync queued for " + connectionName(c) + ".");
}

// Issues a shareable reconnect link and shows it, ready to copy, in `slot`.
async function reconnectLink(c, slot) {
  let link;
  try {
    link = await api("POST", "/api/connections/" + enc(c.id) + "/reconnect-link", {});
  } catch (e) {
    if (missingRoute(e)) throw new Error("This host does not issue reconnect links yet; use Reconnect.");
    throw e;
  }
  fill(slot, copyField(link.url, "reconnect link for " + connectionName(c),
    h("span", { class: "muted small" }, "expires ", when(link.expires_at))));
  slot.querySelector("input").focus();
  return link;
}

function actions(c, slot) {
  const out = [];
  if (c.state === "awaiting_tenant") {
    const pick = h("select", { "aria-label": "Organisation for " + connectionName(c) },
      c.tenant_choices.map((t) => h("option", { value: t.id }, t.name)));
    out.push(pick, button("Choose", async () => {
      await api("POST", "/api/connections/" + enc(c.id) + "/tenant", { tenant_id: pick.value });
      say("Organisation chosen for " + c.id + ".");
      await render();
    }));
  } else if (c.tenant && c.state !== "deleted") {
    out.push(button("Reconnect", () => reconnect(c), { label: "Reconnect " + connectionName(c) }));
    if (BROKEN.includes(c.state) && slot) {
      out.push(button("Reconnect link", () => reconnectLink(c, slot),
        { class: "quiet", label: "Reconnect link for " + connectionName(c), title: "A link the customer opens to reconnect, without an admin token" }));
    }
    if (c.state === "active" || c.state === "degraded") {
      out.push(button("Sync now", () => syncNow(c), { class: "quiet", label: "Sync " + connectionName(c) + " now" }));
    }
  }
  return out;
}

// ---- the list ------------------------------------------------------------------------

const listState = { brokenOnly: false, filter: "" };

function matches(c, filter) {
  if (!filter) return true;
  const hay = [c.id, c.label, c.integration, c.state, c.reason, c.tenant && c.tenant.name]
    .filter(Boolean).join(" ").toLowerCase();
  return hay.includes(filter.toLowerCase());
}

function connectionRow(c) {
  const slot = h("div", { class: "slot" });
  return h("tr", { "data-connection": c.id, class: BROKEN.includes(c.state) ? "broken" : null },
    td("Connection", h("a", { href: detailHref(c) }, connectionName(c)),
      c.label || (c.tenant && c.tenant.name) ? h("div", { class: "muted small mono" }, c.id) : null),
    td("Integration", c.integration),
    td("Organisation", c.tenant ? c.tenant.name : muted("—")),
    td("State", badge(c.state)),
    td("Reason", h("span", { class: "reason" }, c.reason || "")),
    td("Last sync", when(c.last_sync_at)),
    td("Actions", h("div", { class: "actions" }, actions(c, slot)), slot));
}

async function renderConnections(view) {
  const connections = await loadConnections();
  const select = h("select", { id: "integration", "aria-label": "Integration for a new connection" },
    cache.integrations.map((i) => h("option", { value: i.id }, i.id + " (" + i.provider + ")")));
  const connect = button("New connection", async () => {
    const r = await api("POST", "/api/connections", { integration: select.value });
    await render();
    showConsent(r.authorize_url, "New connection " + r.id + " is pending.");
  }, { class: "primary" });
  connect.id = "connect";
  const brokenOnly = h("input", { id: "broken-only", type: "checkbox", checked: listState.brokenOnly });
  const filter = h("input", { id: "filter", type: "search", placeholder: "Filter", value: listState.filter, "aria-label": "Filter connections" });
  const tbody = h("tbody");
  const showRows = () => {
    const shown = connections
      .filter((c) => !listState.brokenOnly || BROKEN.includes(c.state))
      .filter((c) => matches(c, listState.filter))
      .sort((a, b) => (BROKEN.includes(b.state) - BROKEN.includes(a.state))
        || connectionName(a).localeCompare(connectionName(b)) || a.id.localeCompare(b.id));
    tbody.replaceChildren(...shown.map(connectionRow));
    if (!shown.length) tbody.append(h("tr", null, h("td", { colspan: 7, class: "muted" },
      connections.length ? "No connection matches." : "No connections yet: start one with New connection.")));
  };
  brokenOnly.addEventListener("change", () => { listState.brokenOnly = brokenOnly.checked; showRows(); });
  filter.addEventListener("input", () => { listState.filter = filter.value; showRows(); });
  const refresh = button("Refresh", () => render(), { class: "quiet" });
  refresh.id = "refresh";
  showRows();
  fill(view,
    h("div", { class: "toolbar" },
      h("h2", null, "Connections"),
      h("label", null, brokenOnly, " Broken only"), filter, refresh,
      h("span", { class: "spacer" }), select, connect),
    h("div", { class: "scroll" }, h("table", { class: "list", id: "connections" },
      h("thead", null, h("tr", null, ["Connection", "Integration", "Organisation", "State", "Reason", "Last sync", "Actions"]
        .map((t) => h("th", { scope: "col" }, t)))),
      tbody)));
}

// ---- needs attention -----------------------------------------------------------------

// Broken connections grouped by state, then by their reason: a revoked app or a
// password change breaks many connections with the same reason at once.
function groups(connections) {
  const out = new Map();
  for (const c of connections.filter((x) => BROKEN.includes(x.state))) {
    const key = c.state + "\u0000" + (c.reason || "");
    if (!out.has(key)) out.set(key, { state: c.state, reason: c.reason || "(no reason given)", items: [] });
    out.get(key).items.push(c);
  }
  return [...out.values()].sort((a, b) => BROKEN.indexOf(a.state) - BROKEN.indexOf(b.state)
    || b.items.length - a.items.length || a.reason.localeCompare(b.reason));
}

function attentionItem(c) {
  const slot = h("div", { class: "slot" });
  return h("li", { class: "item", "data-connection": c.id },
    h("div", { class: "item-main" },
      h("a", { href: detailHref(c) }, connectionName(c)),
      h("span", { class: "muted small" }, " · " + c.integration + (c.tenant ? " · " + c.tenant.name : "")),
      h("span", { class: "muted small" }, " · since ", when(c.updated_at))),
    h("div", { class: "actions" }, actions(c, slot)), slot);
}

async function linksForGroup(group, slot) {
  const lines = [];
  for (const c of group.items) {
    try {
      const link = await api("POST", "/api/connections/" + enc(c.id) + "/reconnect-link", {});
      lines.push(connectionName(c) + "\t" + link.url);
    } catch (e) {
      if (missingRoute(e)) throw new Error("This host does not issue reconnect links yet; use Reconnect.");
      lines.push(connectionName(c) + "\t(" + e.message + ")");
    }
  }
  const text = lines.join("\n");
  const area = h("textarea", { readonly: true, rows: Math.min(lines.length + 1, 10), "aria-label": "Reconnect links, one per connection", class: "links" });
  area.value = text;
  fill(slot, area, button("Copy all", async (b) => {
    b.textContent = (await copyText(text, area)) ? "Copied" : "Select and copy";
  }));
  area.focus();
}

async function renderAttention(view) {
  const connections = await loadConnections();
  const list = groups(connections);
  const body = list.map((g) => {
    const slot = h("div", { class: "slot" });
    return h("section", { class: "group panel " + g.state, "aria-label": g.state + ": " + g.reason },
      h("header", { class: "group-head" },
        badge(g.state),
        h("strong", { class: "count-text" }, plural(g.items.length, "connection", "connections")),
        g.items.length > 1 ? button("Reconnect links for all", () => linksForGroup(g, slot), { class: "quiet" }) : null),
      h("p", { class: "reason" }, g.reason),
      slot,
      h("ul", { class: "items" }, g.items.map(attentionItem)));
  });
  fill(view,
    h("div", { class: "toolbar" }, h("h2", null, "Needs attention"),
      h("span", { class: "muted" }, "Connections in needs reauth, needs scope or degraded, grouped by reason."),
      h("span", { class: "spacer" }), button("Refresh", () => render(), { class: "quiet" })),
    body.length ? body : h("p", { class: "panel calm" }, "Nothing needs attention: every connection is working."));
}
