// Package graphtest is a test double of Meta's Graph API for the WhatsApp
// Cloud API, on net/http/httptest. It answers like Meta (message ids,
// error bodies, media metadata and downloads), checks the bearer token and
// the rules Meta enforces on message bodies, records every request, and can
// be told to fail, rate-limit, expire the token or hang.
//
// It is for tests and the bench command only.
package graphtest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// Defaults the double starts with.
const (
	DefaultToken         = "graphtest-token"
	DefaultPhoneNumberID = "106540352242922"
	Version              = "v23.0"
)

// Request is one recorded request.
type Request struct {
	Method string         `json:"method"`
	Path   string         `json:"path"` // e.g. /v23.0/106540352242922/messages
	Header http.Header    `json:"-"`
	Body   map[string]any `json:"body,omitempty"` // the decoded JSON body
	Form   map[string]any `json:"form,omitempty"` // multipart fields; "file" is the file's size and type
	Status int            `json:"status"`         // what the double answered
}

// IsSend says whether the request sends a message (not a read receipt).
func (r Request) IsSend() bool {
	return r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/messages") && r.Body["status"] == nil
}

// IsRead says whether the request marks a message as read.
func (r Request) IsRead() bool {
	return r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/messages") && r.Body["status"] == "read"
}

type media struct {
	mime   string
	data   []byte
	sha256 string
	size   any // what file_size says: a string as Meta sends it, or a number
}

type failure struct {
	status, code int
	message      string
}

// Server is the running double. Its methods are safe for concurrent use.
type Server struct {
	URL           string // the server's root, e.g. http://127.0.0.1:41234
	PhoneNumberID string

	srv *httptest.Server

	mu        sync.Mutex
	token     string
	expired   bool
	reqs      []Request
	nextMsg   int
	nextMedia int
	failSend  []failure
	failMedia []failure
	media     map[string]*media
	hang      chan struct{} // non-nil while hanging; closed to release
	hanging   int           // requests held by a hang now
	changed   chan struct{} // closed and replaced on every request

	statuses  *StatusReports // nil: no status webhooks
	heldStats [][]byte       // status webhooks held back (late)
}

// StatusReports makes the double report every accepted send back as Meta
// does, as a messages webhook with a "sent" then a "delivered" status that
// carry the send's biz_opaque_callback_data. Post receives each webhook
// body (a test signs it and posts it to the channel's webhook).
type StatusReports struct {
	Post      func(body []byte)
	Hold      bool // keep them until ReleaseStatuses (late webhooks)
	Duplicate bool // report every status twice, as Meta may
	Drop      bool // never report (lost webhooks)
}

// ReportStatuses turns status webhooks on (nil turns them off).
func (s *Server) ReportStatuses(r *StatusReports) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.statuses = r
}

// ReleaseStatuses posts the held status webhooks, oldest first, and stops
// holding new ones.
func (s *Server) ReleaseStatuses() {
	s.mu.Lock()
	held, r := s.heldStats, s.statuses
	s.heldStats = nil
	if r != nil {
		r.Hold = false
	}
	s.mu.Unlock()
	if r == nil {
		return
	}
	for _, body := range held {
		r.Post(body)
	}
}

