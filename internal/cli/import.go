package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

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
	Encoding string // auto, utf-8, utf-16 or windows-1252
	DryRun   bool
	NoSend   bool
	// Update applies the rows to the open invitations they name;
	// SkipExisting leaves out rows whose email has an open invitation.
	Update, SkipExisting bool
	SpoolDir             string // where stdin is spooled
}

// NewCmdImport builds `import`; runF replaces importRun in tests.
func NewCmdImport(f *Factory, runF func(*ImportOptions) error) *cobra.Command {
	opts := &ImportOptions{}
	cmd := &cobra.Command{
		Use:   "import FILE|- [--customer NAME] [--language sv|en] [--encoding auto|utf-8|utf-16|windows-1252] [--update | --skip-existing] [--dry-run] [--no-send]",
		Short: "Invite everyone in a spreadsheet file, all or nothing",
		Long: `Creates invitations from a spreadsheet with a header row: an .xlsx workbook
(its first sheet, cells as shown) or a CSV or tab-separated file (- reads
stdin). Columns, by name in any order: customer (or --customer for
every row), email, first_name, last_name (required), swedish_citizen,
eu_eea_citizen (yes, no, true, false or empty), personal_number, lma_number,
phone, gender, language. Names ignore case, spaces, "_" and "-", and list's
table headings are taken too ("First name", "Phone number", "Customer
account"); the columns an export writes that an import cannot set (id,
status, sent_on…) are ignored with a notice.

Text may be UTF-8 (with or without a byte order mark), UTF-16 with a byte
order mark ("Unicode text"), or Windows-1252 ("CSV" from Excel on Windows),
which is taken, with a notice, when the file is not UTF-8; --encoding names
it instead. The separator (",", ";" or tab) is the one the header line uses.

Every row is validated as invite validates one. All or nothing: with any
problem nothing is written and every problem is listed with its line
("line N: field: problem"); exit 2 when a row is invalid (an email repeated
in the file included), exit 4 when all are valid but some emails already have
an open invitation or an account. Otherwise every invitation is written in
one transaction with its email queued, and the emails are delivered.

--skip-existing creates the rows whose email has no open invitation and
reports the others as skipped (to finish a partly imported file).
--update applies each row to the open invitation it names by id (or by an
email with one open invitation) as edit would: a column left empty clears an
optional field, a masked personal number (YYYYMMDD-****) is left as it is,
and with a version column an invitation changed since is a conflict (exit
4); customer and email cannot change. All or nothing, one audit event per
changed invitation: list --all -o csv, edited in a spreadsheet, loads back.`,
		Example: `  invitectl import people.csv --dry-run
  invitectl import people.csv --customer "Acme AB" --language en
  invitectl import - --no-send -o json < people.csv
  invitectl import people.csv --skip-existing
  invitectl list --all -o csv > all.csv; invitectl import all.csv --update`,
		Args: exactArgs(1, "a CSV file, or - for stdin"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.File = args[0]
			if opts.Language != "" && !invite.ValidLanguage(opts.Language) {
				return usageError("use --language sv or --language en", "invalid --language %q", opts.Language)
			}
			if !slices.Contains(csvimport.Encodings, opts.Encoding) {
				return usageError("use --encoding auto, utf-8, utf-16 or windows-1252", "invalid --encoding %q", opts.Encoding)
			}
			if opts.Update && opts.SkipExisting {
				return usageError("use --update to change existing invitations, or --skip-existing to create the new rows", "--update and --skip-existing cannot be combined")
			}
			if opts.Update && opts.Customer != "" {
				return usageError("an update finds each row's invitation by its id or email; leave out --customer", "--update does not take --customer")
			}
			opts.Service = f.serviceFor(!opts.NoSend && !opts.DryRun && !opts.Update)
			opts.SpoolDir = filepath.Join(f.Config().dataHome(), "invitectl")
			opts.common = f.common(cmd)
			if runF != nil {
				return runF(opts)
			}
			return importRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Customer, "customer", "", "the customer of every row (the file then has no customer column)")
	cmd.Flags().StringVar(&opts.Language, "language", "", "language of rows without one: sv or en")
	cmd.Flags().StringVar(&opts.Encoding, "encoding", "auto", "the file's text encoding: auto, utf-8, utf-16 or windows-1252")
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "validate and check for conflicts; write nothing")
	cmd.Flags().BoolVar(&opts.NoSend, "no-send", false, "queue no emails")
	cmd.Flags().BoolVar(&opts.Update, "update", false, "apply the rows to the open invitations they name (by id or email)")
	cmd.Flags().BoolVar(&opts.SkipExisting, "skip-existing", false, "skip rows whose email has an open invitation; create the others")
	_ = cmd.RegisterFlagCompletionFunc("customer", completeCustomers(f))
	enumFlag(cmd, "language", []string{"sv", "en"})
	enumFlag(cmd, "encoding", csvimport.Encodings)
	return cmd
}

