// The analysts' dashboard: sign in with an API token, the map and the review queue, an
// incident with its evidence and review actions, alerts with their response clocks, and
// the live feed keeping it all current. Plain ES modules; nothing is built.

import { api, apiAll, apiBlob, ApiError, clearToken, followFeed, getToken, setToken } from "./api.js";
import { makeMap, select, showIncidents } from "./map.js";

const CELL_ROLES = ["analyst", "reviewer", "administrator"];
const SIGNING_ROLES = ["reviewer", "administrator"];
const FINAL = ["signed", "dismissed", "merged", "split"];
const GRAVITY = { clear_breach: 0, suspected_breach: 1, deconflicted: 2, no_violation: 3 };
const LIST_LIMIT = 5000;
const FEED_LOG_SIZE = 30;

const state = {
  me: null,
  theatre: null,
  map: null,
  determinations: new Map(),
  filters: {},
  queue: null,
  stopFeed: null,
  incidentId: null,
  events: 0,
};
// For the browser's console and for the end-to-end tests: the live state of the page.
window.truceline = state;

// small DOM helpers: text only, never HTML from the data

const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function fill(tbody, rows, empty, columns) {
  tbody.replaceChildren(...rows);
  if (rows.length === 0) tbody.append(el("tr", {}, el("td", { colspan: columns, class: "empty" }, empty)));
}

function utc(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toISOString().slice(0, 16).replace("T", " ");
}

const words = (code) => String(code || "").replaceAll("_", " ");
const pct = (x) => `${Math.round(x * 100)} %`;
const short = (id) => String(id).replace(/^(inc|det|obs)-/, "").slice(0, 10);
const hasRole = (...roles) => Boolean(state.me) && roles.some((r) => state.me.roles.includes(r));

function showError(id, error) {
  $(id).textContent = error ? (error instanceof ApiError ? error.message : String(error)) : "";
}

let timers = {};
function later(name, ms, work) {
  clearTimeout(timers[name]);
  timers[name] = setTimeout(work, ms);
}

// sign in and out

async function signIn(event) {
  event.preventDefault();
  const token = $("token").value.trim();
  if (!token) return;
  setToken(token);
  $("token").value = "";
  await start();
}

function signOut() {
  clearToken();
  if (state.stopFeed) state.stopFeed();
  state.stopFeed = null;
  state.me = null;
  window.location.hash = "#/";
  window.location.reload();
}

async function start() {
  showError("login-error", null);
  try {
    state.me = await api("/me");
  } catch (error) {
    clearToken();
    $("login-error").textContent =
      error instanceof ApiError && error.status === 401
        ? `The token was refused: ${error.message}`
        : `Cannot sign in: ${error.message}`;
    showOnly("view-login");
    return;
  }
  $("who").textContent = `${state.me.subject} (${state.me.organisation}; ${state.me.roles.join(", ")})`;
  for (const id of ["nav", "session", "feed"]) $(id).hidden = false;
  document.body.dataset.signedIn = "true";
  route();
  await loadMap();
  state.stopFeed = followFeed({ onEvent: onFeedEvent, onStatus: onFeedStatus });
}

// views

const VIEWS = ["view-login", "view-map", "view-incident", "view-alerts"];

