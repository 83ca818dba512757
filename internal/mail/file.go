package mail

import (
	"context"
	"fmt"
	netmail "net/mail"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
)

// fileMailer writes each message as an .eml file into dir: for trying
// invitectl out without a mail server, and for handing messages to another
// system. The files hold personal data and working links, so the folder is
// private (0700 when created) and each file 0600.
type fileMailer struct {
	dir     string
	from    *netmail.Address
	now     func() time.Time
	written func(to, path string) // told of each file written; may be nil
	swept   sync.Once             // leftover temporary files removed
}

// SendInvitation writes the message atomically: readers of dir never see a
// partial .eml, and a failure leaves nothing behind.
func (f *fileMailer) SendInvitation(ctx context.Context, e invite.InvitationEmail) error {
	if err := sendContextErr(ctx); err != nil {
		return err
	}
	msg, err := compose(f.from, e, f.now())
	if err != nil {
		return err
	}
	return f.deliver(ctx, msg)
}

// deliver writes msg into the folder; the context is not consulted once
// writing starts, so that a file is written whole or not at all.
func (f *fileMailer) deliver(_ context.Context, msg *message) error {
	if err := f.write(msg); err != nil {
		return &invite.Error{Code: invite.EDELIVERY, Err: err,
			Message: fmt.Sprintf("writing the message to %s into %s: %v", msg.to, f.dir, err),
			Hint:    "check that mail.dir is a folder invitectl may write to"}
	}
	return nil
}

// Close has nothing to release.
func (f *fileMailer) Close() error { return nil }

func (f *fileMailer) write(msg *message) (err error) {
	if err := os.MkdirAll(f.dir, 0o700); err != nil {
		return err
	}
	f.swept.Do(f.removeLeftovers)
	// A dot name and a suffix other than .eml keep tools that watch for
	// *.eml from picking up the file before it is complete.
	tmp, err := os.CreateTemp(f.dir, ".invitectl-*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return err
	}
	if _, err := tmp.WriteString(msg.raw); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	path := filepath.Join(f.dir, msg.fileName())
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	syncDir(f.dir)
	if f.written != nil {
		f.written(msg.to, path)
	}
	return nil
}

// leftoverAge is how old a temporary file must be to be taken for one a
// killed writer left: a message is written in milliseconds.
const leftoverAge = time.Hour

// removeLeftovers deletes the temporary files of writes that never
// finished (a writer killed mid-write): they hold a live link. One
// younger than leftoverAge may be another process's write in progress.
func (f *fileMailer) removeLeftovers() {
	tmps, _ := filepath.Glob(filepath.Join(f.dir, ".invitectl-*.tmp"))
	for _, p := range tmps {
		if fi, err := os.Lstat(p); err == nil && fi.Mode().IsRegular() && time.Since(fi.ModTime()) > leftoverAge {
			_ = os.Remove(p)
		}
	}
}

// syncDir makes the rename durable. It is best effort: some systems cannot
// open or sync a folder, and the message is complete on disk already.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}
