package invite

// Erasing personal data: by age (Purge) and on request (DeleteUser).

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// StatePurged is an invitation whose personal data was erased. Only its ID,
// customer, former status (PurgeCounts) and dates are kept.
const StatePurged State = "purged"

// StatusPurged is how a purged invitation reads.
const StatusPurged Status = "purged"

// FilterPurged lists only the purged invitations; no other filter shows them.
const FilterPurged StatusFilter = "purged"

// Audit actions of erasures.
const (
	ActionPurge      = "purge"
	ActionUserDelete = "user.delete"
)

// Erased stands where an audit event named erased data (an email as actor).
const Erased = "[erased]"

// UserQuery selects a page of users, ordered by ID.
type UserQuery struct {
	CustomerID int64  // 0: any
	Search     string // terms matched as list matches them: first name, last name, email
	Page       int    // 1-based
	PerPage    int
}

// PurgeCounts are the numbers of invitations a purge erases, by the
// status they had.
type PurgeCounts struct {
	Accepted, Revoked, Expired int
}

// Total is the number of invitations of every status.
func (c PurgeCounts) Total() int { return c.Accepted + c.Revoked + c.Expired }

// PurgeResult is what a purge did. Checkpointed is false when the engine's
// log (SQLite's WAL) could not be emptied because another process is
// reading the database: the erased data may stay in it until that reader
// is done and the next write checkpoints.
type PurgeResult struct {
	Counts       PurgeCounts
	Checkpointed bool
	// Invitations are the invitations purged (or, in a dry run, that
	// would be), in ID order.
	Invitations []PurgeItem
}

// PurgeItem is one invitation of a purge: its former status (accepted,
// revoked or expired) and when it became that.
type PurgeItem struct {
	ID   int64
	From string
	At   time.Time
}

// Eraser erases personal data.
type Eraser interface {
	// FindUsers returns one page of the users q selects, ordered by ID,
	// and the number of all of them. EINVALID for bad paging values.
	FindUsers(ctx context.Context, q UserQuery) (UserPage, error)
	// UserByEmail finds a user by email, ignoring case. ENOTFOUND if none.
	UserByEmail(ctx context.Context, email string) (User, error)
	// DeleteUser deletes user id, their sessions, and erases the personal
	// data of the invitation they accepted (which becomes purged), with the
	// event ev, in one transaction. ENOTFOUND if the user does not exist.
	DeleteUser(ctx context.Context, id int64, ev AuditEvent) error
	// Purge erases the personal data of every invitation accepted, revoked
	// or expired before cutoff (purged at time at), the personal data in
	// their outbox rows and search index entries, and scrubs their audit
	// events of their emails, recording ev (its Detail gets the counts) in
	// the same transaction. With dryRun it only counts.
	Purge(ctx context.Context, cutoff, at time.Time, ev AuditEvent, dryRun bool) (PurgeResult, error)
}

// ListUsers returns one page of users; a page past the end is EINVALID
// naming the last page.
func (s *Service) ListUsers(ctx context.Context, q UserQuery) (UserPage, error) {
	if err := CheckPaging(q.Page, q.PerPage); err != nil {
		return UserPage{}, err
	}
	p, err := s.Store.FindUsers(ctx, q)
	if err != nil {
		return p, err
	}
	if err := pastEnd(q.Page, q.PerPage, p.Total); err != nil {
		return UserPage{}, err
	}
	return p, nil
}

// UserByEmail finds the account of an email. ErrUserUnknown if none.
func (s *Service) UserByEmail(ctx context.Context, email string) (User, error) {
	email = strings.TrimSpace(email)
	if !strings.Contains(email, "@") {
		return User{}, ErrNotAnEmail.Explain("%q is not an email address", email).With(About{Name: email})
	}
	u, err := s.Store.UserByEmail(ctx, email)
	if ErrorCode(err) == ENOTFOUND {
		return u, ErrUserUnknown.Explain("no account for %s", email).With(About{Name: email})
	}
	return u, err
}

// DeleteUser erases the account u: the user, their sessions and the
// personal data of the invitation they accepted. The audit event names the
// user and invitation by ID only.
func (s *Service) DeleteUser(ctx context.Context, actor string, u User) error {
	ev := AuditEvent{At: s.now(), Actor: actor, Action: ActionUserDelete, InvitationID: u.InvitationID,
		Detail: fmt.Sprintf("deleted user %d and erased their personal data", u.ID)}
	err := s.Store.DeleteUser(ctx, u.ID, ev)
	if ErrorCode(err) == ENOTFOUND {
		return ErrUserUnknown.Explain("no account for %s", u.Email).With(About{Name: u.Email})
	}
	return err
}

// Purge erases the personal data of the invitations resolved (accepted,
// revoked) or expired longer ago than olderThan. With dryRun it only
// counts them.
func (s *Service) Purge(ctx context.Context, actor string, olderThan time.Duration, dryRun bool) (PurgeResult, error) {
	if olderThan <= 0 {
		return PurgeResult{}, Errorf(EINVALID, "invalid age %s: it must be positive", olderThan)
	}
	now := s.now()
	ev := AuditEvent{At: now, Actor: actor, Action: ActionPurge}
	return s.Store.Purge(ctx, now.Add(-olderThan), now, ev, dryRun)
}

// PurgeDetail is the audit detail of a purge: the counts, nothing else.
func PurgeDetail(c PurgeCounts) string {
	return fmt.Sprintf("purged %s (%d accepted, %d revoked, %d expired)", invitations(c.Total()), c.Accepted, c.Revoked, c.Expired)
}

// invitations is "1 invitation", "2 invitations".
func invitations(n int) string {
	if n == 1 {
		return "1 invitation"
	}
	return fmt.Sprintf("%d invitations", n)
}
