// axi serve: the person's page. Every request carries the token (a header for fetch, the query
// for the live stream); every text is set as text, never as markup.
"use strict";

const TOKEN = document.querySelector('meta[name="axi-token"]').content;
const ACTIVE = new Set(["working", "idle", "needs you", "review"]);
const state = { person: "", sessions: [], agents: [], threads: [], after: null, open: null };

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "on") for (const [ev, fn] of Object.entries(value)) node.addEventListener(ev, fn);
    else if (key.startsWith("data-") || key === "type" || key === "id" || key === "title"
             || key === "placeholder" || key === "name" || key === "rows") node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const $ = (id) => document.getElementById(id);
const text = (v) => (v === null || v === undefined ? "" : String(v));
const statusClass = (s) => "s-" + text(s).replace(/\s+/g, "-");

async function api(path, body) {
  const init = { headers: { "X-Axi-Token": TOKEN }, cache: "no-store" };
  if (body !== undefined) {
    init.method = "POST";
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const answer = await fetch(path, init);
  const data = await answer.json().catch(() => ({ error: `HTTP ${answer.status}` }));
  if (!answer.ok || data.error) {
    const help = (data.help || []).join("; ");
    throw new Error(text(data.error) + (help ? ` (${help})` : ""));
  }
  return data;
}

function toast(message, error) {
  const box = $("toast");
  box.textContent = message;
  box.className = error ? "error" : "";
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.hidden = true; }, error ? 8000 : 4000);
}

async function act(path, body, done) {
  try {
    const data = await api(path, body || {});
    if (done) toast(done(data));
    refreshSoon(0);
    return data;
  } catch (err) {
    toast(err.message, true);
    return null;
  }
}

function fill(tbody, rows, empty, columns) {
  const body = $(tbody);
  body.replaceChildren();
  if (!rows.length) body.append(el("tr", {}, el("td", { colSpan: columns, class: "note" }, empty)));
  for (const row of rows) body.append(row);
}

// ---- the drawer ---------------------------------------------------------------------------

function openDrawer(key, ...children) {
  state.open = key;
  $("drawer-body").replaceChildren(...children);
  $("drawer").hidden = false;
}

function closeDrawer() {
  state.open = null;
  $("drawer").hidden = true;
}

const details = (pairs) => el("dl", {}, pairs.filter(([, v]) => v !== null && v !== undefined && v !== "")
  .map(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));

function twoStep(label, confirmLabel, id, run) {
  const button = el("button", { type: "button", class: "danger", id });
  button.textContent = label;
  button.addEventListener("click", () => {
    if (button.dataset.armed) { run(); return; }
    button.dataset.armed = "1";
    button.textContent = confirmLabel;
  });
  return button;
}

// ---- sessions -----------------------------------------------------------------------------

function showSessions(data) {
  state.sessions = data.sessions;
  $("sessions-note").textContent = `${data.sessions.length} of ${data.total} sessions, newest first`
    + (data.note ? ` (${data.note})` : "");
  fill("sessions", data.sessions.map((s) => el("tr", { "data-id": s.full_id, on: { click: () => sessionDrawer(s) } },
    el("td", {}, s.harness), el("td", { class: statusClass(s.status) }, s.status),
    el("td", { class: "code" }, s.id), el("td", { class: "title", title: text(s.title) }, s.title),
    el("td", {}, s.dir), el("td", {}, s.model), el("td", {}, s.age), el("td", {}, s.ctx),
    el("td", {}, s.cost))), "no sessions in the index yet", 9);
  const needs = data.sessions.filter((s) => s.status === "needs you").length;
  $("n-needs").textContent = needs ? String(needs) : "";
}

function sessionDrawer(s) {
  const parts = [el("h2", {}, `${s.harness} session ${s.id}`), details([
    ["status", s.status], ["title", s.title], ["folder", s.dir], ["model", s.model],
    ["age", s.age], ["context", s.ctx], ["cost", s.cost], ["launch", s.launch], ["id", s.full_id]])];
  if (s.status === "needs you") {
    parts.push(el("h2", {}, "It needs you"), el("p", { class: "warn" }, text(s.question)));
    if (s.launch && text(s.answer_with).startsWith("axi reply")) {
      const box = el("textarea", { id: "answer-text", placeholder: "your answer" });
      parts.push(el("form", { id: "answer", on: { submit: (ev) => {
        ev.preventDefault();
        act(`/api/sessions/${encodeURIComponent(s.launch)}/answer`, { text: box.value },
          () => `answered ${s.id}`).then((ok) => ok && closeDrawer());
      } } }, el("p", {}, box), el("button", { type: "submit", class: "go" }, "Answer")));
    } else {
      parts.push(el("p", { class: "note" }, `in a terminal: ${text(s.answer_with)}`));
    }
  }
  if (s.launch && ACTIVE.has(s.status)) {
    parts.push(el("p", {}, twoStep("Kill this session", "Really kill it?", "kill", () =>
      act(`/api/sessions/${encodeURIComponent(s.launch)}/kill`, {}, () => `killed ${s.id}`)
        .then(() => closeDrawer()))));
  }
  openDrawer(`session:${s.full_id}`, ...parts);
}

