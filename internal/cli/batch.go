package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/invitectl/invitectl/internal/invite"
)

// refResult is the outcome of one REF of a batch command (resend, revoke,
// users delete), in the one shape CONTRACT.md gives for -o json and -o csv.
type refResult struct {
	Ref     string  `json:"ref"`
	ID      *int64  `json:"id"` // nil when the REF names nothing
	Outcome string  `json:"outcome"`
	Error   *string `json:"error"`

	email string // for tables: the email the REF named, "" when none
	code  int    // the exit code this REF alone would give
}

// Outcomes of a REF (CONTRACT.md, "REF" under Commands).
const (
	outcomeResent          = "resent"
	outcomeRenewed         = "renewed"
	outcomeRevoked         = "revoked"
	outcomeDeleted         = "deleted"
	outcomeSentElsewhere   = "sent_elsewhere"
	outcomeAlreadyResolved = "already_resolved"
	outcomeNotFound        = "not_found"
	outcomeConflict        = "conflict"
	outcomeNotDelivered    = "not_delivered"
	outcomeWouldResend     = "would_resend"
	outcomeWouldRenew      = "would_renew"
	// Beyond the contract's list: a declined or impossible confirmation, an
	// email REF that needs --customer, and an unexpected failure.
	outcomeCancelled = "cancelled"
	outcomeInvalid   = "invalid"
	outcomeFailed    = "failed"
)

// doneOutcomes are the outcomes that count as done.
var doneOutcomes = map[string]bool{outcomeResent: true, outcomeRenewed: true, outcomeRevoked: true,
	outcomeDeleted: true, outcomeSentElsewhere: true, outcomeWouldResend: true, outcomeWouldRenew: true}

// doneRef is the result of a REF that was done (or would be, in a dry run).
func doneRef(ref string, id int64, email, outcome string) refResult {
	return refResult{Ref: ref, ID: &id, Outcome: outcome, email: email}
}

// failedRef is the result of a REF that failed with err; id is 0 when the
// REF names nothing.
func failedRef(ref string, id int64, email string, err error) refResult {
	return refResult{Ref: ref, ID: optional(id), Outcome: outcomeOf(err), Error: errorText(err), email: email, code: refExitCode(err)}
}

// refExitCode is the exit code of a failed REF: a REF that is neither an ID
// nor an email names nothing, so it is not found like an unknown ID.
func refExitCode(err error) int {
	if errors.Is(err, invite.ErrBadRef) {
		return ExitNotFound
	}
	return ExitCode(err)
}

// outcomeOf names what happened to a REF whose action failed with err.
func outcomeOf(err error) string {
	if errors.Is(err, invite.ErrAlreadyResolved) {
		return outcomeAlreadyResolved
	}
	switch refExitCode(err) {
	case ExitNotFound:
		return outcomeNotFound
	case ExitConflict:
		return outcomeConflict
	case ExitDelivery:
		return outcomeNotDelivered
	case ExitCancelled:
		return outcomeCancelled
	case ExitInvalid:
		return outcomeInvalid
	}
	return outcomeFailed
}

func errorText(err error) *string {
	var ee *exitError
	if errors.As(err, &ee) && ee.err == nil {
		s := "not confirmed"
		return &s
	}
	s := err.Error()
	return &s
}

// batchReport is the JSON of a batch: every REF in the order given, and how
// many were done and how many not (whatever the reason).
type batchReport struct {
	Results []refResult `json:"results"`
	Done    int         `json:"done"`
	Failed  int         `json:"failed"`
}

func newBatchReport(results []refResult) batchReport {
	r := batchReport{Results: nonNil(results)}
	for _, res := range results {
		if doneOutcomes[res.Outcome] {
			r.Done++
		}
	}
	r.Failed = len(results) - r.Done
	return r
}

// exit is the highest exit code of the REFs, as an error (nil when all were done).
func (r batchReport) exit() error {
	code := ExitOK
	for _, res := range r.Results {
		code = max(code, res.code)
	}
	if code == ExitOK {
		return nil
	}
	return silentExit(code)
}

// write prints the report as JSON or CSV; a table is the command's own.
func (r batchReport) write(w io.Writer, output string) error {
	switch output {
	case "json":
		return writeJSON(w, r)
	case "csv":
		rows := make([][]string, len(r.Results))
		for i, res := range r.Results {
			rows[i] = []string{res.Ref, cellText(res.ID), res.Outcome, cellText(res.Error)}
		}
		return writeCSV(w, []string{"ref", "id", "outcome", "error"}, rows)
	}
	return nil
}

// readRefs is args, or with the single argument "-" the lines of in: one REF
// a line, blank lines skipped.
func readRefs(args []string, in io.Reader) ([]string, error) {
	if !slices.Contains(args, "-") {
		return args, nil
	}
	if len(args) > 1 {
		return nil, usageError("pass REFs as arguments, or - alone to read them from stdin", "- cannot be mixed with other REFs")
	}
	var refs []string
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		if ref := strings.TrimSpace(sc.Text()); ref != "" {
			refs = append(refs, ref)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading REFs from stdin: %w", err)
	}
	if len(refs) == 0 {
		return nil, usageError("pipe one REF a line into it, e.g. `invitectl list --status expired --all --jq '.invitations[].id' | invitectl resend -`", "no REFs on stdin")
	}
	return refs, nil
}

// invitations is "1 invitation" or "N invitations".
func invitations(n int) string {
	return fmt.Sprintf("%d %s", n, plural(n, "invitation", "invitations"))
}
