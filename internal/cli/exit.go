package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/invitectl/invitectl/internal/invite"
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
				fmt.Fprintf(w, "invitectl: error:   --%s %s\n", f.Field, termSafe(f.Message))
			}
			hint := de.Hint
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
		if de.Hint != "" {
			fmt.Fprintf(w, "invitectl: hint: %s\n", termSafe(de.Hint))
		}
		return
	}
	fmt.Fprintf(w, "invitectl: error: %s\n", termSafe(strings.TrimSpace(err.Error())))
}