// ---- agents -------------------------------------------------------------------------------

function showAgents(data) {
  state.agents = data.agents;
  $("agents-note").textContent = data.note || "";
  fill("agents", data.agents.map((a) => el("tr", { "data-agent": a.name, on: { click: () => agentDrawer(a) } },
    el("td", {}, a.name + (a.you ? " (you)" : "")), el("td", {}, a.kind),
    el("td", { class: `st-${a.state}` }, a.state), el("td", { class: "code" }, a.code),
    el("td", {}, a.folder || `(${a.kind})`), el("td", {}, a.listening ? "yes" : ""),
    el("td", {}, a.unread === null ? "" : a.unread), el("td", {}, a.last_activity || "never"))),
  "no agents yet", 8);
  const pending = data.agents.filter((a) => a.state === "pending").length;
  $("n-pending").textContent = pending ? String(pending) : "";
}

function agentDrawer(a) {
  const where = a.kind === "service" ? "service sender (no folder; approval writes its token file)"
    : a.folder || `(${a.kind})`;
  const parts = [el("h2", {}, `${a.kind} ${a.name}`), details([
    ["state", a.state], ["folder", where], ["host", a.host], ["user", a.user], ["tag", a.tag],
    ["code", a.code], ["listening", a.listening ? "yes" : "no"], ["unread", a.unread],
    ["last activity", a.last_activity || "never"], ["created", a.created],
    ["approved", a.approved], ["revoked", a.revoked]])];
  if (a.state !== "approved") {
    parts.push(el("p", { class: "warn" }, "Approve only if this is the folder you expect: ",
      el("strong", {}, where), ", code ", el("span", { class: "code", id: "approve-code" }, a.code), "."),
    el("p", {}, el("button", { type: "button", class: "go", id: "approve", on: { click: () =>
      act(`/api/agents/${encodeURIComponent(a.name)}/approve`, { code: a.code }, (d) =>
        `approved ${d.approved}` + (d.token_file ? `; token file ${d.token_file}` : ""))
        .then((ok) => ok && closeDrawer()) } }, `Approve ${a.name} (code ${a.code})`)));
  } else if (a.kind === "agent" || a.kind === "service") {
    parts.push(el("p", {}, twoStep(`Revoke ${a.name}`, `Really revoke ${a.name}?`, "revoke", () =>
      act(`/api/agents/${encodeURIComponent(a.name)}/revoke`, {}, (d) => `revoked ${d.revoked}`)
        .then(() => closeDrawer()))));
  }
  if (a.kind !== "service" && !a.you && a.state !== "revoked") {
    parts.push(el("p", {}, el("button", { type: "button", on: { click: () => compose(a.name) } },
      `Mail ${a.name}`)));
  }
  openDrawer(`agent:${a.name}`, ...parts);
}

// ---- mail ---------------------------------------------------------------------------------

function showThreads(data) {
  state.threads = data.threads;
  $("mail-note").textContent = `you write as ${state.person}`;
  fill("threads", data.threads.map((t) => el("tr", { "data-thread": t.thread, on: { click: () => threadDrawer(t.thread) } },
    el("td", {}, `#${t.thread}` + (t.unread_to_you ? ` (${t.unread_to_you} new)` : "")),
    el("td", {}, t.from), el("td", { class: "title" }, t.subject), el("td", {}, t.with.join(", ")),
    el("td", {}, t.messages), el("td", {}, t.last))), "no mail yet", 6);
  const unread = data.threads.reduce((n, t) => n + t.unread_to_you, 0);
  $("n-unread").textContent = unread ? String(unread) : "";
}

async function threadDrawer(id) {
  let data;
  try { data = await api(`/api/mail/${id}`); } catch (err) { toast(err.message, true); return; }
  const me = state.person;
  const letters = data.messages.map((m) => el("div", { class: "letter" + (m.to_you ? " to-you" : ""), "data-message": m.id },
    el("div", { class: "head" }, `#${m.id} ${m.from} → ${m.to.join(", ")} · ${text(m.age)} ago`
      + (m.auto ? " · automatic" : "") + (m.task ? ` · task ${m.task}` : "")),
    el("div", { class: "body" }, m.text)));
  const parts = [el("h2", {}, `Thread #${id}`), ...letters];
  const mine = data.messages.filter((m) => m.from === me || m.to_you);
  if (mine.length) {
    const last = mine[mine.length - 1];
    const box = el("textarea", { id: "reply-text", placeholder: `reply as ${me}` });
    parts.push(el("form", { id: "reply", on: { submit: (ev) => {
      ev.preventDefault();
      act("/api/mail/send", { reply_to: last.id, text: box.value }, (d) => `sent #${d.id} to ${d.to.join(", ")}`)
        .then((ok) => ok && threadDrawer(id));
    } } }, el("p", {}, box), el("button", { type: "submit", class: "go" }, `Reply as ${me}`)));
  } else {
    parts.push(el("p", { class: "note" }, "a thread between agents: write to them with New mail"));
  }
  openDrawer(`thread:${id}`, ...parts);
  const unread = data.messages.filter((m) => m.to_you === "unread").map((m) => m.id);
  if (unread.length) act("/api/mail/read", { ids: unread });
}

