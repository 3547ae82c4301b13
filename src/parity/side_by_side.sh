#!/bin/bash
# Side by side with Python: copies database DB to DB_pgbackfill, runs upstream's algorithm (upstream_oracle.py,
# Python's json and SQLAlchemy's own type handling) on DB and pgbackfill on the copy, and compares the two
# chat_message tables row by row, and upstream's failures with pgbackfill's rejections.
#   PGBASE=postgresql://postgres@127.0.0.1:5432 src/parity/side_by_side.sh DB [JAR] [NOW]
# Needs python3 with SQLAlchemy 1.4+ and psycopg2 (Debian: python3-sqlalchemy python3-psycopg2).
set -euo pipefail
DB=$1; JAR=${2:-cli/target/pgbackfill.jar}; NOW=${3:-1750000000}
BASE=${PGBASE:-postgresql://postgres@127.0.0.1:5432}
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$(mktemp -d)
psql -q "$BASE/postgres" -c "DROP DATABASE IF EXISTS ${DB}_pgbackfill" -c "CREATE DATABASE ${DB}_pgbackfill TEMPLATE ${DB}"
SQLALCHEMY_SILENCE_UBER_WARNING=1 python3 "$HERE/upstream_oracle.py" "$BASE/$DB" upstream "$NOW" > "$OUT/failures.tsv"
DATABASE_URL="$BASE/${DB}_pgbackfill" java -Xmx512m -jar "$JAR" run --now-epoch "$NOW" --quiet > "$OUT/run.log" 2>&1 \
  || { echo "pgbackfill exited $? (log: $OUT/run.log)"; tail -5 "$OUT/run.log"; }
python3 "$HERE/compare.py" "$BASE/$DB" "$BASE/${DB}_pgbackfill" upstream.chat_message public.chat_message "$OUT/failures.tsv"
