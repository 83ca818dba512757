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

	store invite.Store
	dsn   dsn
	// readOnly is set for commands that only read: they never create a store.
	readOnly bool
	// created is the SQLite store this run created, with the first folder it
	// had to make; a rejected run removes them again (see discardCreated).
	created *createdStore
	mailer  mail.Mailer
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
		svc, err := f.Service(ctx)
		if err != nil {
			return nil, err
		}
		if svc.Mailer, err = f.Mailer(); err != nil {
			return nil, err
		}
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
	f.readOnly = cmd.Annotations[annotationReadOnly] == "true"
	if err := cfg.checkActor(); err != nil {
		return err
	}
	if err := checkEnumFlags(cmd); err != nil {
		return err
	}
	if f.IO.Quiet, err = cfg.Bool("quiet"); err != nil {
		return err
	}
	f.notices.quiet = f.IO.Quiet
	switch cfg.String("output") {
	case "table", "wide", "json", "csv":
	default:
		return usageError("use -o table, -o wide, -o json or -o csv", "invalid output format %q", cfg.String("output"))
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
	s, err := openStore(ctx, d)
	if err != nil {
		return nil, err
	}
	f.store, f.dsn = s, d
	return s, nil
}

// service builds the use cases over the store and links. Each call gives a
// new value: a command that adds a mailer changes only its own.
func (f *Factory) service(ctx context.Context) (*invite.Service, error) {
	st, err := f.Store(ctx)
	if err != nil {
		return nil, err
	}
	signer, err := f.links()
	if err != nil {
		return nil, err
	}
	ttl, err := f.cfg.Duration("invitation_ttl")
	if err != nil {
		return nil, err
	}
	lang := f.cfg.String("default_language")
	if !invite.ValidLanguage(lang) {
		return nil, usageError("set default_language (INVITECTL_DEFAULT_LANGUAGE) to sv or en", "invalid default_language %q", lang)
	}
	return &invite.Service{
		Store:           st,
		Links:           signer,
		Now:             f.Now,
		TTL:             ttl,
		BaseURL:         f.cfg.String("base_url"),
		DefaultLanguage: lang,
		ActorNamed:      f.cfg.source["actor"] != "default" && f.cfg.String("actor") != "",
	}, nil
}

// openMailer makes the configured mail transport once.
func (f *Factory) openMailer() (mail.Mailer, error) {
	if f.mailer != nil {
		return f.mailer, nil
	}
	port := 0
	if f.cfg.String("smtp.port") != "" {
		p, err := f.cfg.Int("smtp.port")
		if err != nil {
			return nil, err
		}
		port = p
	}
	m, err := mail.New(mail.Config{
		Transport:  f.cfg.String("mail.transport"),
		From:       f.cfg.String("mail.from"),
		FromName:   f.cfg.String("mail.from_name"),
		Dir:        f.cfg.String("mail.dir"),
		Host:       f.cfg.String("smtp.host"),
		Port:       port,
		Username:   f.cfg.String("smtp.username"),
		Password:   f.cfg.String("smtp.password"),
		Encryption: f.cfg.String("smtp.encryption"),
		Now:        f.Now,
		Written:    f.notices.emailWritten,
	})
	if err != nil {
		return nil, err
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
	secret, err := loadOrCreateSecret(f.dsn.path + ".link-secret")
	if err != nil {
		return nil, err
	}
	return link.New(secret)
}

// loadOrCreateSecret reads the secret file, creating it atomically with a
// fresh random secret when it does not exist yet.
func loadOrCreateSecret(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		s := []byte(strings.TrimSpace(string(b)))
		if len(s) < link.MinSecretSize {
			return nil, fmt.Errorf("link secret file %s is too short; delete it only if no links were sent yet", path)
		}
		return s, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("reading link secret: %w", err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, err
	}
	secret := []byte(hex.EncodeToString(raw))
	tmp, err := os.CreateTemp(filepath.Dir(path), ".link-secret-*")
	if err != nil {
		return nil, fmt.Errorf("creating link secret: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err == nil {
		_, err = tmp.Write(append(secret, '\n'))
		if err == nil {
			err = tmp.Sync()
		}
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			// Link, not rename: if another process created the file meanwhile, keep theirs.
			if err = os.Link(tmp.Name(), path); errors.Is(err, fs.ErrExist) {
				return loadOrCreateSecret(path)
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("creating link secret: %w", err)
	}
	return secret, nil
}

// discardCreated removes the SQLite store this run created when the run was
// rejected (invalid input, not found, conflict, cancelled): such a run wrote
// nothing, so it leaves nothing behind, not even an empty store.
func (f *Factory) discardCreated(err error) {
	if f.created == nil {
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
