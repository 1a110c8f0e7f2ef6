"""How to run each pinned real agent offline against the stand-in model server.

One class per agent: where its CLI lives in the agents cache, which files in the
temporary HOME point it at the stand-in (written before it starts; the suite never
touches an agent's files afterwards), the command line for one prompt, and, where the
agent has one, how to drive its interactive mode in a pseudo-terminal. Nothing here
knows what Sessionscope shows; that is `suite.py`'s job.
"""

import json
import os
import sys
from pathlib import Path

AGENTS_DIR = Path(os.environ.get("SESSIONSCOPE_AGENTS_DIR") or Path.home() / ".cache/sessionscope/agents")
NPM_BIN = AGENTS_DIR / "npm" / "node_modules" / ".bin"
VENV_BIN = AGENTS_DIR / "venv" / "bin"
API_KEY = "sk-ant-standin-0000000000000000000000000000"


class Agent:
    name = ""  # the CLI's name
    harness = ""  # as `sessionscope ps --json` names it
    version = ""  # pinned in tests/agents
    api = ""  # which API of the stand-in it calls
    # What the agent's prompt-mode session is titled: the prompt itself unless set.
    titles_from_side_request = False
    # The last scripted answer also calls this tool, to end a prompt-mode run (gptme
    # replies to itself until the model calls `complete`).
    finish_call = None

    def executable(self):
        return NPM_BIN / self.name

    def model_shown(self, wire_model):
        """The model as the agent itself names it, given the one it sent to the API."""
        return wire_model

    # Whether the agent's own files say which process writes which session (a live
    # state file, a lock held by the writer). Where they do not, two agents of this
    # kind in one directory may only be shown as "ambiguous".
    tells_processes_apart = False

    def recorded_cost(self, home):
        """The cost in USD the agent itself recorded for the session, if it records one."""
        return None

    # The models it asks for by default have a price: its sessions must show a cost,
    # not "price unknown" (False where the suite names a model no price table knows).
    priced = True

    def installed(self):
        return self.executable().exists()

    def setup(self, home, port):
        """Write the agent's own configuration into the fresh HOME."""

    def env(self, home, port):
        return {}

    def prompt_argv(self, prompt):
        raise NotImplementedError

    # Interactive mode in a PTY: argv, and the bytes that quit it.
    interactive = False

    def interactive_argv(self):
        return [str(self.executable())]

    quit_keys = [b"\x03", b"\x03"]
    # What the TUI prints once it reads keys (None: wait for its first screen), and
    # once the answer is on screen (the script's answer ends with "turn.").
    ready_marker = None
    answered_marker = b"turn."


class Claude(Agent):
    name = "claude"
    harness = "claude-code"
    version = "2.1.332"
    api = "anthropic"
    interactive = True
    quit_keys = [b"/exit", b"\r"]

    def setup(self, home, port):
        # Onboarding done and the key approved, so interactive mode starts at the prompt.
        projects = {str(p): {"hasTrustDialogAccepted": True, "hasCompletedProjectOnboarding": True} for p in home.projects}
        state = {
            "hasCompletedOnboarding": True,
            "theme": "dark",
            "bypassPermissionsModeAccepted": True,
            "customApiKeyResponses": {"approved": [API_KEY[-20:]], "rejected": []},
            "projects": projects,
        }
        (home.path / ".claude.json").write_text(json.dumps(state))
        (home.path / ".claude").mkdir(parents=True, exist_ok=True)
        settings = {"permissions": {"allow": ["Bash"], "defaultMode": "acceptEdits"}}
        (home.path / ".claude" / "settings.json").write_text(json.dumps(settings))

    def env(self, home, port):
        return {
            "ANTHROPIC_BASE_URL": f"http://127.0.0.1:{port}",
            "ANTHROPIC_API_KEY": API_KEY,
            "DISABLE_AUTOUPDATER": "1",
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        }

    def prompt_argv(self, prompt):
        return [str(self.executable()), "-p", prompt, "--allowedTools", "Bash"]

    tells_processes_apart = True  # ~/.claude/sessions/<pid>.json

    def recorded_cost(self, home):
        # The last `cost-state` record's totalCostUSD, in the session's transcript.
        cost = None
        for path in (home.path / ".claude" / "projects").glob("*/*.jsonl"):
            for line in path.read_text(errors="replace").splitlines():
                if '"cost-state"' in line:
                    try:
                        record = json.loads(line)
                    except ValueError:
                        continue
                    if record.get("type") == "cost-state" and isinstance(record.get("totalCostUSD"), (int, float)):
                        cost = record["totalCostUSD"]
        return cost


