package cli_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/invitectl/invitectl/internal/cli"
)

// mountTmpfs mounts a tmpfs of size bytes on a new folder for the length
// of the test. It skips only where mounting is impossible: not root (CI
// runs as root).
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size+",mode=0700"); err != nil {
		if os.Geteuid() != 0 && errors.Is(err, syscall.EPERM) {
			t.Skipf("mounting a tmpfs needs root: %v", err)
		}
		t.Fatalf("mount tmpfs: %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// fill writes to a file in dir until the file system is full, then gives
// back room bytes.
func fill(t *testing.T, dir string, room int64) {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 4096)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			break
		}
	}
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(fi.Size()/4096*4096 - room); err != nil {
		t.Fatal(err)
	}
}

// On a full disk the link secret cannot be saved: the command fails (exit
// 1) naming the file, rather than signing links with a secret that the
// next run will not have, and leaves nothing of it behind.
func TestLinkSecretOnFullDisk(t *testing.T) {
	dir := mountTmpfs(t, "1m")
	db := filepath.Join(dir, "inv.db")
	r := newRun(t)
	r.env["INVITECTL_DB"] = db
	r.env["INVITECTL_LINK_SECRET"] = strings.Repeat("k", 64) // the store is made without a secret file
	r.must("customers", "add", "Acme AB")
	delete(r.env, "INVITECTL_LINK_SECRET")
	fill(t, dir, 32768)
	code := r.do("invite", "--customer", "Acme AB", "--email", "a@example.com", "--first-name", "Anna", "--last-name", "Ek", "--no-send")
	if code != cli.ExitFailure {
		t.Fatalf("exit %d, want %d\n%s", code, cli.ExitFailure, r.stderr.String())
	}
	secret := db + ".link-secret"
	for _, want := range []string{"invitectl: error: the link secret file " + secret + " could not be created: ", "no space left on device",
		"invitectl: hint: make room on the disk of " + secret} {
		if !strings.Contains(r.stderr.String(), want) {
			t.Errorf("stderr:\n%s\nwant %q in it", r.stderr.String(), want)
		}
	}
	assertNoSecretLeft(t, dir)
	// Nothing was written: with room again, the store holds no invitation.
	if err := os.Remove(filepath.Join(dir, "filler")); err != nil {
		t.Fatal(err)
	}
	r.env["INVITECTL_LINK_SECRET"] = strings.Repeat("k", 64)
	if out := r.must("list", "--status", "all", "-o", "json"); strings.Contains(out, "a@example.com") {
		t.Errorf("the failed command stored its invitation: %s", out)
	}
}