function compose(to) {
  const who = el("input", { type: "text", id: "compose-to", placeholder: "@bob @alice", value: to ? `@${to}` : "" });
  const box = el("textarea", { id: "compose-text", placeholder: "the message" });
  openDrawer("compose", el("h2", {}, `New mail from ${state.person}`),
    el("form", { id: "compose-form", on: { submit: (ev) => {
      ev.preventDefault();
      const names = who.value.split(/[\s,]+/).filter(Boolean).map((n) => n.replace(/^@/, ""));
      act("/api/mail/send", { to: names, text: box.value }, (d) => `sent #${d.id} to ${d.to.join(", ")}`)
        .then((ok) => ok && closeDrawer());
    } } }, el("p", {}, who), el("p", {}, box), el("button", { type: "submit", class: "go" }, "Send")));
}

// ---- tasks, runs, activity ----------------------------------------------------------------

function showTasks(data) {
  fill("tasks", data.tasks.map((t) => el("tr", {}, el("td", {}, `#${t.id}`), el("td", {}, t.priority),
    el("td", {}, t.status), el("td", { class: "title" }, t.title), el("td", {}, t.owner),
    el("td", {}, t.creator), el("td", {}, t.updated))), "no open tasks", 7);
}

function showRuns(data) {
  fill("runs", data.runs.map((r) => el("tr", {}, el("td", { class: "code" }, r.id), el("td", {}, r.outcome),
    el("td", {}, r.sessions), el("td", {}, r.live), el("td", { class: "title" }, r.task),
    el("td", {}, r.age), el("td", {}, r.duration), el("td", {}, r.cost))), "no runs yet", 8);
}

function eventItem(e, fresh) {
  return el("li", { "data-kind": e.kind, "data-cursor": e.cursor, class: fresh ? "new" : "" },
    el("span", { class: "kind" }, e.kind), el("span", {}, `${text(e.who)} ${text(e.what)}`),
    el("span", { class: "time" }, e.time));
}

function startStream() {
  const source = new EventSource(`/api/events?after=${encodeURIComponent(state.after)}&token=${encodeURIComponent(TOKEN)}`);
  source.onopen = () => { $("live").className = "on"; $("live").textContent = "live"; };
  source.onerror = () => { $("live").className = "off"; $("live").textContent = "reconnecting"; };
  source.addEventListener("activity", (msg) => {
    const list = $("events");
    list.prepend(eventItem(JSON.parse(msg.data), true));
    while (list.children.length > 300) list.lastChild.remove();
    refreshSoon(500);
  });
}

// ---- refreshing ---------------------------------------------------------------------------

const loaders = { sessions: ["/api/sessions", showSessions], agents: ["/api/agents", showAgents],
  mail: ["/api/mail", showThreads], tasks: ["/api/tasks", showTasks], runs: ["/api/runs", showRuns] };

async function refresh() {
  await Promise.all(Object.values(loaders).map(([path, show]) =>
    api(path).then(show).catch((err) => toast(err.message, true))));
}

function refreshSoon(ms) {
  if (refreshSoon.timer && ms > 0) return; // a busy stream refreshes at most every `ms`
  clearTimeout(refreshSoon.timer);
  refreshSoon.timer = setTimeout(() => { refreshSoon.timer = null; refresh(); }, ms);
}

async function start() {
  for (const button of document.querySelectorAll("#tabs button")) {
    button.addEventListener("click", () => {
      for (const other of document.querySelectorAll("#tabs button, .tab")) other.classList.remove("on");
      button.classList.add("on");
      $(`tab-${button.dataset.tab}`).classList.add("on");
    });
  }
  $("close").addEventListener("click", closeDrawer);
  $("compose").addEventListener("click", () => compose(""));
  document.addEventListener("keydown", (ev) => { if (ev.key === "Escape") closeDrawer(); });
  try {
    const who = await api("/api/overview");
    state.person = who.person;
    $("where").textContent = `${who.person} on ${who.host}`;
    const recent = await api("/api/activity");
    $("events").replaceChildren(...recent.events.slice().reverse().map((e) => eventItem(e, false)));
    state.after = recent.after;
  } catch (err) {
    toast(err.message, true);
    return;
  }
  startStream();
  await refresh();
  setInterval(refresh, 15000);
}

document.addEventListener("DOMContentLoaded", start);
