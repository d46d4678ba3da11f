package whatsapp

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/allmyleads/allmyleads/channels/whatsapp/graphtest"
	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/internal/golden"
)

func newTestClient(g *graphtest.Server) *Client {
	return NewClient(ClientOptions{BaseURL: g.BaseURL(), Token: g.Token(), PhoneNumberID: g.PhoneNumberID})
}

// outboundCase is a testdata/outbound fixture: an outbound message and,
// for uploads, the media bytes (which the outbox never holds in JSON).
type outboundCase struct {
	core.Outbound
	Data []byte `json:"data"`
}

func readOutbound(t *testing.T, path string) core.Outbound {
	t.Helper()
	var c outboundCase
	if err := json.Unmarshal(mustRead(t, path), &c); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if c.Data != nil {
		c.Media.Data = c.Data
	}
	return c.Outbound
}

// TestSend sends every testdata/outbound fixture to the Graph API double
// and compares the requests it received with the golden file.
func TestSend(t *testing.T) {
	eachFixture(t, "testdata/outbound/*.json", func(t *testing.T, path, goldenPath string) {
		g := graphtest.New(t)
		c := newTestClient(g)
		wamid, err := c.Send(context.Background(), readOutbound(t, path))
		if err != nil {
			t.Fatalf("Send: %v", err)
		}
		sent := g.Sent()
		if want := sent[len(sent)-1]; wamid == "" || !strings.HasPrefix(wamid, "wamid.") {
			t.Errorf("wamid %q for %v", wamid, want.Body)
		}
		golden.Check(t, goldenPath, mustJSON(t, g.Requests()))
	})
}

// TestSendRefuses checks that messages Meta would reject are refused
// before any request, as permanent errors.
func TestSendRefuses(t *testing.T) {
	eachFixture(t, "testdata/outbound/invalid/*.json", func(t *testing.T, path, goldenPath string) {
		g := graphtest.New(t)
		_, err := newTestClient(g).Send(context.Background(), readOutbound(t, path))
		var se *SendError
		if !errors.As(err, &se) || se.Retryable || se.TokenExpired {
			t.Fatalf("got %v, want a permanent *SendError", err)
		}
		if n := len(g.Requests()); n != 0 {
			t.Errorf("%d requests made for a refused message", n)
		}
		golden.Check(t, goldenPath, []byte(err.Error()+"\n"))
	})
}

func TestSendErrorClassification(t *testing.T) {
	text := core.Outbound{Channel: ChannelName, Contact: "+447700900123", Kind: core.OutText, Text: "hi"}
	cases := []struct {
		status, code                                    int
		retry, rateLimited, tokenExpired, needsTemplate bool
	}{
		{http.StatusBadRequest, 130429, true, true, false, false},
		{http.StatusBadRequest, 131056, true, false, false, false},
		{http.StatusBadRequest, 80007, true, true, false, false},
		{http.StatusBadRequest, 4, true, true, false, false},
		{http.StatusBadRequest, 613, true, true, false, false},
		{http.StatusInternalServerError, 131000, true, false, false, false},
		{http.StatusServiceUnavailable, 131016, true, false, false, false},
		{http.StatusBadGateway, 1, true, false, false, false},
		{http.StatusBadRequest, 131026, false, false, false, false},
		{http.StatusBadRequest, 131051, false, false, false, false},
		{http.StatusBadRequest, 132001, false, false, false, false},
		{http.StatusBadRequest, 132012, false, false, false, false},
		{http.StatusBadRequest, 100, false, false, false, false},
		{http.StatusBadRequest, 131047, false, false, false, true},
		{http.StatusUnauthorized, 190, false, false, true, false},
		{http.StatusTooManyRequests, 999999, true, true, false, false},
		{http.StatusInternalServerError, 999999, true, false, false, false},
		{http.StatusBadRequest, 999999, false, false, false, false},
	}
	g := graphtest.New(t)
	c := newTestClient(g)
	for _, tc := range cases {
		g.FailNext(1, tc.status, tc.code)
		_, err := c.Send(context.Background(), text)
		var se *SendError
		if !errors.As(err, &se) {
			t.Fatalf("%d/%d: got %v, want *SendError", tc.status, tc.code, err)
		}
		if se.HTTPStatus != tc.status || se.Code != tc.code || se.FBTraceID == "" || se.Message == "" {
			t.Errorf("%d/%d: fields not read from the body: %+v", tc.status, tc.code, se)
		}
		if se.Retryable != tc.retry || se.RateLimited != tc.rateLimited || se.TokenExpired != tc.tokenExpired || se.NeedsTemplate != tc.needsTemplate {
			t.Errorf("%d/%d: got retry=%v rate=%v token=%v template=%v", tc.status, tc.code, se.Retryable, se.RateLimited, se.TokenExpired, se.NeedsTemplate)
		}
	}
	if _, err := c.Send(context.Background(), text); err != nil {
		t.Errorf("after the failures: %v", err)
	}
}

