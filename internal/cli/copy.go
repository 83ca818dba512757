package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/store/storecopy"
)

// CopyOptions are the inputs of `copy`.
type CopyOptions struct {
	common
	From, To   string
	LinkSecret bool // link_secret is configured (no secret file to carry over)
}

// NewCmdCopy builds `copy`; runF replaces copyRun in tests.
func NewCmdCopy(f *Factory, runF func(*CopyOptions) error) *cobra.Command {
	opts := &CopyOptions{}
	cmd := &cobra.Command{
		Use:   "copy --from DSN --to DSN",
		Short: "Copy every row from one store into an empty one",
		Long: `Copies customers, invitations, users, the audit log and the mail outbox from
one store into an empty one (typically an SQLite file into PostgreSQL),
keeping IDs and link generations so links already sent keep working (use the
same link_secret). It refuses a target that is not empty and checks the
counts afterwards.`,
		Example: `  invitectl copy --from sqlite://$HOME/.local/share/invitectl/invitectl.db --to postgres://invitectl@db/invitectl`,
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.LinkSecret = f.Config().String("link_secret") != ""
			opts.common = f.common(cmd)
			if runF != nil {
				return runF(opts)
			}
			return copyRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.From, "from", "", "the store to copy from")
	cmd.Flags().StringVar(&opts.To, "to", "", "the empty store to copy into")
	return cmd
}

// copyRun copies every customer, invitation, user, audit event and email of
// one store into another, empty one.
func copyRun(ctx context.Context, opts *CopyOptions) error {
	from, to := opts.From, opts.To
	if from == "" || to == "" {
		return usageError("pass the store to read with --from and the empty store to fill with --to", "copy needs both --from and --to")
	}
	src, err := parseDSN(from)
	if err != nil {
		return err
	}
	dst, err := parseDSN(to)
	if err != nil {
		return err
	}
	if sameStore(src, dst) {
		return usageError("name a different, empty store with --to", "--from and --to name the same store")
	}
	source, closeSource, err := openCopySource(ctx, src)
	if err != nil {
		return err
	}
	defer closeSource()
	target, closeTarget, err := openCopyTarget(ctx, dst)
	if err != nil {
		return err
	}
	defer closeTarget()
	n, err := storecopy.Copy(ctx, source, target)
	if err != nil {
		return err
	}
	switch opts.Output {
	case "json":
		err = writeJSON(opts.IO.Out, n)
	case "csv":
		err = writeCSV(opts.IO.Out, []string{"customers", "invitations", "users", "audit_events", "deliveries"},
			[][]string{{fmt.Sprint(n.Customers), fmt.Sprint(n.Invitations), fmt.Sprint(n.Users), fmt.Sprint(n.AuditEvents), fmt.Sprint(n.Deliveries)}})
	default:
		_, err = fmt.Fprintf(opts.IO.Out, "Copied %s.\n", n)
	}
	if err != nil {
		return err
	}
	secretHint(opts, src, dst)
	return nil
}

// sameStore reports whether two DSNs name one store.
func sameStore(a, b dsn) bool {
	if a.kind != b.kind {
		return false
	}
	if a.kind == "postgres" {
		return a.url == b.url
	}
	pa, errA := filepath.Abs(a.path)
	pb, errB := filepath.Abs(b.path)
	return errA == nil && errB == nil && pa == pb
}

// openCopySource opens the store to read. An SQLite source must exist:
// opening a mistyped path would otherwise create an empty database and
// copy nothing.
func openCopySource(ctx context.Context, d dsn) (storecopy.Source, func(), error) {
	if d.kind == "sqlite" {
		if _, err := os.Stat(d.path); errors.Is(err, fs.ErrNotExist) {
			return nil, nil, missingSQLite(d.path, "check the --from path")
		}
	}
	s, err := openStore(ctx, d)
	if err != nil {
		return nil, nil, err
	}
	src, ok := s.(storecopy.Source)
	if !ok {
		s.Close()
		return nil, nil, invite.Errorf(invite.EINVALID, "the %s store cannot be read out for a copy", d.kind)
	}
	return src, func() { s.Close() }, nil
}

// openCopyTarget opens the store to fill: a new SQLite file is created, a
// PostgreSQL database without a schema gets one.
func openCopyTarget(ctx context.Context, d dsn) (storecopy.Target, func(), error) {
	var s invite.Store
	var err error
	if d.kind == "postgres" {
		s, err = openPostgres(ctx, d.url, true)
	} else {
		s, err = openStore(ctx, d)
	}
	if err != nil {
		return nil, nil, err
	}
	dst, ok := s.(storecopy.Target)
	if !ok {
		s.Close()
		return nil, nil, invite.Errorf(invite.EINVALID, "the %s store cannot take a copy", d.kind)
	}
	return dst, func() { s.Close() }, nil
}

// secretHint tells how to keep links working after copying an SQLite
// store whose links were signed with the secret file beside it.
func secretHint(opts *CopyOptions, src, dst dsn) {
	if src.kind != "sqlite" || opts.LinkSecret {
		return
	}
	secret := src.path + ".link-secret"
	if _, err := os.Stat(secret); err != nil {
		return
	}
	if dst.kind == "postgres" {
		fmt.Fprintf(opts.IO.ErrOut, "invitectl: hint: links already sent were signed with the secret in %s; set link_secret (INVITECTL_LINK_SECRET) to its contents wherever the copy is used, or those links stop working\n", secret)
		return
	}
	fmt.Fprintf(opts.IO.ErrOut, "invitectl: hint: links already sent were signed with the secret in %s; copy that file to %s.link-secret before using the copy, or those links stop working\n", secret, dst.path)
}
