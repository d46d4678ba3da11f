package web

import (
	"embed"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// assets are the page's template, its script and style sheet, and the
// widget script: ours, embedded, no third-party code.
//
//go:embed assets
var assets embed.FS

func parsePage() (*template.Template, error) {
	return template.ParseFS(assets, "assets/chat.html")
}

func staticFiles() http.Handler {
	sub, _ := fs.Sub(assets, "assets/static")
	files := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=300")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		files.ServeHTTP(w, r)
	})
}

// pageData is what the page template shows.
type pageData struct {
	Business string
	Initial  string // the business's first letter, for its avatar
	Token    string
	Prefix   string
	Embed    bool
}

// visitorCookieAge is how long a browser keeps its visitor token.
const visitorCookieAge = 365 * 24 * time.Hour

// servePage renders the chat. A browser without a valid token (none yet,
// or one from another secret) becomes a new visitor.
func (c *Channel) servePage(w http.ResponseWriter, r *http.Request) {
	if ok, wait := c.conns.allow(clientIP(r, c.o.ClientIPHeader)); !ok {
		c.tooMany(w, wait, "Too many requests from your network; wait a moment and reload.")
		return
	}
	token := ""
	if ck, err := r.Cookie(CookieName); err == nil {
		if _, err := c.tokens.contact(ck.Value); err == nil {
			token = ck.Value
		}
	}
	if token == "" {
		token = c.tokens.sign(c.o.NewContactID())
		http.SetCookie(w, &http.Cookie{
			Name: CookieName, Value: token, Path: c.prefix, MaxAge: int(visitorCookieAge.Seconds()),
			HttpOnly: true, SameSite: http.SameSiteLaxMode,
			Secure: r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https"),
		})
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' blob: https:; script-src 'self'; style-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; object-src 'none'; "+c.origins.frameAncestors())
	initial, _ := utf8.DecodeRuneInString(strings.TrimSpace(c.o.Business))
	data := pageData{Business: c.o.Business, Initial: string(unicode.ToUpper(initial)), Token: token, Prefix: c.prefix, Embed: r.URL.Query().Get("embed") == "1"}
	if err := c.page.Execute(w, data); err != nil {
		c.log.Error("web chat: render page", "err", err)
	}
}

// serveWidget serves the script a business puts on its site.
func (c *Channel) serveWidget(w http.ResponseWriter, r *http.Request) {
	js, err := assets.ReadFile("assets/widget.js")
	if err != nil {
		c.fail(w, http.StatusInternalServerError, "internal", "widget missing")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("Cache-Control", "public, max-age=300")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	_, _ = w.Write(js)
}
