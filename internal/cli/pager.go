package cli

import (
	"errors"
	"io"
	"os/exec"
	"syscall"

	"github.com/spf13/cobra"
)

// annotationPager marks a command whose table may be longer than the
// screen: on a terminal it goes through the pager.
const annotationPager = "invitectl/pager"

// defaultPager shows a long table a screen at a time, and a short one as it
// is (-F), with its colours (-R), leaving it on the screen (-X).
const defaultPager = "less -FRX"

// pager is the running pager: the command's output goes into w.
type pager struct {
	cmd *exec.Cmd
	w   io.WriteCloser
}

// startPager starts the pager for cmd when its output is a table on a
// terminal and neither --no-pager nor an empty PAGER says no. The command
// is PAGER, else the pager setting, else less -FRX. A pager that cannot be
// started is skipped: the table is printed as it is.
func (f *Factory) startPager(cmd *cobra.Command) {
	noPager, _ := cmd.Flags().GetBool("no-pager")
	if cmd.Annotations[annotationPager] != "true" || noPager || !f.IO.OutTTY || f.filter != nil {
		return
	}
	switch f.cfg.String("output") {
	case "table", "wide":
	default:
		return
	}
	line, set := f.env.lookupEnv("PAGER")
	if !set {
		line = f.cfg.String("pager")
	}
	if line == "" {
		return
	}
	c := exec.Command("sh", "-c", line)
	c.Stdout, c.Stderr = f.IO.Out, f.IO.ErrOut
	w, err := c.StdinPipe()
	if err != nil {
		return
	}
	if err := c.Start(); err != nil {
		return
	}
	f.pager = &pager{cmd: c, w: w}
	f.IO.Out = w
}

// stopPager ends the pager's input and waits until it is closed. A table
// cut short because the pager was quitted early is not an error.
func (f *Factory) stopPager(err error) error {
	if f.pager == nil {
		return err
	}
	_ = f.pager.w.Close()
	_ = f.pager.cmd.Wait()
	if errors.Is(err, syscall.EPIPE) {
		return nil
	}
	return err
}

// lookupEnv tells an unset variable from a set, empty one where the
// process can (LookupEnv); otherwise empty counts as unset.
func (e Env) lookupEnv(key string) (string, bool) {
	if e.LookupEnv != nil {
		return e.LookupEnv(key)
	}
	v := e.Getenv(key)
	return v, v != ""
}

// pages marks the commands whose tables may be long.
func pages(cmds ...*cobra.Command) {
	for _, c := range cmds {
		if c.Annotations == nil {
			c.Annotations = map[string]string{}
		}
		c.Annotations[annotationPager] = "true"
	}
}
