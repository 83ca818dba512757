package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/invitectl/invitectl/internal/cli"
)

// assertNoSecretLeft fails if anything of a link secret was written in dir.
func assertNoSecretLeft(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), "link-secret") && e.Type()&os.ModeSymlink == 0 {
			t.Errorf("%s was left behind", e.Name())
		}
	}
}

// A symbolic link where the link secret belongs is refused, dangling or
// not: it is never followed, nor written through.
func TestLinkSecretSymlinkRefused(t *testing.T) {
	for _, dangling := range []bool{true, false} {
		t.Run(map[bool]string{true: "dangling", false: "to a file"}[dangling], func(t *testing.T) {
			r := newRun(t)
			dir := t.TempDir()
			db := filepath.Join(dir, "inv.db")
			r.env["INVITECTL_DB"] = db
			target := filepath.Join(t.TempDir(), "elsewhere")
			if !dangling {
				if err := os.WriteFile(target, []byte(strings.Repeat("s", 64)+"\n"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.Symlink(target, db+".link-secret"); err != nil {
				t.Fatal(err)
			}
			if code := r.do("customers", "add", "Acme AB"); code != cli.ExitFailure {
				t.Fatalf("exit %d, want %d\n%s", code, cli.ExitFailure, r.stderr.String())
			}
			want := "invitectl: error: the link secret file " + db + ".link-secret is a symbolic link\ninvitectl: hint: replace " + db + ".link-secret"
			if !strings.HasPrefix(r.stderr.String(), want) {
				t.Errorf("stderr:\n%s\nwant it to start with\n%s", r.stderr.String(), want)
			}
			if _, err := os.Stat(target); dangling && !os.IsNotExist(err) {
				t.Errorf("the link's target was created: %v", err)
			}
			assertNoSecretLeft(t, dir)
			if _, err := os.Stat(db); !os.IsNotExist(err) {
				t.Errorf("the store this run created was left behind: %v", err)
			}
			if _, err := os.Lstat(db + ".link-secret"); err != nil {
				t.Errorf("the link was removed: %v", err)
			}
		})
	}
}
