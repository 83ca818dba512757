package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/link"
	"github.com/invitectl/invitectl/internal/mail"
	"github.com/invitectl/invitectl/internal/store/sqlite"
)

// Factory hands commands what they need. Its exported fields are functions
// that tests replace; the defaults build lazily from the configuration, so
// nothing opens a store for ` + "`version`" + ` or ` + "`--help`" + `.
type Factory struct {
	IO *IOStreams

	// Config is the loaded configuration (loaded before every command runs).
	Config func() *Config
	// Now is the clock.
	Now func() time.Time
	// Store is the configured store, opened once.
	Store func(ctx context.Context) (invite.Store, error)
	// Mailer is the configured mail transport, made once.
	Mailer func() (mail.Mailer, error)
	// Service is the use cases over the store and links, without a mailer:
	// links are printed, never sent.
	Service func(ctx context.Context) (*invite.Service, error)
	// MailingService is Service with the mailer.
	MailingService func(ctx context.Context) (*invite.Service, error)

	env Env
	cfg *Config
	// anonymousMailNote makes the file transport's note name the folder
	// only: the file name holds the recipient's address (serve-accept).
	anonymousMailNote bool

	store invite.Store
	dsn   dsn
	// readOnly is set for commands that never create a store; opensReadOnly
	// for those that only read: they open an SQLite store read-only and
	// create no link secret.
	readOnly, opensReadOnly bool
	// created is the SQLite store this run created, with the first folder it
	// had to make; a rejected run removes them again (see discardCreated).
	created *createdStore
	// secretFailed is set when the link secret could not be read or
	// created: the run wrote nothing, and leaves no store it created.
	secretFailed bool
	mailer       mail.Mailer
	// filter is --jq or --template; nil without them.
	filter *outputFilter
	// notices go to stderr unless --quiet.
	notices *notices
	// pager is the pager a long table goes through; nil without one.
	pager *pager
}

func newFactory(env Env) *Factory {
	if env.Getenv == nil {
		env.Getenv = func(string) string { return "" }
	}
	io := env.IO
	f := &Factory{env: env, IO: &io, notices: &notices{w: io.ErrOut}}
	f.Config = func() *Config { return f.cfg }
	f.Now = f.clock
	f.Store = f.openStore
	f.Mailer = f.openMailer
	f.Service = f.service
	f.MailingService = func(ctx context.Context) (*invite.Service, error) {
		// The mail settings before the store: nothing is written for a
		// command whose email could never go.
		m, err := f.Mailer()
		if err != nil {
			return nil, err
		}
		svc, err := f.Service(ctx)
		if err != nil {
			return nil, err
		}
		svc.Mailer = m
		if err := f.cfg.valid("smtp.connections"); err != nil {
			return nil, err
		}
		if n := f.cfg.set.SMTP.Connections; n < 1 || n > maxConnections {
			return nil, usageError(fmt.Sprintf("set smtp.connections to a number from 1 to %d (default 4)", maxConnections), "invalid smtp.connections %d", n)
		}
		svc.Connections = f.cfg.set.SMTP.Connections
		return svc, nil
	}
	return f
}

// serviceFor is MailingService when the command sends, Service otherwise.
func (f *Factory) serviceFor(sends bool) func(context.Context) (*invite.Service, error) {
	if sends {
		return f.MailingService
	}
	return f.Service
}

// resolveRef gets the service and the invitation a REF names.
func resolveRef(ctx context.Context, service func(context.Context) (*invite.Service, error), ref, customer string) (*invite.Service, invite.Invitation, error) {
	svc, err := service(ctx)
	if err != nil {
		return nil, invite.Invitation{}, err
	}
	inv, err := svc.Resolve(ctx, ref, customer)
	return svc, inv, err
}

