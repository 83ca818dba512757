// Command gendocs writes the command reference (Markdown and man pages) from
// the cobra command tree: go run ./cmd/gendocs docs/reference
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra/doc"

	"github.com/invitectl/invitectl/internal/cli"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gendocs DIR")
		os.Exit(2)
	}
	if err := generate(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
}

// manDate is fixed so that generating twice gives the same files.
var manDate = time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)

func generate(dir string) error {
	man := filepath.Join(dir, "man")
	for _, d := range []string{dir, man} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
		old, _ := filepath.Glob(filepath.Join(d, "invitectl*"))
		for _, f := range old {
			os.Remove(f)
		}
	}
	root := cli.DocsRoot()
	if err := doc.GenMarkdownTree(root, dir); err != nil {
		return err
	}
	return doc.GenManTree(root, &doc.GenManHeader{Title: "INVITECTL", Section: "1", Source: "invitectl", Manual: "invitectl manual", Date: &manDate}, man)
}
