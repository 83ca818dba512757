package sqlite

import (
	"cmp"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/seed"
)

// BenchmarkUpdateInvitations measures the two changes `resend --expired`
// makes of every invitation, a fresh link and then the record of its
// sending, on a store of 10,000 invitations, by the number of changes per
// transaction. The invitations go in ID order, as resend takes them.
//
//	go test -run '^$' -bench UpdateInvitations ./internal/store/sqlite/
func BenchmarkUpdateInvitations(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(b.TempDir(), "update.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	customers, err := seed.EnsureCustomers(ctx, s, seed.Customers(20, 1), "bench", benchNow)
	if err != nil {
		b.Fatal(err)
	}
	if err := s.InsertInvitations(ctx, seed.NewGenerator(1, customers, benchNow, invite.DefaultTTL, 0).Batch(10_000)); err != nil {
		b.Fatal(err)
	}
	var invs []invite.Invitation
	q := invite.ListQuery{Status: invite.FilterOpen, Sort: invite.Sort{Field: invite.SortSentOn}, Page: 1, PerPage: invite.MaxPerPage, Now: benchNow}
	for ; ; q.Page++ {
		p, err := s.ListInvitations(ctx, q)
		if err != nil {
			b.Fatal(err)
		}
		invs = append(invs, p.Invitations...)
		if len(p.Invitations) < q.PerPage {
			break
		}
	}
	slices.SortFunc(invs, func(a, b invite.Invitation) int { return cmp.Compare(a.ID, b.ID) })
	changes := []func(inv *invite.Invitation, now time.Time){
		func(inv *invite.Invitation, now time.Time) {
			inv.LinkGeneration++
			inv.ExpiresAt = now.Add(invite.DefaultTTL)
		},
		func(inv *invite.Invitation, now time.Time) { inv.LastSentAt = now; inv.SendCount++ },
	}
	for _, chunk := range []int{50, 200, 1000} {
		b.Run(fmt.Sprintf("chunk=%d", chunk), func(b *testing.B) {
			done, now := 0, benchNow
			for b.Loop() {
				now = now.Add(time.Hour)
				for start := 0; start < len(invs); start += chunk {
					part := invs[start:min(start+chunk, len(invs))]
					for _, change := range changes {
						batch := make([]invite.InvitationChange, len(part))
						for i, inv := range part {
							change(&inv, now)
							batch[i] = invite.InvitationChange{Invitation: inv, Event: invite.AuditEvent{
								At: now, Actor: "bench", Action: invite.ActionResend, InvitationID: inv.ID, Detail: "bench"}}
						}
						out, errs, err := s.UpdateInvitations(ctx, batch)
						if err != nil {
							b.Fatal(err)
						}
						for i := range part {
							if errs[i] != nil {
								b.Fatal(errs[i])
							}
							part[i] = out[i]
						}
						done += len(part)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(done), "µs/change")
		})
	}
}
