package invite_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/invitectl/invitectl/internal/invite"
)

// updateRows are the rows of an update import: a by ID changes its phone,
// b by email its last name, c by email its phone, d by ID nothing.
func updateRows(a, b, c, d invite.Invitation) []invite.ImportRecord {
	row := func(line int, id, email string, p invite.Patch) invite.ImportRecord {
		r := invite.ImportRecord{Line: line, ID: id}
		r.Email, r.Details = email, p
		return r
	}
	phone, last := "070-123 45 67", "Lind"
	return []invite.ImportRecord{
		row(2, fmt.Sprint(a.ID), "", invite.Patch{Phone: &phone}),
		row(3, "", b.Email, invite.Patch{LastName: &last}),
		row(4, "", c.Email, invite.Patch{Phone: &phone}),
		row(5, fmt.Sprint(d.ID), d.Email, invite.Patch{FirstName: &d.FirstName}),
	}
}

// twice is the source of recs, calling between at the end of its first
// pass (the second runs inside the write transaction, which other writers
// of a SQLite store wait for).
func twice(recs []invite.ImportRecord, between func()) (invite.ImportSource, *int) {
	passes := 0
	return func(fn func(invite.ImportRecord) error) error {
		passes++
		err := invite.Records(recs)(fn)
		if passes == 1 && between != nil {
			between()
		}
		return err
	}, &passes
}

// An update import writes in its second pass what its first checked; an
// invitation changed by someone else between the passes is a conflict on
// its line, and nothing of the import is written.
func TestImportUpdateConflictBetweenPasses(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	a, b, c, d := f.invite(t, "a@example.com"), f.invite(t, "b@example.com"), f.invite(t, "c@example.com"), f.invite(t, "d@example.com")
	recs := updateRows(a, b, c, d)
	edits := func() int {
		n := 0
		for _, id := range []int64{a.ID, b.ID, c.ID, d.ID} {
			evs, err := f.store.ListAudit(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			for _, ev := range evs {
				if ev.Action == invite.ActionEdit {
					n++
				}
			}
		}
		return n
	}

	src, passes := twice(recs, nil)
	res, err := f.svc.ImportUpdate(ctx, src, invite.ImportOptions{Actor: "admin", DryRun: true})
	if err != nil || fmt.Sprint(res.Updated) != fmt.Sprint([]int64{a.ID, b.ID, c.ID}) || res.Unchanged != 1 || *passes != 1 || edits() != 0 {
		t.Fatalf("dry run: %+v, %v after %d passes, %d edits; want 3 to change, 1 unchanged, one pass, nothing written", res, err, *passes, edits())
	}

	gender := "female"
	src, _ = twice(recs, func() {
		if _, _, err := f.svc.Edit(ctx, "other", a.ID, invite.Patch{Gender: &gender}, nil, 0); err != nil {
			t.Fatal(err)
		}
		first := "Bea"
		if _, _, err := f.svc.Edit(ctx, "other", b.ID, invite.Patch{FirstName: &first}, nil, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Revoke(ctx, "other", c); err != nil {
			t.Fatal(err)
		}
	})
	_, err = f.svc.ImportUpdate(ctx, src, invite.ImportOptions{Actor: "admin"})
	var ie *invite.ImportError
	if !errors.As(err, &ie) || ie.Code != invite.ECONFLICT {
		t.Fatalf("ImportUpdate = %v, want a conflict", err)
	}
	want := []string{
		fmt.Sprintf("line 2: invitation %d: %v", a.ID, invite.ErrEditedMeanwhile),
		fmt.Sprintf("line 3: invitation %d: %v", b.ID, invite.ErrEditedMeanwhile),
		fmt.Sprintf("line 4: invitation %d (c@example.com) is already revoked", c.ID),
	}
	var got []string
	for _, p := range ie.Problems {
		got = append(got, p.String())
	}
	if len(got) != len(want) {
		t.Fatalf("problems:\n%s", strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("problem %d: %q, want %q…", i, got[i], want[i])
		}
	}
	if edits() != 2 { // the two edits between the passes, none of the import's
		t.Errorf("%d edit events, want 2", edits())
	}
	for _, inv := range []invite.Invitation{a, b} {
		got, err := f.store.Invitation(ctx, inv.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Version != inv.Version+1 || got.Phone != "" || got.LastName != "Ek" {
			t.Errorf("invitation %d after a refused import: version %d, phone %q, last name %s", inv.ID, got.Version, got.Phone, got.LastName)
		}
	}

	// Without a change in between, the same rows are written.
	a, _ = f.store.Invitation(ctx, a.ID)
	b, _ = f.store.Invitation(ctx, b.ID)
	recs = append(recs[:2], recs[3])
	src, passes = twice(recs, nil)
	res, err = f.svc.ImportUpdate(ctx, src, invite.ImportOptions{Actor: "admin"})
	if err != nil || fmt.Sprint(res.Updated) != fmt.Sprint([]int64{a.ID, b.ID}) || res.Unchanged != 1 || *passes != 2 {
		t.Fatalf("ImportUpdate = %+v, %v after %d passes; want a and b updated", res, err, *passes)
	}
	if got, _ := f.store.Invitation(ctx, a.ID); got.Version != a.Version+1 || got.Phone != "+46701234567" || got.Gender != invite.Gender(gender) {
		t.Errorf("invitation a: %+v", got)
	}
	if edits() != 4 {
		t.Errorf("%d edit events, want 4", edits())
	}
}
