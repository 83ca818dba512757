package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/spf13/cobra"

	"github.com/invitectl/invitectl/internal/invite"
)

// AuditOptions are the inputs of `audit`.
type AuditOptions struct {
	common
	Service func(context.Context) (*invite.Service, error)

	Ref      string // "" for every event
	Customer string
	Since    time.Time // zero: from the start
	Actor    string
	Action   string // "" for any
	Page     int
	PerPage  int
}

// NewCmdAudit builds `audit`; runF replaces auditRun in tests.
func NewCmdAudit(f *Factory, runF func(*AuditOptions) error) *cobra.Command {
	opts := &AuditOptions{Service: f.Service}
	var since, action string
	cmd := &cobra.Command{
		Use:   "audit [REF]",
		Short: "Show the audit log, of everything or of one invitation",
		Long: `Lists recorded changes newest first, 50 a page: invitations, sends, edits
(with the fields that changed), resends, revocations, reveals of personal
numbers, registrations, imports and purges, each with its actor and time.
The log never holds a password, a token or an unmasked personal number.

--since takes an RFC 3339 time, a date (2026-12-01, local midnight) or a
duration back from now (90m, 24h, 7d);
--actor and --action keep only the events of that actor or action.`,
		Example: `  invitectl audit
  invitectl audit 42
  invitectl audit --since 7d --action revoke
  invitectl audit --actor admin --page 2 -o json
  invitectl audit asa@example.com -o json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageError("usage: "+cmd.UseLine(), "audit takes at most one REF")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Ref = args[0]
			}
			opts.common = f.common(cmd)
			var err error
			if opts.Action, err = invite.ParseAuditAction(action); err != nil {
				return err
			}
			opts.Since = time.Time{}
			if strings.TrimSpace(since) != "" {
				if opts.Since, err = parseSince(since, opts.Now(), opts.Location); err != nil {
					return err
				}
			}
			opts.Actor = strings.TrimSpace(opts.Actor)
			if err := invite.CheckPaging(opts.Page, opts.PerPage); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return auditRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Customer, "customer", "", "the customer, when REF is an email with invitations in several customers")
	fl.StringVar(&since, "since", "", "only events at or after `TIME|DURATION`: RFC 3339, a date such as 2026-12-01, or a duration ago (90m, 24h, 7d)")
	fl.StringVar(&opts.Actor, "actor", "", "only events of this actor")
	fl.StringVar(&action, "action", "", "only events of this action: "+strings.Join(invite.AuditActions, ", "))
	fl.IntVar(&opts.Page, "page", 1, "page number `N`, from 1")
	fl.IntVar(&opts.PerPage, "per-page", invite.DefaultAuditPerPage, fmt.Sprintf("`N` events per page, at most %d", invite.MaxPerPage))
	cmd.ValidArgsFunction = completeRefs(f)
	_ = cmd.RegisterFlagCompletionFunc("customer", completeCustomers(f))
	enumFlag(cmd, "action", invite.AuditActions)
	return readOnly(cmd)
}

// parseSince reads --since: an RFC 3339 time, a date (midnight in loc), or
// a duration back from now as parseAge reads them.
func parseSince(s string, now time.Time, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if loc == nil {
		loc = time.Local
	}
	if t, err := time.ParseInLocation(time.DateOnly, s, loc); err == nil {
		return t, nil
	}
	d, ok := parseDuration(s)
	if !ok {
		return time.Time{}, usageError("give an RFC 3339 time (2026-01-05T09:00:00Z), a date (2026-01-05) or a duration back from now (90m, 36h, 7d)", "invalid --since %q", s)
	}
	return now.Add(-d), nil
}

// auditEventJSON is the JSON shape of an audit event.
type auditEventJSON struct {
	ID           int64  `json:"id"`
	At           string `json:"at"`
	Actor        string `json:"actor"`
	Action       string `json:"action"`
	InvitationID *int64 `json:"invitation_id"`
	Detail       string `json:"detail"`
}

func auditRun(ctx context.Context, opts *AuditOptions) error {
	svc, err := opts.Service(ctx)
	if err != nil {
		return err
	}
	q := invite.AuditQuery{Since: opts.Since, Actor: opts.Actor, Action: opts.Action, Page: opts.Page, PerPage: opts.PerPage}
	if opts.Ref != "" {
		inv, err := svc.Resolve(ctx, opts.Ref, opts.Customer)
		if err != nil {
			return err
		}
		q.InvitationID = inv.ID
	}
	page, err := svc.Audit(ctx, q)
	if err != nil {
		return err
	}
	events := page.Events
	out := make([]auditEventJSON, len(events))
	for i, e := range events {
		out[i] = auditEventJSON{ID: e.ID, At: rfc3339(e.At), Actor: e.Actor, Action: e.Action, InvitationID: optional(e.InvitationID), Detail: e.Detail}
	}
	switch opts.Output {
	case "json":
		return writeJSON(opts.IO.Out, struct {
			Events  []auditEventJSON `json:"events"`
			Total   int              `json:"total"`
			Page    int              `json:"page"`
			PerPage int              `json:"per_page"`
		}{out, page.Total, q.Page, q.PerPage})
	case "csv":
		rows := make([][]string, len(out))
		for i, e := range out {
			rows[i] = []string{strconv.FormatInt(e.ID, 10), e.At, e.Actor, e.Action, cellText(e.InvitationID), e.Detail}
		}
		return writeCSV(opts.IO.Out, []string{"id", "at", "actor", "action", "invitation_id", "detail"}, rows)
	}
	if len(events) == 0 {
		_, err := fmt.Fprintln(opts.IO.Out, "No audit events.")
		if err == nil && (!q.Since.IsZero() || q.Actor != "" || q.Action != "") {
			fmt.Fprintln(opts.IO.ErrOut, "invitectl: hint: widen the filters (--since, --actor, --action)")
		}
		return err
	}
	st := opts.style()
	t := wideTable{header: table.Row{"ID", "Time", "Actor", "Action", "Invitation", "Detail"}, columns: auditColumns()}
	for _, e := range events {
		t.rows = append(t.rows, table.Row{e.ID, st.time(e.At), dash(e.Actor), e.Action, idOrDash(e.InvitationID), e.Detail})
	}
	t.render(opts.IO.Out, st)
	from := q.Offset() + 1
	_, err = fmt.Fprintf(opts.IO.Out, "Showing %d–%d of %d events\n", from, from+len(events)-1, page.Total)
	return err
}
