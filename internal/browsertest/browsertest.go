// Package browsertest starts the headless Chromium that browser tests drive
// with chromedp (Debian's chromium package; no browser is downloaded). A
// test asks for a tab with New: without a browser on the machine the test
// is skipped with a message saying what to install, except under CI=true,
// where a missing browser fails it, so CI never passes by skipping.
//
// It owns finding and launching the browser and saving what it shows; the
// servers, pages and assertions belong to each test.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// EnvBrowser names a browser binary to use instead of looking one up.
const EnvBrowser = "ALLMYLEADS_BROWSER"

// Candidates are the browser names looked up on PATH, in order.
var Candidates = []string{"chromium", "chromium-browser", "google-chrome-stable", "google-chrome", "chrome", "headless-shell"}

// Find returns the browser to run: $ALLMYLEADS_BROWSER when set, else the
// first of Candidates on PATH. getenv is os.Getenv in tests.
func Find(getenv func(string) string) (string, bool) {
	if p := getenv(EnvBrowser); p != "" {
		if path, err := exec.LookPath(p); err == nil {
			return path, true
		}
		return "", false
	}
	for _, name := range Candidates {
		if path, err := exec.LookPath(name); err == nil {
			return path, true
		}
	}
	return "", false
}

// Options shape the tab. Zero values take a phone's screen (390×844) and a
// minute for the whole test.
type Options struct {
	Width, Height int
	Timeout       time.Duration
}

// missing decides what a test does without a browser: under CI it fails,
// elsewhere it is skipped with the line to run.
func missing(t testing.TB, getenv func(string) string) {
	t.Helper()
	const install = "apt-get update && apt-get install -y chromium"
	if getenv("CI") == "true" {
		t.Fatalf("browsertest: no Chromium found (looked for $%s and %v on PATH) and CI=true: install it (%s)", EnvBrowser, Candidates, install)
		return
	}
	t.Skipf("browsertest: no Chromium on this machine, skipping the browser test (install it with: %s)", install)
}

// Flags are the command-line switches the browser runs with: headless, no
// sandbox (tests run as root in containers), and nothing that reaches the
// network by itself.
func Flags(execPath, profile string, width, height int) []chromedp.ExecAllocatorOption {
	return []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(execPath),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(width, height),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints"),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("use-mock-keychain", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
		chromedp.Flag("force-device-scale-factor", "1"),
	}
}

// New starts a browser for the test and returns a context whose actions
// run in its one tab. The browser is closed when the test ends.
func New(t testing.TB, o Options) context.Context {
	t.Helper()
	return newWith(t, o, os.Getenv)
}

func newWith(t testing.TB, o Options, getenv func(string) string) context.Context {
	t.Helper()
	path, ok := Find(getenv)
	if !ok {
		missing(t, getenv)
		return nil
	}
	if o.Width <= 0 || o.Height <= 0 {
		o.Width, o.Height = 390, 844
	}
	if o.Timeout <= 0 {
		o.Timeout = time.Minute
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), Flags(path, t.TempDir(), o.Width, o.Height)...)
	ctx, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf))
	ctx, cancelTimeout := context.WithTimeout(ctx, o.Timeout)
	t.Cleanup(func() {
		cancelTimeout()
		cancelTab()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(o.Width), int64(o.Height))); err != nil {
		t.Fatalf("browsertest: start %s: %v", path, err)
	}
	return ctx
}

// Screenshot saves the tab's viewport as a PNG at path.
func Screenshot(ctx context.Context, path string) error {
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, png, 0o644)
}

// ScreenshotOnFailure saves what the tab shows when the test fails, in
// $TMPDIR/browsertest (kept after the test), and logs where.
func ScreenshotOnFailure(t testing.TB, ctx context.Context) {
	t.Helper()
	dir := filepath.Join(os.TempDir(), "browsertest")
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		// The test's own context may be cancelled by now: give the tab a
		// few seconds of its own.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		path := filepath.Join(dir, filepath.Base(t.Name())+".png")
		if err := Screenshot(sctx, path); err != nil {
			t.Logf("browsertest: no screenshot of the failure: %v", err)
			return
		}
		t.Logf("browsertest: the page at the failure: %s", path)
	})
}
