package graphtest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func post(t *testing.T, s *Server, path, token, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.BaseURL()+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (int, map[string]any) {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return res.StatusCode, m
}

func code(m map[string]any) any {
	e, _ := m["error"].(map[string]any)
	return e["code"]
}

// TestMetaRules checks that the double refuses what Meta refuses, with
// Meta's error shape.
func TestMetaRules(t *testing.T) {
	s := New(t)
	path := "/" + s.PhoneNumberID + "/messages"
	button := func(title string) string {
		return `{"type":"reply","reply":{"id":"` + title + `","title":"` + title + `"}}`
	}
	cases := []struct {
		name, body string
		status     int
		code       float64
	}{
		{"text", `{"messaging_product":"whatsapp","to":"447700900123","type":"text","text":{"body":"hi"}}`, 200, 0},
		{"no messaging_product", `{"to":"447700900123","type":"text","text":{"body":"hi"}}`, 400, 100},
		{"empty text", `{"messaging_product":"whatsapp","to":"447700900123","type":"text","text":{"body":""}}`, 400, 131009},
		{"bad recipient", `{"messaging_product":"whatsapp","to":"ana","type":"text","text":{"body":"hi"}}`, 400, 100},
		{"four buttons", `{"messaging_product":"whatsapp","to":"1555123","type":"interactive","interactive":{"type":"button","body":{"text":"?"},"action":{"buttons":[` +
			button("a") + "," + button("b") + "," + button("c") + "," + button("d") + `]}}}`, 400, 131009},
		{"long button title", `{"messaging_product":"whatsapp","to":"1555123","type":"interactive","interactive":{"type":"button","body":{"text":"?"},"action":{"buttons":[` +
			button("a title longer than twenty") + `]}}}`, 400, 131009},
		{"duplicate buttons", `{"messaging_product":"whatsapp","to":"1555123","type":"interactive","interactive":{"type":"button","body":{"text":"?"},"action":{"buttons":[` +
			button("a") + "," + button("a") + `]}}}`, 400, 131009},
		{"list", `{"messaging_product":"whatsapp","to":"1555123","type":"interactive","interactive":{"type":"list","body":{"text":"?"},"action":{"button":"Pick","sections":[{"title":"S","rows":[{"id":"1","title":"One"}]}]}}}`, 200, 0},
		{"template without language", `{"messaging_product":"whatsapp","to":"1555123","type":"template","template":{"name":"x"}}`, 400, 131009},
		{"read receipt", `{"messaging_product":"whatsapp","status":"read","message_id":"wamid.1"}`, 200, 0},
	}
	for _, tc := range cases {
		status, body := post(t, s, path, s.Token(), tc.body)
		if status != tc.status {
			t.Errorf("%s: status %d, want %d (%v)", tc.name, status, tc.status, body)
			continue
		}
		if tc.code != 0 && code(body) != tc.code {
			t.Errorf("%s: code %v, want %v", tc.name, code(body), tc.code)
		}
		if tc.code != 0 {
			e := body["error"].(map[string]any)
			if e["type"] != "OAuthException" || e["fbtrace_id"] == "" || e["message"] == "" {
				t.Errorf("%s: error body not in Meta's shape: %v", tc.name, e)
			}
		}
	}
	if status, body := post(t, s, "/999/messages", s.Token(), cases[0].body); status != 400 || code(body) != float64(100) {
		t.Errorf("unknown phone number id: %d %v", status, body)
	}
	if status, body := post(t, s, path, "", cases[0].body); status != 401 || code(body) != float64(190) {
		t.Errorf("no token: %d %v", status, body)
	}
	if n := len(s.Sent()); n != 2 {
		t.Errorf("%d accepted sends recorded, want 2", n)
	}
}

func TestMediaNeedsToken(t *testing.T) {
	s := New(t)
	s.AddMedia("m1", "image/png", []byte("png"))
	req, _ := http.NewRequest(http.MethodGet, s.BaseURL()+"/m1", nil)
	req.Header.Set("Authorization", "Bearer "+s.Token())
	status, meta := do(t, req)
	if status != 200 || meta["file_size"] != "3" || meta["mime_type"] != "image/png" {
		t.Fatalf("metadata %d %v", status, meta)
	}
	get, _ := http.NewRequest(http.MethodGet, meta["url"].(string), nil)
	if status, _ := do(t, get); status != 401 {
		t.Errorf("download without token: %d", status)
	}
}

func TestWaitForAndHang(t *testing.T) {
	s := New(t)
	s.Hang(true)
	done := make(chan int)
	go func() {
		status, _ := post(t, s, "/"+s.PhoneNumberID+"/messages", s.Token(), `{"messaging_product":"whatsapp","to":"1555123","type":"text","text":{"body":"hi"}}`)
		done <- status
	}()
	if s.WaitFor(20*time.Millisecond, func(r []Request) bool { return len(r) > 0 }) {
		t.Fatal("a request was answered while hanging")
	}
	s.Hang(false)
	if status := <-done; status != 200 {
		t.Errorf("after the hang: %d", status)
	}
	if got := s.WaitSent(t, 1); len(got) != 1 {
		t.Errorf("WaitSent %v", got)
	}
}
