package cli

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/invitectl/invitectl/internal/invite"
)

// EditOptions are the inputs of `edit`.
type EditOptions struct {
	common
	Service func(context.Context) (*invite.Service, error)

	Ref       string
	Customer  string // picks the invitation of an email REF; never changes it
	Details   invite.Patch
	Language  *string // nil: unchanged
	IfVersion int     // 0: any version
	// Editor is the command that edits the YAML document when no detail
	// is given on a terminal ($VISUAL, $EDITOR, vi).
	Editor string
}

// NewCmdEdit builds `edit`; runF replaces editRun in tests.
func NewCmdEdit(f *Factory, runF func(*EditOptions) error) *cobra.Command {
	opts := &EditOptions{Service: f.Service}
	var (
		d     detailFlags
		email string
	)
	cmd := &cobra.Command{
		Use:   "edit REF [details]",
		Short: "Change an open invitation's details",
		Long: `Changes the details of a pending or expired invitation. REF is its numeric ID
or the invitee's email. An empty value or "unset" clears an optional field.

With no detail flags on a terminal, edit opens $VISUAL or $EDITOR on a YAML
document of the editable fields; an invalid document is reopened with the
errors as comments, and an unchanged one changes nothing.

--customer picks the invitation when REF is an email with invitations in
several customers; it never changes the customer. The customer and the
email cannot be changed: revoke the invitation and invite again.
--if-version makes the edit fail (exit 4) when someone else changed the
invitation since you looked at it. Without it, an edit that meets a
concurrent change is applied to the invitation as it then is: only the
fields given are set.`,
		Example: `  invitectl edit 42 --phone "+46 70 123 45 67" --gender unset
  invitectl edit asa@example.com --last-name Lindqvist
  invitectl edit 42 --if-version 3 --lma-number ""
  invitectl edit 42            # opens $EDITOR`,
		Args: exactArgs(1, "one REF (an invitation ID or email)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("email") {
				return usageError("revoke the invitation (`invitectl revoke "+args[0]+"`) and invite again with the new email",
					"the email of an invitation cannot be changed")
			}
			if cmd.Flags().Changed("if-version") && opts.IfVersion < 1 {
				return usageError("pass the version that `invitectl show "+args[0]+"` prints, or leave --if-version out",
					"invalid --if-version %d: versions start at 1", opts.IfVersion)
			}
			opts.Ref = args[0]
			opts.Details = d.patch(cmd)
			opts.Language = nil
			if cmd.Flags().Changed("language") {
				opts.Language = &d.language
			}
			if opts.Details.Empty() && opts.Language == nil && cmd.Flags().Changed("customer") && !f.IO.CanPrompt() {
				return usageError("to move an invitation to another customer, revoke it (`invitectl revoke "+args[0]+"`) and invite again with --customer NAME",
					"--customer does not change the customer: it only picks the invitation when an email REF has invitations in several customers, and no details to change were given")
			}
			if opts.Details.Empty() && opts.Language == nil && !f.IO.CanPrompt() {
				return usageError("pass the details to change as flags, e.g. --phone or --last-name (see `invitectl edit --help`)", "no changes given")
			}
			opts.Editor = cmp.Or(f.env.Getenv("VISUAL"), f.env.Getenv("EDITOR"), "vi")
			opts.common = f.common(cmd)
			if runF != nil {
				return runF(opts)
			}
			return editRun(cmd.Context(), opts)
		},
	}
	d.register(cmd.Flags())
	cmd.Flags().StringVar(&opts.Customer, "customer", "", "the customer, when REF is an email with invitations in several customers (never changes it)")
	cmd.Flags().StringVar(&email, "email", "", "not editable: revoke and invite again")
	_ = cmd.Flags().MarkHidden("email")
	cmd.Flags().IntVar(&opts.IfVersion, "if-version", 0, "only edit if the invitation is still at version `N` (the version show prints)")
	d.completions(cmd)
	cmd.ValidArgsFunction = completeRefs(f)
	_ = cmd.RegisterFlagCompletionFunc("customer", completeCustomers(f))
	return cmd
}

func editRun(ctx context.Context, opts *EditOptions) error {
	svc, inv, err := resolveRef(ctx, opts.Service, opts.Ref, opts.Customer)
	if err != nil {
		return err
	}
	var changed []string
	if opts.Details.Empty() && opts.Language == nil {
		var cancelled bool
		inv, changed, cancelled, err = editInEditor(ctx, opts, svc, inv)
		if cancelled {
			return err
		}
	} else {
		inv, changed, err = svc.Edit(ctx, opts.Actor, inv.ID, opts.Details, opts.Language, opts.IfVersion)
	}
	if err != nil {
		return err
	}
	switch opts.Output {
	case "json":
		return writeJSON(opts.IO.Out, toJSON(inv, opts.Now(), false))
	case "csv":
		return writeCSV(opts.IO.Out, csvColumns, [][]string{csvRow(toJSON(inv, opts.Now(), false))})
	}
	if len(changed) == 0 {
		_, err := fmt.Fprintf(opts.IO.Out, "No changes to invitation %d.\n", inv.ID)
		return err
	}
	_, err = fmt.Fprintf(opts.IO.Out, "Updated invitation %d (%s): changed %s.\n", inv.ID, termSafe(inv.Email), invite.Changes(changed))
	return err
}

