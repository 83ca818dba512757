package invite

import (
	"strings"
	"testing"
)

func TestValidateActor(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"admin", "admin", true},
		{"  Åsa Lind ", "Åsa Lind", true},
		{"ops-bot@example.com", "ops-bot@example.com", true},
		{strings.Repeat("a", 100), strings.Repeat("a", 100), true},
		{strings.Repeat("a", 101), "", false},
		{"", "", false},
		{"   ", "", false},
		{"\x1b]0;pwned\a\x1b[2J", "", false},
		{"admin\nFAKE LINE", "", false},
		{"admin\rx", "", false},
		{"ad\tmin", "", false},
		{"ad\u200bmin", "", false},
		{"ad\u202emin", "", false},
		{"ad\u2028min", "", false},
		{"ad\ufeffmin", "", false},
		{"\xff", "", false},
	} {
		got, err := ValidateActor(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ValidateActor(%q) = %q, %v; want %q, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
		if err != nil && ErrorCode(err) != EINVALID {
			t.Errorf("ValidateActor(%q): code %s", tc.in, ErrorCode(err))
		}
	}
}
