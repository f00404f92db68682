// axi managed opencode plugin. Written by `axi setup hooks`, removed by `axi setup uninstall`;
// edits here are replaced on the next `axi setup hooks`.
//
// It adds axi's session-start dashboard (this folder's sessions, mail and tasks) to the
// system context. OpenCode calls the transform on every model request, so axi runs once per
// session and the text is reused. Every error is caught: a throw here would abort the run.
import { execFileSync } from "node:child_process";

const AXI_ARGV = __AXI_ARGV__;
const TIMEOUT_MS = __AXI_TIMEOUT_MS__;
const seen = new Map();

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

export default {
  id: "axi",
  async server(ctx) {
    const directory = (ctx && ctx.directory) || process.cwd();
    return {
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
