package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/spf13/cobra"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/webhook"
)

// webhookEvents is webhook.events as a list; "all" is every type.
func (c *Config) webhookEvents() []string {
	if strings.EqualFold(c.String("webhook.events"), "all") {
		return webhook.Types
	}
	var out []string
	for _, e := range strings.Split(c.String("webhook.events"), ",") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}

// annotationMakesWebhookSecret marks `webhook secret`, which runs whatever
// the webhook settings hold: it is how they are mended.
const annotationMakesWebhookSecret = "invitectl/makes-webhook-secret"

// checkWebhook refuses a receiver's settings that cannot work, before a
// command writes anything: an address that is not https (or http to a
// loopback address), a secret that is not a Standard Webhooks one, an
// unknown event type. Unset, there are no events and nothing to check.
func (c *Config) checkWebhook() error {
	url, secret := c.String("webhook.url"), c.String("webhook.secret")
	if url == "" && secret == "" {
		return nil
	}
	if url == "" {
		return usageError("set webhook.url to the receiver's address, or unset webhook.secret", "webhook.secret is set (from %s) but webhook.url is not", c.sourceOf("webhook.secret"))
	}
	for _, check := range []struct {
		key string
		err error
	}{
		{"webhook.url", webhook.CheckURL(url)},
		{"webhook.secret", webhook.CheckSecret(secret)},
		{"webhook.events", webhook.CheckEvents(c.webhookEvents())},
	} {
		var p webhook.Problem
		if errors.As(check.err, &p) {
			return usageError(fmt.Sprintf("fix %s (%s)", check.key, c.sourceOf(check.key)), "invalid %s: %s", check.key, p.Message)
		}
	}
	return nil
}

func newWebhookCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "webhook",
		Short: "Set up the receiver of signed event notifications",
		Long: `Events tell the system that owns the accounts what happened, signed as the
Standard Webhooks specification says. Configure webhook.url and webhook.secret.`,
		Example: `  invitectl webhook secret
  invitectl webhook test
  invitectl webhook status`,
	}
	cmd.AddCommand(NewCmdWebhookSecret(f, nil), NewCmdWebhookTest(f, nil), NewCmdWebhookStatus(f, nil))
	return cmd
}

// WebhookSecretOptions are the inputs of `webhook secret`.
type WebhookSecretOptions struct {
	common
}

// NewCmdWebhookSecret builds `webhook secret`; runF replaces webhookSecretRun in tests.
func NewCmdWebhookSecret(f *Factory, runF func(*WebhookSecretOptions) error) *cobra.Command {
	opts := &WebhookSecretOptions{}
	return &cobra.Command{
		Use:   "secret",
		Short: "Print a new webhook secret",
		Long: `Print a new random Standard Webhooks secret (whsec_ and 32 bytes in base64).
Set it as webhook.secret here and give it to the receiver, which verifies
each event's signature with it. Nothing is stored.`,
		Example:     `  invitectl webhook secret`,
		Args:        exactArgs(0, "no arguments"),
		Annotations: map[string]string{annotationMakesWebhookSecret: "true"},
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.common = f.common(cmd)
			if runF != nil {
				return runF(opts)
			}
			return webhookSecretRun(opts)
		},
	}
}

func webhookSecretRun(opts *WebhookSecretOptions) error {
	secret := webhook.NewSecret()
	if opts.Output == "json" {
		return writeJSON(opts.IO.Out, map[string]string{"secret": secret})
	}
	_, err := fmt.Fprintln(opts.IO.Out, secret)
	return err
}

// WebhookTestOptions are the inputs of `webhook test`.
type WebhookTestOptions struct {
	common
	Config func() *Config
	// Client makes the request; nil is a client with webhook.Timeout.
	Client *http.Client
}

// NewCmdWebhookTest builds `webhook test`; runF replaces webhookTestRun in tests.
func NewCmdWebhookTest(f *Factory, runF func(*WebhookTestOptions) error) *cobra.Command {
	opts := &WebhookTestOptions{Config: f.Config}
	return &cobra.Command{
		Use:   "test",
		Short: "Send a ping event to the receiver and report its answer",
		Long: `Send a signed ping event to webhook.url and report the answer. Exit 0 when
the receiver answered 2xx, 5 when it did not (with its answer), 2 when the
settings are missing or invalid.`,
		Example: `  invitectl webhook test
  invitectl webhook test -o json`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.common = f.common(cmd)
			if runF != nil {
				return runF(opts)
			}
			return webhookTestRun(cmd.Context(), opts)
		},
	}
}

