package cli

import (
	"fmt"
	"log/slog"
	"net"
	"strings"

	"golang.org/x/time/rate"

	"github.com/spf13/cobra"

	"github.com/invitectl/invitectl/internal/password"
	"github.com/invitectl/invitectl/internal/web"
)

func newServeCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve-accept [--listen ADDR] [--base-url URL]",
		Short: "Serve the invitees' registration page",
		Long: `Serves the page invitees open from their email: they choose a password and
a language, accept the privacy policy, and get a verified, signed-in account.

Routes: GET/POST /invite/{token}, GET /account, POST /logout, GET /privacy,
GET /healthz. It shuts down gracefully on SIGINT or SIGTERM, letting
registrations in progress finish. Several instances may share one PostgreSQL
database; a CLI and one server may share one SQLite file.`,
		Example: `  invitectl serve-accept
  invitectl serve-accept --listen 0.0.0.0:8080 --base-url https://invite.example.com`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			svc, err := f.Service(ctx)
			if err != nil {
				return err
			}
			svc.Passwords = password.New(password.DefaultParams)
			limit, err := f.cfg.Float("rate_limit")
			if err != nil {
				return err
			}
			burst, err := f.cfg.Int("rate_burst")
			if err != nil {
				return err
			}
			trustProxy, err := f.cfg.Bool("trust_proxy_headers")
			if err != nil {
				return err
			}
			base := f.cfg.String("base_url")
			if !strings.HasPrefix(base, "http://") && !strings.HasPrefix(base, "https://") {
				return usageError("set --base-url to the public address, e.g. https://invite.example.com", "invalid base_url %q", base)
			}
			addr := f.cfg.String("listen")
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return usageError("choose a free address with --listen (e.g. 127.0.0.1:8081)", "cannot listen on %s: %v", addr, err)
			}
			if f.cfg.source["base_url"] == "default" {
				// Nothing configured: the server is its own public address.
				base = "http://" + ln.Addr().String()
			}
			logger := slog.New(slog.NewTextHandler(f.IO.ErrOut, nil))
			h := web.NewHandler(web.Deps{
				Service:           svc,
				Logger:            logger,
				BaseURL:           base,
				PrivacyPolicyURL:  f.cfg.String("privacy_policy_url"),
				DefaultLanguage:   svc.DefaultLanguage,
				RateLimit:         rate.Limit(limit),
				RateBurst:         burst,
				TrustProxyHeaders: trustProxy,
				Now:               f.Now,
			})
			fmt.Fprintf(f.IO.ErrOut, "invitectl: serving registrations on http://%s (public address %s); stop with Ctrl-C\n", ln.Addr(), base)
			if configured := f.cfg.String("base_url"); configured != base {
				fmt.Fprintf(f.IO.ErrOut, "invitectl: hint: invitation links use base_url %s; set base_url (INVITECTL_BASE_URL) to %s so that they reach this server\n", configured, base)
			}
			err = web.Serve(ctx, ln, web.NewServer(addr, h))
			if err == nil {
				fmt.Fprintln(f.IO.ErrOut, "invitectl: stopped")
			}
			return err
		},
	}
	cmd.Flags().String("listen", "", "address to listen on (config listen; default 127.0.0.1:8080)")
	cmd.Flags().String("base-url", "", "public address used in links (config base_url; default http://127.0.0.1:8080)")
	return cmd
}