// reportStatus builds the status webhooks of one accepted send and posts
// or holds them. Called without s.mu held.
func (s *Server) reportStatus(wamid, to, bsuid, callback string) {
	s.mu.Lock()
	r := s.statuses
	s.mu.Unlock()
	if r == nil || r.Drop {
		return
	}
	var bodies [][]byte
	for _, st := range []string{"sent", "delivered"} {
		status := map[string]any{"id": wamid, "status": st, "timestamp": fmt.Sprint(time.Now().Unix())}
		if to != "" {
			status["recipient_id"] = to
		}
		if bsuid != "" {
			status["recipient_user_id"] = bsuid
		}
		if callback != "" {
			status["biz_opaque_callback_data"] = callback
		}
		body, _ := json.Marshal(map[string]any{
			"object": "whatsapp_business_account",
			"entry": []any{map[string]any{"id": "0", "changes": []any{map[string]any{"field": "messages", "value": map[string]any{
				"messaging_product": "whatsapp",
				"metadata":          map[string]any{"display_phone_number": "15550001111", "phone_number_id": s.PhoneNumberID},
				"statuses":          []any{status},
			}}}}},
		})
		bodies = append(bodies, body)
		if r.Duplicate {
			bodies = append(bodies, body)
		}
	}
	s.mu.Lock()
	if s.statuses != nil && s.statuses.Hold {
		s.heldStats = append(s.heldStats, bodies...)
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	for _, b := range bodies {
		r.Post(b)
	}
}

// New starts a double that is closed when the test ends.
func New(t testing.TB) *Server {
	s := Start()
	t.Cleanup(s.Close)
	return s
}

// Start starts a double outside a test (the bench command); Close it.
func Start() *Server {
	s := &Server{
		PhoneNumberID: DefaultPhoneNumberID,
		token:         DefaultToken,
		media:         map[string]*media{},
		changed:       make(chan struct{}),
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Close releases a hang and stops the server.
func (s *Server) Close() {
	s.Hang(false)
	s.srv.Close()
}

// BaseURL is what the client's BaseURL (WHATSAPP_API_BASE) must be.
func (s *Server) BaseURL() string { return s.URL + "/" + Version }

// Token is the access token the double accepts.
func (s *Server) Token() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.token
}

// Requests returns every request so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// Sent returns the message sends (not read receipts) Meta accepted, oldest
// first.
func (s *Server) Sent() []Request { return s.accepted(Request.IsSend) }

// Reads returns the accepted mark-as-read requests.
func (s *Server) Reads() []Request { return s.accepted(Request.IsRead) }

// accepted returns the requests of one kind that were answered 200.
func (s *Server) accepted(kind func(Request) bool) []Request {
	var out []Request
	for _, r := range s.Requests() {
		if kind(r) && r.Status == http.StatusOK {
			out = append(out, r)
		}
	}
	return out
}

// FailNext makes the next n message sends fail with the HTTP status and
// Graph error code (e.g. 400, 131026). Read receipts and media are not
// affected.
func (s *Server) FailNext(n, httpStatus, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failSend = append(s.failSend, failure{status: httpStatus, code: code, message: messageFor(code)})
	}
}

// RateLimit makes the next n message sends fail with Meta's throughput
// error 130429.
func (s *Server) RateLimit(n int) { s.FailNext(n, http.StatusBadRequest, 130429) }

// FailNextMedia makes the next n media requests (metadata or download)
// fail with the HTTP status and Graph error code.
func (s *Server) FailNextMedia(n, httpStatus, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failMedia = append(s.failMedia, failure{status: httpStatus, code: code, message: messageFor(code)})
	}
}

// ExpireToken makes every request fail with error 190 until RenewToken.
func (s *Server) ExpireToken() {
	s.mu.Lock()
	s.expired = true
	s.mu.Unlock()
}

// RenewToken ends ExpireToken.
func (s *Server) RenewToken() {
	s.mu.Lock()
	s.expired = false
	s.mu.Unlock()
}

// Hang makes every request wait (until Hang(false) or the client gives up).
func (s *Server) Hang(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case on && s.hang == nil:
		s.hang = make(chan struct{})
	case !on && s.hang != nil:
		close(s.hang)
		s.hang = nil
	}
}

// Hanging returns how many requests a hang holds now.
func (s *Server) Hanging() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hanging
}

// AddMedia makes a media id downloadable. Its metadata gives the SHA-256
// in hex and file_size as a string, as Meta does.
func (s *Server) AddMedia(id, mimeType string, data []byte) {
	sum := sha256.Sum256(data)
	s.AddMediaWith(id, mimeType, data, hex.EncodeToString(sum[:]), strconv.Itoa(len(data)))
}

