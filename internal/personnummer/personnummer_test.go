package personnummer

import (
	"errors"
	"strings"
	"testing"
)

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
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
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

func TestLeapDayValid(t *testing.T) {
	c, err := CheckDigit("000229123")
	if err != nil {
		t.Fatal(err)
	}
	n := "20000229-123" + string(c)
	if _, err := Parse(n); err != nil {
		t.Fatalf("Parse(%q): %v", n, err)
	}
}

func TestCoordination(t *testing.T) {
	n, err := Parse("18950689-9815")
	if err != nil {
		t.Fatal(err)
	}
	if !n.IsCoordination() {
		t.Error("want coordination number")
	}
	n, _ = Parse("18950629-9818")
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
		n, err := Parse(s)
		if err != nil {
			return
		}
		// A valid number round-trips through its normalised form.
		again, err := Parse(n.String())
		if err != nil || again != n {
			t.Fatalf("normalised %q does not round-trip: %v", n, err)
		}
		if m := Mask(n.String()); !strings.HasSuffix(m, "-****") || len(m) != 13 {
			t.Fatalf("Mask(%q) = %q", n, m)
		}
	})
}
