#!/usr/bin/env bash
# Tries the Neovim setup (scoped-db.lua) headless: a project with a Rust and a Python escape, and
# the diagnostics Neovim receives for each. Needs nvim 0.7+ and a built scoped-db on PATH or in
# target/release.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export PATH="$here/../../target/release:$PATH"
PROJECT=$(mktemp -d)
export PROJECT
trap 'rm -rf "$PROJECT"' EXIT
mkdir -p "$PROJECT/src"
cat > "$PROJECT/src/db.rs" <<'RS'
use sqlx::PgPool;
pub async fn conn(pool: &PgPool) -> sqlx::Result<sqlx::pool::PoolConnection<sqlx::Postgres>> {
    pool.acquire().await
}
RS
cat > "$PROJECT/db.py" <<'PY'
from sqlalchemy.ext.asyncio import create_async_engine

engine = create_async_engine("postgresql+asyncpg://localhost/db")

async def open_conn():
    async with engine.begin() as conn:
        return conn
PY
cd "$PROJECT"
nvim --headless -u "$here/scoped-db.lua" -c "luafile $here/check.lua"