func TestSendTokenExpiredAndRenewed(t *testing.T) {
	g := graphtest.New(t)
	c := newTestClient(g)
	out := core.Outbound{Contact: "+447700900123", Kind: core.OutText, Text: "hi"}
	g.ExpireToken()
	_, err := c.Send(context.Background(), out)
	var se *SendError
	if !errors.As(err, &se) || !se.TokenExpired || se.Code != 190 || se.Subcode != 463 {
		t.Fatalf("got %v, want token expired 190/463", err)
	}
	g.RenewToken()
	if _, err := c.Send(context.Background(), out); err != nil {
		t.Fatal(err)
	}
	wrong := NewClient(ClientOptions{BaseURL: g.BaseURL(), Token: "other", PhoneNumberID: g.PhoneNumberID})
	if _, err := wrong.Send(context.Background(), out); !errors.As(err, &se) || !se.TokenExpired {
		t.Fatalf("wrong token: got %v", err)
	}
}

func TestSendNetworkErrorsAreRetryable(t *testing.T) {
	g := graphtest.New(t)
	c := NewClient(ClientOptions{BaseURL: g.BaseURL(), Token: g.Token(), PhoneNumberID: g.PhoneNumberID,
		HTTPClient: &http.Client{Timeout: 50 * time.Millisecond}})
	out := core.Outbound{Contact: "+447700900123", Kind: core.OutText, Text: "hi"}
	g.Hang(true)
	_, err := c.Send(context.Background(), out)
	var se *SendError
	if !errors.As(err, &se) || !se.Retryable || se.HTTPStatus != 0 {
		t.Fatalf("hanging server: got %v, want a retryable network error", err)
	}
	g.Hang(false)
	g.Close()
	if _, err := c.Send(context.Background(), out); !errors.As(err, &se) || !se.Retryable {
		t.Fatalf("closed server: got %v, want a retryable network error", err)
	}
}

func TestMarkRead(t *testing.T) {
	g := graphtest.New(t)
	if err := newTestClient(g).MarkRead(context.Background(), "wamid.in1"); err != nil {
		t.Fatal(err)
	}
	reads := g.Reads()
	if len(reads) != 1 || reads[0].Body["message_id"] != "wamid.in1" || reads[0].Body["messaging_product"] != "whatsapp" {
		t.Fatalf("reads: %+v", reads)
	}
	if got := reads[0].Header.Get("Authorization"); got != "Bearer "+g.Token() {
		t.Errorf("authorization %q", got)
	}
}