// AddMediaWith is AddMedia with the sha256 and file_size the metadata
// reports (a wrong hash, a number instead of a string...).
func (s *Server) AddMediaWith(id, mimeType string, data []byte, sha string, fileSize any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.media[id] = &media{mime: mimeType, data: data, sha256: sha, size: fileSize}
}

// WaitSent waits until at least n message sends were accepted and returns
// them; it fails the test after a deadline.
func (s *Server) WaitSent(t testing.TB, n int) []Request {
	t.Helper()
	if !s.WaitFor(10*time.Second, func(reqs []Request) bool { return countSent(reqs) >= n }) {
		t.Fatalf("graphtest: waited for %d sent messages, got %d", n, len(s.Sent()))
	}
	return s.Sent()
}

func countSent(reqs []Request) int {
	n := 0
	for _, r := range reqs {
		if r.IsSend() && r.Status == http.StatusOK {
			n++
		}
	}
	return n
}

// WaitFor waits until cond holds for the recorded requests or the timeout
// passes, and says whether it held.
func (s *Server) WaitFor(timeout time.Duration, cond func([]Request) bool) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		ok := cond(s.reqs)
		ch := s.changed
		s.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-ch:
		case <-deadline.C:
			return false
		}
	}
}

// record appends a request and wakes waiters.
func (s *Server) record(r Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = append(s.reqs, r)
	s.notify()
}

