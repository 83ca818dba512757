package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/store"
	"github.com/invitectl/invitectl/internal/store/postgres"
	"github.com/invitectl/invitectl/internal/store/sqlite"
)

// BenchmarkSearchCommand and BenchmarkSearchShell time `invitectl list
// --search TERM -o json` as a user runs it (a new process each time), and
// the sqlite3 shell or psql running the same indexed statement the store
// runs for it (the page, which carries the total; its SQL taken from the
// store with the arguments written in; for "plain", the count and the page), on a store made by `invitectl seed`:
// the SQLite file INVITECTL_BENCH_DB, or the PostgreSQL database
// INVITECTL_BENCH_PG (with its INVITECTL_LINK_SECRET). "plain" is a list
// without a search, the target's measure.
//
//	invitectl --db /tmp/search.db seed --customers 50 --invitations 1000000
//	INVITECTL_BENCH_DB=/tmp/search.db go test -run '^$' -bench 'Search(Command|Shell)' -benchtime 10x ./internal/store/

// searchBenchCases are the searches measured: one match, one of the seed's
// 33 last names (about 3 % of the rows), two terms, and a term too short
// for the index.
var searchBenchCases = []struct{ name, search string }{
	{"plain", ""},
	{"selective", "lindqvist.3815@"},
	{"common", "lindqvist"},
	{"two-terms", "åsa lindqvist"},
	{"short", "ek"},
}

var (
	searchBinOnce sync.Once
	searchBin     string
	searchBinErr  error
)

// searchBenchDB is the seeded database the benchmark reads, and whether it
// is PostgreSQL.
func searchBenchDB(b *testing.B) (db string, pg bool) {
	if db := os.Getenv("INVITECTL_BENCH_PG"); db != "" {
		return db, true
	}
	db = os.Getenv("INVITECTL_BENCH_DB")
	if db == "" {
		b.Skip("set INVITECTL_BENCH_DB to a seeded SQLite file, or INVITECTL_BENCH_PG to a seeded database")
	}
	return db, false
}

// searchBinary builds invitectl once for the benchmarks of this file.
func searchBinary(b *testing.B) string {
	searchBinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "invitectl-search-bench-")
		if err != nil {
			searchBinErr = err
			return
		}
		searchBin = filepath.Join(dir, "invitectl")
		if out, err := exec.Command("go", "build", "-o", searchBin, "../../cmd/invitectl").CombinedOutput(); err != nil {
			searchBinErr = fmt.Errorf("build: %v\n%s", err, out)
		}
	})
	if searchBinErr != nil {
		b.Fatal(searchBinErr)
	}
	return searchBin
}

func BenchmarkSearchCommand(b *testing.B) {
	db, _ := searchBenchDB(b)
	searchBin := searchBinary(b)
	for _, c := range searchBenchCases {
		args := []string{"--db", db, "list", "-o", "json"}
		if c.search != "" {
			args = append(args, "--search", c.search)
		}
		b.Run(c.name, func(b *testing.B) {
			runSearch(b, searchBin, args...) // warm the page cache, as for the shell
			for b.Loop() {
				runSearch(b, searchBin, args...)
			}
		})
	}
}

func BenchmarkSearchShell(b *testing.B) {
	db, pg := searchBenchDB(b)
	shell := "sqlite3"
	if pg {
		shell = "psql"
	}
	if _, err := exec.LookPath(shell); err != nil {
		b.Skip(shell + " not installed")
	}
	ctx := context.Background()
	var s *store.Store
	var err error
	if pg {
		s, err = postgres.Open(ctx, db)
	} else {
		s, err = sqlite.Open(ctx, db)
	}
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for _, c := range searchBenchCases {
		q := invite.ListQuery{Status: invite.FilterOpen, Search: c.search, Sort: invite.DefaultSort, Page: 1, PerPage: invite.DefaultPerPage, Now: time.Now()}
		page, pageArgs, count, countArgs, err := s.ListQueries(q)
		if err != nil {
			b.Fatal(err)
		}
		if c.search == "" {
			count, countArgs = "SELECT count(*) FROM invitations WHERE state = 'pending'", nil
		}
		sql := inline(count, countArgs, pg) + ";\n" + inline(page, pageArgs, pg) + ";"
		if strings.Contains(page, "count(*) OVER ()") { // the page carries the total
			sql = inline(page, pageArgs, pg) + ";"
		}
		args := []string{"-json", db, sql}
		if pg {
			args = []string{"-X", "-q", "-A", "-t", "-d", db, "-c", sql}
		}
		b.Run(c.name, func(b *testing.B) {
			runSearch(b, shell, args...) // warm the page cache
			for b.Loop() {
				runSearch(b, shell, args...)
			}
		})
	}
}

