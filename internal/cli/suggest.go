package cli

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/suggest"
)

// Suggestions: a value typed where one of a few was expected, or a flag
// that does not exist, gets "did you mean …?" from one place, as commands,
// --sort and config keys do.

// Annotations of a flag that takes one of a few values: the values help
// and completion show, and other spellings it accepts too.
const (
	annotationValues = "invitectl/values"
	annotationAlso   = "invitectl/also"
)

// enumFlag makes flag name of cmd take one of values (or also, or an
// empty value): completion offers values, and any other value is refused
// before the command runs, with a suggestion (checkEnumFlags).
func enumFlag(cmd *cobra.Command, name string, values []string, also ...string) {
	fl := cmd.Flags().Lookup(name)
	if fl == nil {
		panic("enumFlag: no flag --" + name)
	}
	if fl.Annotations == nil {
		fl.Annotations = map[string][]string{}
	}
	fl.Annotations[annotationValues], fl.Annotations[annotationAlso] = values, also
	_ = cmd.RegisterFlagCompletionFunc(name, func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	})
}

// detailValues are the values of the invitee detail flags that take one of
// a few. The domain checks them with the other details, so that one run
// names every broken rule; printError adds the suggestion to the rule.
// They are keyed by the domain's field name.
var detailValues = func() map[string][]string {
	m := map[string][]string{"language": {invite.Swedish, invite.English}}
	for _, f := range invite.Fields {
		switch {
		case f.Tristate():
			m[f.Name] = []string{"yes", "no", "unset"}
		case f.Choices != nil:
			m[f.Name] = append(slices.Clone(f.Choices), "unset")
		}
	}
	return m
}()

// gotValue finds the value a rule quotes: `must be … (got "femal")`.
var gotValue = regexp.MustCompile(`\(got ("(?:[^"\\]|\\.)*")\)$`)

// fieldSuggestion is "; did you mean --gender female?" for a broken rule
// of a detail flag whose value is near one of its values, else "".
func fieldSuggestion(f invite.FieldError) string {
	values := detailValues[f.Field]
	m := gotValue.FindStringSubmatch(f.Message)
	if values == nil || m == nil {
		return ""
	}
	typed, err := strconv.Unquote(m[1])
	if err != nil {
		return ""
	}
	if s := closest(typed, values); s != "" {
		return fmt.Sprintf("; did you mean --%s %s?", flagName(f.Field), s)
	}
	return ""
}

// checkEnumFlags refuses a value of an enumFlag that is not one of its
// values (exit 2), suggesting the closest.
func checkEnumFlags(cmd *cobra.Command) error {
	var err error
	cmd.Flags().Visit(func(fl *pflag.Flag) {
		values := fl.Annotations[annotationValues]
		v := strings.ToLower(strings.TrimSpace(fl.Value.String()))
		if err != nil || values == nil || v == "" || slices.Contains(values, v) || slices.Contains(fl.Annotations[annotationAlso], v) {
			return
		}
		err = usageError(suggestion("--"+fl.Name, fl.Value.String(), values), "invalid --%s %q", fl.Name, fl.Value.String())
	})
	return err
}

// suggestion is the hint for typed given to flag where one of choices was
// expected: the closest choice when one is near, and all of them.
func suggestion(flag, typed string, choices []string) string {
	all := strings.Join(choices, ", ")
	if s := closest(typed, choices); s != "" {
		return fmt.Sprintf("did you mean %s %s? Use one of: %s", flag, s, all)
	}
	return "use one of: " + all
}

// unknownFlag matches pflag's error for a flag that does not exist.
var unknownFlag = regexp.MustCompile(`^unknown flag: --([^\s=]+)`)

// flagHint is the hint for a flag error of cmd: the closest flag to an
// unknown one, and where the flags are listed.
func flagHint(cmd *cobra.Command, err error) string {
	help := fmt.Sprintf("see `%s --help`", cmd.CommandPath())
	m := unknownFlag.FindStringSubmatch(err.Error())
	if m == nil {
		return help
	}
	var names []string
	cmd.Flags().VisitAll(func(fl *pflag.Flag) {
		if !fl.Hidden {
			names = append(names, fl.Name)
		}
	})
	if s := closest(m[1], names); s != "" {
		return fmt.Sprintf("did you mean --%s? %s", s, help)
	}
	return help
}

// nearCustomers adds to an unknown customer's error the existing customers
// whose names are close to the one given ("Acme" → "Acme AB"), before the
// hint to add it; it needs the store the command opened.
func (f *Factory) nearCustomers(ctx context.Context, err error) error {
	var de *invite.Error
	if !errors.Is(err, invite.ErrCustomerUnknown) || !errors.As(err, &de) || f.store == nil {
		return err
	}
	typed := invite.ErrorAbout(err).Name
	cs, lerr := f.store.ListCustomers(ctx)
	if lerr != nil || typed == "" {
		return err
	}
	var near []string
	t := strings.ToLower(strings.TrimSpace(typed))
	for _, c := range cs {
		n := strings.ToLower(c.Name)
		if len([]rune(t)) >= 3 && strings.Contains(n, t) || suggest.Distance(t, n) <= 2 {
			near = append(near, strconv.Quote(c.Name))
		}
	}
	if len(near) == 0 {
		return err
	}
	if len(near) > 3 {
		near = append(near[:3], "…")
	}
	return de.WithHint("did you mean %s? (see `invitectl customers list`); to add a new customer: `invitectl customers add %q`", strings.Join(near, " or "), typed)
}