func TestDownloadMedia(t *testing.T) {
	photo := graphtest.JPEG("a small jpeg")
	sum := sha256.Sum256(photo)
	g := graphtest.New(t)
	c := newTestClient(g)
	ctx := context.Background()

	g.AddMedia("m-hex", "image/jpeg", photo)
	g.AddMediaWith("m-b64", "image/jpeg", photo, base64.StdEncoding.EncodeToString(sum[:]), len(photo))
	g.AddMediaWith("m-bad-sum", "image/jpeg", photo, base64.StdEncoding.EncodeToString(make([]byte, 32)), "14")
	g.AddMediaWith("m-big-meta", "image/jpeg", photo, "", "99999999")
	g.AddMediaWith("m-lying-size", "image/jpeg", make([]byte, 2048), "", 10)
	g.AddMediaWith("m-bad-size", "image/jpeg", photo, "", "lots")

	for _, id := range []string{"m-hex", "m-b64"} {
		data, info, err := c.DownloadMedia(ctx, id, 1024)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if string(data) != string(photo) || info.MIME != "image/jpeg" || info.FileSize != int64(len(photo)) {
			t.Errorf("%s: got %q %+v", id, data, info)
		}
	}
	cases := []struct {
		id   string
		want error
	}{
		{"m-bad-sum", ErrMediaChecksum},
		{"m-big-meta", ErrMediaTooLarge},
		{"m-lying-size", ErrMediaTooLarge},
	}
	for _, tc := range cases {
		if _, _, err := c.DownloadMedia(ctx, tc.id, 1024); !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.id, err, tc.want)
		}
	}
	if _, _, err := c.DownloadMedia(ctx, "m-bad-size", 1024); err == nil || !strings.Contains(err.Error(), "file_size") {
		t.Errorf("bad file_size: got %v", err)
	}
	var se *SendError
	if _, _, err := c.DownloadMedia(ctx, "missing", 1024); !errors.As(err, &se) || se.Code != 100 || se.Retryable {
		t.Errorf("unknown id: got %v, want permanent error 100", err)
	}
	g.FailNextMedia(1, http.StatusInternalServerError, 131000)
	if _, _, err := c.DownloadMedia(ctx, "m-hex", 1024); !errors.As(err, &se) || !se.Retryable {
		t.Errorf("server error: got %v, want retryable", err)
	}
	for _, r := range g.Requests() {
		if r.Header.Get("Authorization") != "Bearer "+g.Token() {
			t.Errorf("%s %s without the bearer token", r.Method, r.Path)
		}
	}
}

func TestSameSHA256(t *testing.T) {
	data := []byte("abc")
	sum := sha256.Sum256(data)
	hexSum := "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	for _, s := range []string{hexSum, strings.ToUpper(hexSum), base64.StdEncoding.EncodeToString(sum[:]),
		base64.RawStdEncoding.EncodeToString(sum[:]), base64.URLEncoding.EncodeToString(sum[:])} {
		if !SameSHA256(s, data) {
			t.Errorf("%q not accepted", s)
		}
	}
	for _, s := range []string{"", "abc", hexSum[:60], base64.StdEncoding.EncodeToString(make([]byte, 32))} {
		if SameSHA256(s, data) {
			t.Errorf("%q accepted", s)
		}
	}
}

func TestSplitText(t *testing.T) {
	long := strings.TrimSpace(strings.Repeat("word ", 300)) // 1499 characters
	parts := splitText(long, 1024)
	if len(parts) != 2 {
		t.Fatalf("%d parts", len(parts))
	}
	if strings.Join(parts, " ") != strings.TrimSpace(long) || strings.HasSuffix(parts[0], " ") {
		t.Error("words lost or changed")
	}
	for _, p := range parts {
		if utf8.RuneCountInString(p) > 1024 {
			t.Errorf("part of %d characters", utf8.RuneCountInString(p))
		}
	}
	if got := splitText("short", 10); len(got) != 1 || got[0] != "short" {
		t.Errorf("short text: %q", got)
	}
	if got := splitText(strings.Repeat("é", 25), 10); len(got) != 3 || got[2] != "ééééé" {
		t.Errorf("no spaces: %q", got)
	}
	if got := clip("Roof repair and full inspection", 20); utf8.RuneCountInString(got) > 20 || !strings.HasSuffix(got, "…") {
		t.Errorf("clip: %q", got)
	}
}

func TestMain(m *testing.M) {
	os.Exit(m.Run())
}