class Codex(Agent):
    name = "codex"
    harness = "codex"
    version = "0.171.0"
    api = "responses"

    def setup(self, home, port):
        codex = home.path / ".codex"
        codex.mkdir(parents=True, exist_ok=True)
        (codex / "config.toml").write_text(
            'model_provider = "standin"\n'
            "[model_providers.standin]\n"
            'name = "stand-in"\n'
            f'base_url = "http://127.0.0.1:{port}/v1"\n'
            'wire_api = "responses"\n'
            'env_key = "STANDIN_API_KEY"\n'
        )

    def env(self, home, port):
        return {"STANDIN_API_KEY": API_KEY}

    def prompt_argv(self, prompt):
        return [str(self.executable()), "exec", "--skip-git-repo-check", "--dangerously-bypass-approvals-and-sandbox", prompt]

    # The TUI, past its trust question, in a PTY that answers its terminal queries;
    # it tells the terminal its state (OSC 7501), idle once it reads keys.
    interactive = True
    ready_marker = b"\x1b]7501;state=idle"
    answered_marker = b"\x1b]7501;state=done"

    def interactive_argv(self):
        return [str(self.executable()), "--dangerously-bypass-approvals-and-sandbox"]

    tells_processes_apart = True  # the writer holds a lock on its rollout


class Gemini(Agent):
    name = "gemini"
    harness = "gemini"
    version = "0.61.0"
    api = "gemini"

    def setup(self, home, port):
        gemini = home.path / ".gemini"
        gemini.mkdir(parents=True, exist_ok=True)
        settings = {
            "security": {"auth": {"selectedType": "gemini-api-key"}, "folderTrust": {"enabled": False}},
            "general": {"disableAutoUpdate": True},
            "privacy": {"usageStatisticsEnabled": False},
        }
        (gemini / "settings.json").write_text(json.dumps(settings))

    def env(self, home, port):
        return {"GOOGLE_GEMINI_BASE_URL": f"http://127.0.0.1:{port}", "GEMINI_API_KEY": API_KEY}

    def prompt_argv(self, prompt):
        return [str(self.executable()), "-p", prompt, "--yolo"]


