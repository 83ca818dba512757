package mail

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
)

func TestFileTransportWritesEML(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "outbox")
	m := mustNew(t, Config{Dir: dir, From: testFrom, Now: fixedClock})
	ctx := context.Background()
	if err := m.SendInvitation(ctx, sampleEmail(invite.Swedish)); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o700 {
		t.Errorf("folder mode %o, want 700", perm)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Fatalf("folder holds %v, want one file", names(entries))
	}
	name := entries[0].Name()
	match := regexp.MustCompile(`^20261125T100000Z-([a-z2-7]{26})-asa\.lind@example\.com\.eml$`).FindStringSubmatch(name)
	if match == nil {
		t.Fatalf("file name %q", name)
	}
	info, err = entries[0].Info()
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("file mode %o, want 600", perm)
	}
	raw, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	p := parseMessage(t, raw)
	if p.Header.Get("Message-ID") != "<"+match[1]+"@example.com>" {
		t.Errorf("Message-ID %q does not carry the file's id %s", p.Header.Get("Message-ID"), match[1])
	}
	if p.Subject != "Inbjudan till Ölands Äventyr AB" || p.To.Name != "Åsa Lind" || !p.Date.Equal(sendTime) {
		t.Errorf("subject %q, to %v, date %v", p.Subject, p.To, p.Date)
	}
	if !strings.Contains(p.Text, "\r\n"+testLink+"\r\n") || !strings.Contains(p.HTML, `href="`+testLink+`"`) ||
		!strings.Contains(p.Text, "25 november 2027") {
		t.Errorf("parts lack the link or the expiry:\n%s\n%s", p.Text, p.HTML)
	}

	// More messages, even to the same person at the same second, get files of their own.
	for range 2 {
		if err := m.SendInvitation(ctx, sampleEmail(invite.English)); err != nil {
			t.Fatal(err)
		}
	}
	entries, _ = os.ReadDir(dir)
	if len(entries) != 3 {
		t.Fatalf("folder holds %v, want three files", names(entries))
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".eml") || strings.HasPrefix(e.Name(), ".") {
			t.Errorf("left over: %s", e.Name())
		}
	}
}

func TestFileTransportKeepsAnExistingFolder(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	m := mustNew(t, Config{Dir: dir, Now: fixedClock})
	if err := m.SendInvitation(context.Background(), sampleEmail(invite.English)); err != nil {
		t.Fatal(err)
	}
	info, _ := os.Stat(dir)
	if perm := info.Mode().Perm(); perm != 0o750 {
		t.Errorf("folder mode changed to %o", perm)
	}
	entries, _ := os.ReadDir(dir)
	raw, _ := os.ReadFile(filepath.Join(dir, entries[0].Name()))
	if p := parseMessage(t, raw); p.From.Address != DefaultFileFrom {
		t.Errorf("From %v, want the default %s", p.From, DefaultFileFrom)
	}
}

