package cli

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Every example in the help parses as written: its flags exist, take the
// values shown, and its arguments pass the command's checks. (An unquoted
// `--phone 070-123 45 67` turns 45 and 67 into arguments and fails.)
func TestExamplesParse(t *testing.T) {
	root := NewRootCmd(newFactory(Env{}))
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		for _, line := range exampleCommands(c.Example) {
			words, err := shellWords(line)
			if err != nil {
				t.Errorf("%s: example %q: %v", c.CommandPath(), line, err)
				continue
			}
			cmd, rest, err := root.Find(words[1:])
			if err != nil {
				t.Errorf("%s: example %q: %v", c.CommandPath(), line, err)
				continue
			}
			cmd.InitDefaultHelpFlag()
			if err := cmd.ParseFlags(rest); err != nil {
				t.Errorf("%s: example %q: flags: %v", c.CommandPath(), line, err)
				continue
			}
			if err := cmd.ValidateArgs(cmd.Flags().Args()); err != nil {
				t.Errorf("%s: example %q: arguments: %v", c.CommandPath(), line, err)
			}
			cmd.Flags().VisitAll(func(f *pflag.Flag) { _ = f.Value.Set(f.DefValue); f.Changed = false })
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// exampleCommands returns the invitectl command lines of an Example block,
// with continuations joined, comments dropped and && / | / ; chains split.
func exampleCommands(example string) []string {
	joined := strings.ReplaceAll(example, "\\\n", " ")
	var out []string
	for _, line := range strings.Split(joined, "\n") {
		if i := strings.Index(line, " #"); i >= 0 && strings.Count(line[:i], `"`)%2 == 0 && strings.Count(line[:i], "'")%2 == 0 {
			line = line[:i]
		}
		for _, part := range strings.FieldsFunc(line, func(r rune) bool { return r == '&' || r == '|' || r == ';' || r == '>' || r == '<' }) {
			part = strings.TrimSpace(part)
			if strings.HasPrefix(part, "invitectl ") && !strings.Contains(part, "$(") {
				out = append(out, part)
			}
		}
	}
	return out
}

// shellWords splits a command line as a POSIX shell would, for the quoting
// examples use: single and double quotes and backslash escapes.
func shellWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, errUnterminated
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			j := strings.IndexByte(s[i+1:], '"')
			if j < 0 {
				return nil, errUnterminated
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '\\' && i+1 < len(s):
			cur.WriteByte(s[i+1])
			i++
			inWord = true
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

var errUnterminated = usageError("close the quote", "unterminated quote")

// A flag's placeholder in the help comes from its definition: a backquoted
// word in its usage (`N`, `DURATION`), in capitals, or else its type. A word
// of the description taken by mistake (`--if-version show`) fails here.
func TestHelpPlaceholders(t *testing.T) {
	root := NewRootCmd(newFactory(Env{}))
	types := map[string]bool{"string": true, "int": true, "uint": true, "int64": true, "float": true, "duration": true, "strings": true, "": true}
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		c.Flags().VisitAll(func(f *pflag.Flag) {
			name, _ := pflag.UnquoteUsage(f)
			if !types[name] && (name[0] < 'A' || name[0] > 'Z') {
				t.Errorf("%s --%s: placeholder %q is not from the flag's definition", c.CommandPath(), f.Name, name)
			}
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}
