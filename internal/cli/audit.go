package cli

import (
	"context"
	"strconv"

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
}

// NewCmdAudit builds `audit`; runF replaces auditRun in tests.
func NewCmdAudit(f *Factory, runF func(*AuditOptions) error) *cobra.Command {
	opts := &AuditOptions{Service: f.Service}
	cmd := &cobra.Command{
		Use:   "audit [REF]",
		Short: "Show the audit log, of everything or of one invitation",
		Long: `Lists recorded changes oldest first: invitations, sends, edits (with the
fields that changed), resends, revocations, reveals of personal numbers and
registrations, each with its actor and time. The log never holds a password,
a token or an unmasked personal number.`,
		Example: `  invitectl audit
  invitectl audit 42
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
			if runF != nil {
				return runF(opts)
			}
			return auditRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Customer, "customer", "", "the customer, when REF is an email with invitations in several customers")
	cmd.ValidArgsFunction = completeRefs(f)
	_ = cmd.RegisterFlagCompletionFunc("customer", completeCustomers(f))
	return readOnly(cmd)
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
	var id int64
	if opts.Ref != "" {
		inv, err := svc.Resolve(ctx, opts.Ref, opts.Customer)
		if err != nil {
			return err
		}
		id = inv.ID
	}
	events, err := svc.Store.ListAudit(ctx, id)
	if err != nil {
		return err
	}
	out := make([]auditEventJSON, len(events))
	for i, e := range events {
		out[i] = auditEventJSON{ID: e.ID, At: rfc3339(e.At), Actor: e.Actor, Action: e.Action, Detail: e.Detail}
		if e.InvitationID != 0 {
			v := e.InvitationID
			out[i].InvitationID = &v
		}
	}
	switch opts.Output {
	case "json":
		return writeJSON(opts.IO.Out, map[string]any{"events": out})
	case "csv":
		rows := make([][]string, len(out))
		for i, e := range out {
			inv := ""
			if e.InvitationID != nil {
				inv = strconv.FormatInt(*e.InvitationID, 10)
			}
			rows[i] = []string{strconv.FormatInt(e.ID, 10), e.At, e.Actor, e.Action, inv, e.Detail}
		}
		return writeCSV(opts.IO.Out, []string{"id", "at", "actor", "action", "invitation_id", "detail"}, rows)
	}
	if len(events) == 0 {
		_, err := opts.IO.Out.Write([]byte("No audit events.\n"))
		return err
	}
	st := opts.style()
	t := st.newTable(opts.IO.Out)
	t.AppendHeader(table.Row{"ID", "Time", "Actor", "Action", "Invitation", "Detail"})
	for _, e := range events {
		inv := dash("")
		if e.InvitationID != 0 {
			inv = strconv.FormatInt(e.InvitationID, 10)
		}
		t.AppendRow(table.Row{e.ID, st.time(e.At), dash(e.Actor), e.Action, inv, e.Detail})
	}
	t.Render()
	return nil
}
