package store_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/seed"
	"github.com/invitectl/invitectl/internal/store"
	"github.com/invitectl/invitectl/internal/webhook"
)

// BenchmarkImportEvents measures an import of 10,000 invitations with and
// without a webhook event queued for each (one more bulk insert in the same
// transaction).
//
//	go test -run '^$' -bench 'BenchmarkImportEvents' -benchtime 5x ./internal/store/
func BenchmarkImportEvents(b *testing.B) {
	for _, events := range []bool{false, true} {
		name := "without-events"
		if events {
			name = "with-events"
		}
		b.Run(name, func(b *testing.B) {
			forBenchEngines(b, func(b *testing.B, s *store.Store) {
				if events {
					s.SetWebhookEvents(webhook.Types)
				}
				ctx := context.Background()
				customers, err := seed.EnsureCustomers(ctx, s, seed.Customers(50, 1), "bench", benchNow)
				if err != nil {
					b.Fatal(err)
				}
				gen := seed.NewGenerator(5, customers, benchNow, invite.DefaultTTL, 0)
				ev := invite.AuditEvent{At: benchNow, Actor: "bench", Action: invite.ActionImport, Detail: "bench"}
				rows := 0
				for b.Loop() {
					b.StopTimer()
					invs := gen.Batch(10_000)
					b.StartTimer()
					res, err := s.ImportInvitations(ctx, invite.ImportWrite{Event: func(int) invite.AuditEvent { return ev }},
						func(write func([]invite.Invitation) (invite.ImportWritten, error)) error {
							_, err := write(invs)
							return err
						})
					if err != nil || len(res.Conflicts) > 0 {
						b.Fatalf("import: %d conflicts, %v", len(res.Conflicts), err)
					}
					rows += len(invs)
				}
				b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
			})
		})
	}
}

// BenchmarkDeliverEvents measures DeliverEvents of 2,000 queued events,
// each signed and POSTed to a receiver on loopback that answers 204 at
// once: claims, requests and records, one after another.
//
//	go test -run '^$' -bench 'BenchmarkDeliverEvents' -benchtime 5x ./internal/store/
func BenchmarkDeliverEvents(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	defer srv.Close()
	sender, err := webhook.NewSender(srv.URL, webhook.NewSecret(), nil)
	if err != nil {
		b.Fatal(err)
	}
	forBenchEngines(b, func(b *testing.B, s *store.Store) {
		s.SetWebhookEvents(webhook.Types)
		ctx := context.Background()
		customers, err := seed.EnsureCustomers(ctx, s, seed.Customers(50, 1), "bench", benchNow)
		if err != nil {
			b.Fatal(err)
		}
		gen := seed.NewGenerator(7, customers, benchNow, invite.DefaultTTL, 0)
		svc := &invite.Service{Store: s, Now: func() time.Time { return benchNow }}
		send := bodySender{sender}
		events := 0
		for b.Loop() {
			b.StopTimer()
			ev := invite.AuditEvent{At: benchNow, Actor: "bench", Action: invite.ActionImport}
			invs := gen.Batch(2000)
			if _, err := s.ImportInvitations(ctx, invite.ImportWrite{Event: func(int) invite.AuditEvent { return ev }},
				func(write func([]invite.Invitation) (invite.ImportWritten, error)) error {
					_, err := write(invs)
					return err
				}); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			sum, err := svc.DeliverEvents(ctx, send, invite.EventRequest{})
			if err != nil || sum.Delivered != 2000 {
				b.Fatalf("DeliverEvents: %+v, %v", sum, err)
			}
			events += sum.Delivered
		}
		b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
	})
}

// bodySender sends an event with a body of its type and IDs (the CLI's
// adds the invitation as show prints it).
type bodySender struct{ s *webhook.Sender }

func (b bodySender) SendEvent(ctx context.Context, e invite.ClaimedEvent) (invite.EventState, error) {
	body, err := webhook.Body(e.Type, e.CreatedAt, map[string]any{"invitation": map[string]any{"id": e.InvitationID, "email": e.Invitation.Email}})
	if err != nil {
		return invite.EventFailed, err
	}
	if r := b.s.Send(ctx, e.WebhookID, body); r.Outcome != webhook.Delivered {
		return invite.EventQueued, r.Err
	}
	return invite.EventDelivered, nil
}
