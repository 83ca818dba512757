package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/suggest"
)

// Exit codes, as CONTRACT.md lists them.
const (
	ExitOK        = 0
	ExitFailure   = 1 // unexpected: I/O, database
	ExitInvalid   = 2 // invalid usage or input
	ExitNotFound  = 3
	ExitConflict  = 4 // already resolved, duplicate, edited concurrently
	ExitDelivery  = 5 // email not delivered
	ExitCancelled = 6 // confirmation declined or impossible
)

// ExitCode maps an error to the process exit code.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if errors.Is(err, context.Canceled) {
		return ExitCancelled
	}
	switch invite.ErrorCode(err) {
	case invite.EINVALID:
		return ExitInvalid
	case invite.ENOTFOUND:
		return ExitNotFound
	case invite.ECONFLICT:
		return ExitConflict
	case invite.EDELIVERY:
		return ExitDelivery
	case invite.ECANCELLED:
		return ExitCancelled
	}
	return ExitFailure
}

// hints say what to do next about a domain error, in the words of this
// command line; the domain names no command or flag. The first entry whose
// sentinel matches (errors.Is) gives the hint.
var hints = []struct {
	kind *invite.Error
	hint func(a invite.About) string
}{
	{invite.ErrCustomerExists, func(invite.About) string { return "see `invitectl customers list`" }},
	{invite.ErrCustomerUnknown, func(a invite.About) string {
		return fmt.Sprintf("see `invitectl customers list`, or add it with `invitectl customers add %q`", a.Name)
	}},
	{invite.ErrInvitationUnknown, func(a invite.About) string {
		if strings.Contains(a.Name, "@") {
			return fmt.Sprintf("see `invitectl list --status all --search %s`", a.Name)
		}
		return "see `invitectl list --status all`"
	}},
	{invite.ErrOtherCustomer, func(a invite.About) string {
		return fmt.Sprintf("it belongs to %q; drop --customer, or check the ID", a.Owner)
	}},
	{invite.ErrBadRef, func(invite.About) string {
		return "pass the numeric ID from `invitectl list`, or the invitee's email"
	}},
	{invite.ErrAmbiguousRef, func(a invite.About) string {
		return fmt.Sprintf("use the invitation's ID (see `invitectl list --search %s --status all`), or add --customer NAME", a.Name)
	}},
	{invite.ErrEmailTaken, func(a invite.About) string {
		if a.Name == "" {
			return "see `invitectl list --status all --search EMAIL`; resend the open invitation instead, or revoke it first"
		}
		return fmt.Sprintf("see `invitectl list --search %s --status all`; resend the open invitation instead, or revoke it first", a.Name)
	}},
	{invite.ErrEditedMeanwhile, func(a invite.About) string {
		if a.ID == 0 {
			return "look at it again and repeat the change"
		}
		return fmt.Sprintf("invitation %d is now at version %d; look at it again with `invitectl show %d`", a.ID, a.Version, a.ID)
	}},
	{invite.ErrAlreadyResolved, func(a invite.About) string {
		return fmt.Sprintf("nothing was changed; `invitectl show %d` shows it", a.ID)
	}},
	{invite.ErrNoMailer, func(invite.About) string { return "set mail.transport (see `invitectl config show`)" }},
	{invite.ErrNotDelivered, func(a invite.About) string {
		return "the email stays in the outbox; check the mail settings (`invitectl config show`), then run `invitectl deliver`"
	}},
	{invite.ErrNotSent, func(a invite.About) string {
		return "the email stays in the outbox; `invitectl deliver` sends it, or `invitectl show " + strconv.FormatInt(a.ID, 10) + "` shows where it stands"
	}},
	{invite.ErrBadSort, func(a invite.About) string {
		var fields []string
		for _, f := range invite.SortFields {
			fields = append(fields, string(f))
		}
		if s := closest(a.Name, fields); s != "" {
			return fmt.Sprintf("did you mean --sort %s? Sort by one of: %s, optionally with :asc or :desc", s, strings.Join(fields, ", "))
		}
		return fmt.Sprintf("sort by one of: %s, optionally with :asc or :desc (e.g. --sort last-name:desc)", strings.Join(fields, ", "))
	}},
	{invite.ErrBadSortDirection, func(a invite.About) string { return fmt.Sprintf("use :asc or :desc, e.g. --sort %s:desc", a.Name) }},
	{invite.ErrUserUnknown, func(a invite.About) string {
		return fmt.Sprintf("see `invitectl users list --search %s`", a.Name)
	}},
	{invite.ErrNotAnEmail, func(invite.About) string { return "pass the account's email, as `invitectl users list` shows it" }},
	{invite.ErrPageRange, func(a invite.About) string {
		return fmt.Sprintf("use --page %d or lower (%d results, %d per page)", a.LastPage, a.Total, a.PerPage)
	}},
}

// hintFor is the hint for err: its own, or the table's.
func hintFor(err error) string {
	if h := invite.ErrorHint(err); h != "" {
		return h
	}
	for _, h := range hints {
		if errors.Is(err, h.kind) {
			return h.hint(invite.ErrorAbout(err))
		}
	}
	return ""
}

// closest is the word of words nearest to typed (a typo's correction), or
// "" when none is near.
func closest(typed string, words []string) string { return suggest.Closest(typed, words) }

// exitError carries an exit code for errors that are already reported
// (batch commands print each failure as they go).
type exitError struct {
	code     int
	reported bool
	err      error
}

func (e *exitError) Error() string {
	if e.err != nil {
		return e.err.Error()
	}
	return fmt.Sprintf("exit %d", e.code)
}

func (e *exitError) Unwrap() error { return e.err }

// silentExit returns an error that only sets the exit code.
func silentExit(code int) error { return &exitError{code: code, reported: true} }

// usageError is invalid usage (exit 2) with a hint.
func usageError(hint, format string, args ...any) error {
	return invite.Errorf(invite.EINVALID, format, args...).WithHint("%s", hint)
}

// printError writes `invitectl: error: …` and any hint to w.
func printError(w io.Writer, err error) {
	var ee *exitError
	if errors.As(err, &ee) && ee.reported {
		return
	}
	var de *invite.Error
	if errors.As(err, &de) {
		if len(de.Fields) > 0 {
			msg := de.Message
			if msg == "" {
				msg = "invalid input"
			}
			fmt.Fprintf(w, "invitectl: error: %s:\n", termSafe(msg))
			for _, f := range de.Fields {
				fmt.Fprintf(w, "invitectl: error:   --%s %s%s\n", flagName(f.Field), termSafe(f.Message), termSafe(fieldSuggestion(f)))
			}
			hint := hintFor(err)
			if hint == "" {
				hint = "correct the values above and run the command again; nothing was saved"
			}
			fmt.Fprintf(w, "invitectl: hint: %s\n", termSafe(hint))
			return
		}
		msg := de.Message
		if de.Code == invite.EINTERNAL && de.Err != nil {
			msg += ": " + de.Err.Error()
		}
		fmt.Fprintf(w, "invitectl: error: %s\n", termSafe(msg))
		if hint := hintFor(err); hint != "" {
			fmt.Fprintf(w, "invitectl: hint: %s\n", termSafe(hint))
		}
		return
	}
	fmt.Fprintf(w, "invitectl: error: %s\n", termSafe(strings.TrimSpace(err.Error())))
}