// notify wakes waiters; the caller holds s.mu.
func (s *Server) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	rec := Request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone()}
	s.mu.Lock()
	hang := s.hang
	s.mu.Unlock()
	if hang != nil {
		s.mu.Lock()
		s.hanging++
		s.notify()
		s.mu.Unlock()
		defer func() {
			s.mu.Lock()
			s.hanging--
			s.mu.Unlock()
		}()
		select {
		case <-hang:
		case <-r.Context().Done():
			rec.Status = 0
			s.record(rec)
			return
		}
	}
	status, body := s.answer(r, &rec)
	rec.Status = status
	s.record(rec)
	if b, ok := body.([]byte); ok {
		w.WriteHeader(status)
		_, _ = w.Write(b)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("x-fb-trace-id", "graphtest")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// answer routes a request and returns the status and the body (a value to
// encode as JSON, or raw bytes).
func (s *Server) answer(r *http.Request, rec *Request) (int, any) {
	if status, body, bad := s.checkToken(r); bad {
		return status, body
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/"+Version+"/")
	if strings.HasPrefix(r.URL.Path, "/download/") {
		return s.download(strings.TrimPrefix(r.URL.Path, "/download/"))
	}
	if !ok {
		return graphError(http.StatusBadRequest, 2500, "Unknown path components: "+r.URL.Path, "")
	}
	parts := strings.Split(rest, "/")
	switch {
	case len(parts) == 2 && parts[1] == "messages" && r.Method == http.MethodPost:
		if parts[0] != s.PhoneNumberID {
			return noObject(parts[0], "post")
		}
		return s.message(r, rec)
	case len(parts) == 2 && parts[1] == "media" && r.Method == http.MethodPost:
		if parts[0] != s.PhoneNumberID {
			return noObject(parts[0], "post")
		}
		return s.upload(r, rec)
	case len(parts) == 1 && r.Method == http.MethodGet:
		return s.mediaInfo(parts[0])
	}
	return graphError(http.StatusBadRequest, 100, "Unsupported "+strings.ToLower(r.Method)+" request.", "")
}

func (s *Server) checkToken(r *http.Request) (int, any, bool) {
	s.mu.Lock()
	token, expired := s.token, s.expired
	s.mu.Unlock()
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	switch {
	case !ok || got == "":
		status, body := graphError(http.StatusUnauthorized, 190, "An active access token must be used to query information about the current user.", "")
		return status, body, true
	case got != token:
		status, body := graphError(http.StatusUnauthorized, 190, "Invalid OAuth access token - Cannot parse access token", "")
		return status, body, true
	case expired:
		status, body := graphErrorSub(http.StatusUnauthorized, 190, 463, "Error validating access token: Session has expired.", "")
		return status, body, true
	}
	return 0, nil, false
}

func (s *Server) takeFailure(list *[]failure) (failure, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(*list) == 0 {
		return failure{}, false
	}
	f := (*list)[0]
	*list = (*list)[1:]
	return f, true
}

func (s *Server) message(r *http.Request, rec *Request) (int, any) {
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err := json.Unmarshal(raw, &rec.Body); err != nil {
		return graphError(http.StatusBadRequest, 100, "Invalid parameter", "request body is not a JSON object: "+err.Error())
	}
	b := rec.Body
	if b["messaging_product"] != "whatsapp" {
		return graphError(http.StatusBadRequest, 100, "(#100) The parameter messaging_product is required.", "")
	}
	if b["status"] != nil {
		if b["status"] != "read" || str(b["message_id"]) == "" {
			return graphError(http.StatusBadRequest, 100, "Invalid parameter", "status must be read with a message_id")
		}
		return http.StatusOK, map[string]any{"success": true}
	}
	if f, ok := s.takeFailure(&s.failSend); ok {
		return graphError(f.status, f.code, f.message, "")
	}
	to, bsuid := str(b["to"]), str(b["recipient"])
	switch {
	case to == "" && bsuid == "":
		return graphError(http.StatusBadRequest, 100, "(#100) Invalid parameter", "to or recipient is required")
	case to != "" && strings.Trim(to, "+0123456789") != "":
		return graphError(http.StatusBadRequest, 100, "(#100) Invalid parameter", "to must be a phone number")
	case to == "" && !strings.Contains(bsuid, "."):
		return graphError(http.StatusBadRequest, 100, "(#100) Invalid parameter", "recipient must be a business-scoped user id")
	}
	if problem := checkMessage(b); problem != "" {
		return graphError(http.StatusBadRequest, 131009, "(#131009) Parameter value is not valid", problem)
	}
	s.mu.Lock()
	s.nextMsg++
	id := fmt.Sprintf("wamid.%d", s.nextMsg)
	s.mu.Unlock()
	msg := map[string]any{"id": id}
	if b["type"] == "template" {
		msg["message_status"] = "accepted"
	}
	contact := map[string]any{"input": to, "wa_id": strings.TrimPrefix(to, "+")}
	if to == "" { // a send to a BSUID answers with user_id, not wa_id
		contact = map[string]any{"input": bsuid, "user_id": bsuid}
	}
	// Meta reports the status later, on the webhook, whatever the client
	// does with this answer.
	go s.reportStatus(id, strings.TrimPrefix(to, "+"), bsuid, str(b["biz_opaque_callback_data"]))
	return http.StatusOK, map[string]any{
		"messaging_product": "whatsapp",
		"contacts":          []any{contact},
		"messages":          []any{msg},
	}
}

// checkMessage applies Meta's rules on a message body and says what is
// wrong, or "".
func checkMessage(b map[string]any) string {
	typ := str(b["type"])
	obj, _ := b[typ].(map[string]any)
	if obj == nil {
		return fmt.Sprintf("type %q needs a %q object", typ, typ)
	}
	switch typ {
	case "text":
		return checkLen("text.body", str(obj["body"]), 1, 4096)
	case "image", "document":
		if str(obj["id"]) == "" && str(obj["link"]) == "" {
			return typ + " needs an id or a link"
		}
		return checkLen(typ+".caption", str(obj["caption"]), 0, 1024)
	case "template":
		lang, _ := obj["language"].(map[string]any)
		if str(obj["name"]) == "" || lang == nil || str(lang["code"]) == "" {
			return "template needs a name and language.code"
		}
		return ""
	case "interactive":
		return checkInteractive(obj)
	}
	return fmt.Sprintf("type %q is not supported by the double", typ)
}

func checkInteractive(obj map[string]any) string {
	body, _ := obj["body"].(map[string]any)
	if p := checkLen("interactive.body.text", str(body["text"]), 1, 1024); p != "" {
		return p
	}
	action, _ := obj["action"].(map[string]any)
	switch obj["type"] {
	case "button":
		buttons, _ := action["buttons"].([]any)
		if len(buttons) < 1 || len(buttons) > 3 {
			return fmt.Sprintf("interactive.action.buttons: %d buttons, want 1 to 3", len(buttons))
		}
		seen := map[string]bool{}
		for i, x := range buttons {
			btn, _ := x.(map[string]any)
			reply, _ := btn["reply"].(map[string]any)
			if btn["type"] != "reply" || reply == nil {
				return fmt.Sprintf("interactive.action.buttons[%d]: want a reply button", i)
			}
			if p := checkLen(fmt.Sprintf("buttons[%d].reply.title", i), str(reply["title"]), 1, 20); p != "" {
				return p
			}
			if p := checkLen(fmt.Sprintf("buttons[%d].reply.id", i), str(reply["id"]), 1, 256); p != "" {
				return p
			}
			if seen[str(reply["title"])] || seen["id:"+str(reply["id"])] {
				return "interactive.action.buttons: titles and ids must be unique"
			}
			seen[str(reply["title"])], seen["id:"+str(reply["id"])] = true, true
		}
		return ""
	case "list":
		if p := checkLen("interactive.action.button", str(action["button"]), 1, 20); p != "" {
			return p
		}
		sections, _ := action["sections"].([]any)
		rows := 0
		for i, x := range sections {
			sec, _ := x.(map[string]any)
			if p := checkLen(fmt.Sprintf("sections[%d].title", i), str(sec["title"]), 0, 24); p != "" {
				return p
			}
			list, _ := sec["rows"].([]any)
			for j, y := range list {
				row, _ := y.(map[string]any)
				if p := checkLen(fmt.Sprintf("sections[%d].rows[%d].title", i, j), str(row["title"]), 1, 24); p != "" {
					return p
				}
				if p := checkLen(fmt.Sprintf("sections[%d].rows[%d].description", i, j), str(row["description"]), 0, 72); p != "" {
					return p
				}
				if p := checkLen(fmt.Sprintf("sections[%d].rows[%d].id", i, j), str(row["id"]), 1, 200); p != "" {
					return p
				}
				rows++
			}
		}
		if rows < 1 || rows > 10 {
			return fmt.Sprintf("interactive.action.sections: %d rows, want 1 to 10", rows)
		}
		return ""
	}
	return fmt.Sprintf("interactive.type %q is not supported by the double", obj["type"])
}

func checkLen(field, s string, lo, hi int) string {
	n := utf8.RuneCountInString(s)
	if n < lo || n > hi {
		return fmt.Sprintf("%s: %d characters, want %d to %d", field, n, lo, hi)
	}
	return ""
}

func (s *Server) upload(r *http.Request, rec *Request) (int, any) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return graphError(http.StatusBadRequest, 100, "(#100) Param file must be a file with one of the following types", "want multipart/form-data")
	}
	mr := multipart.NewReader(r.Body, params["boundary"])
	rec.Form = map[string]any{}
	var data []byte
	var fileType string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return graphError(http.StatusBadRequest, 100, "Invalid parameter", "broken multipart body")
		}
		b, _ := io.ReadAll(io.LimitReader(p, 100<<20))
		if p.FormName() == "file" {
			data, fileType = b, p.Header.Get("Content-Type")
			rec.Form["file"] = map[string]any{"filename": p.FileName(), "type": fileType, "size": len(b)}
			continue
		}
		rec.Form[p.FormName()] = string(b)
	}
	if rec.Form["messaging_product"] != "whatsapp" || data == nil || str(rec.Form["type"]) == "" {
		return graphError(http.StatusBadRequest, 100, "(#100) The parameter messaging_product is required.", "want messaging_product, type and file")
	}
	s.mu.Lock()
	s.nextMedia++
	id := fmt.Sprintf("%d", 9000000000000000+s.nextMedia)
	s.mu.Unlock()
	s.AddMedia(id, str(rec.Form["type"]), data)
	return http.StatusOK, map[string]any{"id": id}
}

