"""The agent harness doors: hooks that Claude Code, Codex, Copilot, Gemini CLI and Cursor run.

`harnesses` says what each harness is (its configuration file, its events,
the variables it sets); `protocol` speaks each one's JSON; `shellwords` and
`bypass` judge a shell command before it runs; `configfile` merges the hooks
into a harness's configuration without touching a byte of the rest; `stophook`
runs the gate for the agent's work within the harness's time.
"""
