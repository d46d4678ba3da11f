package web_test

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/allmyleads/allmyleads/channels/web"
	"github.com/allmyleads/allmyleads/engine"
	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/enginetest"
	"github.com/allmyleads/allmyleads/internal/browsertest"
	"github.com/allmyleads/allmyleads/internal/golden"
)

// screenshotPath is the README's picture of the chat, rewritten by
// `go test ./channels/web -run TestBrowser -update`.
const screenshotPath = "../../docs/screenshots/webchat.png"

// chatServer is the web chat over a real engine and bbolt store with the
// shipped flows, served on a loopback port.
type chatServer struct {
	h   *enginetest.Harness
	ch  *web.Channel
	url string
}

func startChatServer(t *testing.T) *chatServer {
	t.Helper()
	return startChatServerWith(t, web.Options{})
}

// startChatServerWith takes the limits, allowed origins and hooks of o; the rest
// is the test's wiring.
func startChatServerWith(t *testing.T, o web.Options) *chatServer {
	t.Helper()
	var channels core.Channels
	var ch *web.Channel
	h := enginetest.New(t, enginetest.Options{Channels: &channels, OnOutbound: func() { ch.Wake() }})
	router := engine.NewRouter(h.Engine, 4)
	t.Cleanup(router.Close)
	generous := web.Limits{PerIP: 1000, PerIPBurst: 1000, PerContact: 1000, PerContactBurst: 1000, ConnectPerIP: 1000, ConnectPerIPBurst: 1000}
	var err error
	if o.Limits == (web.Limits{}) {
		o.Limits = generous
	}
	var n atomic.Int32
	ch, err = web.New(web.Options{
		Business: "Brightside Roofing & Painting", Secret: []byte("browser-test-secret-0123456789"),
		Dispatcher: router, Outbox: h.Store, Store: h.Store, Reminder: h.Engine,
		Clock: h.Clock.Now, Limits: o.Limits, AllowedOrigins: o.AllowedOrigins, Hooks: o.Hooks,
		NewContactID: func() string { return "visitor" + strconv.Itoa(int(n.Add(1))) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := channels.Register(ch); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = ch.Run(ctx) }()
	srv := httptest.NewServer(ch.Handler())
	t.Cleanup(func() {
		ch.CloseStreams()
		srv.Close()
		cancel()
		<-done
	})
	return &chatServer{h: h, ch: ch, url: srv.URL + "/chat/"}
}

// roofPhoto writes a JPEG a phone might take: sky, a wall and a red roof.
func roofPhoto(t *testing.T) string {
	t.Helper()
	const w, h = 480, 360
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.RGBA{uint8(120 + y/4), uint8(170 + y/6), 235, 255} // sky
			switch {
			case y > 130 && y < 250 && abs(x-240) < (y-130)*160/120:
				c = color.RGBA{178, 58, 40, 255} // roof
				if (y/12+x/24)%2 == 0 {
					c = color.RGBA{160, 48, 34, 255} // tiles
				}
			case y > 240 && x > 110 && x < 370:
				c = color.RGBA{232, 222, 200, 255} // wall
			case y > 320:
				c = color.RGBA{90, 140, 70, 255} // grass
			}
			img.Set(x, y, c)
		}
	}
	path := filepath.Join(t.TempDir(), "roof.jpg")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := jpeg.Encode(f, img, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	return path
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// person drives the chat as a visitor would, and fails the test with what
// the page shows when something does not appear.
type person struct {
	t   *testing.T
	ctx context.Context
}

func (p person) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, actions...); err != nil {
		p.t.Fatalf("%s: %v\nthe chat shows:\n%s", what, err, p.transcript())
	}
}

// transcript is the conversation as the page shows it, one line a bubble.
func (p person) transcript() string {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(p.ctx), 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`Array.from(document.querySelectorAll('#log .msg')).map(m =>
		(m.classList.contains('me') ? 'you: ' : 'bot: ') + m.innerText.replace(/\s+/g, ' ').trim()).join('\n')`))
	if err != nil {
		return "(unreadable: " + err.Error() + ")"
	}
	return s
}

// sees waits until a message with text appears in the conversation.
func (p person) sees(text string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	expr := fmt.Sprintf(`Array.from(document.querySelectorAll('#log .msg')).some(m => m.innerText.includes(%s))`, strconv.Quote(text))
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr)); err != nil {
		p.t.Fatalf("never saw %q: %v\nthe chat shows:\n%s", text, err, p.transcript())
	}
}

