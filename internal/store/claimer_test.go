package store

import (
	"os/exec"
	"strconv"
	"testing"
)

// A claim names its process so that one that no longer runs is known at
// once: this process is alive; a process that has ended is gone (its PID
// may be reused, its start time not); another boot of this host is gone;
// another host is unknown, left to the lease.
func TestClaimerGone(t *testing.T) {
	me := self()
	if me.boot == "" || me.start == "" {
		t.Fatal("no boot id or process start time under /proc")
	}
	if gone(me.String() + "/x") {
		t.Error("this process's claim is taken for gone")
	}
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	ended := me
	ended.pid = strconv.Itoa(cmd.Process.Pid)
	if !gone(ended.String() + "/x") {
		t.Error("the claim of an ended process is not gone")
	}
	reused := me
	reused.start = "1"
	if !gone(reused.String() + "/x") {
		t.Error("a PID reused by another process is not gone")
	}
	rebooted := me
	rebooted.boot = "00000000-0000-0000-0000-000000000000"
	if !gone(rebooted.String() + "/x") {
		t.Error("a claim from before a reboot is not gone")
	}
	elsewhere := ended
	elsewhere.host = me.host + "-other"
	for _, tok := range []string{elsewhere.String() + "/x", "0123abcd", "a;b/x"} {
		if gone(tok) {
			t.Errorf("%q is taken for gone; nothing is known of it", tok)
		}
	}
}
