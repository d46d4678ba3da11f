package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestConfigFiles loads every testdata/config/*.yaml and compares the
// errors (or "ok") with the .golden beside it.
func TestConfigFiles(t *testing.T) {
	files, _ := filepath.Glob("testdata/config/*.yaml")
	if len(files) == 0 {
		t.Fatal("no config fixtures")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			_, err := LoadConfig(f, func(string) string { return "" })
			got := "ok\n"
			if err != nil {
				got = err.Error() + "\n"
			}
			golden(t, strings.TrimSuffix(f, ".yaml")+".golden", []byte(got))
		})
	}
}

func TestConfigDefaultsAndEnvironment(t *testing.T) {
	dir := t.TempDir()
	wd, _ := os.Getwd()
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	env := map[string]string{"WHATSAPP_TOKEN": "tok", "OPENAI_MODEL": "gpt-test"}
	cfg, err := LoadConfig("", func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("defaults without a file: %v", err)
	}
	if cfg.WhatsApp.Token != "tok" || cfg.OpenAI.Model != "gpt-test" || cfg.Engine.IdleTimeout.D() != 7*24*time.Hour {
		t.Fatalf("defaults or environment not applied: %+v", cfg)
	}
	if _, err := LoadConfig("missing.yaml", func(string) string { return "" }); err == nil {
		t.Fatal("an explicit --config that does not exist must be an error")
	}
}
