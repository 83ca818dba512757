#!/usr/bin/env bash
# Runs every benchmark that docs/benchmarks.md records, on this machine, and
# prints the raw `go test -bench` output. Needs the sqlite3 shell, psql and a
# running PostgreSQL (see .ci/run for how CI starts one).
#
#   ROWS=1000000 PG_DSN=postgres://… bash scripts/bench.sh | tee bench.txt
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-1000000}
WORK=${WORK:-$(mktemp -d)}
# An existing file (INVITECTL_BENCH_DB) or database (PG_DSN) is reused, not seeded again.
export INVITECTL_LINK_SECRET=${INVITECTL_LINK_SECRET:-0123456789abcdef0123456789abcdef}
export INVITECTL_BENCH_ROWS=$ROWS INVITECTL_BENCH_DB=${INVITECTL_BENCH_DB:-$WORK/bench.db}

go build -o "$WORK/invitectl" ./cmd/invitectl

if [ ! -f "$INVITECTL_BENCH_DB" ]; then
  echo "== seed $ROWS invitations into SQLite"
  /usr/bin/time -f 'wall %e s, max RSS %M KiB' "$WORK/invitectl" --db "$INVITECTL_BENCH_DB" seed --customers 50 --invitations "$ROWS"
fi

echo "== list (whole command) beside the sqlite3 shell, SQLite"
go test -run '^$' -bench 'ListCommand|SQLiteShell|ListMemory' -benchtime 10x ./internal/cli/

echo "== store List at $ROWS rows (in-process)"
go test -run '^$' -bench 'BenchmarkList/sqlite' -benchtime 10x ./internal/store/

if [ -n "${PG_DSN:-}" ]; then
  "$WORK/invitectl" --db "$PG_DSN" migrate
  if [ "$(psql -X -q -A -t -d "$PG_DSN" -c 'SELECT count(*) FROM invitations')" = 0 ]; then
    echo "== seed $ROWS invitations into PostgreSQL"
    /usr/bin/time -f 'wall %e s, max RSS %M KiB' "$WORK/invitectl" --db "$PG_DSN" seed --customers 50 --invitations "$ROWS"
    psql -X -q -d "$PG_DSN" -c 'VACUUM ANALYZE invitations' -c 'VACUUM ANALYZE customers'
  fi
  echo "== list (whole command) beside psql, PostgreSQL"
  INVITECTL_BENCH_PG=$PG_DSN go test -run '^$' -bench 'ListCommand|SQLiteShell' -benchtime 10x ./internal/cli/
  echo "== registrations through one and two handlers on PostgreSQL"
  INVITECTL_TEST_POSTGRES_DSN=$PG_DSN go test -run '^$' -bench 'RegisterPostgres' -benchtime 5s ./internal/web/
fi

echo "== resend --expired of 10,000 invitations beside a plain go-smtp loop"
INVITECTL_BENCH_RESEND=10000 go test -run '^$' -bench 'ResendExpired' -benchtime 3x ./internal/cli/

echo "== SMTP mailer alone beside a plain go-smtp loop"
go test -run '^$' -bench . -benchtime 5000x ./internal/mail/

echo "== registration page: registrations beside bare hashing; GET /invite"
go test -run '^$' -bench 'Register$|HashOnly|GetInvite' -benchtime 5s ./internal/web/