func TestFileTransportFailureLeavesNothing(t *testing.T) {
	parent := t.TempDir()
	blocker := filepath.Join(parent, "outbox")
	if err := os.WriteFile(blocker, []byte("not a folder"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{blocker, filepath.Join(blocker, "sub")} {
		m := mustNew(t, Config{Dir: dir, Now: fixedClock})
		err := m.SendInvitation(context.Background(), sampleEmail(invite.English))
		if err == nil {
			t.Fatalf("%s: writing into a file succeeded", dir)
		}
		if invite.ErrorCode(err) != invite.EDELIVERY || !strings.Contains(err.Error(), dir) || !strings.Contains(invite.ErrorHint(err), "mail.dir") {
			t.Errorf("err = %v (%s, hint %q)", err, invite.ErrorCode(err), invite.ErrorHint(err))
		}
	}
	entries, _ := os.ReadDir(parent)
	if got := names(entries); !slices.Equal(got, []string{"outbox"}) {
		t.Errorf("parent holds %v, want only the blocking file", got)
	}
	if b, _ := os.ReadFile(blocker); string(b) != "not a folder" {
		t.Errorf("the blocking file changed: %q", b)
	}
}

// A write killed halfway leaves a temporary file holding a live link: the
// next writer removes such leftovers, but not another process's write in
// progress (a fresh one).
func TestFileTransportRemovesLeftovers(t *testing.T) {
	dir := t.TempDir()
	stale, fresh := filepath.Join(dir, ".invitectl-123.tmp"), filepath.Join(dir, ".invitectl-456.tmp")
	for _, p := range []string{stale, fresh} {
		if err := os.WriteFile(p, []byte("half a message"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * leftoverAge)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	if err := mustNew(t, Config{Dir: dir, Now: fixedClock}).SendInvitation(context.Background(), sampleEmail(invite.English)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("the leftover is still there: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("a write in progress was removed: %v", err)
	}
	if emls, _ := filepath.Glob(filepath.Join(dir, "*.eml")); len(emls) != 1 {
		t.Errorf("%d .eml files, want 1", len(emls))
	}
}

func TestFileAndSMTPWriteTheSameMessage(t *testing.T) {
	ts := startServer(t, serverConfig{})
	e := sampleEmail(invite.Swedish)
	if err := mustNew(t, smtpConfig(ts)).SendInvitation(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := mustNew(t, Config{Dir: dir, From: testFrom, Now: fixedClock}).SendInvitation(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	raw, err := os.ReadFile(filepath.Join(dir, entries[0].Name()))
	if err != nil {
		t.Fatal(err)
	}
	viaFile, viaSMTP := parseMessage(t, raw), parseMessage(t, ts.Messages()[0].Data)
	if !slices.Equal(headerNames(viaFile), headerNames(viaSMTP)) {
		t.Errorf("headers differ: file %v, SMTP %v", headerNames(viaFile), headerNames(viaSMTP))
	}
	for _, h := range headerNames(viaFile) {
		if h == "Message-Id" || h == "Content-Type" { // random id and boundary
			continue
		}
		if viaFile.Header.Get(h) != viaSMTP.Header.Get(h) {
			t.Errorf("%s: file %q, SMTP %q", h, viaFile.Header.Get(h), viaSMTP.Header.Get(h))
		}
	}
	if viaFile.Text != viaSMTP.Text || viaFile.HTML != viaSMTP.HTML {
		t.Error("the parts differ between the transports")
	}
}

func TestComposeKeepsHeadersIntact(t *testing.T) {
	e := sampleEmail(invite.English)
	e.FirstName = "Åsa\r\nBcc: eve@example.com"
	e.LastName = `O'Brien "the 2nd", <Jr>`
	e.Customer = "Acme\nX-Injected: yes"
	s, _ := Config{Dir: "x"}.resolve()
	msg, err := compose(s.from, e, sendTime)
	if err != nil {
		t.Fatal(err)
	}
	p := parseMessage(t, []byte(msg.raw))
	if p.Header.Get("Bcc") != "" || p.Header.Get("X-Injected") != "" {
		t.Fatalf("a name added headers: %v", p.Header)
	}
	if want := `Åsa  Bcc: eve@example.com O'Brien "the 2nd", <Jr>`; p.To.Name != want {
		t.Errorf("To name %q, want %q", p.To.Name, want)
	}
	if p.Subject != "Invitation to Acme X-Injected: yes" {
		t.Errorf("subject %q", p.Subject)
	}
	if msg.to != "asa.lind@example.com" {
		t.Errorf("envelope recipient %q", msg.to)
	}
}

func names(entries []os.DirEntry) []string {
	var s []string
	for _, e := range entries {
		s = append(s, e.Name())
	}
	return s
}

func headerNames(p parsedMessage) []string {
	var s []string
	for k := range p.Header {
		s = append(s, k)
	}
	slices.Sort(s)
	return s
}
