package personnummer

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// refNow is the fixed "now" of the tests: never the wall clock.
var refNow = time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)

// withCheck completes YYYYMMDD and three digits with the right check digit.
func withCheck(t testing.TB, date8, three string) string {
	t.Helper()
	c, err := CheckDigit(date8[2:] + three)
	if err != nil {
		t.Fatal(err)
	}
	return date8 + "-" + three + string(c)
}

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want string
		err  error
	}{
		// Skatteverket's test numbers (shared/testdata/personnummer.md).
		{"18950629-9818", "18950629-9818", nil},
		{"19010821-9817", "19010821-9817", nil},
		{"200306062381", "20030606-2381", nil},
		{" 20250308-2386 ", "20250308-2386", nil},
		{"20250824-2381", "20250824-2381", nil},
		{"20080212-2390", "20080212-2390", nil},
		// Wrong check digit.
		{"18950629-9819", "", ErrCheck},
		// Coordination number: day 29 + 60 = 89, check digit recomputed.
		{"18950689-9815", "18950689-9815", nil},
		// Leap years.
		{"20000229-0000", "", ErrCheck}, // real date, check digit decides
		{"19000229-1234", "", ErrDate},  // 1900 is not a leap year
		{"20230229-1234", "", ErrDate},
		{"20231301-1234", "", ErrDate},
		{"20230100-1234", "", ErrDate},
		{"20230192-1234", "", ErrDate}, // day 92 - 60 = 32
		// Form.
		{"", "", ErrFormat},
		{"19811218+1234", "", ErrFormat},
		{"811218-1234", "", ErrFormat},
		{"1981121a-1234", "", ErrFormat},
		{"19811218--234", "", ErrFormat},
		{"19811218-12345", "", ErrFormat},
		// Dates in the future or before 1840 (all with a right check digit).
		{"99991231-2387", "", ErrFuture},
		{"20991231-2387", "", ErrFuture},
		{"00010101-2383", "", ErrEarly},
	}
	for _, tt := range tests {
		got, err := ParseAt(tt.in, refNow)
		if tt.err != nil {
			if !errors.Is(err, tt.err) {
				t.Errorf("Parse(%q) error = %v, want %v", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Parse(%q) unexpected error %v", tt.in, err)
			continue
		}
		if got.String() != tt.want {
			t.Errorf("Parse(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestParseDateRange: the date may be neither after now's date in Sweden nor
// before 1840; a coordination number is judged by its day less 60.
func TestParseDateRange(t *testing.T) {
	summer := time.Date(2026, 6, 15, 21, 30, 0, 0, time.UTC)  // 23:30 in Sweden (UTC+2)
	winter := time.Date(2026, 12, 31, 22, 30, 0, 0, time.UTC) // 23:30 in Sweden (UTC+1)
	tests := []struct {
		name string
		in   string
		now  time.Time
		err  error
	}{
		{"first day of 1840", withCheck(t, "18400101", "123"), refNow, nil},
		{"last day of 1839", withCheck(t, "18391231", "123"), refNow, ErrEarly},
		{"year 1", withCheck(t, "00010101", "238"), refNow, ErrEarly},
		{"coordination before 1840", withCheck(t, "18391291", "123"), refNow, ErrEarly},
		{"today", withCheck(t, "20260615", "238"), refNow, nil},
		{"tomorrow", withCheck(t, "20260616", "238"), refNow, ErrFuture},
		{"next year", withCheck(t, "20270101", "238"), refNow, ErrFuture},
		{"year 9999", "99991231-2387", refNow, ErrFuture},
		{"coordination today", withCheck(t, "20260675", "238"), refNow, nil},
		{"coordination tomorrow", withCheck(t, "20260676", "238"), refNow, ErrFuture},
		{"coordination in the past", "18950689-9815", refNow, nil},
		// The date is Sweden's: 23:30 UTC is already tomorrow there.
		{"summer 23:30 local", withCheck(t, "20260616", "238"), summer, ErrFuture},
		{"summer 00:30 local", withCheck(t, "20260616", "238"), summer.Add(time.Hour), nil},
		{"winter 23:30 local", withCheck(t, "20270101", "238"), winter, ErrFuture},
		{"winter 00:30 local", withCheck(t, "20270101", "238"), winter.Add(time.Hour), nil},
		// A now in another zone is the same instant.
		{"now in another zone", withCheck(t, "20260616", "238"), summer.Add(time.Hour).In(time.FixedZone("UTC-8", -8*3600)), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAt(tt.in, tt.now)
			if tt.err == nil {
				if err != nil || got.String() != tt.in {
					t.Fatalf("ParseAt(%q, %v) = %q, %v; want it accepted", tt.in, tt.now, got, err)
				}
				return
			}
			if !errors.Is(err, tt.err) {
				t.Fatalf("ParseAt(%q, %v) error = %v, want %v", tt.in, tt.now, err, tt.err)
			}
		})
	}
	// Every message says what is wrong and what to check.
	for _, e := range []error{ErrFuture, ErrEarly} {
		if !strings.Contains(e.Error(), "check") {
			t.Errorf("message %q does not say what to check", e)
		}
	}
}

func TestSwedishDate(t *testing.T) {
	tests := []struct {
		at   time.Time
		want string
	}{
		{time.Date(2026, 1, 15, 22, 59, 0, 0, time.UTC), "2026-01-15"},
		{time.Date(2026, 1, 15, 23, 0, 0, 0, time.UTC), "2026-01-16"}, // UTC+1
		// Summer time 2026: 29 March 01:00 UTC to 25 October 01:00 UTC.
		{time.Date(2026, 3, 28, 22, 30, 0, 0, time.UTC), "2026-03-28"},
		{time.Date(2026, 3, 28, 23, 30, 0, 0, time.UTC), "2026-03-29"},
		{time.Date(2026, 3, 29, 21, 59, 0, 0, time.UTC), "2026-03-29"},
		{time.Date(2026, 3, 29, 22, 0, 0, 0, time.UTC), "2026-03-30"}, // UTC+2
		{time.Date(2026, 10, 24, 22, 0, 0, 0, time.UTC), "2026-10-25"},
		{time.Date(2026, 10, 25, 22, 59, 0, 0, time.UTC), "2026-10-25"}, // UTC+1 again
		{time.Date(2026, 10, 25, 23, 0, 0, 0, time.UTC), "2026-10-26"},
		{time.Date(2026, 12, 31, 23, 0, 0, 0, time.UTC), "2027-01-01"},
	}
	for _, tt := range tests {
		y, m, d := swedishDate(tt.at)
		if got := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Format(time.DateOnly); got != tt.want {
			t.Errorf("swedishDate(%v) = %s, want %s", tt.at, got, tt.want)
		}
	}
}

func TestLeapDayValid(t *testing.T) {
	c, err := CheckDigit("000229123")
	if err != nil {
		t.Fatal(err)
	}
	n := "20000229-123" + string(c)
	if _, err := ParseAt(n, refNow); err != nil {
		t.Fatalf("Parse(%q): %v", n, err)
	}
}

func TestCoordination(t *testing.T) {
	n, err := ParseAt("18950689-9815", refNow)
	if err != nil {
		t.Fatal(err)
	}
	if !n.IsCoordination() {
		t.Error("want coordination number")
	}
	n, _ = ParseAt("18950629-9818", refNow)
	if n.IsCoordination() {
		t.Error("ordinary number reported as coordination number")
	}
}

func TestMask(t *testing.T) {
	if got := Mask("20080212-2390"); got != "20080212-****" {
		t.Errorf("Mask = %q", got)
	}
	if got := Mask(""); got != "" {
		t.Errorf("Mask(\"\") = %q", got)
	}
	if got := Mask("123"); strings.Contains(got, "123") {
		t.Errorf("Mask leaks short input: %q", got)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"18950629-9818", "200306062381", "18950689-9815", "x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseAt(s, refNow)
		if err != nil {
			return
		}
		// A valid number round-trips through its normalised form.
		again, err := ParseAt(n.String(), refNow)
		if err != nil || again != n {
			t.Fatalf("normalised %q does not round-trip: %v", n, err)
		}
		// Its date lies between 1840 and now (refNow is 15 June 2026 in
		// Sweden too), and it stays valid as time passes.
		date := atoi([]byte(n.String()[:8]))
		if n.IsCoordination() {
			date -= 60
		}
		if date < FirstYear*10000 || date > 20260615 {
			t.Fatalf("%q accepted with date %d", n, date)
		}
		if _, err := ParseAt(n.String(), refNow.AddDate(50, 0, 0)); err != nil {
			t.Fatalf("%q valid now but not 50 years later: %v", n, err)
		}
		if m := Mask(n.String()); !strings.HasSuffix(m, "-****") || len(m) != 13 {
			t.Fatalf("Mask(%q) = %q", n, m)
		}
	})
}
