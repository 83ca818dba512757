package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
)

func TestNewCmdAuditFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want AuditOptions
		code int // exit code when it fails
	}{
		{args: nil, want: AuditOptions{Page: 1, PerPage: 50}},
		{args: []string{"42", "--since", "36h", "--actor", " boss ", "--action", "Revoke", "--page", "2", "--per-page", "10"},
			want: AuditOptions{Ref: "42", Since: cmdNow.Add(-36 * time.Hour), Actor: "boss", Action: invite.ActionRevoke, Page: 2, PerPage: 10}},
		{args: []string{"--since", "7d"}, want: AuditOptions{Since: cmdNow.AddDate(0, 0, -7), Page: 1, PerPage: 50}},
		{args: []string{"--since", "2026-01-05T10:00:00+01:00", "--action", "customer.add"},
			want: AuditOptions{Since: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC), Action: invite.ActionCustomerAdd, Page: 1, PerPage: 50}},
		{args: []string{"--since", "soon"}, code: ExitInvalid},
		{args: []string{"--since", "-1h"}, code: ExitInvalid},
		{args: []string{"--action", "delete"}, code: ExitInvalid},
		{args: []string{"--page", "0"}, code: ExitInvalid},
		{args: []string{"--per-page", "1001"}, code: ExitInvalid},
		{args: []string{"1", "2"}, code: ExitInvalid},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			got := parseOptions(t, NewCmdAudit, tc.code, tc.args...)
			if got == nil {
				return
			}
			if got.Ref != tc.want.Ref || !got.Since.Equal(tc.want.Since) || got.Actor != tc.want.Actor || got.Action != tc.want.Action ||
				got.Page != tc.want.Page || got.PerPage != tc.want.PerPage {
				t.Errorf("options %+v, want %+v", got, tc.want)
			}
		})
	}
}
