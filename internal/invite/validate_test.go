package invite

import (
	"bytes"
	"sort"
	"strings"
	"testing"
	"time"
)

func sp(s string) *string { return &s }

func TestValidateName(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"Åsa", "Åsa", true},
		{"  Bo  ", "Bo", true},
		{"Åö", "Åö", true}, // 2 characters, 4 bytes
		{"A", "", false},
		{"Å", "", false}, // 1 character, 2 bytes
		{"   ", "", false},
		{strings.Repeat("ä", 70), strings.Repeat("ä", 70), true},
		{strings.Repeat("ä", 71), "", false},
		{"Bo\x00b", "", false},
		{"Bo\nEk", "", false},
	}
	for _, tt := range tests {
		got, msg := ValidateName(tt.in)
		if (msg == "") != tt.ok || got != tt.want {
			t.Errorf("ValidateName(%q) = %q, %q; want %q ok=%v", tt.in, got, msg, tt.want, tt.ok)
		}
	}
}

func TestNormalizePhone(t *testing.T) {
	tests := []struct{ in, want string }{
		{"070-123 45 67", "+46701234567"},
		{"0701234567", "+46701234567"},
		{"+46 70 123 45 67", "+46701234567"},
		{"+4915123456789", "+4915123456789"},
		{"08-123 456 78", "+46812345678"},
		{"", ""},
		{"unset", ""},
	}
	for _, tt := range tests {
		got, err := NormalizePhone(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"12", "abc", "+4612", strings.Repeat("1", 41), "070-123 45 67 89 00 11"} {
		if got, err := NormalizePhone(bad); err == nil {
			t.Errorf("NormalizePhone(%q) = %q, want error", bad, got)
		}
	}
}

func TestNormalizeEmail(t *testing.T) {
	for _, good := range []string{"a@example.com", " Bo.Ek+x@Example.se ", "åsa@exempel.se"} {
		if _, err := NormalizeEmail(good); err != nil {
			t.Errorf("NormalizeEmail(%q): %v", good, err)
		}
	}
	for _, bad := range []string{"", "bad", "a@", "@b.se", "a@b", "Åsa <a@b.se>", "a@b.se.", "a b@c.se", strings.Repeat("a", 250) + "@b.se"} {
		if _, err := NormalizeEmail(bad); err == nil {
			t.Errorf("NormalizeEmail(%q): want error", bad)
		}
	}
	if EmailKey(" A@B.se ") != "a@b.se" {
		t.Error("EmailKey must trim and lower-case")
	}
}

func TestPatchApply(t *testing.T) {
	base := Details{FirstName: "Anna", LastName: "Ek", SwedishCitizen: Yes, PersonalNumber: "20030606-2381", LMANumber: "L1", Phone: "+46701234567", Gender: Female}
	d, changed, err := Patch{
		FirstName: sp("Åsa"), SwedishCitizen: sp("no"), EUCitizen: sp("yes"), PersonalNumber: sp("unset"),
		LMANumber: sp(""), Phone: sp("08-123 456 78"), Gender: sp("UNSET"),
	}.Apply(base)
	if err != nil {
		t.Fatal(err)
	}
	want := Details{FirstName: "Åsa", LastName: "Ek", SwedishCitizen: No, EUCitizen: Yes, Phone: "+46812345678"}
	if d != want {
		t.Errorf("got %+v, want %+v", d, want)
	}
	if got := strings.Join(changed, ","); got != "first-name,swedish-citizen,eu-citizen,personal-number,lma-number,phone,gender" {
		t.Errorf("changed = %s", got)
	}
	// Unchanged values are not reported as changes.
	if _, changed, _ := (Patch{FirstName: sp(" Anna ")}).Apply(base); len(changed) != 0 {
		t.Errorf("no-op reported as change: %v", changed)
	}
	// Every broken rule is named, and the input is returned unchanged.
	_, _, err = Patch{FirstName: sp("A"), LastName: sp(strings.Repeat("x", 71)), SwedishCitizen: sp("maybe"), EUCitizen: sp("2"),
		PersonalNumber: sp("19811218-1234"), LMANumber: sp(strings.Repeat("x", 71)), Phone: sp("1"), Gender: sp("robot")}.Apply(base)
	fields := ErrorFields(err)
	if ErrorCode(err) != EINVALID || len(fields) != 8 {
		t.Fatalf("want 8 field errors, got %v", err)
	}
	for i, name := range []string{"first-name", "last-name", "swedish-citizen", "eu-citizen", "personal-number", "lma-number", "phone", "gender"} {
		if fields[i].Field != name || fields[i].Message == "" {
			t.Errorf("field error %d = %+v, want %s", i, fields[i], name)
		}
	}
}

func TestParseSort(t *testing.T) {
	for in, want := range map[string]Sort{
		"": DefaultSort, "email": {Field: SortEmail}, "last-name:desc": {Field: SortLastName, Desc: true},
		"sent-on:asc": {Field: SortSentOn}, "CUSTOMER:DESC": {Field: SortCustomer, Desc: true},
	} {
		got, err := ParseSort(in)
		if err != nil || got != want {
			t.Errorf("ParseSort(%q) = %v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"age", "email:up", ":desc", "email:"} {
		if _, err := ParseSort(bad); ErrorCode(err) != EINVALID || ErrorHint(err) == "" {
			t.Errorf("ParseSort(%q): want EINVALID with hint, got %v", bad, err)
		}
	}
}

func FuzzParseSort(f *testing.F) {
	for _, s := range []string{"email", "last-name:desc", "x:y:z", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		srt, err := ParseSort(s)
		if err != nil {
			return
		}
		again, err := ParseSort(srt.String())
		if err != nil || again != srt {
			t.Fatalf("%q -> %v does not round-trip", s, srt)
		}
	})
}

func TestStatus(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	inv := Invitation{State: StatePending, ExpiresAt: now.Add(time.Second)}
	if inv.Status(now) != StatusPending {
		t.Error("want pending")
	}
	inv.ExpiresAt = now
	if inv.Status(now) != StatusExpired {
		t.Error("expiry time itself is expired")
	}
	inv.State = StateRevoked
	if inv.Status(now) != StatusRevoked || inv.Open() {
		t.Error("revoked")
	}
}

func TestSortKeySwedish(t *testing.T) {
	names := []string{"Öberg", "adam", "Ärla", "Zorro", "Åsa", "Bo", "ärla", "bo", "Östen", "Örjan"}
	sort.Slice(names, func(i, j int) bool { return bytes.Compare(SortKey(names[i]), SortKey(names[j])) < 0 })
	got := strings.Join(names, " ")
	// Case is ignored: equal keys for Bo/bo and Ärla/ärla (the store breaks ties on ID).
	for _, order := range [][]string{{"adam", "Bo", "Zorro", "Åsa", "Ärla", "Öberg"}, {"Örjan", "Östen"}} {
		last := -1
		for _, n := range order {
			i := strings.Index(got, n)
			if i < last {
				t.Fatalf("order %s: %q out of place", got, n)
			}
			last = i
		}
	}
	if !bytes.Equal(SortKey("Bo"), SortKey("bo")) {
		t.Error("case must be ignored")
	}
}

func TestTristate(t *testing.T) {
	for in, want := range map[string]Tristate{"yes": Yes, "NO": No, "unset": Unset, "": Unset, "true": Yes} {
		got, ok := ParseTristate(in)
		if !ok || got != want {
			t.Errorf("ParseTristate(%q) = %v", in, got)
		}
		if TristateOf(got.Bool()) != got {
			t.Errorf("%v does not round-trip through *bool", got)
		}
	}
	if _, ok := ParseTristate("maybe"); ok {
		t.Error("maybe accepted")
	}
	if Unset.Label() != "—" || Yes.Label() != "Yes" || No.Label() != "No" {
		t.Error("labels")
	}
}

func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"070-123 45 67", "+4915123456789", "12", "+46 (0) 8 123", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := NormalizePhone(s)
		if err != nil || got == "" {
			return
		}
		// E.164 is a fixed point: normalising it again gives it back.
		again, err := NormalizePhone(got)
		if err != nil || again != got {
			t.Fatalf("NormalizePhone(%q) = %q, but again gives %q, %v", s, got, again, err)
		}
	})
}