// init loads the configuration; it runs before every command.
func (f *Factory) init(cmd *cobra.Command) error {
	cfg, err := loadConfig(cmd, &f.env)
	if err != nil {
		return err
	}
	f.cfg = cfg
	f.readOnly = cmd.Annotations[annotationReadOnly] != ""
	f.opensReadOnly = cmd.Annotations[annotationReadOnly] == "true"
	if err := cfg.checkActor(); err != nil {
		return err
	}
	if err := checkEnumFlags(cmd); err != nil {
		return err
	}
	// `webhook secret` is the remedy the webhook settings' errors name.
	if cmd.Annotations[annotationMakesWebhookSecret] != "true" {
		if err := cfg.checkWebhook(); err != nil {
			return err
		}
	}
	if err := cfg.valid("quiet"); err != nil {
		return err
	}
	f.IO.Quiet = cfg.set.Quiet
	f.notices.quiet = f.IO.Quiet
	switch cfg.String("output") {
	case "table", "wide", "json", "csv":
	case "xlsx":
		return checkXLSX(cmd, f.IO.OutTTY)
	default:
		return usageError("use -o table, -o wide, -o json, -o csv or (list) -o xlsx", "invalid output format %q", cfg.String("output"))
	}
	if f.filter, err = newOutputFilter(cmd, f.IO); err != nil {
		return err
	}
	if f.filter == nil {
		f.startPager(cmd)
		return nil
	}
	cfg.v.Set("output", "json")
	f.IO.Out = &f.filter.buf
	return nil
}

// common is what every command's options carry, taken from the factory
// and the global flags when the command runs.
type common struct {
	IO       *IOStreams
	Now      func() time.Time
	Location *time.Location // for times on a terminal
	Output   string         // table, json or csv
	Wide     bool           // table with every column (-o wide)
	Color    bool           // ANSI colour on stdout
	Actor    string         // who is acting
}

func (f *Factory) common(cmd *cobra.Command) common {
	cfg := f.Config()
	noColor, _ := cmd.Flags().GetBool("no-color")
	output := cfg.String("output")
	return common{
		IO:       f.IO,
		Now:      f.Now,
		Location: f.env.Location,
		Output:   strings.Replace(output, "wide", "table", 1),
		Wide:     output == "wide",
		Color:    f.IO.OutTTY && !noColor && f.env.Getenv("NO_COLOR") == "" && f.env.Getenv("TERM") != "dumb",
		Actor:    cfg.String("actor"),
	}
}

// style is how tables look for these options.
func (o common) style() style {
	return style{tty: o.IO.OutTTY, color: o.Color, wide: o.Wide, width: o.IO.Width, now: o.Now(), loc: o.Location}
}

// clock is the default Now: the process's Env clock, in UTC.
func (f *Factory) clock() time.Time {
	if f.env.Now == nil {
		return time.Now().UTC()
	}
	return f.env.Now().UTC()
}

// openStore opens the configured store once.
func (f *Factory) openStore(ctx context.Context) (invite.Store, error) {
	if f.store != nil {
		return f.store, nil
	}
	d, err := parseDSN(f.cfg.String("db"))
	if err != nil {
		return nil, err
	}
	if d.kind == "sqlite" {
		if f.created, err = prepareSQLite(d.path, f.readOnly); err != nil {
			return nil, err
		}
	}
	var s invite.Store
	if d.kind == "sqlite" && f.opensReadOnly {
		s, err = sqlite.OpenReadOnly(ctx, d.path)
		if errors.Is(err, sqlite.ErrOlderSchema) {
			s, err = openStore(ctx, d) // migrating is the one write a read needs
		}
	} else {
		s, err = openStore(ctx, d)
	}
	if err != nil {
		return nil, err
	}
	// Changes queue the webhook events of the types configured.
	if hs, ok := s.(interface{ SetWebhookEvents([]string) }); ok {
		hs.SetWebhookEvents(f.cfg.webhookTypes())
	}
	f.store, f.dsn = s, d
	return s, nil
}