func (s *Server) mediaInfo(id string) (int, any) {
	if f, ok := s.takeFailure(&s.failMedia); ok {
		return graphError(f.status, f.code, f.message, "")
	}
	s.mu.Lock()
	m := s.media[id]
	s.mu.Unlock()
	if m == nil {
		return noObject(id, "get")
	}
	return http.StatusOK, map[string]any{
		"messaging_product": "whatsapp",
		"url":               s.URL + "/download/" + url.PathEscape(id) + "?ext=" + strconv.FormatInt(time.Now().Unix(), 10),
		"mime_type":         m.mime,
		"sha256":            m.sha256,
		"file_size":         m.size,
		"id":                id,
	}
}

func (s *Server) download(id string) (int, any) {
	if f, ok := s.takeFailure(&s.failMedia); ok {
		return graphError(f.status, f.code, f.message, "")
	}
	s.mu.Lock()
	m := s.media[id]
	s.mu.Unlock()
	if m == nil {
		return http.StatusNotFound, []byte("not found")
	}
	return http.StatusOK, bytes.Clone(m.data)
}

func noObject(id, verb string) (int, any) {
	return graphErrorSub(http.StatusBadRequest, 100, 33, fmt.Sprintf(
		"Unsupported %s request. Object with ID '%s' does not exist, cannot be loaded due to missing permissions, or does not support this operation.", verb, id), "")
}

