package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"text/template"
	"time"

	"github.com/itchyny/gojq"
	"github.com/spf13/cobra"
)

// annotationNoJSON marks a command that has no JSON output: --jq and
// --template are refused there (exit 2).
const annotationNoJSON = "invitectl/no-json"

// outputFilter is --jq or --template, as gh has them: the command writes
// its JSON document into buf, as with -o json, and finish then writes the
// filtered or rendered result to out. The whole document is held in memory.
type outputFilter struct {
	out  io.Writer
	tty  bool
	buf  bytes.Buffer
	jq   *gojq.Code
	tmpl *template.Template
}

// newOutputFilter reads --jq and --template; it is nil when neither is given.
func newOutputFilter(cmd *cobra.Command, io *IOStreams) (*outputFilter, error) {
	expr, _ := cmd.Flags().GetString("jq")
	text, _ := cmd.Flags().GetString("template")
	jqGiven, tmplGiven := cmd.Flags().Changed("jq"), cmd.Flags().Changed("template")
	if !jqGiven && !tmplGiven {
		return nil, nil
	}
	flag := "--jq"
	if tmplGiven {
		flag = "--template"
	}
	switch {
	case jqGiven && tmplGiven:
		return nil, usageError("use one of them", "--jq and --template cannot be used together")
	case cmd.Annotations[annotationNoJSON] == "true":
		return nil, usageError(fmt.Sprintf("drop %s: `%s` has no JSON output", flag, cmd.CommandPath()), "%s needs a command with JSON output", flag)
	}
	if o := cmd.Flags().Lookup("output"); o != nil && o.Changed && o.Value.String() != "json" {
		return nil, usageError(fmt.Sprintf("drop -o %s: %s implies -o json", o.Value.String(), flag), "%s cannot be used with -o %s", flag, o.Value.String())
	}
	f := &outputFilter{out: io.Out, tty: io.OutTTY}
	if jqGiven {
		q, err := gojq.Parse(expr)
		if err == nil {
			f.jq, err = gojq.Compile(q)
		}
		if err != nil {
			return nil, usageError("see https://jqlang.org/manual/ for the syntax, e.g. --jq '.invitations[].email'", "invalid --jq expression: %v", err)
		}
		return f, nil
	}
	t, err := template.New("template").Option("missingkey=error").Funcs(templateFuncs).Parse(text)
	if err != nil {
		return nil, usageError("see https://pkg.go.dev/text/template for the syntax, e.g. --template '{{range .invitations}}{{.email}}{{\"\\n\"}}{{end}}'", "invalid --template: %v", err)
	}
	f.tmpl = t
	return f, nil
}

// finish filters or renders every JSON document the command wrote.
func (f *outputFilter) finish() error {
	dec := json.NewDecoder(&f.buf)
	if f.jq != nil {
		dec.UseNumber() // IDs and counts stay exact
	}
	for {
		var v any
		if err := dec.Decode(&v); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return fmt.Errorf("reading the JSON output: %w", err)
		}
		var err error
		if f.jq != nil {
			err = f.runJQ(v)
		} else {
			err = f.render(v)
		}
		if err != nil {
			return err
		}
	}
}

// render executes the template; nothing is written when it fails.
func (f *outputFilter) render(v any) error {
	var b bytes.Buffer
	if err := f.tmpl.Execute(&b, v); err != nil {
		return usageError("check the field names against the -o json output", "--template: %v", err)
	}
	_, err := f.out.Write(b.Bytes())
	return err
}

// runJQ prints each result of the expression on a line of its own: a
// string as it is, anything else as JSON (indented on a terminal).
func (f *outputFilter) runJQ(input any) error {
	iter := f.jq.Run(input)
	for {
		v, ok := iter.Next()
		if !ok {
			return nil
		}
		if err, ok := v.(error); ok {
			var halt *gojq.HaltError
			if errors.As(err, &halt) && halt.Value() == nil {
				return nil
			}
			return usageError("check the expression against the -o json output", "--jq: %v", err)
		}
		if s, ok := v.(string); ok {
			if _, err := fmt.Fprintln(f.out, s); err != nil {
				return err
			}
			continue
		}
		b, err := gojq.Marshal(v)
		if err != nil {
			return err
		}
		if f.tty {
			var ind bytes.Buffer
			if json.Indent(&ind, b, "", "  ") == nil {
				b = ind.Bytes()
			}
		}
		if _, err := fmt.Fprintf(f.out, "%s\n", b); err != nil {
			return err
		}
	}
}

// templateFuncs are gh's template functions that make sense without colour
// or a terminal table.
var templateFuncs = template.FuncMap{
	// join joins a list of values with sep.
	"join": func(sep string, list []any) string {
		s := make([]string, len(list))
		for i, v := range list {
			s[i] = fmt.Sprint(v)
		}
		return strings.Join(s, sep)
	},
	// pluck is the field of each object in a list.
	"pluck": func(field string, list []any) []any {
		var out []any
		for _, v := range list {
			if m, ok := v.(map[string]any); ok {
				out = append(out, m[field])
			}
		}
		return out
	},
	// truncate shortens text to n characters, ending it with "…".
	"truncate": func(n int, v any) string {
		s := []rune(fmt.Sprint(v))
		if len(s) <= n || n < 1 {
			return string(s)
		}
		return string(s[:n-1]) + "…"
	},
	// timefmt formats an RFC 3339 time with a Go layout ("" for null).
	"timefmt": func(layout string, v any) (string, error) {
		if v == nil || reflect.ValueOf(v).IsZero() {
			return "", nil
		}
		t, err := time.Parse(time.RFC3339, fmt.Sprint(v))
		if err != nil {
			return "", err
		}
		return t.Format(layout), nil
	},
}

// withoutJSON marks cmd and its subcommands as having no JSON output.
func withoutJSON(cmd *cobra.Command) {
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	cmd.Annotations[annotationNoJSON] = "true"
	for _, c := range cmd.Commands() {
		withoutJSON(c)
	}
}