func webhookTestRun(ctx context.Context, opts *WebhookTestOptions) error {
	cfg := opts.Config()
	url := cfg.String("webhook.url")
	if url == "" {
		return usageError("set webhook.url (and webhook.secret: `invitectl webhook secret` makes one)", "no receiver is configured")
	}
	s, err := webhook.NewSender(url, cfg.String("webhook.secret"), opts.Client)
	if err != nil {
		return usageError("see `invitectl config show`", "%v", err)
	}
	id := webhook.NewID()
	body, err := webhook.Body(webhook.Ping, opts.Now(), nil)
	if err != nil {
		return err
	}
	res := s.Send(ctx, id, body)
	if opts.Output == "json" {
		out := map[string]any{"id": id, "outcome": res.Outcome.String(), "status": res.Status, "elapsed_ms": res.Elapsed.Milliseconds()}
		if res.Err != nil {
			out["error"] = termSafe(res.Err.Error())
		}
		if err := writeJSON(opts.IO.Out, out); err != nil {
			return err
		}
	}
	if res.Outcome != webhook.Delivered {
		hint := "check the receiver's address and that it verifies with the same secret; `invitectl config show` shows both"
		if res.Status == 0 {
			hint = "check that the receiver runs and that webhook.url points at it"
		}
		return &invite.Error{Code: invite.EDELIVERY, Message: "the ping was not delivered: " + termSafe(res.Err.Error()), Hint: hint}
	}
	if opts.Output != "json" {
		_, err = fmt.Fprintf(opts.IO.Out, "The receiver answered %d to the ping (%s) in %s.\n", res.Status, id, res.Elapsed.Round(time.Millisecond))
	}
	return err
}

// webhookTypes are the event types changes queue: webhook.events when a
// receiver is configured, none otherwise.
func (c *Config) webhookTypes() []string {
	if c.String("webhook.url") == "" {
		return nil
	}
	return c.webhookEvents()
}

// eventSender sends queued events to the configured receiver; it makes each
// body from the data as it is when the event is sent.
type eventSender struct {
	sender *webhook.Sender
	reveal bool // webhook.include_personal_number
	now    func() time.Time
}

// eventSender is the configured receiver, or nil when webhook.url is unset.
func (f *Factory) eventSender() (*eventSender, error) {
	url := f.cfg.String("webhook.url")
	if url == "" {
		return nil, nil
	}
	if err := f.cfg.valid("webhook.include_personal_number"); err != nil {
		return nil, err
	}
	reveal := f.cfg.set.Webhook.IncludePersonalNumber
	s, err := webhook.NewSender(url, f.cfg.String("webhook.secret"), nil)
	if err != nil {
		return nil, usageError("see `invitectl config show`", "%v", err)
	}
	return &eventSender{sender: s, reveal: reveal, now: f.Now}, nil
}

// SendEvent implements invite.EventSender.
func (s *eventSender) SendEvent(ctx context.Context, e invite.ClaimedEvent) (invite.EventState, error) {
	body, err := webhook.Body(e.Type, e.CreatedAt, eventData(e, s.now(), s.reveal))
	if err != nil {
		return invite.EventFailed, err
	}
	res := s.sender.Send(ctx, e.WebhookID, body)
	switch res.Outcome {
	case webhook.Delivered:
		return invite.EventDelivered, nil
	case webhook.Failed:
		return invite.EventFailed, res.Err
	}
	return invite.EventQueued, res.Err
}

// eventUser is the user as events carry them.
type eventUser struct {
	ID        int64  `json:"id"`
	Email     string `json:"email,omitempty"`
	CreatedAt string `json:"created_at,omitempty"`
	DeletedAt string `json:"deleted_at,omitempty"`
}

// eventRef names an invitation that events no longer describe: purged, or
// erased with its user.
type eventRef struct {
	ID       int64  `json:"id"`
	Status   string `json:"status,omitempty"`
	PurgedAt string `json:"purged_at,omitempty"`
}

// eventData is an event's data: the invitation as `show -o json` prints it
// (the personal number masked unless reveal) and the user, as they are now;
// after an erasure, their IDs and dates only.
func eventData(e invite.ClaimedEvent, now time.Time, reveal bool) map[string]any {
	data := map[string]any{}
	switch {
	case e.Type == webhook.InvitationPurged:
		data["invitation"] = eventRef{ID: e.InvitationID, Status: string(invite.StatusPurged), PurgedAt: rfc3339(e.CreatedAt)}
	case e.Type == webhook.UserDeleted:
		data["user"] = eventUser{ID: e.UserID, DeletedAt: rfc3339(e.CreatedAt)}
		if e.InvitationID != 0 {
			data["invitation"] = eventRef{ID: e.InvitationID}
		}
		return data
	case e.Invitation != nil && e.Invitation.State == invite.StatePurged:
		data["invitation"] = eventRef{ID: e.InvitationID, Status: string(invite.StatusPurged)}
	case e.Invitation != nil && e.Type != webhook.UserPasswordReset:
		data["invitation"] = toJSON(*e.Invitation, now, reveal)
	case e.InvitationID != 0 && e.Type != webhook.UserPasswordReset:
		data["invitation"] = eventRef{ID: e.InvitationID}
	}
	switch {
	case e.User != nil:
		data["user"] = eventUser{ID: e.User.ID, Email: e.User.Email, CreatedAt: rfc3339(e.User.CreatedAt)}
	case e.UserID != 0:
		data["user"] = eventUser{ID: e.UserID} // deleted since
	}
	return data
}

