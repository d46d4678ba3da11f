package owner

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/time/rate"
)

// sessionCookie holds a console login's id; loginCookie the login form's
// CSRF value (double submit, before there is a session).
const (
	sessionCookie = "aml_session"
	loginCookie   = "aml_login"
)

// session is one console login, kept in memory: a restart logs everyone
// out, which is what a single-process server wants.
type session struct {
	id       string
	actor    string
	readOnly bool
	csrf     string
	expires  time.Time
	flash    string // a message for the next page (guarded by the authenticator's mu)
	flashErr string
}

func (s *session) csrfOK(v string) bool { return v != "" && equal(v, s.csrf) }

// authenticator checks bearer tokens and console sessions and rate-limits
// login attempts per address.
type authenticator struct {
	o        Options
	mu       sync.Mutex
	sessions map[string]*session
	limiters map[string]*limiter
}

type limiter struct {
	l    *rate.Limiter
	seen time.Time
}

func newAuthenticator(o Options) *authenticator {
	return &authenticator{o: o, sessions: map[string]*session{}, limiters: map[string]*limiter{}}
}

// errUnauthorized is the reason given for a refused request.
var errUnauthorized = errors.New("send a valid API token as Authorization: Bearer TOKEN, or log in to the console")

// request finds who makes an API request: a bearer token, else a console
// session cookie.
func (a *authenticator) request(r *http.Request) (*actor, error) {
	if tok, ok := bearer(r); ok {
		return a.token(r, tok)
	}
	if s := a.sessionOf(r); s != nil {
		return &actor{name: s.actor, readOnly: s.readOnly, session: s}, nil
	}
	return nil, errUnauthorized
}

// token checks a token's secret against the stored hashes.
func (a *authenticator) token(r *http.Request, secret string) (*actor, error) {
	t, err := a.o.Owner.TokenByHash(r.Context(), hashToken(secret))
	if err != nil {
		return nil, errUnauthorized
	}
	return &actor{name: "token:" + t.Name, readOnly: t.ReadOnly}, nil
}

// sessionOf returns the live session of a request's cookie.
func (a *authenticator) sessionOf(r *http.Request) *session {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil
	}
	now := a.o.Clock()
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.sessions[c.Value]
	if s == nil {
		return nil
	}
	if now.After(s.expires) {
		delete(a.sessions, c.Value)
		return nil
	}
	return s
}

// allow takes one login attempt from the request's address.
func (a *authenticator) allow(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if fwd := r.Header.Get("X-Forwarded-For"); fwd != "" && isLoopback(host) {
		host = strings.TrimSpace(strings.Split(fwd, ",")[0])
	}
	now := a.o.Clock()
	a.mu.Lock()
	defer a.mu.Unlock()
	for k, l := range a.limiters {
		if now.Sub(l.seen) > 10*time.Minute {
			delete(a.limiters, k)
		}
	}
	l := a.limiters[host]
	if l == nil {
		per := time.Minute / time.Duration(a.o.LoginRate)
		l = &limiter{l: rate.NewLimiter(rate.Every(per), a.o.LoginRate)}
		a.limiters[host] = l
	}
	l.seen = now
	return l.l.AllowN(now, 1)
}

func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// login checks a password or a token typed in the login form and starts a
// session.
func (a *authenticator) login(r *http.Request, secret string) (*session, error) {
	secret = strings.TrimSpace(secret)
	if secret == "" {
		return nil, errors.New("enter the owner password or an API token")
	}
	if act, err := a.token(r, secret); err == nil {
		return a.start(act.name, act.readOnly), nil
	}
	hash, err := a.o.Owner.OwnerPassword(r.Context())
	if err != nil {
		return nil, err
	}
	if len(hash) == 0 || bcrypt.CompareHashAndPassword(hash, []byte(secret)) != nil {
		return nil, errors.New("wrong password or token")
	}
	return a.start("owner", false), nil
}

// start makes a new session.
func (a *authenticator) start(name string, readOnly bool) *session {
	s := &session{id: randomToken(), actor: name, readOnly: readOnly, csrf: randomToken(), expires: a.o.Clock().Add(a.o.SessionTTL)}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.sessions[s.id] = s
	return s
}

// end logs a session out.
func (a *authenticator) end(s *session) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.sessions, s.id)
}

// secure says whether a cookie set on this request must be Secure.
func (a *authenticator) secure(r *http.Request) bool {
	if a.o.SecureCookies || r.TLS != nil {
		return true
	}
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	return isLoopback(host) && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// cookie sets a cookie HttpOnly, SameSite=Lax (Strict would drop it on the
// first visit from a link), Secure behind HTTPS, for the console's path.
func (a *authenticator) cookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: a.o.Prefix + "/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: a.secure(r),
	})
}

// randomToken is 32 random bytes, base64url.
func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// NewTokenSecret returns a new API token's secret: "aml_" and 32 random
// bytes, base64url.
func NewTokenSecret() string { return "aml_" + randomToken() }

// HashPassword returns the bcrypt hash of an owner password.
func HashPassword(password string) ([]byte, error) {
	if len(password) < 10 {
		return nil, errors.New("the password must be at least 10 characters")
	}
	if len(password) > 72 {
		return nil, errors.New("the password must be at most 72 bytes (bcrypt's limit)")
	}
	return bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
}

// CSRFToken is the session's CSRF token, for the console's forms.
func (s *session) CSRFToken() string { return s.csrf }
