package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/seed"
)

func newSeedCmd(f *Factory) *cobra.Command {
	var (
		customers, invitations int
		seedValue              uint64
	)
	cmd := &cobra.Command{
		Use:   "seed [--customers N] [--invitations N]",
		Short: "Fill the store with realistic sample data",
		Long: `Adds sample customers and invitations for trying invitectl and for
benchmarks: Swedish company and person names, personal numbers from the tax
agency's published test numbers (some as coordination numbers), LMA numbers,
phones, several senders, about a quarter expired and a few revoked. The same
--seed-value gives the same data. Nothing is emailed.`,
		Example: `  invitectl seed
  invitectl seed --customers 50 --invitations 1000000
  invitectl seed --seed-value 42 && invitectl list`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if customers < 1 || customers > 10000 {
				return usageError("use --customers from 1 to 10000", "invalid --customers %d", customers)
			}
			if invitations < 0 || invitations > 10_000_000 {
				return usageError("use --invitations from 0 to 10000000", "invalid --invitations %d", invitations)
			}
			ctx := cmd.Context()
			svc, err := f.Service(ctx)
			if err != nil {
				return err
			}
			cs, err := seed.EnsureCustomers(ctx, svc.Store, seed.Customers(customers, seedValue), f.Actor(), f.Now())
			if err != nil {
				return err
			}
			existing, err := svc.Store.ListInvitations(ctx, invite.ListQuery{Status: invite.FilterAll, Sort: invite.DefaultSort, Page: 1, PerPage: 1, Now: f.Now()})
			if err != nil {
				return err
			}
			ttl, _ := f.cfg.Duration("invitation_ttl")
			gen := seed.NewGenerator(seedValue, cs, f.Now(), ttl, existing.Total)
			var tracker interface{ Increment(int64) }
			if f.IO.ErrTTY && invitations >= 10000 {
				pw, tr := newProgress(f, f.Color(cmd), "Seeding", invitations)
				go pw.Render()
				defer func() {
					tr.MarkAsDone()
					for pw.IsRenderInProgress() {
						time.Sleep(10 * time.Millisecond)
					}
				}()
				tracker = tr
			}
			start := time.Now()
			const batch = 50000
			for done := 0; done < invitations; {
				buf := gen.Batch(min(batch, invitations-done))
				if err := svc.Store.InsertInvitations(ctx, buf); err != nil {
					return fmt.Errorf("seeding after %d invitations: %w", done, err)
				}
				done += len(buf)
				if tracker != nil {
					tracker.Increment(int64(len(buf)))
				}
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			elapsed := time.Since(start)
			switch f.Output() {
			case "json":
				return writeJSON(f.IO.Out, map[string]any{"customers": len(cs), "invitations": invitations, "seconds": elapsed.Seconds()})
			case "csv":
				return writeCSV(f.IO.Out, []string{"customers", "invitations", "seconds"}, [][]string{{fmt.Sprint(len(cs)), fmt.Sprint(invitations), fmt.Sprintf("%.3f", elapsed.Seconds())}})
			}
			rate := ""
			if elapsed > 0 && invitations > 0 {
				rate = fmt.Sprintf(" (%.0f rows/s)", float64(invitations)/elapsed.Seconds())
			}
			_, err = fmt.Fprintf(f.IO.Out, "Seeded %d customers and %d invitations in %s%s.\n", len(cs), invitations, elapsed.Round(time.Millisecond), rate)
			return err
		},
	}
	cmd.Flags().IntVar(&customers, "customers", 8, "number of customers")
	cmd.Flags().IntVar(&invitations, "invitations", 200, "number of invitations")
	cmd.Flags().Uint64Var(&seedValue, "seed-value", 1, "seed for the random generator; the same seed gives the same data")
	return cmd
}