class Opencode(Agent):
    name = "opencode"
    harness = "opencode"
    version = "1.18.33"
    api = "anthropic"
    titles_from_side_request = True

    def setup(self, home, port):
        config = home.path / ".config" / "opencode"
        config.mkdir(parents=True, exist_ok=True)
        settings = {
            "model": "anthropic/claude-sonnet-4-5",
            "autoupdate": False,
            "share": "disabled",
            "provider": {"anthropic": {"options": {"baseURL": f"http://127.0.0.1:{port}/v1", "apiKey": API_KEY}}},
            "permission": {"bash": "allow", "edit": "allow"},
        }
        (config / "opencode.json").write_text(json.dumps(settings))

    def env(self, home, port):
        # opencode installs its plugins with npm at start, into its cache directory:
        # share that cache between runs (its data, what Sessionscope reads, stays in HOME).
        return {
            "npm_config_cache": str(AGENTS_DIR / "npm-cache"),
            "XDG_CACHE_HOME": str(AGENTS_DIR / "xdg-cache"),
            # Offline: no models.dev catalogue, no default plugins fetched, no LSP downloads.
            "OPENCODE_DISABLE_MODELS_FETCH": "1",
            "OPENCODE_DISABLE_DEFAULT_PLUGINS": "1",
            "OPENCODE_DISABLE_LSP_DOWNLOAD": "1",
            "OPENCODE_DISABLE_AUTOUPDATE": "1",
        }

    def prompt_argv(self, prompt):
        return [str(self.executable()), "run", prompt]

    # Its processes share one log, each appending through its own descriptor: the line
    # before a process's offset names its run, and the run names its session.
    tells_processes_apart = True

    def recorded_cost(self, home):
        # opencode prices each assistant message itself (`cost` in the message's data).
        import sqlite3

        db = home.path / ".local" / "share" / "opencode" / "opencode.db"
        if not db.exists():
            return None
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            costs = [json.loads(row[0]).get("cost") for row in conn.execute("select data from message")]
        costs = [c for c in costs if isinstance(c, (int, float))]
        return sum(costs) if costs else None


class Copilot(Agent):
    name = "copilot"
    harness = "copilot"
    version = "1.0.102"
    api = "chat"

    def env(self, home, port):
        # Copilot's own offline mode with a custom provider (BYOK): no GitHub sign-in.
        return {
            "COPILOT_OFFLINE": "true",
            "COPILOT_PROVIDER_BASE_URL": f"http://127.0.0.1:{port}/v1",
            "COPILOT_PROVIDER_API_KEY": API_KEY,
            "COPILOT_MODEL": "gpt-4.1",
            "COPILOT_AUTO_UPDATE": "false",
        }

    def prompt_argv(self, prompt):
        return [str(self.executable()), "-p", prompt, "--allow-all-tools", "--disable-client-telemetry"]

    tells_processes_apart = True  # the running copilot holds <session>/inuse.<pid>.hold


class Gptme(Agent):
    name = "gptme"
    harness = "gptme"
    version = "0.35.1"
    api = "chat"
    titles_from_side_request = True
    finish_call = "complete"

    def executable(self):
        return VENV_BIN / "gptme"

    def model_shown(self, wire_model):
        # gptme names a model with its provider, as chosen with -m.
        return f"local/{wire_model}"

    priced = False  # run with -m local/stand-in: no price exists, "price unknown" is right

    tells_processes_apart = True  # the running gptme holds its conversation's .lock

    def env(self, home, port):
        return {"OPENAI_BASE_URL": f"http://127.0.0.1:{port}/v1", "OPENAI_API_KEY": API_KEY}

    def prompt_argv(self, prompt):
        return [str(self.executable()), "--non-interactive", "--tool-format", "tool", "-m", "local/stand-in", prompt]


ALL = [Claude(), Codex(), Gemini(), Opencode(), Copilot(), Gptme()]


class PreparedHome:
    """A HOME directory and the project directories the agent will run in."""

    def __init__(self, path, projects):
        self.path = Path(path)
        self.projects = [Path(p) for p in projects]


def main(argv):
    """`agents.py prepare NAME HOME PROJECT PORT PROMPT`: write the agent's configuration
    into HOME and print {"argv", "env"} as JSON, for the E2E tests (one place knows how
    to start each agent)."""
    if len(argv) != 6 or argv[0] != "prepare":
        print(main.__doc__, file=sys.stderr)
        return 2
    _, name, home, project, port, prompt = argv
    agent = next((a for a in ALL if a.name == name), None)
    if agent is None:
        print(f"unknown agent {name}", file=sys.stderr)
        return 2
    prepared = PreparedHome(home, [project])
    agent.setup(prepared, int(port))
    print(json.dumps({"argv": agent.prompt_argv(prompt), "env": agent.env(prepared, int(port)), "harness": agent.harness, "installed": agent.installed()}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
