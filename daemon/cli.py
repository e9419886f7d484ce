"""The `tronwatch` command line: run, migrate, config check, keys, devnode, rules."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from daemon import __version__, accounts
from daemon.alerts import checks as alert_checks
from daemon.config import ConfigError, Settings, load_settings, redacted
from daemon.db import accounts_repo, migrate
from daemon.db.connect import DatabaseUnavailable, connect
from daemon.db.embedded import DataDirError
from daemon.db.target import open_database
from daemon.db.types import Connection
from daemon.errors import ProblemError
from daemon.logs import setup_logging
from daemon.rule_catalog import rule_namespaces

EXIT_CONFIG = 2


def _db_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-c",
        "--config",
        type=Path,
        metavar="FILE",
        help="YAML config file (without one: demo mode, embedded PostgreSQL in --data-dir)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        metavar="DIR",
        help="where demo mode keeps its embedded PostgreSQL (default: the user's data dir)",
    )


def build_parser() -> argparse.ArgumentParser:
    """Every subcommand with its help."""
    parser = argparse.ArgumentParser(
        prog="tronwatch",
        description="Energy-pool guardian and monitoring back office for a TRON USDT payment gateway.",
    )
    parser.add_argument("--version", action="version", version=f"tronwatch {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser(
        "run",
        help="run the daemon (HTTP API, metrics, background jobs)",
        description="Run the daemon until SIGTERM/SIGINT. Without -c: demo mode.",
    )
    _db_options(run)
    run.add_argument("--host", help="listen address (default 127.0.0.1, or server.host)")
    run.add_argument("--port", type=int, help="listen port (default 8080, or server.port)")
    run.add_argument("--no-migrate", action="store_true", help="do not apply migrations at start")

    mig = sub.add_parser(
        "migrate",
        help="apply database migrations up to head",
        description="Upgrade the database schema to this build's head revision.",
    )
    _db_options(mig)

    cfg = sub.add_parser("config", help="configuration tools").add_subparsers(
        dest="config_command", required=True, metavar="ACTION"
    )
    check = cfg.add_parser(
        "check",
        help="validate a config file and print the effective settings",
        description="Exit 0 if valid, 2 with one line per problem otherwise.",
    )
    check.add_argument("-c", "--config", type=Path, metavar="FILE", help="YAML config file")

    doctor = sub.add_parser(
        "doctor",
        help="check that the database, TRON node, receivers and rule files answer",
        description="One line per check (ok/FAIL); exit 1 if any fails. Sends no notification.",
    )
    _db_options(doctor)

    keys = sub.add_parser("keys", help="create, list and revoke API keys").add_subparsers(
        dest="keys_command", required=True, metavar="ACTION"
    )
    create = keys.add_parser(
        "create",
        help="create a key and print it (shown once)",
        description="Create an API key for a partner (created if new) or an admin.",
    )
    _db_options(create)
    who = create.add_mutually_exclusive_group(required=True)
    who.add_argument("--partner", metavar="NAME", help="partner name (created if it does not exist)")
    who.add_argument("--admin", metavar="NAME", help="admin name (created if it does not exist)")
    create.add_argument("--label", help="a note to recognise the key by")
    create.add_argument("--json", action="store_true", help="print JSON for scripts")
    lst = keys.add_parser("list", help="list keys (prefixes only, never secrets)")
    _db_options(lst)
    lst.add_argument("--json", action="store_true", help="print JSON for scripts")
    revoke = keys.add_parser("revoke", help="revoke a key by id (other replicas honour it within 5 s)")
    _db_options(revoke)
    revoke.add_argument("id", type=int, help="the key id from `keys list`")

    try:
        from daemon.devnode.cli import add_parser as add_devnode_parser
    except ImportError:  # the devnode package is optional in slim installs
        pass
    else:
        add_devnode_parser(sub)
    from daemon.alerts.cli import add_parser as add_rules_parser

    add_rules_parser(sub, rule_namespaces)
    from daemon.alerts.receiver_test import add_parser as add_receivers_parser

    add_receivers_parser(sub)
    from daemon.alerts.routes_cli import add_parser as add_routes_parser

    add_routes_parser(sub)
    from daemon.completion import add_parser as add_completion_parser

    add_completion_parser(sub)
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    server = {k: v for k in ("host", "port") if (v := getattr(args, k, None)) is not None}
    if server:
        overrides["server"] = server
    if getattr(args, "data_dir", None) is not None:
        overrides["data_dir"] = str(args.data_dir)
    if getattr(args, "no_migrate", False):
        overrides["database"] = {"run_migrations": False}
    if args.config is None and "TRONWATCH_TRON__NETWORK" not in os.environ:
        overrides["tron"] = {"network": "devnode"}  # demo mode is fully offline
    return load_settings(args.config, overrides=overrides)


async def _with_conn(settings: Settings, action: Callable[[Connection], Awaitable[int]]) -> int:
    """Run `action(conn)` against the same database `run` would use."""
    async with open_database(settings) as target:
        if target.embedded:
            await migrate.upgrade(target.url)
        conn = await connect(target.url, connect_timeout=settings.database.connect_timeout)
        try:
            if not await migrate.at_head(conn):
                print(
                    "tronwatch: the database schema is not at head; run `tronwatch migrate` first",
                    file=sys.stderr,
                )
                return 1
            return await action(conn)
        finally:
            await conn.close()


async def _keys_create(args: argparse.Namespace, conn: Connection) -> int:
    async with conn.transaction():
        if args.partner:
            partner = await accounts.partner_by_name(conn, args.partner, create=True)
            new = await accounts.create_key(conn, role="partner", partner_id=partner["id"], label=args.label)
        else:
            new = await accounts.create_key(conn, role="admin", admin_name=args.admin, label=args.label)
    owner = args.partner or args.admin
    if args.json:
        record = {k: v for k, v in new.record.items() if k != "admin_id"}
        print(json.dumps({**record, "owner": owner, "key": new.secret}, default=str))
    else:
        print(new.secret)
        print(
            f"created {new.record['role']} key id={new.record['id']} for {owner} (shown once: store it now)",
            file=sys.stderr,
        )
    return 0


async def _keys_list(args: argparse.Namespace, conn: Connection) -> int:
    rows = [dict(r) for r in await accounts_repo.list_keys(conn)]
    if args.json:
        print(json.dumps(rows, default=str))
        return 0
    print(f"{'ID':>5}  {'PREFIX':10} {'ROLE':8} {'OWNER':24} {'CREATED':20} {'LAST USED':20} STATUS")
    for r in rows:
        status = "revoked" if r["revoked_at"] else "active"
        used = r["last_used_at"].strftime("%Y-%m-%d %H:%M:%S") if r["last_used_at"] else "never"
        print(
            f"{r['id']:>5}  tw_{r['prefix']:7} {r['role']:8} {r['owner'][:24]:24} "
            f"{r['created_at']:%Y-%m-%d %H:%M:%S}  {used:20} {status}"
        )
    return 0


async def _keys_revoke(args: argparse.Namespace, conn: Connection) -> int:
    record = await accounts.revoke_key(conn, args.id)
    when = f"{record['revoked_at']:%Y-%m-%d %H:%M:%S}"
    print(f"revoked key id={record['id']} prefix=tw_{record['prefix']} at {when}")
    return 0


async def _migrate(settings: Settings) -> int:
    async with open_database(settings) as target:
        # A plain connect first: an unreachable database is one line naming the URL, not a traceback.
        probe = await connect(target.url, connect_timeout=settings.database.connect_timeout)
        await probe.close()
        await migrate.upgrade(target.url)
        print(f"database at revision {migrate.head_revision()} ({target.description})")
    return 0


def _loadable(settings: Settings, source: str) -> Settings:
    """The settings, if `run` could also load their rule files and deliver to their receivers."""
    found = alert_checks.problems(settings.alerts, source, rule_namespaces())
    if found:
        raise ConfigError(found)
    return settings


def _config_check(args: argparse.Namespace) -> int:
    source = str(args.config or "(no file: demo defaults)")
    settings = _loadable(load_settings(args.config), source)
    print(f"{source}: ok")
    print(json.dumps(redacted(settings), indent=2))
    return 0


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "config":
        return _config_check(args)
    if args.command in ("rules", "receivers", "routes") and getattr(args, "config", None) is not None:
        args.alerts = load_settings(args.config).alerts
    if args.command == "completion":
        from daemon.completion import script

        print(script(build_parser(), args.shell))
        return 0
    if args.command in ("devnode", "rules", "receivers", "routes"):
        result: int = args.handler(args)
        return result
    settings = _settings(args)
    setup_logging(settings.logging.level, settings.logging.format)
    if args.command == "doctor":
        from daemon.doctor import doctor

        return asyncio.run(doctor(settings))
    if args.command == "run":
        _loadable(settings, str(args.config or "(defaults)"))
        from daemon.runner import serve

        return asyncio.run(serve(settings))
    if args.command == "migrate":
        return asyncio.run(_migrate(settings))
    action = {"create": _keys_create, "list": _keys_list, "revoke": _keys_revoke}[args.keys_command]
    return asyncio.run(_with_conn(settings, lambda conn: action(args, conn)))


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `tronwatch` console script."""
    args = build_parser().parse_args(argv)
    try:
        return _dispatch(args)
    except ConfigError as exc:
        for line in exc.problems:
            print(f"tronwatch: config: {line}", file=sys.stderr)
        return EXIT_CONFIG
    except DataDirError as exc:
        print(f"tronwatch: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except DatabaseUnavailable as exc:
        print(f"tronwatch: {exc}", file=sys.stderr)
        return 1
    except ProblemError as exc:
        print(f"tronwatch: {exc.detail}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`tronwatch config check | head`): stop quietly, as other tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
