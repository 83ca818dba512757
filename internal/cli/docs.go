package cli

import "github.com/spf13/cobra"

//go:generate go run ../../cmd/gendocs ../../docs/reference

// DocsRoot returns the command tree for generating the reference docs.
func DocsRoot() *cobra.Command {
	root := NewRootCmd(newFactory(Env{Version: "dev"}))
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		c.DisableAutoGenTag = true // no dates: the committed reference must be reproducible
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return root
}
