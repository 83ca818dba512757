package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/invitectl/invitectl/internal/csvimport"
	"github.com/invitectl/invitectl/internal/invite"
)

// ImportOptions are the inputs of `import`.
type ImportOptions struct {
	common
	// Service is the mailing service, or the plain one with NoSend or DryRun.
	Service func(context.Context) (*invite.Service, error)

	File     string // a path, or "-" for stdin
	Customer string // every row's customer; the file then has no customer column
	Language string // for rows without a language
	DryRun   bool
	NoSend   bool
}

// NewCmdImport builds `import`; runF replaces importRun in tests.
func NewCmdImport(f *Factory, runF func(*ImportOptions) error) *cobra.Command {
	opts := &ImportOptions{}
	cmd := &cobra.Command{
		Use:   "import FILE|- [--customer NAME] [--language sv|en] [--dry-run] [--no-send]",
		Short: "Invite everyone in a CSV file, all or nothing",
		Long: `Creates invitations from a CSV file with a header row (- reads stdin).
Columns, by name in any order: customer (or --customer for every row), email,
first_name, last_name (required), swedish_citizen, eu_eea_citizen (yes, no,
true, false or empty), personal_number, lma_number, phone, gender, language.
A UTF-8 byte order mark and ";" as the separator (Excel in Sweden) are fine.

Every row is validated as invite validates one. All or nothing: with any
problem nothing is written and every problem is listed with its line
("line N: field: problem"); exit 2 when a row is invalid (an email repeated
in the file included), exit 4 when all are valid but some emails already have
an open invitation or an account. Otherwise every invitation is written in
one transaction with its email queued, and the emails are delivered.`,
		Example: `  invitectl import people.csv --dry-run
  invitectl import people.csv --customer "Acme AB" --language en
  invitectl import - --no-send -o json < people.csv`,
		Args: exactArgs(1, "a CSV file, or - for stdin"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.File = args[0]
			if opts.Language != "" && !invite.ValidLanguage(opts.Language) {
				return usageError("use --language sv or --language en", "invalid --language %q", opts.Language)
			}
			opts.Service = f.serviceFor(!opts.NoSend && !opts.DryRun)
			opts.common = f.common(cmd)
			if runF != nil {
				return runF(opts)
			}
			return importRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Customer, "customer", "", "the customer of every row (the file then has no customer column)")
	cmd.Flags().StringVar(&opts.Language, "language", "", "language of rows without one: sv or en")
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "validate and check for conflicts; write nothing")
	cmd.Flags().BoolVar(&opts.NoSend, "no-send", false, "queue no emails")
	_ = cmd.RegisterFlagCompletionFunc("customer", completeCustomers(f))
	enumFlag(cmd, "language", []string{"sv", "en"})
	return cmd
}

func importRun(ctx context.Context, opts *ImportOptions) error {
	in := opts.IO.In
	if opts.File != "-" {
		f, err := os.Open(opts.File)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return invite.Errorf(invite.ENOTFOUND, "no file %s", opts.File).WithHint("check the path, or pass - to read stdin")
			}
			return err
		}
		defer f.Close()
		in = f
	}
	recs, problems, err := csvimport.Parse(in, opts.Customer)
	if err != nil {
		return fmt.Errorf("reading %s: %w", opts.File, err)
	}
	if len(problems) > 0 {
		return printImportError(opts, &invite.ImportError{Code: invite.EINVALID, Problems: problems})
	}
	for i := range recs {
		if recs[i].Language == "" {
			recs[i].Language = opts.Language
		}
	}
	svc, err := opts.Service(ctx)
	if err != nil {
		return err
	}
	// The bar starts with the first email, once every row was found valid
	// and written.
	var bar *progressBar
	showBar := opts.IO.ErrTTY && opts.Output == "table" && len(recs) > 1
	res, err := svc.Import(ctx, recs, invite.ImportOptions{Actor: opts.Actor, DryRun: opts.DryRun, NoSend: opts.NoSend,
		Report: func(o invite.DeliveryOutcome) {
			if bar == nil && showBar {
				bar = startProgress(opts.IO, opts.Color, "Sending", len(recs))
			}
			bar.increment()
			if o.State != invite.DeliverySent {
				printError(opts.IO.ErrOut, fmt.Errorf("invitation %d: the email to %s: %s", o.Claim.InvitationID, o.Claim.Invitation.Email, o.Error))
			}
		}})
	bar.done()
	var ie *invite.ImportError
	if errors.As(err, &ie) {
		return printImportError(opts, ie)
	}
	if res.Count == 0 {
		return err
	}
	if werr := printImported(opts, res); werr != nil {
		return werr
	}
	return err
}

