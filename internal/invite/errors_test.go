package invite

import (
	"errors"
	"fmt"
	"testing"
)

func TestSentinelsMatchByIdentity(t *testing.T) {
	resolved := resolvedError(Invitation{ID: 4, Email: "d@example.com", State: StateRevoked}, "resent")
	for _, tc := range []struct {
		name   string
		err    error
		target error
		want   bool
	}{
		{"the sentinel itself", ErrAlreadyResolved, ErrAlreadyResolved, true},
		{"what Resend returns for a revoked invitation", resolved, ErrAlreadyResolved, true},
		{"wrapped", fmt.Errorf("batch: %w", resolved), ErrAlreadyResolved, true},
		{"with a hint", ErrEditedMeanwhile.WithHint("show it"), ErrEditedMeanwhile, true},
		{"a hint on an explained variant", ErrLinkUsed.Explain("used at noon").WithHint("sign in"), ErrLinkUsed, true},
		{"same code and message, another value", Errorf(ECONFLICT, "%s", ErrAlreadyResolved.Message), ErrAlreadyResolved, false},
		{"another sentinel of the same code", ErrEditedMeanwhile, ErrAlreadyResolved, false},
		{"a variant of another sentinel", resolved, ErrEditedMeanwhile, false},
		{"a plain error", errors.New("x"), ErrAlreadyResolved, false},
	} {
		if got := errors.Is(tc.err, tc.target); got != tc.want {
			t.Errorf("%s: errors.Is = %v, want %v", tc.name, got, tc.want)
		}
	}
	if ErrorCode(resolved) != ECONFLICT || ErrorAbout(resolved).ID != 4 {
		t.Errorf("resolved error lost its code or what it is about: %v %+v", ErrorCode(resolved), ErrorAbout(resolved))
	}
}
