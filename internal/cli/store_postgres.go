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
	"github.com/invitectl/invitectl/internal/store/postgres"
	"github.com/invitectl/invitectl/internal/store/sqlite"
	"github.com/invitectl/invitectl/internal/store/storecopy"
)

// openPostgres opens a PostgreSQL store. With create, a database that has
// no invitectl schema at all is migrated first (the target of a copy);
// otherwise a missing or older schema is refused with a hint to run
// `invitectl migrate`.
func openPostgres(ctx context.Context, url string, create bool) (invite.Store, error) {
	s, err := postgres.Open(ctx, url)
	if create && errors.Is(err, postgres.ErrNoSchema) {
		if _, err := postgres.Migrate(ctx, url); err != nil {
			return nil, err
		}
		s, err = postgres.Open(ctx, url)
	}
	if err != nil {
		if invite.ErrorCode(err) == invite.EINTERNAL && invite.ErrorHint(err) == "" {
			// Not a schema problem: most often the server, the address or the credentials.
			return nil, &invite.Error{Code: invite.EINTERNAL, Message: "cannot open the PostgreSQL store", Err: err,
				Hint: "check that PostgreSQL runs and that --db (INVITECTL_DB) has the right host, port, database, user and password"}
		}
		return nil, err
	}
	return s, nil
}

// schemaVersioner is a store that reports its schema version.
type schemaVersioner interface {
	SchemaVersion(ctx context.Context) (int, error)
}

// migrateStore brings d's schema up to date and returns its version.
// SQLite migrates whenever it is opened.
func migrateStore(ctx context.Context, d dsn) (int, error) {
	if d.kind == "postgres" {
		return postgres.Migrate(ctx, d.url)
	}
	s, err := sqlite.Open(ctx, d.path)
	if err != nil {
		return 0, err
	}
	var v schemaVersioner = s
	version, err := v.SchemaVersion(ctx)
	return version, errors.Join(err, s.Close())
}

// copyStores runs `invitectl copy`: every customer, invitation, user and
// audit event of one store into another, empty one.
func copyStores(cmd *cobra.Command, f *Factory, from, to string) error {
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
	ctx := cmd.Context()
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
	switch f.Output() {
	case "json":
		err = writeJSON(f.IO.Out, n)
	case "csv":
		err = writeCSV(f.IO.Out, []string{"customers", "invitations", "users", "audit_events"},
			[][]string{{fmt.Sprint(n.Customers), fmt.Sprint(n.Invitations), fmt.Sprint(n.Users), fmt.Sprint(n.AuditEvents)}})
	default:
		_, err = fmt.Fprintf(f.IO.Out, "Copied %d customers, %d invitations, %d users, %d audit events.\n",
			n.Customers, n.Invitations, n.Users, n.AuditEvents)
	}
	if err != nil {
		return err
	}
	secretHint(f, src, dst)
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
func secretHint(f *Factory, src, dst dsn) {
	if src.kind != "sqlite" || f.cfg.String("link_secret") != "" {
		return
	}
	secret := src.path + ".link-secret"
	if _, err := os.Stat(secret); err != nil {
		return
	}
	if dst.kind == "postgres" {
		fmt.Fprintf(f.IO.ErrOut, "invitectl: hint: links already sent were signed with the secret in %s; set link_secret (INVITECTL_LINK_SECRET) to its contents wherever the copy is used, or those links stop working\n", secret)
		return
	}
	fmt.Fprintf(f.IO.ErrOut, "invitectl: hint: links already sent were signed with the secret in %s; copy that file to %s.link-secret before using the copy, or those links stop working\n", secret, dst.path)
}
