// Package webhook tells the system that owns the accounts what happened, as
// Standard Webhooks: a JSON event POSTed to one URL, signed with the
// specification's own library (webhook-id, webhook-timestamp and a v1
// HMAC-SHA256 signature over id.timestamp.body).
package webhook

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// Event types.
const (
	InvitationCreated  = "invitation.created"
	InvitationUpdated  = "invitation.updated"
	InvitationResent   = "invitation.resent"
	InvitationRevoked  = "invitation.revoked"
	InvitationAccepted = "invitation.accepted"
	InvitationPurged   = "invitation.purged"
	UserDeleted        = "user.deleted"
	UserPasswordReset  = "user.password_reset"
	// Ping is the test event; it is never queued.
	Ping = "ping"
)

// Types are the event types a receiver can subscribe to, in the order the
// contract lists them.
var Types = []string{
	InvitationCreated, InvitationUpdated, InvitationResent, InvitationRevoked,
	InvitationAccepted, InvitationPurged, UserDeleted, UserPasswordReset,
}

// Timeout bounds one request, from connecting to the end of the answer.
const Timeout = 10 * time.Second

// secretPrefix begins every Standard Webhooks secret.
const secretPrefix = "whsec_"

// minSecretBytes is the shortest key accepted: the specification asks for
// 24 to 64 bytes.
const minSecretBytes = 24

// NewSecret returns a fresh secret: whsec_ and 32 random bytes in base64.
func NewSecret() string {
	key := make([]byte, 32)
	_, _ = rand.Read(key) // never fails (crypto/rand)
	return secretPrefix + base64.StdEncoding.EncodeToString(key)
}

// Problem is one configuration value that cannot be used.
type Problem struct {
	Key     string // "url", "secret", "events"
	Message string
}

func (p Problem) Error() string { return p.Key + ": " + p.Message }

// CheckURL says what is wrong with a receiver's address, or returns nil:
// https, or http to a loopback address, with a host and no fragment or
// credentials.
func CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return Problem{"url", fmt.Sprintf("%q is not an absolute URL; give one such as https://accounts.example.com/hooks/invitectl", raw)}
	}
	if u.User != nil {
		return Problem{"url", "must not carry a user name or password; the signature authenticates each event"}
	}
	if u.Fragment != "" {
		return Problem{"url", "must not have a #fragment"}
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if isLoopback(u.Hostname()) {
			return nil
		}
		return Problem{"url", fmt.Sprintf("http:// is only accepted to a loopback address (127.0.0.1, ::1, localhost), not %q; use https://", u.Hostname())}
	}
	return Problem{"url", fmt.Sprintf("the scheme %q is not https (or http to a loopback address)", u.Scheme)}
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// CheckSecret says what is wrong with a secret, or returns nil.
func CheckSecret(secret string) error {
	const fix = "make one with `invitectl webhook secret` and give it to the receiver too"
	if secret == "" {
		return Problem{"secret", "is not set; " + fix}
	}
	if !strings.HasPrefix(secret, secretPrefix) {
		return Problem{"secret", "must start with " + secretPrefix + " (a Standard Webhooks secret); " + fix}
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, secretPrefix))
	if err != nil {
		return Problem{"secret", "is not base64 after " + secretPrefix + "; " + fix}
	}
	if len(key) < minSecretBytes || len(key) > 64 {
		return Problem{"secret", fmt.Sprintf("holds %d bytes; the specification asks for 24 to 64; %s", len(key), fix)}
	}
	return nil
}

// CheckEvents says which names are not event types, or returns nil.
func CheckEvents(names []string) error {
	for _, n := range names {
		known := false
		for _, t := range Types {
			known = known || t == n
		}
		if !known {
			return Problem{"events", fmt.Sprintf("%q is not an event type; use some of: %s", n, strings.Join(Types, ", "))}
		}
	}
	return nil
}

// Event is one notification as the receiver reads it.
type Event struct {
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      any       `json:"data"`
}

// Body is the JSON body of an event.
func Body(typ string, at time.Time, data any) ([]byte, error) {
	if data == nil {
		data = struct{}{}
	}
	return json.Marshal(Event{Type: typ, Timestamp: at.UTC().Truncate(time.Second), Data: data})
}

