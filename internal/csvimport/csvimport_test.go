package csvimport

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
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
			file, problems, err := Parse(f, Options{})
			recs := file.Records
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
	file, problems, err := Parse(f, Options{Customer: "Acme AB"})
	recs := file.Records
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
			[]string{`line 1: unknown column "fname"; did you mean "first_name"?`, `line 1: unknown column "colour"`, "line 1: the columns are customer, email, first_name", `line 1: the required column "first_name" is missing`}},
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
			file, problems, err := Parse(strings.NewReader(tc.file), Options{Customer: tc.customer})
			if err != nil || file.Records != nil {
				t.Fatalf("err %v, %d records", err, len(file.Records))
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
	file, problems, err := Parse(strings.NewReader(" Email ;FIRST_NAME;last_name;phone\r\na@example.com;;Ek;\r\n"), Options{Customer: "X"})
	recs := file.Records
	if err != nil || problems != nil || len(recs) != 1 {
		t.Fatalf("%v %v %v", err, problems, recs)
	}
	if d := recs[0].Details; d.FirstName != nil || str(d.LastName) != "Ek" || d.Phone != nil {
		t.Errorf("%+v", d)
	}
}

// A file that is in none of the encodings, or not in the one named, is one
// problem naming the encoding and the line where it starts, not one per
// field.
func TestParseEncodingProblems(t *testing.T) {
	utf16le := func(s string) string {
		var b strings.Builder
		for _, r := range s {
			b.WriteByte(byte(r))
			b.WriteByte(byte(r >> 8))
		}
		return b.String()
	}
	const header = "email,first_name,last_name\r\n"
	for _, tc := range []struct {
		name, file, encoding, want string
	}{
		{"UTF-16 without a byte order mark", utf16le(header + "a@example.com,Åsa,Lind\r\n"), "",
			"line 1: cannot be read as text: the file has NUL bytes but no byte order mark"},
		{"Windows-1252 named UTF-8", header + "a@example.com,\xc5sa,Lind\r\nb@example.com,\xd6sten,\xc5gren\r\n", "utf-8",
			"line 2: cannot be read as text: the file is not valid UTF-8 text here"},
		{"a byte Windows-1252 does not have", header + "a@example.com,\xc5sa,Lind\r\nb@example.com,B\x81o,Ek\r\n", "",
			"line 3: cannot be read as text: the file is not valid Windows-1252 text here"},
		{"UTF-16 named, no byte order mark", header, "utf-16", "line 1: cannot be read as text: --encoding utf-16 needs a byte order mark"},
		{"a lone surrogate in UTF-16", "\xff\xfe" + utf16le(header+"a@example.com,") + "\x00\xd8" + utf16le(",Lind\r\n"), "",
			"line 2: cannot be read as text: the file is not valid UTF-16 text here"},
		{"NUL in UTF-8", header + "a@example.com,Å\x00sa,Lind\r\n", "utf-8", "line 2: cannot be read as text: the file has a NUL byte"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file, problems, err := Parse(strings.NewReader(tc.file), Options{Customer: "X", Encoding: tc.encoding})
			if err != nil || file.Records != nil || len(problems) != 1 || !strings.HasPrefix(problems[0].String(), tc.want) {
				t.Fatalf("err %v, %d records, problems %q; want one %q", err, len(file.Records), problems, tc.want)
			}
		})
	}
}

// Windows-1252 is read when the bytes are not UTF-8, with one notice, or
// when named; a tab in the header makes the file tab-separated.
func TestParseEncodings(t *testing.T) {
	for _, tc := range []struct {
		name, file, encoding, notice string
	}{
		{"Windows-1252 guessed", "email;first_name;last_name\r\na@example.com;\xc5sa;L\xf6f\r\n", "", "line 2 has the byte 0xC5"},
		{"Windows-1252 named", "email;first_name;last_name\r\na@example.com;\xc5sa;L\xf6f\r\n", "windows-1252", ""},
		{"UTF-8 tab-separated with commas in a name", "email\tfirst_name\tlast_name\na@example.com\tÅsa\tLöf\n", "", ""},
		{"UTF-16 BE", "\xfe\xff\x00e\x00m\x00a\x00i\x00l\x00\t\x00f\x00i\x00r\x00s\x00t\x00_\x00n\x00a\x00m\x00e\x00\t\x00l\x00a\x00s\x00t\x00_\x00n\x00a\x00m\x00e\x00\n" +
			"\x00a\x00@\x00e\x00x\x00.\x00s\x00e\x00\t\x00\xc5\x00s\x00a\x00\t\x00L\x00\xf6\x00f", "utf-16", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file, problems, err := Parse(strings.NewReader(tc.file), Options{Customer: "X", Encoding: tc.encoding})
			if err != nil || problems != nil || len(file.Records) != 1 {
				t.Fatalf("err %v, problems %v, %d records", err, problems, len(file.Records))
			}
			if d := file.Records[0].Details; str(d.FirstName) != "Åsa" || str(d.LastName) != "Löf" {
				t.Errorf("names %q %q", str(d.FirstName), str(d.LastName))
			}
			if got := strings.Join(file.Notices, "\n"); tc.notice == "" && got != "" || !strings.Contains(got, tc.notice) {
				t.Errorf("notices %q, want %q", got, tc.notice)
			}
		})
	}
}