func printImported(opts *ImportOptions, res invite.ImportResult) error {
	out := opts.IO.Out
	switch opts.Output {
	case "json":
		return writeJSON(out, struct {
			Imported int     `json:"imported"`
			IDs      []int64 `json:"ids"`
			DryRun   bool    `json:"dry_run"`
		}{len(res.IDs), nonNil(res.IDs), opts.DryRun})
	case "csv":
		rows := make([][]string, len(res.IDs))
		for i, id := range res.IDs {
			rows[i] = []string{fmt.Sprint(id)}
		}
		return writeCSV(out, []string{"id"}, rows)
	}
	var msg string
	switch {
	case opts.DryRun:
		msg = fmt.Sprintf("Dry run: all %d rows are valid and free to import; nothing was written.", res.Count)
	case opts.NoSend:
		msg = fmt.Sprintf("Imported %d invitations (IDs %d–%d); no emails were sent.", len(res.IDs), res.IDs[0], res.IDs[len(res.IDs)-1])
	default:
		msg = fmt.Sprintf("Imported %d invitations (IDs %d–%d) and delivered %d of their emails.", len(res.IDs), res.IDs[0], res.IDs[len(res.IDs)-1], res.Delivered.Sent)
	}
	_, err := fmt.Fprintln(out, msg)
	return err
}

// printImportError reports every problem of a refused import, on stderr
// (and as JSON on stdout with -o json), and returns the exit code's error.
func printImportError(opts *ImportOptions, ie *invite.ImportError) error {
	code := ExitInvalid
	if ie.Code == invite.ECONFLICT {
		code = ExitConflict
	}
	if opts.Output == "json" {
		type problem struct {
			Line    int    `json:"line"`
			Field   string `json:"field"`
			Message string `json:"message"`
		}
		ps := make([]problem, len(ie.Problems))
		for i, p := range ie.Problems {
			ps[i] = problem{p.Line, p.Field, p.Message}
		}
		if err := writeJSON(opts.IO.Out, struct {
			Imported int       `json:"imported"`
			Errors   []problem `json:"errors"`
		}{0, ps}); err != nil {
			return err
		}
	}
	writeImportProblems(opts.IO.ErrOut, ie)
	return silentExit(code)
}

func writeImportProblems(w io.Writer, ie *invite.ImportError) {
	fmt.Fprintf(w, "invitectl: error: nothing was imported; %d %s:\n", len(ie.Problems), plural(len(ie.Problems), "problem", "problems"))
	for _, p := range ie.Problems {
		fmt.Fprintf(w, "invitectl: error:   %s\n", termSafe(p.String()))
	}
	hint := "correct the rows above and import the whole file again; nothing was written"
	if ie.Code == invite.ECONFLICT {
		hint = "those people already have an open invitation or an account: remove their rows (see `invitectl list --search EMAIL --status all`), then import again; nothing was written"
	} else {
		for _, p := range ie.Problems {
			if p.Field == "customer" {
				hint = "add missing customers with `invitectl customers add NAME`, correct the rows above, and import the whole file again; nothing was written"
				break
			}
		}
	}
	fmt.Fprintf(w, "invitectl: hint: %s\n", hint)
}
