"""Backup and restore, as an operator does them: `pg_dump` + `pg_restore` into a fresh
database, or SQLite's online backup; and per-table checksums to prove the copy is the same."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess  # runs PostgreSQL's own client tools with fixed arguments
from glob import glob
from pathlib import Path
from typing import Any


def table_checksums(cursor: Any, tables: list[str]) -> dict[str, tuple[int, str]]:
    """(row count, SHA-256 of every row in a fixed order) per table."""
    sums: dict[str, tuple[int, str]] = {}
    for table in tables:
        cursor.execute(f'SELECT * FROM "{table}"')  # nosec B608: names from introspection
        rows = sorted(repr(tuple(row)) for row in cursor.fetchall())
        digest = hashlib.sha256("\n".join(rows).encode()).hexdigest()
        sums[table] = (len(rows), digest)
    return sums


def postgres_tool(name: str) -> str | None:
    """A PostgreSQL client program: on PATH, else the newest Debian cluster's."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob(f"/usr/lib/postgresql/*/bin/{name}"), key=_version_key)
    return candidates[-1] if candidates else None


def _version_key(path: str) -> int:
    part = Path(path).parent.parent.name
    return int(part) if part.isdigit() else 0


def _libpq_env(db: dict[str, Any]) -> dict[str, str]:
    env = dict(os.environ)
    for key, variable in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
    ):
        if db.get(key):
            env[variable] = str(db[key])
    return env


def pg_dump_and_restore(db: dict[str, Any], source: str, target: str, dump: Path) -> None:
    """Dump `source` in the custom format and restore it into a new database `target`."""
    pg_dump, pg_restore = postgres_tool("pg_dump"), postgres_tool("pg_restore")
    createdb = postgres_tool("createdb")
    if not (pg_dump and pg_restore and createdb):
        raise FileNotFoundError("pg_dump, pg_restore and createdb are needed")
    env = _libpq_env(db)
    subprocess.run(
        [pg_dump, "--format=custom", "--no-owner", f"--file={dump}", source], env=env, check=True
    )
    subprocess.run([createdb, "--template=template0", target], env=env, check=True)
    subprocess.run(
        [pg_restore, "--no-owner", "--exit-on-error", f"--dbname={target}", str(dump)],
        env=env,
        check=True,
    )


def drop_database(db: dict[str, Any], name: str) -> None:
    dropdb = postgres_tool("dropdb")
    if dropdb:
        subprocess.run([dropdb, "--if-exists", "--force", name], env=_libpq_env(db), check=False)


def sqlite_online_backup(source: sqlite3.Connection, target: Path) -> None:
    """SQLite's backup API: a consistent copy while the database stays in use."""
    with sqlite3.connect(target) as copy:
        source.backup(copy, pages=64)
    copy.close()