func importRun(ctx context.Context, opts *ImportOptions) error {
	var in io.ReadSeeker
	if opts.File == "-" {
		spool, err := spoolStdin(opts.IO.In, opts.SpoolDir)
		if err != nil {
			return err
		}
		defer func() { _ = spool.Close(); _ = os.Remove(spool.Name()) }()
		in = spool
	} else {
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
	size, _ := in.Seek(0, io.SeekEnd)
	copts := csvimport.Options{Customer: opts.Customer, Encoding: opts.Encoding, Update: opts.Update}
	// The progress bar: over the file's bytes while the rows are checked,
	// then over the rows while they are written, then the emails.
	var bar *progressBar
	showBar := opts.IO.ErrTTY && opts.Output == "table"
	phase := "Checking"
	counted := &countingReader{r: in, add: func(n int) { bar.add(n) }}
	pass := 0
	src := func(fn func(invite.ImportRecord) error) error {
		pass++
		notices, problems, err := csvimport.Scan(counted, copts, func(rec invite.ImportRecord) error {
			if rec.Language == "" {
				rec.Language = opts.Language
			}
			return fn(rec)
		})
		if err != nil {
			return err
		}
		if len(problems) > 0 {
			return &invite.ImportError{Code: invite.EINVALID, Problems: problems}
		}
		if pass == 1 {
			for _, n := range notices {
				fmt.Fprintf(opts.IO.ErrOut, "invitectl: note: %s\n", n)
			}
		}
		return nil
	}
	svc, err := opts.Service(ctx)
	if err != nil {
		return err
	}
	if showBar && size > 1<<20 {
		bar = startProgress(opts.IO, opts.Color, phase, int(size))
	}
	rows := 0
	iopts := invite.ImportOptions{Actor: opts.Actor, DryRun: opts.DryRun, NoSend: opts.NoSend, SkipExisting: opts.SkipExisting,
		Checked: func() { rows++ },
		Written: func() {
			if phase == "Checking" {
				bar.done()
				phase, bar = "Writing", nil
				counted.add = func(int) {}
				if showBar && rows > 1000 {
					bar = startProgress(opts.IO, opts.Color, phase, rows)
				}
			}
			bar.increment()
		},
		Report: func(o invite.DeliveryOutcome) {
			if phase != "Sending" {
				bar.done()
				phase, bar = "Sending", nil
				if showBar && rows > 1 {
					bar = startProgress(opts.IO, opts.Color, phase, rows)
				}
			}
			bar.increment()
			if o.State != invite.DeliverySent {
				printError(opts.IO.ErrOut, fmt.Errorf("invitation %d: the email to %s: %s", o.Claim.InvitationID, o.Claim.Invitation.Email, o.Error))
			}
		}}
	if opts.Update {
		res, err := svc.ImportUpdate(ctx, src, iopts)
		bar.done()
		if err == nil {
			return printImported(opts, res)
		}
		var ie *invite.ImportError
		if errors.As(err, &ie) {
			return printImportError(opts, ie)
		}
		return fmt.Errorf("reading %s: %w", opts.File, err)
	}
	res, err := svc.ImportFrom(ctx, src, iopts)
	bar.done()
	var ie *invite.ImportError
	if errors.As(err, &ie) {
		return printImportError(opts, ie)
	}
	if res.Count == 0 && len(res.Skipped) == 0 {
		return err
	}
	if werr := printImported(opts, res); werr != nil {
		return werr
	}
	return err
}

// processAlive reports whether the process pid still runs.
func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	return err == nil && p.Signal(syscall.Signal(0)) == nil
}

// countingReader passes reads through, telling add how many bytes each
// gave (for a progress bar over a file).
type countingReader struct {
	r   io.ReadSeeker
	add func(int)
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.add(n)
	return n, err
}

func (c *countingReader) Seek(offset int64, whence int) (int64, error) {
	return c.r.Seek(offset, whence)
}

// spoolPattern names the files stdin is spooled to; the process ID in the
// name tells a later import whether its owner still runs.
const spoolPattern = "import-%d-*.spool"

// spoolStdin copies in to a new 0600 file in dir, so that an import can
// read it twice with flat memory, and removes the spool files of imports
// that were killed.
func spoolStdin(in io.Reader, dir string) (*os.File, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("spooling stdin: %w", err)
	}
	old, _ := filepath.Glob(filepath.Join(dir, "import-*-*.spool"))
	for _, name := range old {
		var pid int
		if _, err := fmt.Sscanf(filepath.Base(name), "import-%d-", &pid); err == nil && pid != os.Getpid() && !processAlive(pid) {
			_ = os.Remove(name)
		}
	}
	f, err := os.CreateTemp(dir, fmt.Sprintf(spoolPattern, os.Getpid()))
	if err != nil {
		return nil, fmt.Errorf("spooling stdin: %w", err)
	}
	if _, err := io.Copy(f, in); err != nil {
		_ = f.Close()
		_ = os.Remove(f.Name())
		return nil, fmt.Errorf("spooling stdin to %s: %w", f.Name(), err)
	}
	return f, nil
}

