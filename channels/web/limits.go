package web

import (
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limits bound what one address and one visitor may do. Zero values take
// the defaults of DefaultLimits.
type Limits struct {
	PerIP           rate.Limit // messages and photos per second from one address
	PerIPBurst      int
	PerContact      rate.Limit // messages and photos per second from one visitor
	PerContactBurst int
	// Connections from one address per second (opening the page, live
	// updates), with its burst.
	ConnectPerIP         rate.Limit
	ConnectPerIPBurst    int
	MaxStreams           int   // live connections open at once, all visitors
	MaxStreamsPerContact int   // live connections of one visitor (tabs)
	MaxBody              int64 // bytes of a message request
	MaxPhoto             int64 // bytes of a photo
	MaxText              int   // characters of a typed message
}

// DefaultLimits are generous for a person typing and tight for a script:
// a message a second from a visitor (10 at once), 3 a second from an
// address (30 at once: an office or a mobile network shares one), photos
// of 5 MiB as on WhatsApp.
func DefaultLimits() Limits {
	return Limits{
		PerIP: 3, PerIPBurst: 30,
		PerContact: 1, PerContactBurst: 10,
		ConnectPerIP: 2, ConnectPerIPBurst: 20,
		MaxStreams: 2000, MaxStreamsPerContact: 4,
		MaxBody: 16 << 10, MaxPhoto: 5 << 20, MaxText: 4096,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	pick := func(v *rate.Limit, b *int, dv rate.Limit, db int) {
		if *v <= 0 {
			*v = dv
		}
		if *b <= 0 {
			*b = db
		}
	}
	pick(&l.PerIP, &l.PerIPBurst, d.PerIP, d.PerIPBurst)
	pick(&l.PerContact, &l.PerContactBurst, d.PerContact, d.PerContactBurst)
	pick(&l.ConnectPerIP, &l.ConnectPerIPBurst, d.ConnectPerIP, d.ConnectPerIPBurst)
	if l.MaxStreams <= 0 {
		l.MaxStreams = d.MaxStreams
	}
	if l.MaxStreamsPerContact <= 0 {
		l.MaxStreamsPerContact = d.MaxStreamsPerContact
	}
	if l.MaxBody <= 0 {
		l.MaxBody = d.MaxBody
	}
	if l.MaxPhoto <= 0 {
		l.MaxPhoto = d.MaxPhoto
	}
	if l.MaxText <= 0 {
		l.MaxText = d.MaxText
	}
	return l
}

// limiters is a token bucket per key (an address, a visitor), forgotten
// after a while unused so the map cannot grow without bound.
type limiters struct {
	limit rate.Limit
	burst int
	clock func() time.Time

	mu    sync.Mutex
	by    map[string]*limiterEntry
	swept time.Time
}

type limiterEntry struct {
	l    *rate.Limiter
	used time.Time
}

// maxLimiters bounds the map; past it, idle entries are swept at once.
const maxLimiters = 100_000

func newLimiters(limit rate.Limit, burst int, clock func() time.Time) *limiters {
	return &limiters{limit: limit, burst: burst, clock: clock, by: map[string]*limiterEntry{}}
}

// allow takes one token for key, and says how long to wait when there is none.
func (ls *limiters) allow(key string) (bool, time.Duration) {
	now := ls.clock()
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if now.Sub(ls.swept) > time.Minute || len(ls.by) >= maxLimiters {
		ls.sweep(now)
	}
	e := ls.by[key]
	if e == nil {
		e = &limiterEntry{l: rate.NewLimiter(ls.limit, ls.burst)}
		ls.by[key] = e
	}
	e.used = now
	r := e.l.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// sweep forgets limiters unused long enough to have filled up again.
func (ls *limiters) sweep(now time.Time) {
	full := time.Duration(float64(ls.burst)/float64(ls.limit)*float64(time.Second)) + time.Minute
	for k, e := range ls.by {
		if now.Sub(e.used) > full || len(ls.by) >= maxLimiters {
			delete(ls.by, k)
		}
	}
	ls.swept = now
}

// clientIP is the address a request comes from: the peer, or the last
// value of the configured header when a proxy in front sets it.
func clientIP(r *http.Request, header string) string {
	if header != "" {
		if v := r.Header.Values(header); len(v) > 0 {
			parts := strings.Split(v[len(v)-1], ",")
			if ip := strings.TrimSpace(parts[len(parts)-1]); ip != "" {
				return ip
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// origins says which sites may embed the chat and call its API: the
// chat's own origin always, and the configured ones.
type origins struct {
	allowed map[string]bool // "https://www.example.com"
	list    []string        // the same, sorted
	any     bool            // "*" was configured
}

func newOrigins(list []string) origins {
	o := origins{allowed: map[string]bool{}}
	for _, s := range list {
		s = strings.TrimRight(strings.TrimSpace(s), "/")
		if s == "*" {
			o.any = true
			continue
		}
		if s != "" && !o.allowed[strings.ToLower(s)] {
			o.allowed[strings.ToLower(s)] = true
			o.list = append(o.list, strings.ToLower(s))
		}
	}
	slices.Sort(o.list)
	return o
}

// check says whether a request may go on: a request with an Origin must
// come from the chat's own host or an allowed site; one without (a
// same-origin GET, a non-browser client) is judged by Sec-Fetch-Site
// when the browser sends it.
func (o origins) check(r *http.Request) (origin string, ok bool) {
	origin = r.Header.Get("Origin")
	if origin == "" || origin == "null" {
		if origin == "null" {
			return origin, o.any
		}
		site := r.Header.Get("Sec-Fetch-Site")
		return "", site == "" || site == "same-origin" || site == "none" || o.any
	}
	if o.any || o.allowed[strings.ToLower(origin)] {
		return origin, true
	}
	u, err := url.Parse(origin)
	if err != nil {
		return origin, false
	}
	return origin, strings.EqualFold(u.Host, r.Host)
}

// frameAncestors is the CSP directive saying who may show the chat in a
// frame (the widget's iframe).
func (o origins) frameAncestors() string {
	if o.any {
		return "frame-ancestors *"
	}
	return strings.Join(append([]string{"frame-ancestors 'self'"}, o.list...), " ")
}
