# Secret patterns in [settings] add to TOKEN, SECRET, PASSWORD, KEY and
# CREDENTIAL. Regression: they used to replace them, so a manifest could
# switch the masking of a token off.
. "$SMOKE_MANIFEST_DIR/scenarios/lib/scratch.sh"
new_repo "$SMOKE_SCRATCH/repo"
manifest <<'TOML'
[settings]
secret_env_patterns = ["DSN"]

[[scenario]]
name = "prints_its_credentials"
run = "echo token=$API_TOKEN dsn=$DB_DSN; exit 1"
TOML
API_TOKEN=tok-4f9a1c77e2 DB_DSN=postgres://u:pw@db smoke run --all --color never
echo "run-exit=$?"