func printImported(opts *ImportOptions, res invite.ImportResult) error {
	out := opts.IO.Out
	switch opts.Output {
	case "json":
		type skipped struct {
			Line  int    `json:"line"`
			Email string `json:"email"`
			ID    int64  `json:"id"`
		}
		v := struct {
			Imported  int       `json:"imported"`
			IDs       []int64   `json:"ids"`
			Updated   *int      `json:"updated,omitempty"`
			Unchanged *int      `json:"unchanged,omitempty"`
			Skipped   []skipped `json:"skipped,omitempty"`
			DryRun    bool      `json:"dry_run"`
		}{Imported: len(res.IDs), IDs: nonNil(res.IDs), DryRun: opts.DryRun}
		if opts.Update {
			n := len(res.Updated)
			v.Imported, v.IDs, v.Updated, v.Unchanged = 0, nonNil(res.Updated), &n, &res.Unchanged
		}
		if opts.SkipExisting {
			v.Skipped = make([]skipped, len(res.Skipped))
			for i, sk := range res.Skipped {
				v.Skipped[i] = skipped{sk.Line, sk.Email, sk.ID}
			}
		}
		return writeJSON(out, v)
	case "csv":
		ids := res.IDs
		if opts.Update {
			ids = res.Updated
		}
		rows := make([][]string, len(ids))
		for i, id := range ids {
			rows[i] = []string{fmt.Sprint(id)}
		}
		return writeCSV(out, []string{"id"}, rows)
	}
	for _, sk := range res.Skipped {
		fmt.Fprintf(out, "Skipped line %d: %s already has invitation %d.\n", sk.Line, termSafe(sk.Email), sk.ID)
	}
	var msg string
	n := len(res.IDs)
	imported := ""
	if n > 0 {
		imported = fmt.Sprintf("Imported %s (IDs %d–%d)", count(n, "invitation", "invitations"), res.IDs[0], res.IDs[n-1])
		if n == 1 {
			imported = fmt.Sprintf("Imported 1 invitation (ID %d)", res.IDs[0])
		}
	}
	switch {
	case opts.Update && opts.DryRun:
		msg = fmt.Sprintf("Dry run: %s would change, %s nothing; nothing was written.",
			count(len(res.Updated), "invitation", "invitations"), count(res.Unchanged, "row changes", "rows change"))
	case opts.Update:
		msg = fmt.Sprintf("Updated %s; %s changed nothing.", count(len(res.Updated), "invitation", "invitations"), count(res.Unchanged, "row", "rows"))
	case opts.DryRun && res.Count == 1:
		msg = "Dry run: the row is valid and free to import; nothing was written."
	case opts.DryRun:
		msg = fmt.Sprintf("Dry run: all %d rows are valid and free to import; nothing was written.", res.Count)
	case n == 0 && len(res.Skipped) == 1:
		msg = "Imported no invitations: the row was skipped."
	case n == 0:
		msg = fmt.Sprintf("Imported no invitations: all %d rows were skipped.", len(res.Skipped))
	case opts.NoSend:
		msg = imported + "; no emails were sent."
	case n == 1 && res.Delivered.Sent == 1:
		msg = imported + " and delivered its email."
	case n == 1:
		msg = imported + "; its email was not delivered."
	default:
		msg = fmt.Sprintf("%s and delivered %d of their emails.", imported, res.Delivered.Sent)
	}
	if len(res.Skipped) > 0 && len(res.IDs) > 0 {
		msg = strings.TrimSuffix(msg, ".") + fmt.Sprintf("; %d %s skipped.", len(res.Skipped), plural(len(res.Skipped), "row was", "rows were"))
	}
	_, err := fmt.Fprintln(out, msg)
	return err
}

// printImportError reports every problem of a refused import, on stderr
// (and as JSON on stdout with -o json), and returns the exit code's error.
func printImportError(opts *ImportOptions, ie *invite.ImportError) error {
	code := ExitInvalid
	switch ie.Code {
	case invite.ECONFLICT:
		code = ExitConflict
	case invite.ENOTFOUND:
		code = ExitNotFound
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
	writeImportProblems(opts.IO.ErrOut, ie, opts.Update)
	return silentExit(code)
}

func writeImportProblems(w io.Writer, ie *invite.ImportError, update bool) {
	fmt.Fprintf(w, "invitectl: error: nothing was imported; %d %s:\n", len(ie.Problems), plural(len(ie.Problems), "problem", "problems"))
	for _, p := range ie.Problems {
		fmt.Fprintf(w, "invitectl: error:   %s\n", termSafe(p.String()))
	}
	hint := "correct the rows above and import the whole file again; nothing was written"
	if ie.Code == invite.ECONFLICT && update {
		hint = "those invitations changed since the file was written, or are accepted or revoked: export them again (`invitectl list --all -o csv`) and redo the change; nothing was written"
	} else if ie.Code == invite.ENOTFOUND {
		hint = "check the ids and emails above (`invitectl list --search EMAIL --status all`); nothing was written"
	} else if ie.Code == invite.ECONFLICT {
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
