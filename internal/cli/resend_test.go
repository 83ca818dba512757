package cli_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/invitectl/invitectl/internal/cli"
	"github.com/invitectl/invitectl/internal/mailtest"
)

// newMailingRun is a run whose emails go over SMTP to a server on loopback.
func newMailingRun(tb testing.TB) (*run, *mailtest.Server) {
	tb.Helper()
	srv := mailtest.Start(tb)
	r := newRun(tb)
	for k, v := range smtpEnv(srv) {
		r.env[k] = v
	}
	return r, srv
}

// smtpEnv is the configuration that sends to srv.
func smtpEnv(srv *mailtest.Server) map[string]string {
	return map[string]string{"INVITECTL_SMTP_HOST": "127.0.0.1", "INVITECTL_SMTP_PORT": strconv.Itoa(srv.Port()),
		"INVITECTL_SMTP_ENCRYPTION": "none", "INVITECTL_MAIL_FROM": "invites@example.com"}
}

// expiredSetup is a store with n invitations that have expired, and a mail
// server to resend them to.
func expiredSetup(t *testing.T, n int) (*run, *mailtest.Server) {
	t.Helper()
	r, srv := newMailingRun(t)
	r.must("customers", "add", "Acme AB")
	for i := range n {
		r.must("invite", "--customer", "Acme AB", "--email", fmt.Sprintf("p%03d@example.com", i), "--first-name", "Anna", "--last-name", "Ek", "--no-send")
	}
	r.now = r.now.AddDate(2, 0, 0)
	return r, srv
}

// Every failure gets its line on stderr, the summary counts them, and the
// exit code is delivery's.
func TestResendExpiredReportsEachFailure(t *testing.T) {
	r, srv := expiredSetup(t, 5)
	srv.RejectRecipients(errors.New("mailbox full"))
	if code := r.do("resend", "--expired"); code != cli.ExitDelivery {
		t.Fatalf("exit %d, want %d\n%s", code, cli.ExitDelivery, r.stderr.String())
	}
	if got := r.stdout.String(); got != "Resent 0 of 5 expired invitations with a new link. 5 could not be delivered (see above); their new links are saved and their emails wait in the outbox for `invitectl deliver`.\n" {
		t.Errorf("stdout %q", got)
	}
	errs := strings.Count(r.stderr.String(), "invitectl: error: the email to p0")
	if errs != 5 {
		t.Errorf("%d error lines, want 5:\n%s", errs, r.stderr.String())
	}
	if n := strings.Count(r.stderr.String(), "then run `invitectl deliver`"); n != 5 {
		t.Errorf("%d hints to deliver, want 5:\n%s", n, r.stderr.String())
	}
	// The fresh links were saved: the invitations are pending now.
	srv.RejectRecipients(nil)
	if out := r.must("resend", "--expired"); out != "No expired invitations to resend.\n" {
		t.Errorf("after the failed batch: %q", out)
	}
	for i := 1; i <= 5; i++ {
		if s := r.status(strconv.Itoa(i)); s != "pending" {
			t.Errorf("invitation %d is %s, want pending with its fresh link", i, s)
		}
	}
	// Their emails waited in the outbox, refused for good: deliver
	// --retry-failed sends each fresh link.
	if out := r.must("deliver", "--retry-failed"); out != "Delivered 5 emails.\n" {
		t.Errorf("deliver: %q", out)
	}
	if n := len(srv.Messages()); n != 5 {
		t.Errorf("%d messages, want 5", n)
	}
	if out := r.must("list", "--delivery", "sent", "-o", "json"); !strings.Contains(out, `"total": 5`) {
		t.Errorf("after deliver: %s", out)
	}
}

// The JSON document keeps its shape: one result per invitation, in the
// order of their IDs, and the counts.
func TestResendExpiredJSON(t *testing.T) {
	r, srv := expiredSetup(t, 30)
	out := r.must("resend", "--expired", "-o", "json")
	var v struct {
		Results []map[string]any `json:"results"`
		Done    int              `json:"done"`
		Failed  int              `json:"failed"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err)
	}
	if v.Done != 30 || v.Failed != 0 || len(v.Results) != 30 {
		t.Fatalf("done %d, failed %d, %d results", v.Done, v.Failed, len(v.Results))
	}
	var ids []int
	for _, res := range v.Results {
		keys := make([]string, 0, len(res))
		for k := range res {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if fmt.Sprint(keys) != "[error id outcome ref]" || res["outcome"] != "renewed" || res["error"] != nil {
			t.Fatalf("result %v", res)
		}
		ids = append(ids, int(res["id"].(float64)))
	}
	// Keys in one fixed order, the documented one.
	if !regexp.MustCompile(`(?s)^\{\s*"results": \[\s*\{\s*"ref": "1",\s*"id": 1,\s*"outcome": "renewed",\s*"error": null\s*\}`).MatchString(out) {
		t.Errorf("keys out of order:\n%.300s", out)
	}
	if !slices.IsSorted(ids) {
		t.Errorf("results not in ID order: %v", ids)
	}
	if n := len(srv.Messages()); n != 30 {
		t.Errorf("%d messages, want 30", n)
	}
}
