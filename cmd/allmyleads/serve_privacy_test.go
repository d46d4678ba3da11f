package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/allmyleads/allmyleads/channels/whatsapp/graphtest"
)

// TestServePrivacyPage: /privacy shows the configured policy, rendered
// from Markdown, with its version and date; the shipped policy by default.
func TestServePrivacyPage(t *testing.T) {
	g := graphtest.New(t)
	dir := t.TempDir()
	cfg := e2eConfig(g, dir)
	h := startHarness(t, g, cfg, serverOptions{})
	page, res := get(t, h.url+"/privacy")
	for _, want := range []string{"<h1>Privacy Policy</h1>", "version 2025-12-06", "last updated December 6, 2025", "<h2>11. Children&#39;s Privacy</h2>", "<li>Payment Records: 7 years as required by financial regulations</li>"} {
		if !strings.Contains(page, want) {
			t.Errorf("/privacy lacks %q", want)
		}
	}
	if res.Header.Get("X-Policy-Version") != "2025-12-06" || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Errorf("headers %v", res.Header)
	}

	own := filepath.Join(dir, "policy.md")
	os.WriteFile(own, []byte("# Our policy\n\nWe keep *little*. <script>x</script>\n"), 0o600)
	cfg2 := e2eConfig(g, t.TempDir())
	cfg2.Business.PolicyFile, cfg2.Business.PolicyVersion, cfg2.Business.PolicyDate = own, "2026-03", "March 1, 2026"
	h2 := startHarness(t, g, cfg2, serverOptions{})
	page, _ = get(t, h2.url+"/privacy")
	if !strings.Contains(page, "<h1>Our policy</h1>") || !strings.Contains(page, "<em>little</em>") || strings.Contains(page, "<script>") || !strings.Contains(page, "version 2026-03") {
		t.Errorf("the configured policy:\n%s", page)
	}
}

func get(t *testing.T, url string) (string, *http.Response) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, res.StatusCode, b)
	}
	return string(b), res
}
