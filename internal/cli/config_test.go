package cli

import (
	"testing"
	"time"

	"github.com/spf13/cobra"
)

// TestConfigDecodesStrictly holds viper's typed unmarshalling to the rules
// of CONTRACT.md: a value of the wrong type is refused naming its key and
// source, weak typing's readings ("1.5" as 1, "010" as 8) are refused too,
// and a bad key stops only the commands that read it.
func TestConfigDecodesStrictly(t *testing.T) {
	for _, tc := range []struct {
		key, value string
		bad        bool
		get        func(*Settings) any
		want       any
	}{
		{"smtp.port", "2525", false, func(s *Settings) any { return s.SMTP.Port }, 2525},
		{"smtp.port", " 2525 ", false, func(s *Settings) any { return s.SMTP.Port }, 2525},
		{"smtp.port", "25x", true, nil, nil},
		{"smtp.port", "1.5", true, nil, nil},
		{"smtp.port", "0x19", true, nil, nil},
		{"smtp.connections", "010", false, func(s *Settings) any { return s.SMTP.Connections }, 10},
		{"smtp.timeout", "2d", false, func(s *Settings) any { return s.SMTP.Timeout }, 48 * time.Hour},
		{"smtp.timeout", "soon", true, nil, nil},
		{"invitation_ttl", "365d", false, func(s *Settings) any { return s.InvitationTTL }, 365 * 24 * time.Hour},
		{"invitation_ttl", "-1h", true, nil, nil},
		{"rate_limit", "0.5", false, func(s *Settings) any { return s.RateLimit }, 0.5},
		{"rate_limit", "fast", true, nil, nil},
		{"quiet", "yes", false, func(s *Settings) any { return s.Quiet }, true},
		{"trust_proxy_headers", "off", false, func(s *Settings) any { return s.TrustProxyHeaders }, false},
		{"webhook.include_personal_number", "maybe", true, nil, nil},
		{"mail.from_name", "  Acme  ", false, func(s *Settings) any { return s.Mail.FromName }, "Acme"},
	} {
		env := &Env{Getenv: func(k string) string {
			if k == EnvName(tc.key) {
				return tc.value
			}
			return ""
		}, IO: IOStreams{}}
		c, err := loadConfig(&cobra.Command{}, env)
		if err != nil {
			t.Fatal(err)
		}
		err = c.valid(tc.key)
		if tc.bad {
			want := `invalid ` + tc.key + ` "` + tc.value + `" (from env ` + EnvName(tc.key) + `)`
			if err == nil || err.Error() != want {
				t.Errorf("%s=%q: got error %v, want %s", tc.key, tc.value, err, want)
			}
			if other := c.valid("db", "smtp.host", "output"); other != nil {
				t.Errorf("%s=%q stops a command that does not read it: %v", tc.key, tc.value, other)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s=%q: %v", tc.key, tc.value, err)
		} else if got := tc.get(&c.set); got != tc.want {
			t.Errorf("%s=%q decoded as %v, want %v", tc.key, tc.value, got, tc.want)
		}
	}
}
