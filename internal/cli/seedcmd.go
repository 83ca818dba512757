package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/seed"
)

// SeedOptions are the inputs of `seed`.
type SeedOptions struct {
	common
	Service func(context.Context) (*invite.Service, error)

	Customers, Invitations int
	SeedValue              uint64
}

// NewCmdSeed builds `seed`; runF replaces seedRun in tests.
func NewCmdSeed(f *Factory, runF func(*SeedOptions) error) *cobra.Command {
	opts := &SeedOptions{Service: f.Service}
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
			if opts.Customers < 1 || opts.Customers > 10000 {
				return usageError("use --customers from 1 to 10000", "invalid --customers %d", opts.Customers)
			}
			if opts.Invitations < 0 || opts.Invitations > 10_000_000 {
				return usageError("use --invitations from 0 to 10000000", "invalid --invitations %d", opts.Invitations)
			}
			opts.common = f.common(cmd)
			if runF != nil {
				return runF(opts)
			}
			return seedRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().IntVar(&opts.Customers, "customers", 8, "number of customers")
	cmd.Flags().IntVar(&opts.Invitations, "invitations", 200, "number of invitations")
	cmd.Flags().Uint64Var(&opts.SeedValue, "seed-value", 1, "seed for the random generator; the same seed gives the same data")
	return cmd
}

func seedRun(ctx context.Context, opts *SeedOptions) error {
	svc, err := opts.Service(ctx)
	if err != nil {
		return err
	}
	now := opts.Now()
	cs, err := svc.EnsureCustomers(ctx, opts.Actor, seed.Customers(opts.Customers, opts.SeedValue))
	if err != nil {
		return err
	}
	existing, err := svc.CountInvitations(ctx, invite.ListQuery{Status: invite.FilterAll, Now: now})
	if err != nil {
		return err
	}
	purged, err := svc.CountInvitations(ctx, invite.ListQuery{Status: invite.FilterPurged, Now: now})
	if err != nil {
		return err
	}
	empty := existing+purged == 0 // the store indexes the rows after loading them
	gen := seed.NewGenerator(opts.SeedValue, cs, now, svc.TTL, existing)
	var bar *progressBar
	if opts.IO.ErrTTY && opts.Invitations >= 10000 {
		bar = startProgress(opts.IO, opts.Color, "Seeding", opts.Invitations)
	}
	start := time.Now()
	const batch = 50000
	batches := func(yield func([]invite.Invitation) bool) {
		for done := 0; done < opts.Invitations; {
			buf := gen.Batch(min(batch, opts.Invitations-done))
			if !yield(buf) {
				return
			}
			done += len(buf)
			bar.add(len(buf))
		}
		if bar != nil && empty {
			bar.done()
			fmt.Fprintln(opts.IO.ErrOut, "Building the indexes…")
		}
	}
	done, err := svc.LoadInvitations(ctx, batches)
	bar.done()
	if ctx.Err() != nil && (err == nil || errors.Is(err, ctx.Err())) {
		// What was written is whole: a transaction a batch, or one load.
		return invite.Errorf(invite.ECANCELLED, "%s", number.Sprintf("seeded %d of %d invitations before the interrupt", done, opts.Invitations))
	}
	if err != nil {
		return fmt.Errorf("seeding after %d invitations: %w", done, err)
	}
	elapsed := time.Since(start)
	switch opts.Output {
	case "json":
		return writeJSON(opts.IO.Out, map[string]any{"customers": len(cs), "invitations": opts.Invitations, "seconds": elapsed.Seconds()})
	case "csv":
		return writeCSV(opts.IO.Out, []string{"customers", "invitations", "seconds"}, [][]string{{fmt.Sprint(len(cs)), fmt.Sprint(opts.Invitations), fmt.Sprintf("%.3f", elapsed.Seconds())}})
	}
	rate := ""
	if elapsed > 0 && opts.Invitations > 0 {
		rate = fmt.Sprintf(" (%.0f rows/s)", float64(opts.Invitations)/elapsed.Seconds())
	}
	_, err = fmt.Fprintf(opts.IO.Out, "Seeded %d %s and %s in %s%s.\n", len(cs), plural(len(cs), "customer", "customers"), invitations(opts.Invitations), elapsed.Round(time.Millisecond), rate)
	return err
}

// number prints counts with thousands separators (150,000).
var number = message.NewPrinter(language.English)