// service builds the use cases over the store and links. Each call gives a
// new value: a command that adds a mailer changes only its own.
func (f *Factory) service(ctx context.Context) (*invite.Service, error) {
	svc := &invite.Service{
		Now:        f.Now,
		ActorNamed: f.cfg.source["actor"] != "default" && f.cfg.String("actor") != "",
	}
	// The configuration first: a bad setting is found before the store is
	// opened (or created), so a rejected command writes nothing. A command
	// that only reads makes no invitation and no link: it does not read
	// (nor fail over) the settings of those.
	if !f.opensReadOnly {
		if err := f.cfg.valid("invitation_ttl"); err != nil {
			return nil, err
		}
		svc.TTL = f.cfg.set.InvitationTTL
		svc.DefaultLanguage = f.cfg.String("default_language")
		if !invite.ValidLanguage(svc.DefaultLanguage) {
			return nil, usageError("set default_language (INVITECTL_DEFAULT_LANGUAGE) to sv or en", "invalid default_language %q (from %s)", svc.DefaultLanguage, f.cfg.sourceOf("default_language"))
		}
		var err error
		if svc.BaseURL, err = f.cfg.BaseURL(); err != nil {
			return nil, err
		}
	}
	var err error
	if svc.Store, err = f.Store(ctx); err != nil {
		return nil, err
	}
	if svc.Links, err = f.links(); err != nil {
		return nil, err
	}
	return svc, nil
}

// storeService is the use cases over the store alone, for the commands
// that use no other setting: a bad base_url or link secret does not stop
// them.
func (f *Factory) storeService(ctx context.Context) (*invite.Service, error) {
	st, err := f.Store(ctx)
	if err != nil {
		return nil, err
	}
	return &invite.Service{Store: st, Now: f.Now}, nil
}

// maxConnections bounds smtp.connections: more only burdens the server.
const maxConnections = 32

// openMailer makes the configured mail transport once.
func (f *Factory) openMailer() (mail.Mailer, error) {
	if f.mailer != nil {
		return f.mailer, nil
	}
	if err := f.cfg.valid("smtp.port", "smtp.timeout"); err != nil {
		return nil, err
	}
	ms, ss := f.cfg.set.Mail, f.cfg.set.SMTP
	m, err := mail.New(mail.Config{
		Transport:  ms.Transport,
		From:       ms.From,
		FromName:   ms.FromName,
		Dir:        ms.Dir,
		Host:       ss.Host,
		Port:       ss.Port,
		Username:   ss.Username,
		Password:   ss.Password,
		Encryption: ss.Encryption,
		CAFile:     ss.CAFile,
		// A whole message (MAIL, RCPT, DATA and its bytes) may take three
		// commands' time.
		ConnectTimeout: ss.Timeout,
		SendTimeout:    3 * ss.Timeout,
		Now:            f.Now,
		Written: func(to, path string) {
			// serve-accept runs on: a note at once, naming no address.
			if f.anonymousMailNote {
				if !f.IO.Quiet {
					fmt.Fprintf(f.IO.ErrOut, "invitectl: wrote an email into %s\n", filepath.Dir(path))
				}
				return
			}
			f.notices.emailWritten(to, path)
		},
	})
	if err != nil {
		return nil, f.cfg.withSource(err)
	}
	f.mailer = m
	return m, nil
}

// links returns the link signer: secrets from link_secret, or for SQLite a
// secret file beside the database, created with mode 0600 on first use.
func (f *Factory) links() (*link.Signer, error) {
	if raw := f.cfg.String("link_secret"); raw != "" {
		var secrets [][]byte
		for _, s := range strings.Split(raw, ",") {
			if s = strings.TrimSpace(s); s != "" {
				secrets = append(secrets, []byte(s))
			}
		}
		s, err := link.New(secrets...)
		if err != nil {
			return nil, usageError("set link_secret (INVITECTL_LINK_SECRET) to at least 32 random characters, e.g. from `openssl rand -hex 32`", "invalid link_secret: %v", err)
		}
		return s, nil
	}
	if f.dsn.kind != "sqlite" {
		return nil, usageError("set link_secret (INVITECTL_LINK_SECRET) to the same value on every machine that shares this database, e.g. from `openssl rand -hex 32`", "link_secret is required with PostgreSQL")
	}
	if f.opensReadOnly {
		if _, err := os.Lstat(f.dsn.path + ".link-secret"); errors.Is(err, fs.ErrNotExist) {
			return link.New(newSecret()) // reading derives no link: nothing to save
		}
	}
	secret, err := loadOrCreateSecret(f.dsn.path + ".link-secret")
	if err != nil {
		f.secretFailed = true
		return nil, err
	}
	return link.New(secret)
}

