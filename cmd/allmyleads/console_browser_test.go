package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/allmyleads/allmyleads/channels/whatsapp/graphtest"
	"github.com/allmyleads/allmyleads/engine/store"
	goldenfile "github.com/allmyleads/allmyleads/internal/golden"
	"github.com/allmyleads/allmyleads/owner"
)

// The console in a real browser: headless Chromium (Debian's chromium)
// driven by chromedp against a serve started in the test, with WhatsApp
// pointed at the Graph API double. It asserts what a person sees. Without
// a browser the test skips, except under CI=true, where it fails.

const ownerTestPassword = "correct horse battery staple"

// browserPath finds Chromium.
func browserPath(t *testing.T) string {
	for _, p := range []string{os.Getenv("CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"} {
		if p == "" {
			continue
		}
		if _, err := exec.LookPath(p); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no Chromium found (CI=true): install Debian's chromium package (apt-get install -y chromium)")
	}
	t.Skip("no Chromium installed: apt-get install -y chromium to run the browser tests")
	return ""
}

// browser starts headless Chromium for the test.
func browser(t *testing.T, width, height int) (context.Context, context.CancelFunc) {
	path := browserPath(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.WindowSize(width, height),
		chromedp.UserDataDir(t.TempDir()),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	// The first action starts the browser on the test's context: a step's
	// shorter context must not own it.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		cancelCtx()
		cancelAlloc()
		t.Fatalf("start %s: %v", path, err)
	}
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	return ctx, func() { cancelTimeout(); cancelCtx(); cancelAlloc() }
}

// browse runs browser actions, saving a screenshot of the page when they fail.
func browse(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	step, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(step, actions...); err != nil {
		failPage(t, ctx, what, err)
	}
}

// failPage fails the test with the page's text and a screenshot.
func failPage(t *testing.T, ctx context.Context, what string, err error) {
	t.Helper()
	if shot, serr := chromedp.Run(ctx, chromedp.FullScreenshot(100)); serr == nil {
		dir := filepath.Join(os.TempDir(), "allmyleads-browser-failures")
		_ = os.MkdirAll(dir, 0o755)
		path := filepath.Join(dir, t.Name()+".png")
		_ = os.WriteFile(path, shot, 0o644)
		t.Logf("screenshot of the failure: %s", path)
	}
	text, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
	t.Fatalf("%s: %v\npage text:\n%s", what, err, text)
}

// screenshot saves the page: to docs/screenshots with -update (the
// README shows them), else to a temporary folder.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		failPage(t, ctx, "screenshot "+name, err)
	}
	path := filepath.Join(t.TempDir(), name)
	if *goldenfile.Update {
		path = filepath.Join("..", "..", "docs", "screenshots", name)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
}

func xpathText(tag, text string) string {
	return fmt.Sprintf(`//%s[contains(normalize-space(.), %q)]`, tag, text)
}

