package store

import (
	"os"
	"strconv"
	"strings"
	"sync"
)

// A deliverer's claim names the process that holds it, so that the rows of
// one that no longer runs are taken over at once rather than after their
// lease: the claim token is "claimer/random", and the claimer is
// "host;boot id;PID;start time" (the boot id from
// /proc/sys/kernel/random/boot_id, the start time in clock ticks since
// boot from /proc/PID/stat). A PID alone could be reused by another process;
// with its start time on the same boot it cannot. Where /proc is missing,
// or the claimer ran on another host (a shared PostgreSQL), nothing is
// known about it and its lease decides.

type claimer struct {
	host, boot, pid, start string
}

func (c claimer) String() string {
	return strings.Join([]string{c.host, c.boot, c.pid, c.start}, ";")
}

func parseClaimer(s string) (claimer, bool) {
	f := strings.Split(s, ";")
	if len(f) != 4 {
		return claimer{}, false
	}
	return claimer{f[0], f[1], f[2], f[3]}, true
}

var self = sync.OnceValue(func() claimer {
	host, _ := os.Hostname()
	pid := os.Getpid()
	return claimer{host: strings.NewReplacer(";", "_", "/", "_").Replace(host), boot: bootID(),
		pid: strconv.Itoa(pid), start: processStart(pid)}
})

func bootID() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// processStart is field 22 of /proc/PID/stat, or "" when it cannot be read
// (no such process).
func processStart(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	// The command name (field 2) is in parentheses and may hold anything;
	// the fields after its closing parenthesis start at field 3.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 20 {
		return ""
	}
	return f[19]
}

// gone says whether the claimer of token is known to run no more: it ran
// on this host and the host has rebooted since, or its process has ended
// (the PID is free or belongs to a process started at another time).
func gone(token string) bool {
	who, _, ok := strings.Cut(token, "/")
	if !ok {
		return false
	}
	c, ok := parseClaimer(who)
	me := self()
	if !ok || me.boot == "" || c.host != me.host || c.boot == "" {
		return false
	}
	if c.boot != me.boot {
		return true
	}
	if c == me {
		return false
	}
	pid, err := strconv.Atoi(c.pid)
	if err != nil || pid <= 0 {
		return false
	}
	return processStart(pid) != c.start
}
