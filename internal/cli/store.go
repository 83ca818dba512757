package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/store/postgres"
	"github.com/invitectl/invitectl/internal/store/sqlite"
)

// dsn is a parsed --db value.
type dsn struct {
	kind string // sqlite or postgres
	path string // SQLite file
	url  string // PostgreSQL URL
}

func parseDSN(s string) (dsn, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return dsn{}, usageError("pass --db PATH or set INVITECTL_DB", "no store given")
	case strings.HasPrefix(s, "postgres://"), strings.HasPrefix(s, "postgresql://"):
		// Read as the pool will read it, pool_… settings included, before
		// anything is opened.
		if _, err := postgres.ParseConfig(s); err != nil {
			return dsn{}, err
		}
		return dsn{kind: "postgres", url: s}, nil
	case strings.HasPrefix(s, "sqlite://"):
		p := strings.TrimPrefix(s, "sqlite://")
		if p == "" {
			return dsn{}, usageError("write sqlite://PATH, e.g. sqlite:///var/lib/invitectl/invitectl.db", "no file in %q", s)
		}
		return dsn{kind: "sqlite", path: p}, nil
	case strings.Contains(s, "://"):
		return dsn{}, usageError("use a file path, sqlite://PATH or postgres://…", "unsupported store %q", redactDSN(s))
	}
	return dsn{kind: "sqlite", path: s}, nil
}

// redactDSN hides every credential in a store URL for messages and
// `config show`: the user-info password and query parameters that carry
// one (password=, sslpassword=, …). A file path is shown as it is; a URL
// that does not parse is not shown at all.
func redactDSN(s string) string {
	if !strings.Contains(s, "://") {
		return s
	}
	u, err := url.Parse(s)
	if err != nil {
		scheme, _, _ := strings.Cut(s, "://")
		return scheme + "://(not a valid URL; not shown, it may hold a password)"
	}
	q := u.Query()
	hidden := false
	for k := range q {
		if secretParam(k) {
			q.Set(k, "xxxxx")
			hidden = true
		}
	}
	if hidden {
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// secretParam reports whether a URL query parameter holds a credential.
func secretParam(name string) bool {
	name = strings.ToLower(name)
	return strings.Contains(name, "password") || strings.Contains(name, "secret") || strings.Contains(name, "token")
}

// annotationReadOnly marks a command that only reads the store ("true"):
// on a missing SQLite file it says so instead of creating an empty one, and
// it opens the file read-only, writing nothing. "no-create" marks a command
// that writes only when asked to (browse): it never creates a store either,
// but opens it for writing.
const annotationReadOnly = "invitectl/read-only"

// readOnly marks cmd as a command that only reads the store.
func readOnly(cmd *cobra.Command) *cobra.Command { return annotateAs(cmd, annotationReadOnly, "true") }

// neverCreates marks cmd as a command that never creates a store but may
// write to one.
func neverCreates(cmd *cobra.Command) *cobra.Command {
	return annotateAs(cmd, annotationReadOnly, "no-create")
}

// annotateAs sets the annotation key of cmd to value.
func annotateAs(cmd *cobra.Command, key, value string) *cobra.Command {
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	cmd.Annotations[key] = value
	return cmd
}

// missingSQLite is the error for a store file that does not exist.
func missingSQLite(path, hint string) error {
	return invite.Errorf(invite.ENOTFOUND, "no SQLite store at %s", path).WithHint("%s", hint)
}

// createdStore is an SQLite file a run created, and the topmost folder it
// created for it ("" when the folder existed).
type createdStore struct{ path, dir string }

// prepareSQLite checks the SQLite file at path before it is opened. A
// reading command on a missing file is ENOTFOUND; otherwise a missing file
// will be created, and what is about to be created is returned.
func prepareSQLite(path string, readOnly bool) (*createdStore, error) {
	_, err := os.Stat(path)
	if err == nil {
		return nil, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("checking the store %s: %w", path, err)
	}
	if readOnly {
		return nil, missingSQLite(path, "check --db (or INVITECTL_DB, or db in the config file); a command that writes, such as `invitectl customers add NAME` or `invitectl seed`, creates a new store there")
	}
	c := &createdStore{path: path}
	for dir := filepath.Dir(path); ; {
		if _, err := os.Stat(dir); err == nil {
			break
		}
		c.dir = dir
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return c, nil
}

// remove deletes the store file, its companions and the folders made for it,
// leaving anything that is not empty.
func (c *createdStore) remove() {
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		_ = os.Remove(c.path + suffix)
	}
	// The run only ever creates a regular secret file: a link there is someone's.
	if fi, err := os.Lstat(c.path + ".link-secret"); err == nil && fi.Mode().IsRegular() {
		_ = os.Remove(c.path + ".link-secret")
	}
	if c.dir == "" {
		return
	}
	for dir := filepath.Dir(c.path); ; dir = filepath.Dir(dir) {
		if os.Remove(dir) != nil || dir == c.dir {
			return
		}
	}
}

func openStore(ctx context.Context, d dsn) (invite.Store, error) {
	if d.kind == "postgres" {
		return openPostgres(ctx, d.url, false)
	}
	return sqlite.Open(ctx, d.path)
}

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