// TestConsoleInBrowser: log in; a lead that writes on WhatsApp appears
// live; open it and see the photo; take over, reply (it reaches the Graph
// API double), hand back; edit and re-send the quote; mark it paid; erase
// the customer.
func TestConsoleInBrowser(t *testing.T) {
	ctx, cancel := browser(t, 1280, 900)
	defer cancel()
	g := graphtest.New(t)
	h := startHarness(t, g, e2eConfig(g, t.TempDir()), serverOptions{})
	hash, err := owner.HashPassword(ownerTestPassword)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.srv.rt.store.SetOwnerPassword(context.Background(), hash, "test"); err != nil {
		t.Fatal(err)
	}
	roof, err := os.ReadFile("../../owner/testdata/roof.jpg")
	if err != nil {
		t.Fatal(err)
	}

	browse(t, ctx, "log in",
		chromedp.Navigate(h.url+"/console/"),
		chromedp.WaitVisible(chromedp.CSS(`#secret`)),
		chromedp.SendKeys(chromedp.CSS(`#secret`), ownerTestPassword),
		chromedp.Submit(chromedp.CSS(`#secret`)),
		chromedp.WaitVisible(xpathText("h1", "Leads")),
		chromedp.Navigate(h.url+"/console/?tab=all"),
		chromedp.WaitVisible(xpathText("p", "No leads here")),
		chromedp.WaitReady(chromedp.CSS(`body[data-live="connected"]`)),
	)

	// Ana writes on WhatsApp: the list shows her without a reload.
	body, _ := h.message("text", map[string]any{"body": "Hi"})
	h.mustPost(body)
	browse(t, ctx, "the lead appears live", chromedp.WaitVisible(xpathText("a", "Ana Lima")))

	// The rest of the quote conversation, with a photo.
	sum := sha256.Sum256(roof)
	g.AddMedia("media-roof-1", "image/jpeg", roof)
	for _, line := range []string{"button: Yes, that's fine", "text: Ana Lima", "text: ana@example.com", "button: Yes, call this one",
		"text: skip", "text: 12 High Street, Bristol BS1 4DJ", "button: Roofing", "text: Some tiles slipped in the storm.",
		"photo: front of the roof, about 40 m2", "text: done", "button: Yes"} {
		kind, arg, _ := strings.Cut(line, ": ")
		var body []byte
		switch kind {
		case "text":
			body, _ = h.message("text", map[string]any{"body": arg})
		case "button":
			r, err := reply(g.Sent(), arg)
			if err != nil {
				t.Fatal(err)
			}
			body, _ = h.message("interactive", r)
		case "photo":
			body, _ = h.message("image", map[string]any{"id": "media-roof-1", "mime_type": "image/jpeg",
				"sha256": base64.StdEncoding.EncodeToString(sum[:]), "caption": arg})
		}
		h.mustPost(body)
		h.settle()
	}
	browse(t, ctx, "the quote shows in the list", chromedp.WaitVisible(xpathText("li", "€3,327.50")))
	// A second customer asks for a person: the list shows who needs the owner.
	for i, text := range []string{"Hello, do you also clean gutters?", "AGENT"} {
		h.mustPost(envelope(map[string]any{
			"contacts": []any{map[string]any{"profile": map[string]any{"name": "Bob Reyes"}, "wa_id": "447700900456"}},
			"messages": []any{map[string]any{"from": "447700900456", "id": fmt.Sprintf("wamid.bob.%d", i), "timestamp": fmt.Sprint(time.Now().Unix()), "type": "text", "text": map[string]any{"body": text}}},
		}))
		h.settle()
	}
	browse(t, ctx, "the second lead shows", chromedp.WaitVisible(xpathText("a", "Bob Reyes")), chromedp.WaitVisible(xpathText("span", "Waiting for a person")))
	// The pipeline's totals follow live too: one waiting for a person, one quoted.
	browse(t, ctx, "the pipeline counts the leads",
		chromedp.WaitVisible(`//tbody[@id="pipeline"]/tr[td[1][normalize-space()="Waiting for a person"]]/td[2][normalize-space()="1"]`),
		chromedp.WaitVisible(`//tbody[@id="pipeline"]/tr[td[1][normalize-space()="Quoted"]]/td[2][normalize-space()="1"]`))
	screenshot(t, ctx, "leads.png")

	browse(t, ctx, "open the lead and see the photo",
		chromedp.Click(xpathText("a", "Ana Lima")),
		chromedp.WaitVisible(xpathText("h1", "Ana Lima")),
		chromedp.WaitVisible(chromedp.CSS(`.photo img`)),
		chromedp.WaitVisible(xpathText("td", "Read from the photo")),
	)
	photoWidth, err := chromedp.Run(ctx, chromedp.Poll[int](`(() => { const i = document.querySelector('.photo img'); return i && i.complete && i.naturalWidth > 0 ? i.naturalWidth : 0 })()`, chromedp.WithPollingTimeout(10*time.Second)))
	if err != nil {
		failPage(t, ctx, "the photo loads", err)
	}
	if photoWidth == 0 || photoWidth > 320 {
		t.Errorf("the photo's thumbnail is %d pixels wide, want a thumbnail of at most 320", photoWidth)
	}
	screenshot(t, ctx, "lead.png")
	browse(t, ctx, "a phone's screen", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Reload(),
		chromedp.WaitVisible(xpathText("h1", "Ana Lima")))
	wide, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.documentElement.scrollWidth <= 390`, chromedp.WithPollingTimeout(5*time.Second)))
	if err != nil || !wide {
		t.Errorf("the lead page is wider than a 390 px phone screen (%v)", err)
	}
	screenshot(t, ctx, "lead-phone.png")
	browse(t, ctx, "back to a desktop screen", chromedp.EmulateReset(), chromedp.Reload(), chromedp.WaitVisible(xpathText("h1", "Ana Lima")))

	const answer = "Hi Ana, Sam from Brightside here. We can come on Tuesday."
	browse(t, ctx, "take over and reply",
		chromedp.Click(xpathText("button", "Take over")),
		chromedp.WaitVisible(xpathText("span", "A person has this conversation")),
		chromedp.SendKeys(chromedp.CSS(`#reply-text`), answer),
		chromedp.Click(chromedp.CSS(`#reply button[type=submit]`)),
		chromedp.WaitVisible(xpathText("p", "Sent.")),
	)
	eventually(t, "the reply at the Graph API", func() bool {
		for _, r := range g.Sent() {
			if txt, ok := r.Body["text"].(map[string]any); ok && txt["body"] == answer {
				return true
			}
		}
		return false
	})
	browse(t, ctx, "hand back",
		chromedp.Click(xpathText("button", "Hand back to the bot")),
		chromedp.WaitVisible(xpathText("span", "The bot has this conversation")),
	)

	browse(t, ctx, "edit and re-send the quote",
		chromedp.Click(xpathText("summary", "Edit and re-send")),
		chromedp.SetValue(chromedp.CSS(`input[name=qty0]`), "38"),
		chromedp.Click(xpathText("button", "Save as a new revision and send")),
		chromedp.WaitVisible(xpathText("p", "Revision 2 sent")),
	)
	eventually(t, "the revision at the Graph API", func() bool {
		for _, r := range g.Sent() {
			if strings.Contains(fmt.Sprint(r.Body), "revision 2") {
				return true
			}
		}
		return false
	})

	browse(t, ctx, "mark paid",
		chromedp.SendKeys(chromedp.CSS(`input[name=payment_ref]`), "INV-1042"),
		chromedp.Click(xpathText("button", "Mark paid")),
		chromedp.WaitVisible(xpathText("p", "Quote marked paid")),
		chromedp.WaitVisible(xpathText("span", "Paid")),
	)

	browse(t, ctx, "erase the customer",
		chromedp.Click(chromedp.CSS(`form.danger input[name=confirm]`)),
		chromedp.Click(xpathText("button", "Erase customer")),
		chromedp.WaitVisible(xpathText("p", "personal data was erased")),
	)
	exp, err := h.srv.rt.store.Export(context.Background(), "+"+e2eContact)
	if err != nil {
		t.Fatal(err)
	}
	if exp.Contact != nil || len(exp.Messages) != 0 {
		t.Errorf("after the erasure the store still holds the contact or messages: %+v", exp.Contact)
	}
	paid, err := h.srv.rt.store.Quotes(context.Background(), store.QuoteFilter{Status: "paid"})
	if err != nil || len(paid) != 1 || paid[0].Contact != "" || paid[0].PaymentRef != "INV-1042" {
		t.Errorf("the paid quote should stay without personal data: %+v, %v", paid, err)
	}
}
