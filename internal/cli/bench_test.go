package cli_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/invitectl/invitectl/internal/mailtest"
)

// The whole-command benchmarks run the real binary on a store made by
// `invitectl seed`, beside the sqlite3 shell running the equivalent SQL on
// the same file. Rows: INVITECTL_BENCH_ROWS (default 100000). Set
// INVITECTL_BENCH_DB to keep the seeded file between runs.
//
//	INVITECTL_BENCH_ROWS=1000000 go test -run '^$' -bench 'Command|Shell' -benchtime 10x ./internal/cli/
//
// For PostgreSQL, seed a database with `invitectl migrate` and `invitectl
// seed`, then set INVITECTL_BENCH_PG to its URL (and INVITECTL_LINK_SECRET).

var (
	benchOnce sync.Once
	benchBin  string
	benchDB   string
	benchErr  error
	benchRows int
)

var (
	benchBinOnce sync.Once
	benchBinDir  string
)

// benchBinary builds invitectl once for the benchmarks and returns its path.
func benchBinary(b *testing.B) string {
	b.Helper()
	benchBinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "invitectl-bench-")
		if err != nil {
			benchErr = err
			return
		}
		benchBinDir, benchBin = dir, filepath.Join(dir, "invitectl")
		if out, err := exec.Command("go", "build", "-o", benchBin, "../../cmd/invitectl").CombinedOutput(); err != nil {
			benchErr = fmt.Errorf("build: %v\n%s", err, out)
		}
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchBin
}

