"""Create the benchmarks' PostgreSQL database if it is not there yet (``make bench-*`` runs it first).

python -m bench.createdb postgres://postgres@127.0.0.1:5432/portal_bench
"""

from __future__ import annotations

import sys

import dj_database_url
import psycopg
from psycopg import sql


def main(url: str) -> None:
    settings = dj_database_url.parse(url)
    name = settings["NAME"]
    if "bench" not in name:
        sys.exit(f"Refusing to use database {name!r}: the bench database's name must contain 'bench'.")
    params = {"host": settings["HOST"], "port": settings["PORT"] or 5432, "user": settings["USER"]}
    if settings["PASSWORD"]:
        params["password"] = settings["PASSWORD"]
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as connection:
        if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")


if __name__ == "__main__":
    main(sys.argv[1])
