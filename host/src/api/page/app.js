// Mooring operator page, part 5 of 5: sign-in, the hash router and start-up.
// Views: #/attention, #/connections, #/connections/<id>, #/webhooks, #/plugins.

function route() {
  const parts = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  if (parts[0] === "connections" && parts[1]) return { view: "connections", id: parts[1] };
  if (["attention", "connections", "webhooks", "plugins"].includes(parts[0])) return { view: parts[0] };
  return { view: "connections" };
}

let rendering = 0;

// Renders the view the URL names; a newer render supersedes an older one in flight.
async function render() {
  const mine = ++rendering;
  const r = route();
  for (const a of document.querySelectorAll("#nav a")) {
    if (a.dataset.view === r.view && !r.id) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  const view = h("div");
  // Views that do not list connections still keep the attention count current.
  if (r.id || r.view === "webhooks" || r.view === "plugins") loadConnections().catch(() => {});
  try {
    if (r.id) await renderDetail(view, r.id);
    else if (r.view === "attention") await renderAttention(view);
    else if (r.view === "webhooks") await renderWebhooks(view);
    else if (r.view === "plugins") await renderPlugins(view);
    else await renderConnections(view);
  } catch (e) {
    if (e.status === 401) return signOut("That token is no longer accepted.");
    if (mine !== rendering) return;
    fill(view, h("p", { class: "panel error", role: "alert" }, e.message));
  }
  if (mine !== rendering) return;
  if (!r.id) document.title = "Mooring · " + r.view;
  $("view").replaceChildren(...view.childNodes);
}

async function navigate() {
  say("");
  $("consent").hidden = true;
  await render();
  const title = $("detail-title") || $("view").querySelector("h2");
  if (title && document.activeElement === document.body) title.focus({ preventScroll: true });
}

async function signIn() {
  try {
    await api("GET", "/api/integrations");
  } catch (e) {
    sessionStorage.removeItem(TOKEN_KEY);
    $("signin-error").textContent = e.status === 401 ? "That token was not accepted." : e.message;
    return;
  }
  $("signin").hidden = true;
  $("app").hidden = false;
  $("nav").hidden = false;
  $("signout").hidden = false;
  await render();
}

function signOut(why) {
  sessionStorage.removeItem(TOKEN_KEY);
  $("app").hidden = true;
  $("nav").hidden = true;
  $("signout").hidden = true;
  $("who").textContent = "";
  $("signin").hidden = false;
  $("signin-error").textContent = why || "";
}

document.addEventListener("DOMContentLoaded", () => {
  $("signin-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $("token").value.trim());
    $("token").value = "";
    $("signin-error").textContent = "";
    await signIn();
  });
  $("signout").addEventListener("click", () => signOut());
  window.addEventListener("hashchange", () => { if (token()) navigate(); });
  setInterval(refreshTimes, 30000);
  if (token()) signIn();
});
