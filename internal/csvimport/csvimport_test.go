package csvimport

import (
	"os"
	"strings"
	"testing"
)

func str(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

// Files written by Python's csv module (excel dialect: CRLF, minimal
// quoting), once with "," and once as Excel in Sweden writes them (BOM and
// ";"): the same records, with lines where each record starts.
func TestParsePythonFiles(t *testing.T) {
	for _, name := range []string{"python-excel.csv", "python-excel-sv.csv"} {
		t.Run(name, func(t *testing.T) {
			f, err := os.Open("testdata/" + name)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			recs, problems, err := Parse(f, "")
			if err != nil || problems != nil {
				t.Fatalf("err %v, problems %v", err, problems)
			}
			if len(recs) != 3 {
				t.Fatalf("%d records", len(recs))
			}
			a, b, c := recs[0], recs[1], recs[2]
			if a.Line != 2 || a.Customer != "Acme AB" || a.Email != "asa@example.com" || str(a.Details.FirstName) != "Åsa" ||
				str(a.Details.SwedishCitizen) != "yes" || a.Details.EUCitizen != nil || str(a.Details.PersonalNumber) != "20030606-2381" ||
				str(a.Details.Phone) != "070-123 45 67" || str(a.Details.Gender) != "female" || a.Language != "sv" {
				t.Errorf("record 1: %+v", a)
			}
			// A quoted field with a comma, quotes and a newline; the record
			// after it starts two lines further down.
			if b.Line != 3 || str(b.Details.LastName) != `Ek, "junior"` || str(b.Details.LMANumber) != "LMA\n123" ||
				str(b.Details.EUCitizen) != "true" || b.Language != "en" {
				t.Errorf("record 2: line %d, %+v", b.Line, b.Details)
			}
			if c.Line != 5 || c.Customer != "Östra Vård AB" || c.Language != "" || c.Details.Phone != nil {
				t.Errorf("record 3: line %d, %+v", c.Line, c)
			}
		})
	}
}

func TestParseByHand(t *testing.T) {
	f, err := os.Open("testdata/by-hand-lf.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, problems, err := Parse(f, "Acme AB")
	if err != nil || problems != nil || len(recs) != 2 {
		t.Fatalf("%v %v %d", err, problems, len(recs))
	}
	if recs[0].Line != 2 || recs[1].Line != 4 || recs[1].Customer != "Acme AB" || str(recs[1].Details.LastName) != "Ek" {
		t.Errorf("%+v", recs)
	}
}

func TestParseFileProblems(t *testing.T) {
	for _, tc := range []struct {
		name, file, customer string
		want                 []string // problems, in order
	}{
		{"empty", "", "", []string{"line 1: the file is empty"}},
		{"unknown and missing columns, all at once", "email,fname,last_name,colour\n", "Acme AB",
			[]string{`line 1: unknown column "fname"`, `line 1: unknown column "colour"`, `line 1: the required column "first_name" is missing`}},
		{"customer column and --customer", "customer,email,first_name,last_name\n", "Acme AB",
			[]string{"line 1: the file has a customer column and --customer is given too"}},
		{"no customer at all", "email,first_name,last_name\n", "",
			[]string{"line 1: no customer column; add one, or give every row's customer with --customer"}},
		{"repeated column", "email,email,first_name,last_name\n", "X", []string{`line 1: column "email" appears twice`}},
		{"too many fields", "email,first_name,last_name\na@example.com,A,B\nb@example.com,B,C,D\nc@example.com,C,D,E,F\n", "X",
			[]string{"line 3: has 4 fields but the header names 3 columns", "line 4: has 5 fields"}},
		{"bad quote", "email,first_name,last_name\na@example.com,\"Ann,B\nb@example.com,B,C\n", "X", []string{"line 2: cannot be read as CSV"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recs, problems, err := Parse(strings.NewReader(tc.file), tc.customer)
			if err != nil || recs != nil {
				t.Fatalf("err %v, %d records", err, len(recs))
			}
			if len(problems) != len(tc.want) {
				t.Fatalf("problems %v, want %v", problems, tc.want)
			}
			for i, p := range problems {
				if !strings.HasPrefix(p.String(), tc.want[i]) {
					t.Errorf("problem %d: %q, want %q…", i, p.String(), tc.want[i])
				}
			}
		})
	}
}

// The header's names ignore case and spaces; empty optional cells are not
// given, and empty names are reported as missing rather than too short.
func TestParseValues(t *testing.T) {
	recs, problems, err := Parse(strings.NewReader(" Email ;FIRST_NAME;last_name;phone\r\na@example.com;;Ek;\r\n"), "X")
	if err != nil || problems != nil || len(recs) != 1 {
		t.Fatalf("%v %v %v", err, problems, recs)
	}
	if d := recs[0].Details; d.FirstName != nil || str(d.LastName) != "Ek" || d.Phone != nil {
		t.Errorf("%+v", d)
	}
}
