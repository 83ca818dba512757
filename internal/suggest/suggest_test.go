package suggest

import "testing"

func TestDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"kitten", "sitting", 3}, {"åsa", "asa", 1}, {"phone", "phnoe", 2}, {"", "abc", 3}} {
		if got := Distance(tt.a, tt.b); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
	if got := Closest("SMTP.hots", []string{"smtp.host", "smtp.port"}); got != "smtp.host" {
		t.Errorf("Closest = %q", got)
	}
	if got := Closest("colour", []string{"smtp.host"}); got != "" {
		t.Errorf("Closest = %q, want none", got)
	}
}
