#!/usr/bin/env bash
# Regenerates the newest, not yet released migration from the models (development only):
#   scripts/regenerate-migration.sh 0004 verification
# It removes versions/*_<rev>_*.py, migrates a scratch SQLite file to the revision before,
# and lets Alembic write the difference. Read the result before committing it.
set -euo pipefail
cd "$(dirname "$0")/.."
rev="$1"; shift
message="$*"
rm -f src/jianguan/storage/migrations/versions/*_"${rev}"_*.py
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
export JIANGUAN_DATABASE_URL="sqlite:///$scratch/scratch.db"
.venv/bin/python - <<'PY'
from jianguan.config import Settings
from jianguan.storage import make_engine
from alembic import command
from jianguan.storage.migrate import alembic_config
engine = make_engine(Settings().database_url)
command.upgrade(alembic_config(engine), "head")
PY
.venv/bin/alembic revision --autogenerate --rev-id "$rev" -m "$message"
.venv/bin/ruff check --fix -q src/jianguan/storage/migrations/versions || true