// loadOrCreateSecret reads the secret file, creating it atomically with a
// fresh random secret when it does not exist yet. Any error while creating
// it is fatal: a secret that is used but not saved would sign links that
// stop working at the next run. A symbolic link at path is refused rather
// than followed (or, dangling, written through).
func loadOrCreateSecret(path string) ([]byte, error) {
	fi, err := os.Lstat(path)
	switch {
	case err == nil && fi.Mode()&fs.ModeSymlink != 0:
		return nil, secretError(path, "is a symbolic link", nil).
			WithHint("replace %s with the secret file itself (or remove it if no links were sent yet); a link there is never followed", path)
	case err == nil && !fi.Mode().IsRegular():
		return nil, secretError(path, "is not a regular file", nil).WithHint("move %s away; it must be the secret file", path)
	case err == nil:
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, secretError(path, "cannot be read", err).WithHint("make %s readable by this user", path)
		}
		s := []byte(strings.TrimSpace(string(b)))
		if len(s) < link.MinSecretSize {
			return nil, fmt.Errorf("link secret file %s is too short; delete it only if no links were sent yet", path)
		}
		return s, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, secretError(path, "cannot be read", err).WithHint("make %s and its folder readable by this user", path)
	}
	secret := newSecret()
	if err := writeNewFile(path, append(secret, '\n')); errors.Is(err, fs.ErrExist) {
		return loadOrCreateSecret(path) // another process created it meanwhile: theirs is the one
	} else if err != nil {
		return nil, secretError(path, "could not be created", err).
			WithHint("make room on the disk of %s, or make its folder writable, and run the command again; nothing was saved", path)
	}
	return secret, nil
}

// newSecret is a fresh random secret, 256 bits as hex. A run that only
// reads, and never derives a link, uses one without saving it: saving is
// left to the first command that needs it.
func newSecret() []byte {
	raw := make([]byte, 32)
	_, _ = rand.Read(raw) // crypto/rand.Read never fails
	return []byte(hex.EncodeToString(raw))
}

// secretError is a failure of the link secret file at path.
func secretError(path, what string, err error) *invite.Error {
	return &invite.Error{Code: invite.EINTERNAL, Message: fmt.Sprintf("the link secret file %s %s", path, what), Err: err}
}

// writeNewFile creates path with data and mode 0600, written in full and
// synced under a temporary name and then linked into place, so that no
// reader ever sees it half-written; fs.ErrExist if path exists. On any
// error nothing is left behind.
func writeNewFile(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".link-secret-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	err = tmp.Chmod(0o600)
	if err == nil {
		_, err = tmp.Write(data)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	// Link, not rename: if another process created the file meanwhile, keep theirs.
	return os.Link(tmp.Name(), path)
}

// discardCreated removes the SQLite store this run created when the run was
// rejected (invalid input, not found, conflict, cancelled) or could not
// have its link secret: such a run wrote nothing, so it leaves nothing
// behind, not even an empty store.
func (f *Factory) discardCreated(err error) {
	if f.created == nil {
		return
	}
	if f.secretFailed {
		_ = f.close()
		f.created.remove()
		return
	}
	switch ExitCode(err) {
	case ExitInvalid, ExitNotFound, ExitConflict, ExitCancelled:
		_ = f.close()
		f.created.remove()
	}
}

// close releases the store and the mailer; it is safe to call twice.
func (f *Factory) close() error {
	var errs []error
	if f.mailer != nil {
		errs = append(errs, f.mailer.Close())
		f.mailer = nil
	}
	if f.store != nil {
		errs = append(errs, f.store.Close())
		f.store = nil
	}
	return errors.Join(errs...)
}
