package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A store that cannot be written — mode 0444 on a file system mounted
// read-only, so that not even root can write it — is read by every
// reading command.
func TestReadingAReadOnlyStore(t *testing.T) {
	dir := mountTmpfs(t, "4m")
	r := newRun(t)
	db := filepath.Join(dir, "inv.db")
	r.env["INVITECTL_DB"] = db
	r.must("customers", "add", "Acme AB")
	r.must("invite", "--customer", "Acme AB", "--email", "a@example.com", "--first-name", "Anna", "--last-name", "Ek", "--no-send")
	if err := os.Chmod(db, 0o444); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_REMOUNT|syscall.MS_RDONLY, ""); err != nil {
		t.Fatalf("remount read-only: %v", err)
	}
	t.Cleanup(func() { _ = syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_REMOUNT, "") })
	for _, args := range [][]string{{"list"}, {"show", "1"}, {"customers", "list"}, {"audit"}, {"users", "list"}} {
		r.must(args...)
	}
	if out := r.must("list", "-o", "json"); !strings.Contains(out, "a@example.com") {
		t.Errorf("list on the read-only store:\n%s", out)
	}
	// A command that writes says why it cannot.
	if code := r.do("revoke", "1", "--yes"); code == 0 {
		t.Error("revoke on a read-only file system succeeded")
	}
}
