// axi managed opencode plugin. Written by `axi setup hooks`, removed by `axi setup uninstall`;
// edits here are replaced on the next `axi setup hooks`.
//
// It adds axi's session-start dashboard (this folder's sessions, mail and tasks) to the
// system context. OpenCode calls the transform on every model request, so axi runs once per
// session and the text is reused. It also tells axi when a session turns busy, idle or waits
// for a permission or an answer (`axi hook state`), so the catalog shows working, idle or
// needs you; that runs in the background, only when the news changes, and is never awaited.
// Every error is caught: a throw here would abort the run.
import { execFileSync, spawn } from "node:child_process";

const AXI_ARGV = __AXI_ARGV__;
const AXI_STATE_ARGV = __AXI_STATE_ARGV__;
const TIMEOUT_MS = __AXI_TIMEOUT_MS__;
const STATE_EVENTS = new Set(["session.status", "session.idle", "permission.asked",
  "permission.replied", "question.asked", "question.replied", "question.rejected"]);
const seen = new Map();
const lastNews = new Map();

function dashboard(sessionID, directory) {
  const payload = JSON.stringify({
    session_id: sessionID, cwd: directory, hook_event_name: "SessionStart", source: "startup",
  });
  try {
    const out = execFileSync(AXI_ARGV[0], AXI_ARGV.slice(1), {
      input: payload, cwd: directory, timeout: TIMEOUT_MS, encoding: "utf8",
      stdio: ["pipe", "pipe", "ignore"], windowsHide: true,
    });
    return out.trim();
  } catch (err) {
    const why = (err && (err.code || err.signal || err.status)) || "failed";
    return `axi: dashboard unavailable (${why}); run \`axi setup status\``;
  }
}

function report(event, directory) {
  if (!event || !STATE_EVENTS.has(event.type)) return;
  const props = event.properties || {};
  const id = props.sessionID;
  if (!id) return;
  const status = props.status && props.status.type;
  // session.idle follows session.status idle: the same news.
  const news = event.type === "session.idle" ? "session.status:idle"
    : `${event.type}:${status || ""}`;
  if (lastNews.get(id) === news) return;
  lastNews.set(id, news);
  const payload = JSON.stringify({
    session_id: id, cwd: directory, hook_event_name: event.type, status, at: Date.now() / 1000,
  });
  const child = spawn(AXI_STATE_ARGV[0], AXI_STATE_ARGV.slice(1), {
    cwd: directory, stdio: ["pipe", "ignore", "ignore"], detached: true, windowsHide: true,
  });
  child.on("error", () => {});
  child.stdin.on("error", () => {});
  child.stdin.end(payload);
  child.unref();
}

export default {
  id: "axi",
  async server(ctx) {
    const directory = (ctx && ctx.directory) || process.cwd();
    return {
      event: async ({ event }) => {
        try {
          report(event, directory);
        } catch {
          // never break the user's run
        }
      },
      "experimental.chat.system.transform": async (input, output) => {
        try {
          const id = (input && input.sessionID) || "";
          if (!seen.has(id)) seen.set(id, dashboard(id, directory));
          const text = seen.get(id);
          if (text && output && Array.isArray(output.system)) output.system.push(text);
        } catch {
          // never break the user's run
        }
      },
    };
  },
};
