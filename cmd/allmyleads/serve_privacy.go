package main

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"net/http"
	"os"

	"github.com/gorilla/mux"

	"github.com/allmyleads/allmyleads/internal/markdown"
)

// PrivacyPath is where serve publishes the privacy policy; the consent
// question links to business.privacy_url, which should be this page on
// the public host.
const PrivacyPath = "/privacy"

//go:embed privacy_policy.md
var shippedPolicy string

// policyMarkdown is the configured policy file, else the shipped policy.
func policyMarkdown(cfg Config) (string, error) {
	if cfg.Business.PolicyFile == "" {
		return shippedPolicy, nil
	}
	b, err := os.ReadFile(cfg.Business.PolicyFile)
	if err != nil {
		return "", fmt.Errorf("business.policy_file: %w", err)
	}
	return string(b), nil
}

var policyPage = template.Must(template.New("privacy").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Privacy policy · {{ .Business }}</title>
<style>body{font:16px/1.55 system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;color:#1c1c1c}
h1{font-size:1.7rem}h2{font-size:1.25rem;margin-top:2rem}h3{font-size:1.05rem}.version{color:#555}</style></head>
<body><main>
<p class="version">{{ .Business }} · version {{ .Version }}{{ if .Date }} · last updated {{ .Date }}{{ end }}</p>
{{ .Body }}
</main></body></html>
`))

// privacyHandler serves the policy, rendered once, with its version and
// date.
func privacyHandler(cfg Config) (http.Handler, error) {
	md, err := policyMarkdown(cfg)
	if err != nil {
		return nil, err
	}
	var page bytes.Buffer
	err = policyPage.Execute(&page, map[string]any{
		"Business": cfg.Business.Name, "Version": cfg.Business.PolicyVersion, "Date": cfg.Business.PolicyDate,
		"Body": template.HTML(markdown.ToHTML(md)), // escaped by the renderer
	})
	if err != nil {
		return nil, err
	}
	body := page.Bytes()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
		w.Header().Set("X-Policy-Version", cfg.Business.PolicyVersion)
		w.Write(body)
	}), nil
}

// mountPrivacy adds GET /privacy to the router.
func mountPrivacy(r *mux.Router, cfg Config) error {
	h, err := privacyHandler(cfg)
	if err != nil {
		return err
	}
	r.Handle(PrivacyPath, h).Methods(http.MethodGet, http.MethodHead)
	return nil
}