func benchSetup(b *testing.B) (bin, db string) {
	b.Helper()
	benchBinary(b)
	benchOnce.Do(func() {
		benchRows = 100000
		if s := os.Getenv("INVITECTL_BENCH_ROWS"); s != "" {
			benchRows, _ = strconv.Atoi(s)
		}
		benchDB = os.Getenv("INVITECTL_BENCH_DB")
		if benchDB == "" {
			benchDB = filepath.Join(benchBinDir, fmt.Sprintf("bench-%d.db", benchRows))
		}
		if _, err := os.Stat(benchDB); err == nil {
			return
		}
		start := time.Now()
		out, err := exec.Command(benchBin, "--db", benchDB, "seed", "--customers", "50", "--invitations", strconv.Itoa(benchRows)).CombinedOutput()
		if err != nil {
			benchErr = fmt.Errorf("seed: %v\n%s", err, out)
			return
		}
		fmt.Fprintf(os.Stderr, "seeded %d rows in %s: %s", benchRows, time.Since(start).Round(time.Millisecond), out)
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchBin, benchDB
}

var benchSorts = []struct{ field, column string }{
	{"customer", "customer_key"}, {"first-name", "first_name_key"}, {"last-name", "last_name_key"},
	{"email", "email_key"}, {"sent-on", "last_sent_at"},
}

// deepPage is page 25,000 of 20 rows when there are enough rows, else the
// last full page.
func deepPage() int {
	open := benchRows * 9 / 10 // seed revokes about one in forty
	if p := open / 20; p < 25000 {
		return p
	}
	return 25000
}

func runCmd(b *testing.B, name string, args ...string) *os.ProcessState {
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = nil, nil
	if err := cmd.Run(); err != nil {
		b.Fatalf("%s %v: %v", name, args, err)
	}
	return cmd.ProcessState
}

// BenchmarkListCommand times `invitectl list` as a user runs it, on the
// seeded SQLite file, or on PostgreSQL when INVITECTL_BENCH_PG names a
// seeded database (its link_secret in INVITECTL_LINK_SECRET).
func BenchmarkListCommand(b *testing.B) {
	bin, db := benchSetup(b)
	if pg := os.Getenv("INVITECTL_BENCH_PG"); pg != "" {
		db = pg
	}
	for _, s := range benchSorts {
		for _, dir := range []string{"asc", "desc"} {
			for _, page := range []int{1, deepPage()} {
				args := []string{"--db", db, "list", "--sort", s.field + ":" + dir, "--page", strconv.Itoa(page), "-o", "json"}
				b.Run(fmt.Sprintf("%s:%s/page=%d", s.field, dir, page), func(b *testing.B) {
					runCmd(b, bin, args...) // warm the page cache, as for the shell below
					for b.Loop() {
						runCmd(b, bin, args...)
					}
				})
			}
		}
	}
}

// equivalentSQL is what list runs: the count, then the page of ids walked
// off the sort index, joined with the rows and their customer.
func equivalentSQL(column, dir string, page int) string {
	return fmt.Sprintf(`SELECT count(*) FROM invitations WHERE state = 'pending';
SELECT i.*, c.name FROM (SELECT id FROM invitations WHERE state = 'pending'
  ORDER BY %[1]s %[2]s, id %[2]s LIMIT 20 OFFSET %[3]d) AS p
JOIN invitations i ON i.id = p.id JOIN customers c ON c.id = i.customer_id
ORDER BY i.%[1]s %[2]s, i.id %[2]s;`, column, dir, (page-1)*20)
}

// BenchmarkSQLiteShell runs the equivalent SQL in the sqlite3 shell on the
// same file, or in psql on the same database when INVITECTL_BENCH_PG is set.
func BenchmarkSQLiteShell(b *testing.B) {
	pg := os.Getenv("INVITECTL_BENCH_PG")
	shell := "sqlite3"
	if pg != "" {
		shell = "psql"
	}
	if _, err := exec.LookPath(shell); err != nil {
		b.Skip(shell + " not installed")
	}
	_, db := benchSetup(b)
	for _, s := range benchSorts {
		for _, dir := range []string{"asc", "desc"} {
			for _, page := range []int{1, deepPage()} {
				sql := equivalentSQL(s.column, dir, page)
				args := []string{"-json", db, sql}
				if pg != "" {
					args = []string{"-X", "-q", "-A", "-t", "-d", pg, "-c", sql}
				}
				b.Run(fmt.Sprintf("%s:%s/page=%d", s.field, dir, page), func(b *testing.B) {
					runCmd(b, shell, args...) // warm the page cache
					for b.Loop() {
						runCmd(b, shell, args...)
					}
				})
			}
		}
	}
}

// BenchmarkListMemory reports the peak resident memory of
// `list -o json --per-page 1000` (maxrss-MB).
func BenchmarkListMemory(b *testing.B) {
	bin, db := benchSetup(b)
	var peak int64
	for b.Loop() {
		st := runCmd(b, bin, "--db", db, "list", "-o", "json", "--per-page", "1000", "--page", "2")
		if ru, ok := st.SysUsage().(*syscall.Rusage); ok && ru.Maxrss > peak {
			peak = ru.Maxrss
		}
	}
	b.ReportMetric(float64(peak)/1024, "maxrss-MB")
}

// BenchmarkResendExpired resends every expired invitation of a seeded store
// (INVITECTL_BENCH_RESEND, default 10000) to an SMTP server on loopback,
// beside a plain loop of go-smtp client sends of the very same messages over
// one connection. msgs/s is the figure to compare.
func BenchmarkResendExpired(b *testing.B) {
	n := 10000
	if s := os.Getenv("INVITECTL_BENCH_RESEND"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	r, srv := newMailingRun(b)
	r.must("seed", "--customers", "20", "--invitations", strconv.Itoa(n))
	// Two years on, every pending invitation has expired; each round moves
	// the clock two more years, so every round resends all of them again.
	start := r.now
	round := 0
	resend := func() int {
		round++
		r.now = start.AddDate(2*round, 0, 0)
		before := len(srv.Messages())
		r.must("resend", "--expired")
		return len(srv.Messages()) - before
	}
	sentFirst := resend() // warms up and captures the messages for the plain loop
	msgs := srv.Messages()
	b.Run("invitectl", func(b *testing.B) {
		total := 0
		for b.Loop() {
			total += resend()
		}
		b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "msgs/s")
	})
	b.Run("plain-go-smtp", func(b *testing.B) { plainSMTP(b, srv.Addr(), msgs[:sentFirst]) })
}

// BenchmarkDeliver delivers INVITECTL_BENCH_RESEND (default 10000) queued
// emails from the outbox to an SMTP server on loopback, beside a plain loop
// of go-smtp client sends of the very same messages over one connection.
// The emails are queued by a resend of every expired invitation that the
// server refuses; each round queues them again.
func BenchmarkDeliver(b *testing.B) {
	n := 10000
	if s := os.Getenv("INVITECTL_BENCH_RESEND"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	r, srv := newMailingRun(b)
	r.must("seed", "--customers", "20", "--invitations", strconv.Itoa(n))
	start := r.now
	round := 0
	queue := func() {
		round++
		r.now = start.AddDate(2*round, 0, 0)
		srv.RejectRecipients(errors.New("refused while queueing"))
		r.do("resend", "--expired") // exit 5: every email waits in the outbox
		srv.RejectRecipients(nil)
	}
	deliver := func() int {
		before := len(srv.Messages())
		r.must("deliver", "--retry-failed") // refused for good while queueing
		return len(srv.Messages()) - before
	}
	queue()
	sentFirst := deliver() // warms up and captures the messages for the plain loop
	msgs := srv.Messages()
	b.Run("invitectl", func(b *testing.B) {
		total := 0
		for b.Loop() {
			b.StopTimer()
			queue()
			b.StartTimer()
			total += deliver()
		}
		b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "msgs/s")
	})
	b.Run("plain-go-smtp", func(b *testing.B) { plainSMTP(b, srv.Addr(), msgs[len(msgs)-sentFirst:]) })
}

// queuedRun is a run seeded with n invitations and a queue function that
// renews the links of the expired ones with every email refused for good
// (5xx) by srv, so that `deliver --retry-failed` then has them to send; it
// returns how many wait.
func queuedRun(b *testing.B, n int) (r *run, srv *mailtest.Server, queue func() int) {
	r, srv = newMailingRun(b)
	r.must("seed", "--customers", "20", "--invitations", strconv.Itoa(n))
	start := r.now
	round := 0
	return r, srv, func() int {
		round++
		r.now = start.AddDate(2*round, 0, 0)
		srv.RejectRecipients(errors.New("refused while queueing"))
		r.do("resend", "--expired") // exit 5: every email waits in the outbox
		srv.RejectRecipients(nil)
		var failed struct{ Total int }
		if err := json.Unmarshal([]byte(r.must("list", "--status", "all", "--delivery", "failed", "-o", "json")), &failed); err != nil {
			b.Fatal(err)
		}
		return failed.Total
	}
}

func benchDeliverN() int {
	n := 2000
	if s := os.Getenv("INVITECTL_BENCH_DELIVER"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	return n
}

// BenchmarkDeliverConnections delivers INVITECTL_BENCH_DELIVER (default
// 2000) queued emails to a server that waits 20 ms before its replies to
// MAIL, RCPT and the end of DATA (a relay far away), over 1 and over 4
// connections (smtp.connections). seconds/run is the figure to compare.
func BenchmarkDeliverConnections(b *testing.B) {
	n := benchDeliverN()
	r, srv, queue := queuedRun(b, n)
	srv.SetReplyDelay(20 * time.Millisecond)
	for _, conns := range []int{1, 4} {
		b.Run(fmt.Sprintf("connections=%d", conns), func(b *testing.B) {
			r.env["INVITECTL_SMTP_CONNECTIONS"] = strconv.Itoa(conns)
			total, want := 0, 0
			for b.Loop() {
				b.StopTimer()
				want += queue()
				before := len(srv.Messages())
				b.StartTimer()
				r.must("deliver", "--retry-failed")
				total += len(srv.Messages()) - before
			}
			if total != want {
				b.Fatalf("sent %d, want %d", total, want)
			}
			b.ReportMetric(float64(total)/float64(b.N), "emails/run")
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "seconds/run")
			b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}

// BenchmarkDeliverBesidePostfix delivers INVITECTL_BENCH_DELIVER (default
// 2000) queued emails to Postfix's smtp-sink over 4 connections, beside
// Postfix's own smtp-source sending as many messages of the same size over
// 4 sessions to the same sink, in one run. It skips without Debian's
// postfix (smtp-sink and smtp-source in /usr/sbin).
func BenchmarkDeliverBesidePostfix(b *testing.B) {
	sink, source := "/usr/sbin/smtp-sink", "/usr/sbin/smtp-source"
	for _, p := range []string{sink, source} {
		if _, err := os.Stat(p); err != nil {
			b.Skipf("%s: %v (apt-get install postfix)", p, err)
		}
	}
	n := benchDeliverN()
	r, srv, queue := queuedRun(b, n)
	// One delivery to the test server gives the message size.
	m := queue()
	before := len(srv.Messages())
	r.must("deliver", "--retry-failed")
	size := len(srv.Messages()[before].Data)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	args := []string{addr, "1000"}
	if os.Geteuid() == 0 {
		args = append([]string{"-u", "nobody"}, args...) // it refuses to run as root
	}
	cmd := exec.Command(sink, args...)
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for i := 0; ; i++ { // until the sink listens
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if i == 200 {
			b.Fatalf("smtp-sink does not listen on %s", addr)
		}
		time.Sleep(10 * time.Millisecond)
	}
	host, port, _ := net.SplitHostPort(addr)
	r.env["INVITECTL_SMTP_HOST"], r.env["INVITECTL_SMTP_PORT"], r.env["INVITECTL_SMTP_CONNECTIONS"] = host, port, "4"
	b.Run("invitectl", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			r.env["INVITECTL_SMTP_HOST"] = "127.0.0.1"
			r.env["INVITECTL_SMTP_PORT"] = strconv.Itoa(srv.Port())
			m = queue()
			r.env["INVITECTL_SMTP_HOST"], r.env["INVITECTL_SMTP_PORT"] = host, port
			b.StartTimer()
			if out := r.must("deliver", "--retry-failed", "-o", "json"); !strings.Contains(out, fmt.Sprintf(`"sent": %d,`, m)) {
				b.Fatalf("deliver of %d: %s", m, out)
			}
		}
		b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "seconds/run")
		b.ReportMetric(float64(m), "emails/run")
	})
	b.Run("smtp-source", func(b *testing.B) {
		for b.Loop() {
			out, err := exec.Command(source, "-s", "4", "-m", strconv.Itoa(m), "-l", strconv.Itoa(size),
				"-f", "invites@example.com", "-t", "person@example.com", addr).CombinedOutput()
			if err != nil {
				b.Fatalf("smtp-source: %v\n%s", err, out)
			}
		}
		b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "seconds/run")
		b.ReportMetric(float64(m), "emails/run")
	})
}

// benchImportRows is how many rows the import benchmarks import:
// INVITECTL_BENCH_IMPORT, default 100000.
func benchImportRows() int {
	if n, err := strconv.Atoi(os.Getenv("INVITECTL_BENCH_IMPORT")); err == nil {
		return n
	}
	return 100000
}

// BenchmarkImport imports INVITECTL_BENCH_IMPORT (default 100000) rows with
// --no-send into a copy of the benchmark store (INVITECTL_BENCH_ROWS
// invitations), beside seed adding the same number of rows to another copy,
// in the same run: rows/s and the import's peak RSS are the figures.
func BenchmarkImport(b *testing.B) {
	bin, db := benchSetup(b)
	n, dir := benchImportRows(), b.TempDir()
	file := filepath.Join(dir, "people.csv")
	var csv strings.Builder
	csv.WriteString("customer,email,first_name,last_name,personal_number\n")
	for i := range n {
		fmt.Fprintf(&csv, "Bulk AB,bulk.person.%d@example.org,Förnamn,Efternamn%d,20030606-2381\n", i, i)
	}
	if err := os.WriteFile(file, []byte(csv.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	fresh := func() string {
		b.StopTimer()
		defer b.StartTimer()
		copyDB := filepath.Join(dir, "store.db")
		for _, suffix := range []string{"", "-wal", "-shm", ".link-secret"} {
			_ = os.Remove(copyDB + suffix)
		}
		// Copied without holding the file in memory: a child's peak RSS
		// counts the parent's memory at the fork.
		if err := copyFile(copyDB, db); err != nil {
			b.Fatal(err)
		}
		runCmd(b, bin, "--db", copyDB, "customers", "add", "Bulk AB")
		return copyDB
	}
	b.Run("import", func(b *testing.B) {
		runRows(b, n, bin, func() []string { return []string{"--db", fresh(), "import", file, "--no-send"} })
	})
	b.Run("seed", func(b *testing.B) {
		for b.Loop() {
			runCmd(b, bin, "--db", fresh(), "seed", "--customers", "1", "--invitations", strconv.Itoa(n))
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
}

// BenchmarkImportUpdate runs `import FILE --update` on a copy of the
// benchmark store (INVITECTL_BENCH_ROWS invitations), the file being its
// own `list --all -o csv` export, cut to INVITECTL_BENCH_IMPORT (default
// 100000) rows, with every row's phone changed: rows/s and the import's
// peak RSS are the figures.
//
//	go test -run '^$' -bench 'BenchmarkImport(Update)?/import' -benchtime 1x ./internal/cli/
func BenchmarkImportUpdate(b *testing.B) {
	bin, db := benchSetup(b)
	n, dir := benchImportRows(), b.TempDir()
	copyDB := filepath.Join(dir, "store.db")
	fresh := func() string {
		b.StopTimer()
		defer b.StartTimer()
		for _, suffix := range []string{"", "-wal", "-shm", ".link-secret"} {
			_ = os.Remove(copyDB + suffix)
		}
		if err := copyFile(copyDB, db); err != nil {
			b.Fatal(err)
		}
		return copyDB
	}
	export := filepath.Join(dir, "export.csv")
	out, err := os.Create(export)
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(bin, "--db", fresh(), "list", "--all", "-o", "csv")
	cmd.Stdout = out
	if err := cmd.Run(); err != nil {
		b.Fatalf("list --all -o csv: %v", err)
	}
	_ = out.Close()
	file := filepath.Join(dir, "update.csv")
	rows, err := rewritePhones(export, file, n)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("import-update", func(b *testing.B) {
		runRows(b, rows, bin, func() []string { return []string{"--db", fresh(), "import", file, "--update"} })
		b.ReportMetric(float64(rows), "rows")
	})
}

// runRows runs bin with the arguments args gives (its own set-up untimed)
// once per iteration, reporting the rate over rows rows a run and the
// runs' peak RSS.
func runRows(b *testing.B, rows int, bin string, args func() []string) {
	var peak int64
	for b.Loop() {
		st := runCmd(b, bin, args()...)
		if ru, ok := st.SysUsage().(*syscall.Rusage); ok && ru.Maxrss > peak {
			peak = ru.Maxrss
		}
	}
	b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(peak)/1024, "maxrss-MB")
}

// rewritePhones copies the first n rows of the CSV file src to dst with a
// new phone number in each, and returns how many rows it wrote.
func rewritePhones(src, dst string, n int) (int, error) {
	in, err := os.Open(src)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return 0, err
	}
	defer out.Close()
	r, w := csv.NewReader(in), csv.NewWriter(out)
	header, err := r.Read()
	if err != nil {
		return 0, err
	}
	phone := slices.IndexFunc(header, func(h string) bool { return strings.EqualFold(h, "phone") || strings.EqualFold(h, "phone number") })
	if phone < 0 {
		return 0, fmt.Errorf("no phone column in %q", header)
	}
	if err := w.Write(header); err != nil {
		return 0, err
	}
	rows := 0
	for ; rows < n; rows++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return rows, err
		}
		rec[phone] = fmt.Sprintf("+4673%07d", rows)
		if err := w.Write(rec); err != nil {
			return rows, err
		}
	}
	w.Flush()
	return rows, w.Error()
}

// BenchmarkSeed times `invitectl seed --customers 50 --invitations N` into a
// new file (N: INVITECTL_BENCH_SEED, default 200000) beside the sqlite3
// shell loading the very same rows, byte for byte (INSERT … SELECT from a
// file seeded first), into a new store of the same schema, in the same run:
// "shell-indexed" with every index and the search index's triggers in
// place as the rows arrive, "shell-index-after" with them dropped and built
// after the load (the floor). The shell gets invitectl's writer settings
// (synchronous NORMAL, a 256 MiB cache; threads for the index sorts).
//
//	INVITECTL_BENCH_SEED=1000000 go test -run '^$' -bench 'BenchmarkSeed' -benchtime 2x ./internal/cli/
func BenchmarkSeed(b *testing.B) {
	bin := benchBinary(b)
	if _, err := exec.LookPath("sqlite3"); err != nil {
		b.Skip("sqlite3 not installed")
	}
	n := 200000
	if s := os.Getenv("INVITECTL_BENCH_SEED"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	dir := b.TempDir()
	target := filepath.Join(dir, "target.db")
	remove := func(path string) {
		for _, suffix := range []string{"", "-wal", "-shm", ".link-secret"} {
			_ = os.Remove(path + suffix)
		}
	}
	seed := func(path string, rows int) {
		remove(path)
		runCmd(b, bin, "--db", path, "seed", "--customers", "50", "--invitations", strconv.Itoa(rows))
	}
	src := filepath.Join(dir, "source.db")
	seed(src, n)
	shell := func(b *testing.B, script string) {
		cmd := exec.Command("sqlite3", "-bail", target)
		cmd.Stdin = strings.NewReader(script)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("sqlite3: %v\n%s", err, out)
		}
	}
	// A store with the schema and the same customers, and no invitation.
	empty := func(b *testing.B) {
		b.StopTimer()
		defer b.StartTimer()
		seed(target, 0)
	}
	settings := "PRAGMA synchronous = NORMAL;\nPRAGMA cache_size = -262144;\nATTACH '" + src + "' AS src;\n"
	copyRows := "INSERT INTO main.invitations SELECT * FROM src.invitations;\n"
	b.Run("invitectl-seed", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			remove(target)
			b.StartTimer()
			runCmd(b, bin, "--db", target, "seed", "--customers", "50", "--invitations", strconv.Itoa(n))
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
	b.Run("shell-indexed", func(b *testing.B) {
		for b.Loop() {
			empty(b)
			shell(b, settings+"BEGIN;\n"+copyRows+"COMMIT;\n")
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
	b.Run("shell-index-after", func(b *testing.B) {
		seed(target, 0)
		out, err := exec.Command("sqlite3", target, `SELECT upper(type) || ' ' || name || char(9) || replace(sql, char(10), ' ') || ';' FROM sqlite_schema
			WHERE tbl_name = 'invitations' AND type IN ('index', 'trigger') AND sql IS NOT NULL`).Output()
		if err != nil {
			b.Fatal(err)
		}
		var drop, create strings.Builder
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			what, def, _ := strings.Cut(line, "\t")
			fmt.Fprintf(&drop, "DROP %s;\n", what)
			create.WriteString(def + "\n")
		}
		script := settings + "PRAGMA threads = " + strconv.Itoa(runtime.NumCPU()) + ";\nBEGIN;\n" + drop.String() + copyRows +
			create.String() + "INSERT INTO invitations_search (invitations_search) VALUES ('rebuild');\nCOMMIT;\n"
		for b.Loop() {
			empty(b)
			shell(b, script)
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
}

func copyFile(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// plainSMTP is the anchor of the mailing benchmarks: msgs sent with go-smtp's
// client over one connection to addr, msgs/s the figure.
func plainSMTP(b *testing.B, addr string, msgs []mailtest.Message) {
	total := 0
	for b.Loop() {
		c, err := smtp.Dial(addr)
		if err != nil {
			b.Fatal(err)
		}
		for _, m := range msgs {
			if err := c.SendMail(m.From, m.To, bytes.NewReader(m.Data)); err != nil {
				b.Fatal(err)
			}
		}
		c.Quit()
		total += len(msgs)
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "msgs/s")
}