// count says how many messages show text.
func (p person) count(text string) int {
	p.t.Helper()
	n, err := chromedp.Run(p.ctx, chromedp.Evaluate[int](fmt.Sprintf(
		`Array.from(document.querySelectorAll('#log .msg')).filter(m => m.innerText.includes(%s)).length`, strconv.Quote(text))))
	if err != nil {
		p.t.Fatalf("count %q: %v", text, err)
	}
	return n
}

// says types a message and presses Enter.
func (p person) says(text string) {
	p.t.Helper()
	p.do("type "+text, chromedp.SendKeys(chromedp.ID("text"), text+kb.Enter))
	p.sees(text)
	if left, err := chromedp.Run(p.ctx, chromedp.Value(chromedp.ID("text"))); err != nil || left != "" {
		p.t.Errorf("after sending %q the message box holds %q (%v)", text, left, err)
	}
}

// presses clicks the answer button with that title.
func (p person) presses(title string) {
	p.t.Helper()
	sel := fmt.Sprintf(`//button[contains(concat(' ', @class, ' '), ' choice ') and not(@disabled) and normalize-space(.)=%s]`, xpathString(title))
	p.do("press "+title, chromedp.Click(sel))
	p.sees(title)
}

// pressesWithKeyboard reaches the answer button with the keyboard and
// presses Enter; the typing box has the focus again after.
func (p person) pressesWithKeyboard(title string) {
	p.t.Helper()
	sel := fmt.Sprintf(`//button[contains(concat(' ', @class, ' '), ' choice ') and not(@disabled) and normalize-space(.)=%s]`, xpathString(title))
	p.do("focus "+title, chromedp.Focus(sel))
	p.do("press Enter on "+title, chromedp.KeyEvent(kb.Enter))
	p.sees(title)
	if focus, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](`document.activeElement.id`)); err != nil || focus != "text" {
		p.t.Errorf("after answering with %q the focus is on %q, not the message box (%v)", title, focus, err)
	}
}

func xpathString(s string) string {
	if !strings.Contains(s, `"`) {
		return `"` + s + `"`
	}
	return "'" + s + "'"
}

// TestBrowserConversation is a person getting a quote in the chat page
// with a real browser: the welcome, the consent button, typed answers, a
// photo, the quote, and accepting it; then a reload shows the same
// conversation with nothing lost or doubled.
func TestBrowserConversation(t *testing.T) {
	s := startChatServer(t)
	photo := roofPhoto(t)
	ctx := browsertest.New(t, browsertest.Options{Width: 390, Height: 844, Timeout: 3 * time.Minute})
	browsertest.ScreenshotOnFailure(t, ctx)
	p := person{t: t, ctx: ctx}

	p.do("open the chat", chromedp.Navigate(s.url))
	title, err := chromedp.Run(ctx, chromedp.Title())
	if err != nil || title != "Chat with Brightside Roofing & Painting" {
		t.Fatalf("title %q, %v", title, err)
	}
	p.sees("Welcome to Brightside Roofing & Painting. I can put together a quote for your roofing or painting job right here in this chat.")
	p.sees("is that OK with you?")
	p.presses("Yes, that's fine")
	p.sees("What's your full name?")
	p.says("Ana Lima")
	p.sees("What's your email address?")
	p.says("ana@example.com")
	p.sees("Which number should we call?")
	p.says("+44 7700 900123")
	p.sees("Is the job for a company?")
	p.says("skip")
	p.sees("What's the address of the job?")
	p.says("12 High Street, Bristol BS1 4DJ")
	p.sees("Which service do you need?")
	p.presses("Roofing")
	p.sees("Tell us a little about the job.")
	p.says("Some tiles slipped in the storm and the gutter at the back leaks.")
	p.sees("Please send 1 to 5 photos")

	// A photo with its caption typed first, as on a phone.
	p.do("attach a photo",
		chromedp.SendKeys(chromedp.ID("text"), "Front of the roof, about 40 m2"),
		chromedp.SetUploadFiles(chromedp.ID("photo"), []string{photo}),
	)
	p.sees("Got it, photo 1")
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const i = document.querySelector('.msg.me img'); return !!i && i.complete && i.naturalWidth > 0; })()`))
	if err != nil || !loaded {
		t.Errorf("the photo does not show in the conversation (%v)", err)
	}
	p.says("done")
	p.sees("From your photos I read 40")
	p.pressesWithKeyboard("Yes")
	p.sees("Here is your quote, Ana Lima")
	p.sees("Total: €3,327.50")
	p.presses("Accept quote")
	p.sees("You have accepted our quote of €3,327.50")
	p.do("the bot has stopped typing", chromedp.Poll[chromedp.Void](`!document.querySelector('.typing')`))

	if errText, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('error').hidden ? '' : document.getElementById('error').innerText`)); errText != "" {
		t.Errorf("the page shows an error: %q", errText)
	}
	for _, text := range []string{"Welcome to", "Here is your quote", "You have accepted"} {
		if n := p.count(text); n != 1 {
			t.Errorf("%d messages show %q, want 1:\n%s", n, text, p.transcript())
		}
	}
	if sess := s.h.Session("web:visitor1"); sess == nil || sess.Quote == nil || sess.Quote.Status != engine.QuoteAccepted {
		t.Fatalf("the stored conversation has no accepted quote: %+v", sess)
	}
	shot(t, ctx)

	// Coming back: the conversation is still there, nothing doubled, and
	// the bot does not greet again.
	p.do("reload", chromedp.Reload())
	p.sees("You have accepted our quote")
	for _, text := range []string{"Welcome to", "Here is your quote", "You have accepted", "Ana Lima"} {
		if n := p.count(text); n < 1 || (text != "Ana Lima" && n != 1) {
			t.Errorf("after a reload %d messages show %q:\n%s", n, text, p.transcript())
		}
	}
	p.do("wait for the live connection", chromedp.Poll[chromedp.Void](`document.getElementById('status').textContent === 'Online'`))
}