// editDoc is the YAML document the editor shows: each field by its name,
// then the language; a value is masked as show masks it, and a field that
// takes one of a few values says unset when it has none.
type editDoc map[string]string

// editKeys are the keys of an editDoc, in the document's order.
var editKeys = func() []string {
	keys := make([]string, 0, len(invite.Fields)+1)
	for _, f := range invite.Fields {
		keys = append(keys, f.Name)
	}
	return append(keys, "language")
}()

func docOf(inv invite.Invitation) editDoc {
	doc := editDoc{"language": inv.Language}
	for _, f := range invite.Fields {
		v := f.Shown(inv.Details, false)
		if v == "" && (f.Tristate() || f.Choices != nil) {
			v = "unset"
		}
		doc[f.Name] = v
	}
	return doc
}

// yaml is the document as the editor shows it, in editKeys' order.
func (doc editDoc) yaml() []byte {
	var b []byte
	for _, k := range editKeys {
		line, _ := yaml.Marshal(map[string]string{k: doc[k]})
		b = append(b, line...)
	}
	return b
}

// patchOf turns an edited document into a patch of the fields that differ
// (the masked personal number, left as it is, means "keep").
func patchOf(orig, doc editDoc) (invite.Patch, *string) {
	var p invite.Patch
	diff := func(k string) *string {
		if v := doc[k]; v != orig[k] {
			return &v
		}
		return nil
	}
	for _, f := range invite.Fields {
		f.Give(&p, diff(f.Name))
	}
	return p, diff("language")
}

const editHeader = `# Edit invitation %d (%s, %s) and save to apply; an unchanged file changes nothing.
# Citizenship: yes, no or unset. Gender: female, male, other or unset. Language: sv or en.
# The personal number is shown masked; leave it as it is to keep it, or write a new one.
# The customer and the email cannot be changed here: revoke and invite again.
`

func editInEditor(ctx context.Context, opts *EditOptions, svc *invite.Service, inv invite.Invitation) (out invite.Invitation, changed []string, cancelled bool, err error) {
	editor, io := opts.Editor, opts.IO
	dir, err := os.MkdirTemp("", "invitectl-edit-")
	if err != nil {
		return inv, nil, false, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, fmt.Sprintf("invitation-%d.yaml", inv.ID))
	orig := docOf(inv)
	content := []byte(fmt.Sprintf(editHeader, inv.ID, inv.Email, inv.Customer) + string(orig.yaml()))
	for {
		if err := os.WriteFile(path, content, 0o600); err != nil {
			return inv, nil, false, err
		}
		c := exec.CommandContext(ctx, "sh", "-c", editor+` "$1"`, "editor", path)
		c.Stdin, c.Stdout, c.Stderr = io.In, io.Out, io.ErrOut
		if err := c.Run(); err != nil {
			return inv, nil, false, fmt.Errorf("running editor %q: %w", editor, err)
		}
		edited, err := os.ReadFile(path)
		if err != nil {
			return inv, nil, false, err
		}
		if bytes.Equal(stripComments(edited), stripComments(content)) {
			// Like a declined prompt: nothing was done, and a script can tell.
			return inv, nil, true, invite.Errorf(invite.ECANCELLED, "edit cancelled: the file was closed unchanged; invitation %d was not changed", inv.ID).
				WithHint("change the file and save it, or pass the details as flags (see `invitectl edit --help`)")
		}
		var doc editDoc
		var problems []string
		if err := yaml.Unmarshal(stripComments(edited), &doc); err != nil {
			problems = []string{"the file is not valid YAML: " + err.Error()}
		} else {
			p, lang := patchOf(orig, doc)
			out, changed, err := svc.Edit(ctx, opts.Actor, inv.ID, p, lang, inv.Version)
			if invite.ErrorCode(err) != invite.EINVALID {
				return out, changed, false, err
			}
			for _, fe := range invite.ErrorFields(err) {
				problems = append(problems, flagName(fe.Field)+": "+fe.Message)
			}
		}
		var b strings.Builder
		b.WriteString("# The changes could not be saved:\n")
		for _, p := range problems {
			b.WriteString("#   " + p + "\n")
		}
		b.WriteString("# Fix them and save again, or quit without saving to cancel.\n")
		content = append([]byte(b.String()), stripComments(edited)...)
		content = append([]byte(fmt.Sprintf(editHeader, inv.ID, inv.Email, inv.Customer)), content...)
	}
}

func stripComments(b []byte) []byte {
	var out []byte
	for _, line := range bytes.SplitAfter(b, []byte("\n")) {
		if t := bytes.TrimSpace(line); len(t) > 0 && t[0] == '#' {
			continue
		}
		out = append(out, line...)
	}
	return bytes.TrimSpace(out)
}
