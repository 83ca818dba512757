package cli

import (
	"context"
	"strings"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/store/sqlite"
)

// dsn is a parsed --db value.
type dsn struct {
	kind string // sqlite or postgres
	path string // SQLite file
	url  string // PostgreSQL URL
}

func parseDSN(s string) (dsn, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return dsn{}, usageError("pass --db PATH or set INVITECTL_DB", "no store given")
	case strings.HasPrefix(s, "postgres://"), strings.HasPrefix(s, "postgresql://"):
		return dsn{kind: "postgres", url: s}, nil
	case strings.HasPrefix(s, "sqlite://"):
		p := strings.TrimPrefix(s, "sqlite://")
		if p == "" {
			return dsn{}, usageError("write sqlite://PATH, e.g. sqlite:///var/lib/invitectl/invitectl.db", "no file in %q", s)
		}
		return dsn{kind: "sqlite", path: p}, nil
	case strings.Contains(s, "://"):
		return dsn{}, usageError("use a file path, sqlite://PATH or postgres://…", "unsupported store %q", redactDSN(s))
	}
	return dsn{kind: "sqlite", path: s}, nil
}

// redactDSN hides a password in a URL for messages.
func redactDSN(s string) string {
	at := strings.LastIndex(s, "@")
	scheme := strings.Index(s, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return s
	}
	userinfo := s[scheme+3 : at]
	if u, _, ok := strings.Cut(userinfo, ":"); ok {
		return s[:scheme+3] + u + ":xxxxx" + s[at:]
	}
	return s
}

func openStore(ctx context.Context, d dsn) (invite.Store, error) {
	switch d.kind {
	case "postgres":
		return openPostgres(ctx, d.url, false)
	}
	return sqlite.Open(ctx, d.path)
}
