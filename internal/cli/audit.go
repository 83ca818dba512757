package cli

import (
	"strconv"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/spf13/cobra"
)

func newAuditCmd(f *Factory) *cobra.Command {
	var customer string
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
			ctx := cmd.Context()
			svc, err := f.Service(ctx)
			if err != nil {
				return err
			}
			var id int64
			if len(args) == 1 {
				inv, err := svc.Resolve(ctx, args[0], customer)
				if err != nil {
					return err
				}
				id = inv.ID
			}
			events, err := svc.Store.ListAudit(ctx, id)
			if err != nil {
				return err
			}
			type ej struct {
				ID           int64  `json:"id"`
				At           string `json:"at"`
				Actor        string `json:"actor"`
				Action       string `json:"action"`
				InvitationID *int64 `json:"invitation_id"`
				Detail       string `json:"detail"`
			}
			out := make([]ej, len(events))
			for i, e := range events {
				out[i] = ej{ID: e.ID, At: rfc3339(e.At), Actor: e.Actor, Action: e.Action, Detail: e.Detail}
				if e.InvitationID != 0 {
					v := e.InvitationID
					out[i].InvitationID = &v
				}
			}
			switch f.Output() {
			case "json":
				return writeJSON(f.IO.Out, map[string]any{"events": out})
			case "csv":
				rows := make([][]string, len(out))
				for i, e := range out {
					inv := ""
					if e.InvitationID != nil {
						inv = strconv.FormatInt(*e.InvitationID, 10)
					}
					rows[i] = []string{strconv.FormatInt(e.ID, 10), e.At, e.Actor, e.Action, inv, e.Detail}
				}
				return writeCSV(f.IO.Out, []string{"id", "at", "actor", "action", "invitation_id", "detail"}, rows)
			}
			if len(events) == 0 {
				_, err := f.IO.Out.Write([]byte("No audit events.\n"))
				return err
			}
			st := style{tty: f.IO.OutTTY, color: f.Color(cmd)}
			t := st.newTable(f.IO.Out)
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
		},
	}
	cmd.Flags().StringVar(&customer, "customer", "", "the customer, when REF is an email with invitations in several customers")
	_ = cmd.RegisterFlagCompletionFunc("customer", completeCustomers(f))
	return readOnly(cmd)
}