// shot saves the page as the README shows it: with -update in docs/,
// otherwise in the temporary folder, for a look.
func shot(t *testing.T, ctx context.Context) {
	t.Helper()
	path := filepath.Join(os.TempDir(), "browsertest", "webchat.png")
	if *golden.Update {
		path = screenshotPath
	}
	if err := browsertest.Screenshot(ctx, path); err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	t.Logf("screenshot: %s", path)
}

// TestBrowserWidget is a business's page with the widget tag, on another
// origin that web.allowed_origins names: the button opens the chat in a
// frame, whose page greets the visitor over its live connection.
func TestBrowserWidget(t *testing.T) {
	site := httptest.NewUnstartedServer(nil)
	site.Start()
	t.Cleanup(site.Close)
	delivered := make(chan struct{}, 64)
	s := startChatServerWith(t, web.Options{AllowedOrigins: []string{site.URL}, Hooks: web.Hooks{Delivered: func() { delivered <- struct{}{} }}})
	site.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html lang="en"><head><title>Brightside Roofing</title></head>
<body style="font-family: sans-serif"><h1>Brightside Roofing &amp; Painting</h1><p>Roofs, gutters, painting.</p>
<script src="%swidget.js" async></script></body></html>`, s.url)
	})
	ctx := browsertest.New(t, browsertest.Options{Width: 1024, Height: 768, Timeout: 2 * time.Minute})
	browsertest.ScreenshotOnFailure(t, ctx)
	p := person{t: t, ctx: ctx}
	p.do("open the business's site", chromedp.Navigate(site.URL))
	p.do("press the chat button",
		chromedp.Click(`//button[@aria-label="Chat with us"]`),
		chromedp.WaitVisible(`//iframe[@title="Chat with us"]`),
	)
	expanded, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('button[aria-label="Chat with us"]').getAttribute('aria-expanded')`))
	if err != nil || expanded != "true" {
		t.Errorf("aria-expanded %q after opening (%v)", expanded, err)
	}
	// The frame's page runs: over its live connection it showed, and
	// acknowledged, the welcome.
	select {
	case <-delivered:
	case <-time.After(20 * time.Second):
		t.Fatalf("the chat in the frame showed nothing: %d live connections", s.ch.Connections())
	}
	if s.ch.Connections() != 1 || s.h.Session("web:visitor1") == nil {
		t.Errorf("%d live connections, session %v", s.ch.Connections(), s.h.Session("web:visitor1"))
	}
	if os.Getenv("WEBCHAT_SHOTS") != "" {
		_ = browsertest.Screenshot(ctx, filepath.Join(os.TempDir(), "browsertest", "widget.png"))
	}
	p.do("close it with the button", chromedp.Click(`//button[@aria-label="Chat with us"]`))
	if hidden, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('iframe').style.display === 'none'`)); !hidden {
		t.Error("the chat stays open after pressing its button again")
	}
}