var numbered = regexp.MustCompile(`\$(\d+)`)

// inline writes a query's arguments into its text, for a shell.
func inline(query string, args []any, pg bool) string {
	lit := func(v any) string {
		switch v := v.(type) {
		case string:
			return "'" + strings.ReplaceAll(v, "'", "''") + "'"
		case time.Time:
			return "'" + v.Format(time.RFC3339Nano) + "'"
		default:
			return fmt.Sprint(v)
		}
	}
	if pg {
		return numbered.ReplaceAllStringFunc(query, func(m string) string {
			n, _ := strconv.Atoi(m[1:])
			return lit(args[n-1])
		})
	}
	for _, a := range args {
		query = strings.Replace(query, "?", lit(a), 1)
	}
	return query
}

func runSearch(b *testing.B, name string, args ...string) {
	cmd := exec.Command(name, args...)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

// BenchmarkListCombinations times page 1 of `invitectl list -o json` (a new
// process each time) for every combination of status, customer (none, or
// the first customer), search (none, and the selective, common and
// two-term searches above) and sort field and direction, on the same store
// as BenchmarkSearchCommand, and reports each as a multiple of the default
// list's page 1 measured first in the same run (x-default). The target is
// 2 at most.
//
//	INVITECTL_BENCH_DB=/tmp/search.db go test -run '^$' -bench 'ListCombinations' -benchtime 3x ./internal/store/ | sort -t$'\t' -k4 -g
func BenchmarkListCombinations(b *testing.B) {
	db, _ := searchBenchDB(b)
	bin := searchBinary(b)
	out, err := exec.Command(bin, "--db", db, "customers", "list", "-o", "json").Output()
	if err != nil {
		b.Fatal(err)
	}
	var customers struct {
		Customers []struct{ Name string } `json:"customers"`
	}
	if err := json.Unmarshal(out, &customers); err != nil || len(customers.Customers) == 0 {
		b.Fatalf("customers list: %v\n%s", err, out)
	}
	statuses := []invite.StatusFilter{invite.FilterOpen, invite.FilterPending, invite.FilterExpired, invite.FilterAccepted, invite.FilterRevoked, invite.FilterAll}
	list := []string{"--db", db, "list", "-o", "json"}
	// The default list's page 1: the median of 21 runs after a warm-up, so
	// that one slow run does not move every ratio.
	runSearch(b, bin, list...)
	times := make([]time.Duration, 21)
	for i := range times {
		start := time.Now()
		runSearch(b, bin, list...)
		times[i] = time.Since(start)
	}
	slices.Sort(times)
	base := float64(times[len(times)/2])
	b.Logf("default list, page 1: median %s of %d runs", times[len(times)/2], len(times))
	run := func(name string, args ...string) {
		b.Run(name, func(b *testing.B) {
			args := append(slices.Clone(list), args...)
			runSearch(b, bin, args...) // warm the page cache
			for b.Loop() {
				runSearch(b, bin, args...)
			}
			b.ReportMetric(float64(b.Elapsed())/float64(b.N)/base, "x-default")
		})
	}
	run("default")
	for _, st := range statuses {
		for _, customer := range []string{"", customers.Customers[0].Name} {
			for _, c := range searchBenchCases {
				if c.name == "short" { // the target is for terms of three characters or more
					continue
				}
				for _, field := range invite.SortFields {
					for _, dir := range []string{"asc", "desc"} {
						args := []string{"--status", string(st), "--sort", string(field) + ":" + dir}
						name := string(st) + "/"
						if customer != "" {
							args = append(args, "--customer", customer)
							name += "customer/"
						} else {
							name += "all-customers/"
						}
						if c.search != "" {
							args = append(args, "--search", c.search)
						}
						run(name+c.name+"/"+string(field)+":"+dir, args...)
					}
				}
			}
		}
	}
}