func graphError(status, code int, message, details string) (int, any) {
	return graphErrorSub(status, code, 0, message, details)
}

func graphErrorSub(status, code, subcode int, message, details string) (int, any) {
	e := map[string]any{
		"message":    message,
		"type":       "OAuthException",
		"code":       code,
		"fbtrace_id": "AgraphtestTrace",
	}
	if subcode != 0 {
		e["error_subcode"] = subcode
	}
	if details != "" {
		e["error_data"] = map[string]any{"messaging_product": "whatsapp", "details": details}
	}
	return status, map[string]any{"error": e}
}

// messageFor is the message Meta writes for the codes tests use.
func messageFor(code int) string {
	switch code {
	case 130429:
		return "(#130429) Rate limit hit"
	case 131056:
		return "(#131056) (Business Account, Consumer Account) pair rate limit hit"
	case 80007:
		return "(#80007) Rate limit issues"
	case 131026:
		return "(#131026) Message undeliverable"
	case 131047:
		return "(#131047) Re-engagement message"
	case 131000:
		return "(#131000) Something went wrong"
	case 190:
		return "Error validating access token"
	case 100:
		return "(#100) Invalid parameter"
	}
	return fmt.Sprintf("(#%d) Error", code)
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// JPEG returns a small real JPEG image (a 16×16 roof-red square) with a
// marker in its comment, so tests can tell photos apart and a server's
// image checks accept it.
func JPEG(marker string) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for i := range img.Pix {
		img.Pix[i] = [4]byte{0xb0, 0x40, 0x30, 0xff}[i%4]
	}
	var b bytes.Buffer
	_ = jpeg.Encode(&b, img, &jpeg.Options{Quality: 80})
	out := b.Bytes()
	// A COM segment after SOI carries the marker.
	com := append([]byte{0xff, 0xfe, byte((len(marker) + 2) >> 8), byte(len(marker) + 2)}, marker...)
	return append(append(append([]byte{}, out[:2]...), com...), out[2:]...)
}