function showOnly(view) {
  for (const id of VIEWS) $(id).hidden = id !== view;
  for (const link of document.querySelectorAll("#nav a")) {
    const current = `view-${link.dataset.view}` === view;
    if (current) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  document.body.dataset.view = view;
}

function route() {
  if (!state.me) {
    showOnly("view-login");
    return;
  }
  const hash = window.location.hash || "#/";
  const incident = hash.match(/^#\/incident\/(.+)$/);
  if (incident) {
    showOnly("view-incident");
    openIncident(decodeURIComponent(incident[1]));
  } else if (hash === "#/alerts") {
    state.incidentId = null;
    showOnly("view-alerts");
    $("alerts-title").focus();
    loadAlerts();
  } else {
    state.incidentId = null;
    showOnly("view-map");
    if (state.map) {
      state.map.resize();
      select(state.map, null);
    }
  }
}

// the map, its filters and the queue

function readFilters() {
  const form = $("filters");
  const time = (value) => (value ? `${value.length === 16 ? `${value}:00` : value}Z` : null);
  const confidence = Number(form.elements.min_confidence.value || 0);
  return {
    start: time(form.elements.start.value),
    end: time(form.elements.end.value),
    status: form.elements.status.value || null,
    min_confidence: confidence > 0 ? confidence : null,
  };
}

function matches(d, f) {
  if (f.status && d.status !== f.status) return false;
  if (f.min_confidence !== null && d.confidence < f.min_confidence) return false;
  if (f.start && new Date(d.end) < new Date(f.start)) return false;
  if (f.end && new Date(d.start) > new Date(f.end)) return false;
  return true;
}

async function loadMap() {
  showError("map-error", null);
  if (!state.map) {
    try {
      state.theatre = await api("/theatre");
    } catch (error) {
      showError("map-error", error);
      return;
    }
    state.map = await makeMap($("map"), state.theatre, (id) => {
      window.location.hash = `#/incident/${encodeURIComponent(id)}`;
    });
  }
  await loadDeterminations();
  await loadQueue();
}

async function loadDeterminations() {
  state.filters = readFilters();
  $("map").dataset.loading = "true";
  // Feed events that arrive while the list is read are applied again after it, since
  // the list may have been read before they were stored (applying one twice is harmless).
  state.pending = [];
  let found;
  try {
    found = await apiAll("/determinations", state.filters, LIST_LIMIT);
  } catch (error) {
    showError("map-error", error);
    $("map").dataset.loading = "false";
    state.pending = null;
    return;
  }
  showError("map-error", null);
  state.determinations = new Map(found.items.map((d) => [d.id, d]));
  state.truncated = found.truncated;
  for (const event of state.pending || []) applyEvent(event);
  state.pending = null;
  redraw();
}

function redraw() {
  if (state.pending) return; // a load is under way; it redraws when it ends
  const shown = [...state.determinations.values()];
  if (state.map) showIncidents(state.map, shown);
  const more = state.truncated ? ` (the first ${LIST_LIMIT}; narrow the filters to see the rest)` : "";
  $("shown").textContent = `${shown.length} incident${shown.length === 1 ? "" : "s"} shown${more}`;
  if (!hasRole(...CELL_ROLES)) renderQueue();
}

async function loadQueue() {
  if (hasRole(...CELL_ROLES)) {
    try {
      state.queue = await api("/review/queue", { params: { limit: 1000 } });
    } catch (error) {
      $("queue-note").textContent = `The queue cannot be read: ${error.message}`;
      return;
    }
  }
  renderQueue();
}

function renderQueue() {
  const tbody = $("queue").tBodies[0];
  let rows;
  if (hasRole(...CELL_ROLES) && state.queue) {
    $("queue-title").textContent = "Review queue";
    $("queue-note").textContent =
      `${state.queue.total} incident${state.queue.total === 1 ? "" : "s"} awaiting review, most pressing first.`;
    rows = state.queue.items.map((item) => {
      const review = [words(item.review_status)];
      if (item.claimed_by) review.push(`claimed by ${item.claimed_by}`);
      if (item.signed_by.length) review.push(`signed by ${item.signed_by.join(", ")}`);
      return el("tr", { class: item.awaiting_signature ? "pressing" : null, "data-incident": item.incident_id },
        el("td", {}, el("a", { href: `#/incident/${encodeURIComponent(item.incident_id)}` }, short(item.incident_id))),
        el("td", {}, el("span", { class: `status s-${item.determination_status}` }, words(item.determination_status)),
          item.severity ? ` (${item.severity})` : ""),
        el("td", { class: "num" }, pct(item.confidence)),
        el("td", {}, review.join("; ")));
    });
  } else {
    $("queue-title").textContent = "Incidents";
    $("queue-note").textContent = "The incidents on the map, gravest and most confident first.";
    const sorted = [...state.determinations.values()].sort(
      (a, b) => GRAVITY[a.status] - GRAVITY[b.status] || b.confidence - a.confidence || a.id.localeCompare(b.id));
    rows = sorted.slice(0, 500).map((d) =>
      el("tr", { "data-incident": d.incident_id },
        el("td", {}, el("a", { href: `#/incident/${encodeURIComponent(d.incident_id)}` }, short(d.incident_id))),
        el("td", {}, el("span", { class: `status s-${d.status}` }, words(d.status))),
        el("td", { class: "num" }, pct(d.confidence)),
        el("td", {}, utc(d.start))));
  }
  fill(tbody, rows, "Nothing to review.", 4);
}

// one incident

function fact(dl, term, ...value) {
  if (value.length === 0 || value.every((v) => v === null || v === undefined || v === "")) return;
  dl.append(el("dt", {}, term), el("dd", {}, ...value));
}

function evidenceOf(observation) {
  if (!observation.evidence.length) return "none";
  return observation.evidence.map((e) => {
    const label = `sha256 ${e.sha256.slice(0, 12)}…`;
    const link = /^https?:\/\//i.test(e.uri)
      ? el("a", { href: e.uri, target: "_blank", rel: "noopener noreferrer" }, e.uri)
      : el("code", {}, e.uri);
    return el("div", { class: "evidence" }, link, " ", el("span", { class: "hash", title: e.sha256 }, label));
  });
}

async function openIncident(incidentId, { focus = true } = {}) {
  state.incidentId = incidentId;
  $("incident-title").textContent = `Incident ${incidentId}`;
  showError("incident-error", null);
  if (focus) {
    // a new page: nothing of the last one stays; a refresh keeps the focus and the messages
    $("incident-title").focus();
    showError("review-error", null);
    $("review-form").hidden = true;
    $("incident-body").hidden = true;
  }
  let detail;
  let review;
  try {
    [detail, review] = await Promise.all([
      api(`/incidents/${encodeURIComponent(incidentId)}`),
      api(`/incidents/${encodeURIComponent(incidentId)}/review`),
    ]);
  } catch (error) {
    if (state.incidentId !== incidentId) return;
    showError("incident-error", error);
    $("incident-body").hidden = true;
    return;
  }
  if (state.incidentId !== incidentId) return;
  renderIncident(detail);
  renderReview(review);
  $("incident-body").hidden = false;
  document.body.dataset.incidentLoaded = incidentId;
}

function renderIncident(detail) {
  const { incident, observations, determinations } = detail;
  const current = [...determinations].sort((a, b) => b.agreement_version - a.agreement_version)[0];
  state.determinationId = current ? current.id : null;
  if (state.map && current) select(state.map, current.id);
  const dl = $("determination");
  dl.replaceChildren();
  if (current) {
    fact(dl, "Status", el("span", { class: `status s-${current.status}` }, words(current.status)),
      current.clear_breach ? " — meets the clear-breach threshold" : "");
    fact(dl, "Rules broken", current.rules.join(", ") || "none");
    if (current.deconflicted_rules.length) fact(dl, "Deconflicted", current.deconflicted_rules.join(", "));
    fact(dl, "Severity", current.severity || "none");
    fact(dl, "Confidence", `${pct(current.confidence)} from ${current.independent_sources} independent source(s)`);
    fact(dl, "Attributed to", current.attributed_to || "unattributed", ` — ${current.attribution_basis}`);
    fact(dl, "Where", `${current.side} side, ${(current.distance_to_line_m / 1000).toFixed(1)} km from the line`,
      current.zones.length ? `; zones: ${current.zones.join(", ")}` : "");
    fact(dl, "Agreement", `${current.agreement_id} version ${current.agreement_version}`);
  } else {
    fact(dl, "Status", "not judged yet");
  }
  fact(dl, "Time window", `${utc(incident.start)} – ${utc(incident.end)} UTC`);
  fact(dl, "Location", `${incident.lat.toFixed(5)}° N ${incident.lon.toFixed(5)}° E ± ${Math.round(incident.location_uncertainty_m)} m`);
  fact(dl, "Kinds", incident.kinds.map(words).join(", "), incident.weapon_class ? `; weapon: ${incident.weapon_class}` : "");
  $("explanation").textContent = current ? current.explanation : "";
  const rows = observations.map((o) =>
    el("tr", {},
      el("td", {}, utc(o.observed_at)),
      el("td", {}, o.source_id),
      el("td", {}, `${o.reliability}${o.credibility}`),
      el("td", {}, words(o.kind), o.weapon_class ? ` (${o.weapon_class})` : ""),
      el("td", {}, `${o.lat.toFixed(4)}, ${o.lon.toFixed(4)} ± ${Math.round(o.location_uncertainty_m)} m`),
      el("td", {}, evidenceOf(o))));
  const hidden = incident.observation_ids.length - observations.length;
  fill($("observations").tBodies[0], rows, "No observation you may read.", 6);
  if (hidden > 0) {
    $("observations").tBodies[0].append(el("tr", {}, el("td", { colspan: 6, class: "empty" },
      `${hidden} more observation(s) are not released to your organisation.`)));
  }
}

function renderReview(review) {
  $("review-summary").textContent = review.summary;
  document.body.dataset.reviewStatus = review.status;
  const dl = $("review-facts");
  dl.replaceChildren();
  fact(dl, "Status", words(review.status));
  if (review.lock) fact(dl, "Claimed by", `${review.lock.actor} (${review.lock.actor_org}) until ${utc(review.lock.until)} UTC`);
  if (review.confirmed_by) fact(dl, "Confirmed by", `${review.confirmed_by} at ${utc(review.confirmed_at)} UTC`);
  if (review.signatures.length) {
    fact(dl, "Signed by", review.signatures.map((s) => `${s.actor} (${s.actor_org}) at ${utc(s.at)}`).join("; "));
  }
  fact(dl, "Dismissed because", review.dismissal_reason);
  fact(dl, "Collection asked", review.collection_request);
  fact(dl, "Merged into", review.merged_into);
  if (review.alert) fact(dl, "Alert", el("a", { href: "#/alerts" }, review.alert));
  const mayReview = hasRole(...CELL_ROLES);
  $("review-form").hidden = !mayReview;
  if (!mayReview) $("review-error").textContent = "Reviewing needs the role analyst or reviewer.";
  const final = FINAL.includes(review.status);
  for (const button of $("review-buttons").querySelectorAll("button")) {
    button.hidden = button.dataset.action === "sign" && !hasRole(...SIGNING_ROLES);
    button.disabled = final;
  }
  const history = review.history.map((a) =>
    el("tr", {},
      el("td", {}, utc(a.at)),
      el("td", {}, `${a.actor} (${a.actor_org}, ${words(a.role)})`),
      el("td", {}, words(a.action)),
      el("td", {}, a.reason || "")));
  fill($("history").tBodies[0], history.reverse(), "No action yet.", 4);
}

async function act(event) {
  const button = event.target.closest("button[data-action]");
  if (!button || !state.incidentId) return;
  const action = button.dataset.action;
  const reason = $("review-reason").value.trim();
  const body = { action };
  if (reason) body.reason = reason;
  showError("review-error", null);
  for (const b of $("review-buttons").querySelectorAll("button")) b.disabled = true;
  try {
    const review = await api(`/incidents/${encodeURIComponent(state.incidentId)}/review`, { method: "POST", body });
    $("review-reason").value = "";
    renderReview(review);
    $("review-summary").textContent = `Done: ${words(action)}. ${review.summary}`;
    later("queue", 200, loadQueue);
  } catch (error) {
    showError("review-error", error);
    try {
      renderReview(await api(`/incidents/${encodeURIComponent(state.incidentId)}/review`));
    } catch {
      // the error shown says enough
    }
  }
}

// alerts and clocks

async function loadAlerts() {
  showError("alerts-error", null);
  let page;
  try {
    page = await api("/alerts", { params: { limit: 1000 } });
  } catch (error) {
    showError("alerts-error", error);
    return;
  }
  const rows = [...page.items].reverse().map((a) =>
    el("tr", { "data-alert": a.identifier },
      el("td", {}, utc(a.sent)),
      el("td", {}, a.msg_type, a.status !== "Actual" ? ` (${a.status})` : ""),
      el("td", {}, a.headline || "", a.note ? el("div", { class: "note" }, a.note) : null),
      el("td", {}, el("a", { href: `#/incident/${encodeURIComponent(a.incident_id)}` }, short(a.incident_id))),
      el("td", {}, a.members.join(", ")),
      el("td", { class: "buttons" },
        el("button", { type: "button", onclick: () => loadClocks(a.thread) }, "Clocks"),
        el("button", { type: "button", onclick: () => downloadCap(a.identifier) }, "CAP XML"))));
  fill($("alerts").tBodies[0], rows, "No alert yet: an alert is sent when two reviewers sign a clear breach.", 6);
  document.body.dataset.alerts = String(page.total);
}

async function downloadCap(identifier) {
  try {
    const blob = await apiBlob(`/alerts/${encodeURIComponent(identifier)}.xml`);
    const url = URL.createObjectURL(blob);
    const link = el("a", { href: url, download: `${identifier}.xml` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch (error) {
    showError("alerts-error", error);
  }
}

async function loadClocks(thread) {
  let clocks;
  try {
    clocks = await api(`/alerts/${encodeURIComponent(thread)}/clocks`);
  } catch (error) {
    showError("alerts-error", error);
    return;
  }
  $("clocks-section").hidden = false;
  $("clocks-title").textContent = `Response clocks of ${clocks.alert}`;
  const cancelled = clocks.cancelled ? " The alert was cancelled." : "";
  $("clocks-summary").textContent =
    `Sent ${utc(clocks.sent)} UTC to ${clocks.members.join(", ") || "no member"}; ` +
    `${clocks.overdue} step${clocks.overdue === 1 ? "" : "s"} overdue at ${utc(clocks.now)} UTC.${cancelled}`;
  const rows = clocks.clocks.map((c) =>
    el("tr", { class: c.overdue ? "overdue" : c.late ? "late" : null },
      el("td", {}, c.member),
      el("td", {}, c.tier),
      el("td", {}, utc(c.due)),
      el("td", {}, utc(c.acknowledged_at)),
      el("td", {}, utc(c.done_at)),
      el("td", {}, el("strong", {}, c.state))));
  fill($("clocks").tBodies[0], rows, "The response protocol has no step.", 6);
  $("clocks-title").focus();
}

// the live feed

function onFeedStatus(status) {
  const labels = {
    connecting: "Live feed connecting…",
    live: "Live feed on",
    reconnecting: "Live feed lost; reconnecting…",
    refused: "Live feed refused: sign in again",
  };
  $("feed-status").textContent = labels[status] || status;
  $("feed-status").dataset.state = status;
}

function logEvent(text, type) {
  const log = $("feed-log");
  const time = new Date().toISOString().slice(11, 19);
  log.prepend(el("li", { "data-type": type }, el("time", {}, time), " ", text));
  while (log.children.length > FEED_LOG_SIZE) log.lastElementChild.remove();
  state.events += 1;
  log.dataset.events = String(state.events);
}

function applyEvent(event) {
  const d = event.data;
  if (event.type === "determination") {
    if (matches(d, state.filters)) state.determinations.set(d.id, d);
    else state.determinations.delete(d.id);
  } else if (event.type === "withdrawn") {
    state.determinations.delete(d.id);
  }
}

function onFeedEvent(event) {
  const d = event.data;
  applyEvent(event);
  if (state.pending) state.pending.push(event);
  if (event.type === "determination") {
    logEvent(`${words(d.status)} at ${d.lat.toFixed(3)}, ${d.lon.toFixed(3)} (${pct(d.confidence)})`, event.type);
  } else if (event.type === "withdrawn") {
    logEvent(`withdrawn: ${short(d.incident_id)} was fused anew`, event.type);
  } else if (event.type === "alert") {
    logEvent(`clear breach at ${d.lat.toFixed(3)}, ${d.lon.toFixed(3)}: awaiting review`, event.type);
  } else if (event.type === "cap_alert") {
    logEvent(`alert sent: ${d.headline || d.identifier}`, event.type);
    if (document.body.dataset.view === "view-alerts") later("alerts", 300, loadAlerts);
  } else if (event.type === "reset") {
    logEvent(`feed reset (${d.reason}); reloading`, event.type);
    later("reload", 100, loadMap);
    return;
  } else {
    return;
  }
  $("map").dataset.loading = "true"; // until the map shows what the events changed
  later("redraw", 300, redraw);
  later("queue", 1000, loadQueue);
  if (state.incidentId && d.incident_id === state.incidentId) {
    later("incident", 300, () => openIncident(state.incidentId, { focus: false }));
  }
}

// wiring

function init() {
  $("login-form").addEventListener("submit", signIn);
  $("logout").addEventListener("click", signOut);
  $("filters").addEventListener("submit", (event) => {
    event.preventDefault();
    loadDeterminations();
  });
  $("f-reset").addEventListener("click", () => {
    $("filters").reset();
    loadDeterminations();
  });
  $("review-buttons").addEventListener("click", act);
  window.addEventListener("hashchange", route);
  if (getToken()) start();
  else showOnly("view-login");
}

init();
