package invite

import (
	"context"
	"testing"
	"time"
)

// listStore records the queries the Service gives the store.
type listStore struct {
	Store
	got   []ListQuery
	total int
}

func (s *listStore) ListInvitations(_ context.Context, q ListQuery) (InvitationPage, error) {
	s.got = append(s.got, q)
	return InvitationPage{Total: s.total}, nil
}

func (s *listStore) StreamInvitations(_ context.Context, q ListQuery, _ func(Invitation) error) error {
	s.got = append(s.got, q)
	return nil
}

// The Service fills a list query's defaults and validates it, for a page,
// a stream and a count alike; the store gets only complete queries.
func TestListQueriesAreCompletedAndValidated(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	st := &listStore{total: 45}
	svc := &Service{Store: st, Now: func() time.Time { return now }}
	ctx := context.Background()
	want := ListQuery{Status: FilterOpen, Sort: DefaultSort, Page: 1, PerPage: DefaultPerPage, Now: now}
	if _, err := svc.List(ctx, ListQuery{}); err != nil {
		t.Fatal(err)
	}
	if err := svc.StreamInvitations(ctx, ListQuery{PerPage: 5000}, func(Invitation) error { return nil }); err != nil {
		t.Fatal(err) // a stream has no pages
	}
	n, err := svc.CountInvitations(ctx, ListQuery{Status: FilterAll})
	if err != nil || n != 45 {
		t.Fatalf("CountInvitations = %d, %v; want 45", n, err)
	}
	counted := want
	counted.Status, counted.PerPage = FilterAll, 1
	streamed := want
	streamed.PerPage = 1
	for i, w := range []ListQuery{want, streamed, counted} {
		if i >= len(st.got) || st.got[i] != w {
			t.Fatalf("the store was asked %+v, want %+v at %d", st.got, w, i)
		}
	}
	for _, q := range []ListQuery{{Page: -1}, {PerPage: MaxPerPage + 1}} {
		st.got = nil
		if _, err := svc.List(ctx, q); ErrorCode(err) != EINVALID || len(st.got) != 0 {
			t.Errorf("List(%+v) = %v after %d store reads, want EINVALID before any", q, err, len(st.got))
		}
	}
	if _, err := svc.List(ctx, ListQuery{Page: 4, PerPage: 15}); err == nil || ErrorCode(err) != EINVALID {
		t.Errorf("a page past the end: %v, want EINVALID naming the last page", err)
	}
}
