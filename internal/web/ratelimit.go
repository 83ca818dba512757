package web

import (
	"container/list"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"slices"
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
func (h *handler) clientKey(r *http.Request) string {
	return clientKey(r, h.trustProxy, h.trustedProxies)
}

// clientKey is the address a request is counted against: the connection's
// peer, or with trustProxy the client that X-Forwarded-For names. A proxy
// appends the address it received the request from to whatever the client
// sent, so only the right-most entry is the proxy's word: that one is the
// client, or with trusted (the operator's proxies, e.g. a CDN in front of
// the one that connects) the right-most entry not in trusted. A header
// that is missing or malformed where it is read counts the peer. IPv6
// addresses count per /64, since one household or host usually has a
// whole /64.
func clientKey(r *http.Request, trustProxy bool, trusted []netip.Prefix) string {
	if trustProxy {
		if addr, ok := forwardedClient(r.Header.Values("X-Forwarded-For"), trusted); ok {
			return prefixKey(addr)
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

// forwardedClient walks the X-Forwarded-For entries from the right, past
// the trusted proxies, to the first address not in trusted (the left-most
// when all are).
func forwardedClient(headers []string, trusted []netip.Prefix) (netip.Addr, bool) {
	entries := strings.Split(strings.Join(headers, ","), ",")
	var addr netip.Addr
	for i := len(entries) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(entries[i]))
		if err != nil {
			return netip.Addr{}, false
		}
		addr = a.Unmap()
		if !slices.ContainsFunc(trusted, func(p netip.Prefix) bool { return p.Contains(addr) }) {
			break
		}
	}
	return addr, addr.IsValid()
}

// ParseTrustedProxies reads comma-separated CIDRs (a bare address is one
// host) of trusted_proxies.
func ParseTrustedProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			a, aerr := netip.ParseAddr(f)
			if aerr != nil {
				return nil, fmt.Errorf("%q is not a CIDR such as 10.0.0.0/8 or 2001:db8::/32", f)
			}
			p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

func prefixKey(addr netip.Addr) string {
	addr = addr.Unmap()
	if addr.Is6() {
		p, _ := addr.Prefix(64)
		return p.String()
	}
	return addr.String()
}
