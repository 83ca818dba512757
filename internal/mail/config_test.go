package mail

import (
	"strings"
	"testing"

	"github.com/invitectl/invitectl/internal/invite"
)

func TestNewRejectsBadConfig(t *testing.T) {
	smtp := func(edit func(*Config)) Config {
		c := Config{Transport: "smtp", Host: "smtp.example.com", From: testFrom}
		edit(&c)
		return c
	}
	tests := []struct {
		name string
		cfg  Config
		want string // start of the message
		hint string // part of the hint
	}{
		{"unknown transport", Config{Transport: "pigeon"}, `unknown mail.transport "pigeon"`, "smtp"},
		{"file without dir", Config{Transport: "file"}, "mail.dir is not set", "mail.dir"},
		{"nothing at all", Config{}, "mail.dir is not set", "mail.dir"},
		{"smtp without host", Config{Transport: "smtp", From: testFrom}, "smtp.host is not set", "smtp.host"},
		{"host with port", smtp(func(c *Config) { c.Host = "smtp.example.com:587" }), `invalid smtp.host "smtp.example.com:587"`, "smtp.port"},
		{"smtp without from", smtp(func(c *Config) { c.From = "" }), "mail.from is not set", "mail.from"},
		{"bad from", smtp(func(c *Config) { c.From = "invitations at example" }), `invalid mail.from "invitations at example"`, "example.com"},
		{"bad file from", Config{Transport: "file", Dir: "x", From: "nope"}, `invalid mail.from "nope"`, "example.com"},
		{"bad port", smtp(func(c *Config) { c.Port = 70000 }), "invalid smtp.port 70000", "587"},
		{"bad encryption", smtp(func(c *Config) { c.Encryption = "ssl" }), `unknown smtp.encryption "ssl"`, "starttls"},
		{"password without user", smtp(func(c *Config) { c.Password = "x" }), "smtp.password is set but smtp.username is not", "smtp.username"},
		{"user without password", smtp(func(c *Config) { c.Username = "x" }), "smtp.username is set but smtp.password is empty", "smtp.password"},
		{"password in the clear", smtp(func(c *Config) {
			c.Username, c.Password, c.Port, c.Encryption = "u", "p", 25, "none"
		}), "refusing to send the SMTP password unencrypted to smtp.example.com:25", "smtp.encryption"},
		{"negative timeout", smtp(func(c *Config) { c.SendTimeout = -1 }), "SMTP timeouts must not be negative", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := New(tt.cfg)
			if err == nil {
				m.Close()
				t.Fatal("New accepted the config")
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("err = %q, want it to start with %q", err, tt.want)
			}
			if invite.ErrorCode(err) != invite.EINVALID {
				t.Errorf("code %s, want EINVALID", invite.ErrorCode(err))
			}
			if !strings.Contains(invite.ErrorHint(err), tt.hint) {
				t.Errorf("hint %q lacks %q", invite.ErrorHint(err), tt.hint)
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	tests := []struct {
		port     int
		enc      string
		wantPort int
		wantEnc  string
	}{
		{0, "", 587, EncryptionSTARTTLS},
		{587, "", 587, EncryptionSTARTTLS},
		{465, "", 465, EncryptionTLS},
		{25, "", 25, EncryptionNone},
		{2525, "", 2525, EncryptionNone},
		{0, "tls", 465, EncryptionTLS},
		{0, "none", 25, EncryptionNone},
		{0, " StartTLS ", 587, EncryptionSTARTTLS},
		{1025, "tls", 1025, EncryptionTLS},
	}
	for _, tt := range tests {
		s, err := Config{Host: "smtp.example.com", From: testFrom, Port: tt.port, Encryption: tt.enc}.resolve()
		if err != nil {
			t.Fatalf("port %d %q: %v", tt.port, tt.enc, err)
		}
		if s.transport != TransportSMTP || s.port != tt.wantPort || s.encryption != tt.wantEnc {
			t.Errorf("port %d %q: got %s port %d %s, want smtp port %d %s", tt.port, tt.enc, s.transport, s.port, s.encryption, tt.wantPort, tt.wantEnc)
		}
		if s.connectTO != DefaultConnectTimeout || s.sendTO != DefaultSendTimeout {
			t.Errorf("timeouts %s, %s", s.connectTO, s.sendTO)
		}
	}

	s, err := Config{Dir: "/tmp/outbox"}.resolve()
	if err != nil {
		t.Fatal(err)
	}
	if s.transport != TransportFile || s.from.Address != DefaultFileFrom {
		t.Errorf("without a host: transport %s from %s, want file from %s", s.transport, s.from, DefaultFileFrom)
	}
	// The file transport ignores SMTP settings it does not use.
	if _, err := (Config{Transport: "file", Dir: "x", Host: "smtp.example.com", Port: 99999}).resolve(); err != nil {
		t.Errorf("file transport with stray SMTP settings: %v", err)
	}
}

func TestConfigAllowsPlainAuthOnlyOnLoopback(t *testing.T) {
	for _, host := range []string{"127.0.0.1", "localhost", "::1", "127.0.0.53"} {
		cfg := Config{Host: host, Port: 1025, Encryption: "none", Username: "u", Password: "p", From: testFrom}
		if _, err := New(cfg); err != nil {
			t.Errorf("%s: %v", host, err)
		}
	}
	for _, enc := range []string{"starttls", "tls"} {
		cfg := Config{Host: "smtp.example.com", Encryption: enc, Username: "u", Password: "p", From: testFrom}
		if _, err := New(cfg); err != nil {
			t.Errorf("%s: %v", enc, err)
		}
	}
	cfg := Config{Host: "10.1.2.3", Port: 25, Username: "u", Password: "p", From: testFrom}
	if _, err := New(cfg); invite.ErrorCode(err) != invite.EINVALID {
		t.Errorf("plain auth to a remote host: err = %v, want EINVALID", err)
	}
}
