package whatsapp

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// TestMediaTokenStaysWithMeta: the access token goes only to the API base
// and Meta's media hosts over HTTPS; a lookup naming another host, plain
// http, or a redirect elsewhere gets an error and the token is never sent.
func TestMediaTokenStaysWithMeta(t *testing.T) {
	var leaked atomic.Int32
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			leaked.Add(1)
		}
		w.Write([]byte("\\xff\\xd8\\xffjpeg"))
	}))
	defer elsewhere.Close()
	var mediaURL string
	graph := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v23.0/media-1":
			json.NewEncoder(w).Encode(map[string]any{"id": "media-1", "url": mediaURL, "mime_type": "image/jpeg"})
		case "/download":
			http.Redirect(w, r, elsewhere.URL+"/stolen", http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	}))
	defer graph.Close()
	c := NewClient(ClientOptions{BaseURL: graph.URL + "/v23.0", Token: "secret-token", PhoneNumberID: "1"})
	for _, u := range []string{
		elsewhere.URL + "/x",                          // another host, plain http
		"https://lookaside.example.com/x",             // https, not Meta's
		"http://lookaside.fbsbx.com/x",                // Meta's host, plain http
		graph.URL + "/download",                       // the API base, redirecting elsewhere
		"https://evil.example/?h=lookaside.fbsbx.com", // Meta's name only in the query
	} {
		mediaURL = u
		if _, _, err := c.DownloadMedia(context.Background(), "media-1", 0); err == nil {
			t.Errorf("download from %s succeeded", u)
		}
	}
	if n := leaked.Load(); n != 0 {
		t.Fatalf("the access token reached another host %d times", n)
	}
	for _, ok := range []string{"https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1", "https://scontent.xx.fbcdn.net/v/t1/1.jpg"} {
		if err := c.checkMediaURL(ok); err != nil {
			t.Errorf("Meta's media url %s refused: %v", ok, err)
		}
	}
}