// NewID returns a fresh event ID; the same ID goes with every retry of one
// event, so that receivers can drop repeats.
func NewID() string { return "msg_" + strings.ToLower(rand.Text()) }

// Outcome is what became of one request.
type Outcome int

const (
	// Delivered: the receiver answered 2xx.
	Delivered Outcome = iota
	// Retry: a network error, a timeout, 408, 429 or 5xx; try again later.
	Retry
	// Failed: any other answer; retrying the same event cannot help.
	Failed
)

func (o Outcome) String() string {
	switch o {
	case Delivered:
		return "delivered"
	case Retry:
		return "retry"
	}
	return "failed"
}

// Result is the answer to one request.
type Result struct {
	Outcome Outcome
	Status  int           // the HTTP status, 0 when none came
	Elapsed time.Duration // from sending to the answer's end
	Err     error         // why it was not delivered; nil when it was
}

// Sender signs and POSTs events to one receiver.
type Sender struct {
	url    string
	hook   *standardwebhooks.Webhook
	client *http.Client
	// Now stamps webhook-timestamp; receivers refuse stamps more than five
	// minutes from their own clock.
	Now func() time.Time
}

// NewSender returns a sender to url signing with secret. client may be nil
// (a client with Timeout that never follows redirects).
func NewSender(rawURL, secret string, client *http.Client) (*Sender, error) {
	if err := CheckURL(rawURL); err != nil {
		return nil, err
	}
	if err := CheckSecret(secret); err != nil {
		return nil, err
	}
	hook, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		return nil, Problem{"secret", err.Error()}
	}
	if client == nil {
		client = &http.Client{Timeout: Timeout}
	}
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Sender{url: rawURL, hook: hook, client: &c, Now: time.Now}, nil
}

// Send POSTs body as event id and classifies the answer.
func (s *Sender) Send(ctx context.Context, id string, body []byte) Result {
	start := time.Now()
	at := s.Now()
	sig, err := s.hook.Sign(id, at, body)
	if err != nil {
		return Result{Outcome: Failed, Err: fmt.Errorf("signing the event: %w", err)}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return Result{Outcome: Failed, Err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "invitectl-webhook")
	req.Header.Set(standardwebhooks.HeaderWebhookID, id)
	req.Header.Set(standardwebhooks.HeaderWebhookTimestamp, fmt.Sprint(at.Unix()))
	req.Header.Set(standardwebhooks.HeaderWebhookSignature, sig)
	resp, err := s.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return Result{Outcome: Retry, Elapsed: time.Since(start), Err: ctx.Err()}
		}
		return Result{Outcome: Retry, Elapsed: time.Since(start), Err: fmt.Errorf("no answer from %s: %w", s.redacted(), unwrapURLError(err))}
	}
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
	r := Result{Status: resp.StatusCode, Elapsed: time.Since(start)}
	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		r.Outcome = Delivered
		return r
	case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500:
		r.Outcome = Retry
	default:
		r.Outcome = Failed
	}
	msg := fmt.Sprintf("the receiver answered %s", resp.Status)
	if loc := resp.Header.Get("Location"); code3xx(resp.StatusCode) && loc != "" {
		msg += "; redirects are not followed: set webhook.url to the final address"
	}
	if t := printable(string(snippet)); t != "" {
		msg += ": " + t
	}
	r.Err = errors.New(msg)
	return r
}

func code3xx(code int) bool { return code >= 300 && code < 400 }

// redacted is the receiver's address without its query, which may hold a
// token of the receiver's.
func (s *Sender) redacted() string {
	u, err := url.Parse(s.url)
	if err != nil {
		return "the receiver"
	}
	u.RawQuery = ""
	return u.String()
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// printable is s on one line without control or format characters, cut to
// 200 characters: a receiver's answer is quoted in messages and logs.
func printable(s string) string {
	var b strings.Builder
	n := 0
	for _, r := range strings.TrimSpace(s) {
		if n == 200 {
			b.WriteString("…")
			break
		}
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			r = ' '
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == unicode.ReplacementChar:
			continue
		}
		b.WriteRune(r)
		n++
	}
	return strings.Join(strings.Fields(b.String()), " ")
}
