package cli

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/invitectl/invitectl/internal/invite"
)

// streamStore streams n copies of the fake store's invitation, IDs 1…n.
type streamStore struct {
	*fakeStore
	n int
}

func (s *streamStore) StreamInvitations(_ context.Context, _ invite.ListQuery, fn func(invite.Invitation) error) error {
	inv := s.invitations[1]
	for i := range s.n {
		inv.ID = int64(i + 1)
		if err := fn(inv); err != nil {
			return err
		}
	}
	return nil
}

func streamOpts(f *Factory, output string) *ListOptions {
	return &ListOptions{common: common{IO: f.IO, Now: f.Now, Output: output}, Service: f.Service,
		Sort: invite.DefaultSort, Status: invite.FilterOpen, All: true}
}

// The streamed JSON is byte for byte what writeJSON writes for the whole
// document, with no rows as with many.
func TestListAllJSONMatchesWriteJSON(t *testing.T) {
	for _, n := range []int{0, 1, 3} {
		st := &streamStore{fakeStore: newFakeStore(), n: n}
		f, out, _ := testFactory(t, st)
		if err := listRun(context.Background(), streamOpts(f, "json")); err != nil {
			t.Fatal(err)
		}
		items := []invitationJSON{}
		_ = st.StreamInvitations(context.Background(), invite.ListQuery{}, func(inv invite.Invitation) error {
			items = append(items, toJSON(inv, cmdNow, false))
			return nil
		})
		var want bytes.Buffer
		if err := writeJSON(&want, struct {
			Invitations []invitationJSON `json:"invitations"`
			Total       int              `json:"total"`
		}{items, n}); err != nil {
			t.Fatal(err)
		}
		if out.String() != want.String() {
			t.Errorf("%d rows:\n got %s\nwant %s", n, out, want.String())
		}
		if n > 0 && !strings.Contains(out.String(), `"personal_number": "19811218-****"`) {
			t.Errorf("not masked: %s", out)
		}
	}
}

// A terminal table comes in blocks of 1000 rows, each with its header; piped
// columns have one header; both end with the count.
func TestListAllTableInBlocks(t *testing.T) {
	st := &streamStore{fakeStore: newFakeStore(), n: 2500}
	f, out, _ := testFactory(t, st)
	opts := streamOpts(f, "table")
	if err := listRun(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(out.String(), "Customer account"); got != 1 {
		t.Errorf("piped: %d headers, want 1", got)
	}
	if !strings.HasSuffix(out.String(), "Showing 1–2500 of 2500 results\n") || strings.Count(out.String(), "\n") != 2502 {
		t.Errorf("piped: %d lines, ending %q", strings.Count(out.String(), "\n"), out.String()[max(0, out.Len()-80):])
	}
	out.Reset()
	f.IO.OutTTY = true
	opts.common = common{IO: f.IO, Now: f.Now, Output: "table", Location: f.env.Location}
	if err := listRun(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(out.String(), "╭"); got != 3 {
		t.Errorf("terminal: %d tables, want 3", got)
	}
	if !strings.Contains(out.String(), fmt.Sprintf("Showing 1–%d of %d results", 2500, 2500)) {
		t.Errorf("terminal: no count")
	}
}
