package web

import (
	"container/list"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// maxTrackedClients bounds the limiter's memory (about 200 bytes a client).
// The least recently seen client is forgotten first; by then its allowance
// has usually refilled, which is the same as a fresh one.
const maxTrackedClients = 10_000

// ipLimiter is a token bucket per client address, kept in a bounded LRU.
type ipLimiter struct {
	limit rate.Limit
	burst int
	max   int
	now   func() time.Time

	mu      sync.Mutex
	order   *list.List // front: most recently seen; values are *limiterEntry
	clients map[string]*list.Element
}

type limiterEntry struct {
	key string
	lim *rate.Limiter
}

func newIPLimiter(limit rate.Limit, burst, max int, now func() time.Time) *ipLimiter {
	return &ipLimiter{limit: limit, burst: burst, max: max, now: now, order: list.New(), clients: map[string]*list.Element{}}
}

// allow takes one request from key's allowance. When none is left it
// returns false and how long until one is.
func (l *ipLimiter) allow(key string) (bool, time.Duration) {
	if l.limit == rate.Inf {
		return true, 0
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	var lim *rate.Limiter
	if el, ok := l.clients[key]; ok {
		l.order.MoveToFront(el)
		lim = el.Value.(*limiterEntry).lim
	} else {
		lim = rate.NewLimiter(l.limit, l.burst)
		l.clients[key] = l.order.PushFront(&limiterEntry{key: key, lim: lim})
		for l.order.Len() > l.max {
			oldest := l.order.Back()
			l.order.Remove(oldest)
			delete(l.clients, oldest.Value.(*limiterEntry).key)
		}
	}
	res := lim.ReserveN(now, 1)
	if !res.OK() {
		return false, time.Hour
	}
	if wait := res.DelayFrom(now); wait > 0 {
		res.CancelAt(now) // a refused request does not use up the future
		return false, wait
	}
	return true, 0
}

// size is the number of clients tracked.
func (l *ipLimiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.order.Len()
}

// clientKey is the client network a request is counted against.
func (h *handler) clientKey(r *http.Request) string { return clientKey(r, h.trustProxy) }

// clientKey is the address a request is counted against: the connection's
// peer, or with trustProxy the first X-Forwarded-For entry. IPv6 addresses
// count per /64, since one household or host usually has a whole /64.
func clientKey(r *http.Request, trustProxy bool) string {
	if trustProxy {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			first, _, _ := strings.Cut(xff, ",")
			if addr, err := netip.ParseAddr(strings.TrimSpace(first)); err == nil {
				return prefixKey(addr)
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if addr, err := netip.ParseAddr(host); err == nil {
		return prefixKey(addr)
	}
	return host
}

func prefixKey(addr netip.Addr) string {
	addr = addr.Unmap()
	if addr.Is6() {
		p, _ := addr.Prefix(64)
		return p.String()
	}
	return addr.String()
}
