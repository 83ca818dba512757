package postgres

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
)

// The pool is pgxpool's, read from the URL, with the defaults deploy.md
// states; connections are named invitectl unless the URL names them.
func TestParseConfigPool(t *testing.T) {
	cfg, err := ParseConfig("postgres://u:p@db.example.com:5432/inv?sslmode=verify-full")
	if err != nil {
		t.Fatal(err)
	}
	if want := int32(max(4, runtime.NumCPU())); cfg.MaxConns != want {
		t.Errorf("default pool_max_conns %d, want %d", cfg.MaxConns, want)
	}
	if cfg.MinConns != 0 || cfg.MaxConnLifetime != time.Hour || cfg.MaxConnIdleTime != 30*time.Minute || cfg.HealthCheckPeriod != time.Minute {
		t.Errorf("defaults: min %d, lifetime %v, idle %v, health check %v", cfg.MinConns, cfg.MaxConnLifetime, cfg.MaxConnIdleTime, cfg.HealthCheckPeriod)
	}
	if got := cfg.ConnConfig.RuntimeParams["application_name"]; got != "invitectl" {
		t.Errorf("application_name %q, want invitectl", got)
	}

	cfg, err = ParseConfig("postgres://u@db.example.com/inv?sslmode=verify-full&pool_max_conns=8&pool_min_conns=2" +
		"&pool_max_conn_lifetime=2h&pool_max_conn_idle_time=5m&application_name=billing")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MaxConns != 8 || cfg.MinConns != 2 || cfg.MaxConnLifetime != 2*time.Hour || cfg.MaxConnIdleTime != 5*time.Minute {
		t.Errorf("from the URL: max %d, min %d, lifetime %v, idle %v", cfg.MaxConns, cfg.MinConns, cfg.MaxConnLifetime, cfg.MaxConnIdleTime)
	}
	for k := range cfg.ConnConfig.RuntimeParams {
		if strings.HasPrefix(k, "pool_") {
			t.Errorf("%s would be sent to the server as a setting", k)
		}
	}
	if got := cfg.ConnConfig.RuntimeParams["application_name"]; got != "billing" {
		t.Errorf("application_name %q, want the URL's billing", got)
	}
}

// A bad pool setting is invalid input (exit 2) naming it, with the
// password hidden and on one line.
func TestParseConfigRejectsBadPool(t *testing.T) {
	for _, q := range []string{"pool_max_conns=0", "pool_max_conns=eight", "pool_max_conn_lifetime=forever",
		"pool_max_conn_idle_time=-", "pool_min_conns=9&pool_max_conns=2"} {
		_, err := ParseConfig("postgres://u:s3cret@db.example.com/inv?" + q)
		if invite.ErrorCode(err) != invite.EINVALID {
			t.Errorf("%s: %v, want EINVALID", q, err)
			continue
		}
		msg := err.Error()
		name, _, _ := strings.Cut(q, "=")
		if !strings.Contains(msg, name) || strings.Contains(msg, "s3cret") || strings.ContainsAny(msg, "\n\t") {
			t.Errorf("%s: message %q should name %s, on one line, without the password", q, msg, name)
		}
	}
}

// A server that cannot be reached is said on one line: pgconn's newline
// and tab between attempts would show escaped on a terminal.
func TestConnectErrorOnOneLine(t *testing.T) {
	_, err := Open(t.Context(), "postgres://u:s3cret@127.0.0.1:1,127.0.0.1:2/inv?sslmode=disable&connect_timeout=2")
	if err == nil {
		t.Fatal("Open of a closed port succeeded")
	}
	if msg := err.Error(); strings.ContainsAny(msg, "\n\t") || strings.Contains(msg, "s3cret") || !strings.Contains(msg, "127.0.0.1") {
		t.Errorf("message %q", msg)
	}
}
