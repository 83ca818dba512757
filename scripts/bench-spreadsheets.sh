#!/usr/bin/env bash
# The spreadsheet benchmarks of docs/benchmarks.md, in one run on one machine:
#  1. `import --no-send` of ROWS_IMPORT rows (default 100,000) into a copy of a
#     seeded store of ROWS (default 1,000,000), beside the sqlite3 shell
#     inserting the very same rows (INSERT … SELECT from the imported copy,
#     attached) into another copy, with every index and the search triggers in
#     place and invitectl's writer settings;
#  2. `import --no-send` of a file of ROWS rows into a store with its customer;
#  3. `list --all -o csv` beside `sqlite3 -csv` of the same query, and
#     `list --all -o xlsx`, on the seeded store.
# Needs Debian's sqlite3. Wall time and peak RSS from /usr/bin/time.
#
#   bash scripts/bench-spreadsheets.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-1000000}
ROWS_IMPORT=${ROWS_IMPORT:-100000}
WORK=${WORK:-$(mktemp -d)}
export INVITECTL_LINK_SECRET=0123456789abcdef0123456789abcdef
bin=$WORK/invitectl
go build -o "$bin" ./cmd/invitectl
t() { /usr/bin/time -f "$1: wall %e s, max RSS %M KiB" "${@:2}"; }
fresh() { rm -f "$1" "$1-wal" "$1-shm"; cp "$WORK/base.db" "$1"; }

if [ ! -f "$WORK/base.db" ]; then
  t "seed $ROWS" "$bin" --db "$WORK/base.db" seed --customers 50 --invitations "$ROWS" >/dev/null
fi
"$bin" --db "$WORK/base.db" customers add "Bulk AB" >/dev/null 2>&1 || true

python3 - "$WORK" "$ROWS_IMPORT" "$ROWS" <<'PY'
import sys
work, n, big = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def write(name, rows):
    with open(f"{work}/{name}", "w", encoding="utf-8") as f:
        f.write("customer,email,first_name,last_name,personal_number,phone\n")
        for i in range(rows):
            f.write(f"Bulk AB,bulk.person.{i}@example.org,Förnamn,Efternamn{i},20030606-2381,070-{i % 10000000:07d}\n")
write("people.csv", n)
write("big.csv", big)
PY

echo "== 1. $ROWS_IMPORT rows into $ROWS"
for run in 1 2; do
  fresh "$WORK/import.db"
  t "import run $run" "$bin" --db "$WORK/import.db" import "$WORK/people.csv" --no-send
  fresh "$WORK/shell.db"
  first=$(sqlite3 "$WORK/base.db" 'SELECT max(id) FROM invitations')
  t "sqlite3 run $run" sqlite3 "$WORK/shell.db" <<SQL
PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -262144;
ATTACH '$WORK/import.db' AS src;
BEGIN;
INSERT INTO invitations SELECT * FROM src.invitations WHERE id > $first;
COMMIT;
SQL
  echo "rows: import $(sqlite3 "$WORK/import.db" "SELECT count(*) FROM invitations WHERE id > $first"), shell $(sqlite3 "$WORK/shell.db" "SELECT count(*) FROM invitations WHERE id > $first")"
done

echo "== 2. a file of $ROWS rows into a store with its customer"
rm -f "$WORK/big.db"*
"$bin" --db "$WORK/big.db" customers add "Bulk AB" >/dev/null
t "import $ROWS" "$bin" --db "$WORK/big.db" import "$WORK/big.csv" --no-send

echo "== 3. list --all of $ROWS"
for run in 1 2; do
  t "list --all -o csv run $run" "$bin" --db "$WORK/base.db" list --all -o csv > "$WORK/out.csv"
  t "sqlite3 -csv run $run" sqlite3 -csv -header "$WORK/base.db" "SELECT i.id, c.name, i.first_name, i.last_name,
  i.email, i.state, i.swedish_citizen, i.eu_eea_citizen, i.personal_number, i.lma_number, i.phone, i.gender,
  i.language, i.created_at, i.created_by, i.expires_at, i.version, i.send_count, i.last_sent_at, i.delivery,
  i.accepted_at, i.revoked_at FROM invitations i INDEXED BY invitations_by_first_name
  JOIN customers c ON c.id = i.customer_id WHERE i.state = 'pending' ORDER BY i.first_name_key, i.id" > "$WORK/out_sh.csv"
  t "list --all -o xlsx run $run" "$bin" --db "$WORK/base.db" list --all -o xlsx > "$WORK/out.xlsx"
done
wc -l "$WORK/out.csv" "$WORK/out_sh.csv"; ls -l "$WORK/out.xlsx"
