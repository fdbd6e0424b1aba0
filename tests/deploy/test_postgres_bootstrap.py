"""roles/postgres_bootstrap through playbooks/db.yml against a real PostgreSQL (the `postgres`
session fixture of conftest.py), run from the controller (`db_bootstrap_host=localhost`,
connection local, the venv's Python with psycopg2).

The admin role is made like RDS's master user: not a superuser, only LOGIN CREATEDB CREATEROLE,
so everything the role does must work without superuser rights."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
VENV = Path(os.environ.get("PALIN_VENV", REPO / ".venv"))
PLAYBOOKS = REPO / "playbooks"
APP_MIGRATIONS = REPO / "app" / "migrations"

# Used only when app/migrations does not exist yet: the planned first migration's shape.
FALLBACK_MIGRATION = """
CREATE TABLE phrases (
    id bigserial PRIMARY KEY,
    text text NOT NULL,
    normalized text NOT NULL,
    is_palindrome boolean NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX phrases_created_at_idx ON phrases (created_at DESC);
"""

RECAP = re.compile(r"^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def _tok() -> str:
    return secrets.token_urlsafe(18)


@pytest.fixture(scope="module")
def db(postgres, palin_collections, tmp_path_factory):
    """An RDS-like admin role, the role's variables, and a function that runs db.yml."""
    work = tmp_path_factory.mktemp("pgboot")
    admin, admin_pw = "palin_admin_t", _tok()
    postgres.psql(f"CREATE ROLE {admin} LOGIN CREATEDB CREATEROLE PASSWORD '{admin_pw}'")
    if APP_MIGRATIONS.is_dir() and any(APP_MIGRATIONS.glob("*.sql")):
        migrations = APP_MIGRATIONS
    else:
        migrations = work / "migrations"
        migrations.mkdir()
        (migrations / "0001_phrases.sql").write_text(FALLBACK_MIGRATION)
    v = {
        "db_bootstrap_host": "localhost",
        "ansible_python_interpreter": str(VENV / "bin" / "python"),
        "palin_postgres_host": postgres.host,
        "palin_postgres_port": postgres.port,
        "palin_postgres_db_name": "palindromes_t",
        "palin_postgres_username": admin,
        "postgres_bootstrap_admin_password": admin_pw,
        "postgres_bootstrap_app_password": _tok(),
        "postgres_bootstrap_readonly_password": _tok(),
        "postgres_bootstrap_migrations_dir": str(migrations),
    }
    (work / "vars.json").write_text(json.dumps(v))
    (work / "hosts.ini").write_text("localhost ansible_connection=local\n")

    def run(*extra: str) -> subprocess.CompletedProcess:
        env = {k: val for k, val in os.environ.items() if not k.startswith(("ANSIBLE_", "PG"))}
        env.update(ANSIBLE_CONFIG=str(PLAYBOOKS / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
                   ANSIBLE_COLLECTIONS_PATH=str(palin_collections),
                   PATH=f"{VENV / 'bin'}:{env.get('PATH', '')}")
        return subprocess.run(
            [str(VENV / "bin" / "ansible-playbook"), "-i", str(work / "hosts.ini"), "-v",
             "-e", f"@{work / 'vars.json'}", *extra, "palin.aws.db"],
            cwd=PLAYBOOKS, env=env, capture_output=True, text=True, timeout=600,
        )

    class Db:
        pass

    d = Db()
    d.pg, d.vars, d.run, d.admin, d.admin_pw = postgres, v, run, admin, admin_pw
    d.name = v["palin_postgres_db_name"]
    d.app, d.app_pw = "palindrome_app", v["postgres_bootstrap_app_password"]
    d.ro, d.ro_pw = "palindrome_readonly", v["postgres_bootstrap_readonly_password"]
    d.first = run()
    d.second = run() if d.first.returncode == 0 else None
    return d


def _recap(out: str) -> dict:
    return {m[1]: {"ok": int(m[2]), "changed": int(m[3]), "unreachable": int(m[4]), "failed": int(m[5])}
            for m in RECAP.finditer(out)}


def _sql(db, sql, who="admin", check=True):
    user, pw = {"admin": (db.admin, db.admin_pw), "app": (db.app, db.app_pw), "ro": (db.ro, db.ro_pw)}[who]
    return db.pg.psql(sql, user=user, password=pw, dbname=db.name, check=check)


def _refused(db, sql, who):
    r = _sql(db, sql, who, check=False)
    assert r.returncode != 0, f"{who} was allowed: {sql}"
    assert "permission denied" in r.stderr, r.stderr


def test_first_run_bootstraps(db):
    assert db.first.returncode == 0, db.first.stdout[-4000:] + db.first.stderr[-2000:]
    recap = _recap(db.first.stdout)
    assert recap["localhost"]["failed"] == 0 and recap["localhost"]["changed"] > 0


def test_second_run_changes_nothing(db):
    assert db.second is not None and db.second.returncode == 0, (db.second.stdout + db.second.stderr)[-4000:]
    recap = _recap(db.second.stdout)
    assert recap["localhost"]["changed"] == 0, db.second.stdout[-6000:]


def test_passwords_never_shown(db):
    for run in (db.first, db.second):
        out = run.stdout + run.stderr
        for pw in (db.admin_pw, db.app_pw, db.ro_pw):
            assert pw not in out


def test_tables_and_migrations_recorded(db):
    assert _sql(db, "SELECT to_regclass('public.phrases') IS NOT NULL").stdout.strip() == "t"
    assert _sql(db, "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = 'phrases'").stdout.strip() == db.admin
    versions = _sql(db, "SELECT version FROM schema_migrations ORDER BY version").stdout.split()
    migs = Path(db.vars["postgres_bootstrap_migrations_dir"])
    assert versions == sorted(p.name for p in migs.glob("*.sql"))


def test_app_user_reads_and_writes(db):
    out = _sql(db, """
        INSERT INTO phrases (text, normalized, is_palindrome) VALUES ('Abba', 'abba', true) RETURNING id;
    """, "app").stdout.split()[0]
    pid = int(out)
    _sql(db, f"UPDATE phrases SET text = 'ABBA' WHERE id = {pid}", "app")
    assert _sql(db, f"SELECT text FROM phrases WHERE id = {pid}", "app").stdout.strip() == "ABBA"
    _sql(db, f"DELETE FROM phrases WHERE id = {pid}", "app")
    assert _sql(db, f"SELECT count(*) FROM phrases WHERE id = {pid}", "app").stdout.strip() == "0"


def test_app_user_has_no_ddl_and_cannot_touch_migrations(db):
    _refused(db, "CREATE TABLE app_made (id int)", "app")
    _refused(db, "DROP TABLE phrases", "app") if False else None  # owner-only; checked below
    r = _sql(db, "DROP TABLE phrases", "app", check=False)
    assert r.returncode != 0 and "must be owner" in r.stderr
    _refused(db, "DELETE FROM schema_migrations", "app")


def test_readonly_user_only_selects(db):
    _sql(db, "INSERT INTO phrases (text, normalized, is_palindrome) VALUES ('Kayak', 'kayak', true)")
    assert int(_sql(db, "SELECT count(*) FROM phrases", "ro").stdout.strip()) >= 1
    _refused(db, "INSERT INTO phrases (text, normalized, is_palindrome) VALUES ('x', 'x', true)", "ro")
    _refused(db, "UPDATE phrases SET text = 'y'", "ro")
    _refused(db, "DELETE FROM phrases", "ro")
    _refused(db, "CREATE TABLE ro_made (id int)", "ro")
    _refused(db, "CREATE TEMP TABLE ro_tmp (id int)", "ro")
    _refused(db, "SELECT nextval('phrases_id_seq')", "ro")


def test_tables_created_later_by_the_owner(db):
    _sql(db, "CREATE TABLE later_made (id bigserial PRIMARY KEY, note text); INSERT INTO later_made (note) VALUES ('a')")
    assert _sql(db, "SELECT note FROM later_made", "ro").stdout.strip() == "a"
    _refused(db, "INSERT INTO later_made (note) VALUES ('b')", "ro")
    _refused(db, "DELETE FROM later_made", "ro")
    _sql(db, "INSERT INTO later_made (note) VALUES ('b'); UPDATE later_made SET note = 'c' WHERE note = 'b'", "app")
    assert _sql(db, "SELECT count(*) FROM later_made", "app").stdout.strip() == "2"


def test_other_roles_cannot_connect(db):
    db.pg.psql("CREATE ROLE stranger_t LOGIN PASSWORD 'stranger-pw'", check=False)
    r = db.pg.psql("SELECT 1", user="stranger_t", password="stranger-pw", dbname=db.name, check=False)
    assert r.returncode != 0 and "permission denied" in r.stderr


def test_changed_password_is_rotated(db):
    """The role sets a password only when logging in with it fails: a new one is applied (and the
    old one stops working), then the run after that is unchanged again."""
    old = db.app_pw
    new = _tok()
    v = dict(db.vars, postgres_bootstrap_app_password=new)
    vars_file = Path(db.first.args[db.first.args.index("-e") + 1][1:])
    vars_file.write_text(json.dumps(v))
    try:
        rotated = db.run()
        assert rotated.returncode == 0, rotated.stdout[-4000:]
        assert _recap(rotated.stdout)["localhost"]["changed"] == 1, rotated.stdout[-6000:]
        assert new not in rotated.stdout + rotated.stderr and old not in rotated.stdout + rotated.stderr
        db.app_pw = new
        assert _sql(db, "SELECT count(*) >= 0 FROM phrases", "app").stdout.strip() == "t"
        r = db.pg.psql("SELECT 1", user=db.app, password=old, dbname=db.name, check=False)
        assert r.returncode != 0 and "password authentication failed" in r.stderr
    finally:
        vars_file.write_text(json.dumps(db.vars))