// WebhookStatusOptions are the inputs of `webhook status`.
type WebhookStatusOptions struct {
	common
	Service func(context.Context) (*invite.Service, error)
}

// NewCmdWebhookStatus builds `webhook status`; runF replaces webhookStatusRun in tests.
func NewCmdWebhookStatus(f *Factory, runF func(*WebhookStatusOptions) error) *cobra.Command {
	opts := &WebhookStatusOptions{Service: f.storeService}
	return &cobra.Command{
		Use:   "status",
		Short: "Count the webhook events per state and list the failed ones",
		Long: `Count the webhook events per state (queued, delivered, failed), name the
oldest one still waiting, and list the failed ones with their type, ID and
the receiver's last answer. Queued events are sent by invitectl deliver (or
serve-accept --deliver).`,
		Example: `  invitectl webhook status
  invitectl webhook status -o json`,
		Args:        exactArgs(0, "no arguments"),
		Annotations: map[string]string{annotationReadOnly: "true"},
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.common = f.common(cmd)
			if runF != nil {
				return runF(opts)
			}
			return webhookStatusRun(cmd.Context(), opts)
		},
	}
}

// eventJSON is an event as `webhook status -o json` prints it.
type eventJSON struct {
	ID           string  `json:"id"`
	Type         string  `json:"type"`
	InvitationID *int64  `json:"invitation_id"`
	UserID       *int64  `json:"user_id"`
	QueuedAt     string  `json:"queued_at"`
	Attempts     int     `json:"attempts"`
	LastError    *string `json:"last_error"`
}

func toEventJSON(e invite.Event) eventJSON {
	return eventJSON{ID: e.WebhookID, Type: e.Type, InvitationID: optional(e.InvitationID), UserID: optional(e.UserID),
		QueuedAt: rfc3339(e.CreatedAt), Attempts: e.Attempts, LastError: optional(termSafe(e.LastError))}
}

func webhookStatusRun(ctx context.Context, opts *WebhookStatusOptions) error {
	svc, err := opts.Service(ctx)
	if err != nil {
		return err
	}
	status, err := svc.EventStatus(ctx)
	if err != nil {
		return err
	}
	if opts.Output == "json" {
		out := struct {
			Queued    int         `json:"queued"`
			Delivered int         `json:"delivered"`
			Failed    int         `json:"failed"`
			Oldest    *eventJSON  `json:"oldest_queued"`
			Failures  []eventJSON `json:"failed_events"`
		}{Queued: status.Queued, Delivered: status.Delivered, Failed: status.Failed, Failures: []eventJSON{}}
		if status.OldestQueued.ID != 0 {
			e := toEventJSON(status.OldestQueued)
			out.Oldest = &e
		}
		for _, e := range status.FailedEvents {
			out.Failures = append(out.Failures, toEventJSON(e))
		}
		return writeJSON(opts.IO.Out, out)
	}
	sty := opts.style()
	w := opts.IO.Out
	fmt.Fprintf(w, "Webhook events: %d queued, %d delivered, %d failed.\n", status.Queued, status.Delivered, status.Failed)
	if e := status.OldestQueued; e.ID != 0 {
		fmt.Fprintf(w, "Oldest waiting: %s %s, queued %s, %d %s", e.Type, e.WebhookID, sty.time(e.CreatedAt), e.Attempts, plural(e.Attempts, "attempt", "attempts"))
		if e.LastError != "" {
			fmt.Fprintf(w, "; last error: %s", termSafe(e.LastError))
		}
		fmt.Fprintln(w, ". Run invitectl deliver to send it.")
	}
	if len(status.FailedEvents) == 0 {
		return nil
	}
	t := sty.newTable(w)
	t.AppendHeader(table.Row{"Type", "ID", "Invitation", "User", "Queued", "Last error"})
	for _, e := range status.FailedEvents {
		t.AppendRow(table.Row{e.Type, e.WebhookID, idOrDash(e.InvitationID), idOrDash(e.UserID), sty.time(e.CreatedAt), termSafe(e.LastError)})
	}
	t.Render()
	return nil
}

func idOrDash(id int64) string {
	if id == 0 {
		return invite.Dash
	}
	return fmt.Sprint(id)
}