// Headers as people write them: list's table headings and the export's
// names, ignoring case, spaces, "_" and "-"; the export's read-only columns
// are ignored with one notice; "—" is an absent value, as the table shows
// it; a masked personal number is left empty, with one notice.
func TestParseHeaders(t *testing.T) {
	const file = "ID;Customer account;First name;Last-Name;E-mail;Status;Swedish citizenship;EU/EEA citizenship;Personal number;LMA number;Phone number;GENDER;language;Sent on;sent_by;expires_at;version;emails_sent;last_sent_at;delivery;accepted_at;revoked_at\n" +
		"7;Acme AB;Åsa;Lind;asa@example.com;PENDING;Yes;—;19811218-****;—;+46701234567;female;sv;2026-01-05T09:00:00Z;admin;2027-01-05T09:00:00Z;3;1;;sent;;\n"
	f, problems, err := Parse(strings.NewReader(file), Options{})
	if err != nil || problems != nil || len(f.Records) != 1 {
		t.Fatalf("err %v, problems %v", err, problems)
	}
	r := f.Records[0]
	if r.Customer != "Acme AB" || r.Email != "asa@example.com" || str(r.Details.FirstName) != "Åsa" || str(r.Details.LastName) != "Lind" ||
		str(r.Details.SwedishCitizen) != "Yes" || r.Details.EUCitizen != nil || r.Details.PersonalNumber != nil || r.Details.LMANumber != nil ||
		str(r.Details.Phone) != "+46701234567" || str(r.Details.Gender) != "female" || r.Language != "sv" {
		t.Errorf("record %+v, details %+v", r, r.Details)
	}
	want := []string{
		`ignoring the columns "ID", "Status", "Sent on", "sent_by", "expires_at", "version", "emails_sent", "last_sent_at", "delivery", "accepted_at", "revoked_at", which an import cannot set`,
		"1 masked personal number (YYYYMMDD-****, as exports write them) left empty",
	}
	if len(f.Notices) != 2 || f.Notices[0] != want[0] || !strings.HasPrefix(f.Notices[1], want[1]) {
		t.Errorf("notices %q", f.Notices)
	}
}

// An unknown column gets "did you mean" when one is close, and the list of
// columns once, however many are unknown.
func TestParseUnknownColumns(t *testing.T) {
	_, problems, err := Parse(strings.NewReader("customer,email,fname,lastname,phnoe,colour,mobile\n"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range problems {
		got = append(got, p.String())
	}
	want := []string{
		`line 1: unknown column "fname"; did you mean "first_name"?`,
		`line 1: unknown column "phnoe"; did you mean "phone"?`,
		`line 1: unknown column "colour"`,
		`line 1: unknown column "mobile"`,
		`line 1: the columns are customer, email, first_name, last_name, swedish_citizen, eu_eea_citizen, personal_number, lma_number, phone, gender, language (named as list's table heads them, too: "First name", "Phone number"…); an export's id, status, sent_on, sent_by, expires_at, version, emails_sent, last_sent_at, delivery, accepted_at, revoked_at are ignored`,
		`line 1: the required column "first_name" is missing`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// An xlsx is recognised by its content and read from its first sheet, each
// cell as the text it shows; "line N" is the sheet's row, empty rows
// skipped.
func TestParseXLSX(t *testing.T) {
	f := excelize.NewFile()
	_, _ = f.NewSheet("Other")
	set := func(cell string, v any) {
		if err := f.SetCellValue("Sheet1", cell, v); err != nil {
			t.Fatal(err)
		}
	}
	for i, h := range []string{"E-mail", "First name", "Last name", "Phone number", "Swedish citizenship"} {
		cell, _ := excelize.CoordinatesToCellName(i+1, 1)
		set(cell, h)
	}
	set("A2", "asa@example.com")
	set("B2", "Åsa")
	set("C2", "Lind")
	set("D2", "+46701234567")
	set("E2", true)
	set("A4", "bo@example.com")
	set("B4", "Bo")
	set("C4", "Ek")
	set("D4", 4791234567) // a number, as a spreadsheet makes of +4791234567
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	file, problems, err := Parse(bytes.NewReader(buf.Bytes()), Options{Customer: "X"})
	if err != nil || problems != nil || len(file.Records) != 2 {
		t.Fatalf("err %v, problems %v, %d records", err, problems, len(file.Records))
	}
	a, b := file.Records[0], file.Records[1]
	if a.Line != 2 || a.Email != "asa@example.com" || str(a.Details.FirstName) != "Åsa" || str(a.Details.Phone) != "+46701234567" || str(a.Details.SwedishCitizen) != "TRUE" {
		t.Errorf("row 2: %+v %+v", a, a.Details)
	}
	if b.Line != 4 || str(b.Details.Phone) != "4791234567" {
		t.Errorf("row 4: line %d, phone %q", b.Line, str(b.Details.Phone))
	}
	// Not a workbook, though a ZIP archive.
	_, problems, err = Parse(strings.NewReader("PK\x03\x04 not really"), Options{Customer: "X"})
	if err != nil || len(problems) != 1 || !strings.Contains(problems[0].Message, "not an xlsx workbook") {
		t.Errorf("err %v, problems %v", err, problems)
	}
}
