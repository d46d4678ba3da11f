package whatsapp

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/allmyleads/allmyleads/engine/core"
)

// DefaultAPIBase is the Graph API version the client speaks.
const DefaultAPIBase = "https://graph.facebook.com/v23.0"

// Meta's limits on what one message may carry.
const (
	maxTextBody        = 4096
	maxInteractiveBody = 1024
	maxButtons         = 3
	maxButtonTitle     = 20
	maxButtonID        = 256
	maxListRows        = 10
	maxListButton      = 20
	maxRowTitle        = 24
	maxRowDescription  = 72
	maxRowID           = 200
	maxSectionTitle    = 24
	maxCaption         = 1024
	// DefaultMaxMediaBytes bounds a media download when the caller gives no
	// limit: Meta's limit for images is 5 MB.
	DefaultMaxMediaBytes = 5 << 20
)

// ClientOptions configure a Client.
type ClientOptions struct {
	BaseURL       string       // default DefaultAPIBase
	Token         string       // the system user's access token
	PhoneNumberID string       // the business number's id
	HTTPClient    *http.Client // default: a client with a 30 s timeout
	MaxMediaBytes int64        // default limit of DownloadMedia (DefaultMaxMediaBytes)
}

// Client calls the Graph API for one business phone number. It is safe for
// concurrent use.
type Client struct {
	base  string
	token string
	phone string
	http  *http.Client
	max   int64
}

// NewClient returns a client; it does no I/O.
func NewClient(o ClientOptions) *Client {
	c := &Client{
		base:  strings.TrimRight(o.BaseURL, "/"),
		token: o.Token,
		phone: o.PhoneNumberID,
		http:  o.HTTPClient,
		max:   o.MaxMediaBytes,
	}
	if c.base == "" {
		c.base = DefaultAPIBase
	}
	if c.http == nil {
		c.http = &http.Client{Timeout: 30 * time.Second}
	}
	if c.max <= 0 {
		c.max = DefaultMaxMediaBytes
	}
	return c
}

// sendResponse is the body of a successful POST /messages.
type sendResponse struct {
	MessagingProduct string `json:"messaging_product"`
	Contacts         []struct {
		Input string `json:"input"`
		WaID  string `json:"wa_id"`
	} `json:"contacts"`
	Messages []struct {
		ID string `json:"id"`
	} `json:"messages"`
	Success bool `json:"success"` // mark-as-read answers {"success": true}
}

// errorResponse is the body of every failed Graph API call.
type errorResponse struct {
	Error *struct {
		Message      string `json:"message"`
		Type         string `json:"type"`
		Code         int    `json:"code"`
		ErrorSubcode int    `json:"error_subcode"`
		FBTraceID    string `json:"fbtrace_id"`
		ErrorData    struct {
			Details string `json:"details"`
		} `json:"error_data"`
	} `json:"error"`
}

// Send delivers one outbound message and returns the wamid Meta assigned.
// Images and documents with Data are uploaded first; a body longer than
// Meta allows for an interactive message goes out as text messages first
// and the buttons or list with the last part (the returned wamid is the
// last message's). Errors are *SendError.
func (c *Client) Send(ctx context.Context, out core.Outbound) (string, error) {
	to, err := recipient(out.Contact)
	if err != nil {
		return "", err
	}
	var lead []string // text parts sent before the message itself
	var msg map[string]any
	switch out.Kind {
	case core.OutText:
		parts := splitText(out.Text, maxTextBody)
		lead, msg = parts[:len(parts)-1], textMessage(parts[len(parts)-1])
	case core.OutButtons, core.OutList:
		parts := splitText(out.Text, maxInteractiveBody)
		lead = parts[:len(parts)-1]
		msg, err = interactiveMessage(out, parts[len(parts)-1])
	case core.OutImage, core.OutDocument:
		msg, err = c.mediaMessage(ctx, out)
	case core.OutTemplate:
		msg, err = templateMessage(out.Template)
	default:
		err = localError("outbound kind %q is not supported", out.Kind)
	}
	if err != nil {
		return "", err
	}
	for _, part := range lead {
		if _, err := c.postMessage(ctx, to, textMessage(part)); err != nil {
			return "", err
		}
	}
	if out.ID != "" {
		// Meta echoes it in the message's status webhooks, so a send whose
		// outcome a crash lost is found again by its outbox id.
		msg["biz_opaque_callback_data"] = out.ID
	}
	return c.postMessage(ctx, to, msg)
}

// recipient is the addressee of a message: "to" with the number's digits,
// as Meta's examples write it, or "recipient" with a business-scoped user id
// for a username without a number.
func recipient(contact string) (addressee, error) {
	u, err := core.NormalizeURN(contact)
	if err != nil {
		return addressee{}, localError("recipient is not a WhatsApp contact") // the error would quote it
	}
	switch core.URNScheme(u) {
	case core.SchemeWhatsApp:
		return addressee{"to", core.URNPath(u)}, nil
	case core.SchemeWhatsAppBSUID:
		return addressee{"recipient", core.URNPath(u)}, nil
	}
	return addressee{}, localError("recipient is not a WhatsApp contact")
}

// addressee is the field of a send request that names the customer and its value.
type addressee struct{ field, value string }

func textMessage(body string) map[string]any {
	return map[string]any{
		"type": "text",
		"text": map[string]any{"body": body, "preview_url": hasURL(body)},
	}
}

func hasURL(s string) bool {
	return strings.Contains(s, "https://") || strings.Contains(s, "http://")
}

func interactiveMessage(out core.Outbound, body string) (map[string]any, error) {
	if len(out.Options) == 0 {
		return nil, localError("%s message without options", out.Kind)
	}
	if strings.TrimSpace(body) == "" {
		return nil, localError("%s message without body text", out.Kind)
	}
	if out.Kind == core.OutButtons && len(out.Options) <= maxButtons {
		buttons := make([]map[string]any, 0, len(out.Options))
		for _, o := range out.Options {
			buttons = append(buttons, map[string]any{
				"type":  "reply",
				"reply": map[string]any{"id": clip(o.ID, maxButtonID), "title": clip(o.Title, maxButtonTitle)},
			})
		}
		return map[string]any{"type": "interactive", "interactive": map[string]any{
			"type":   "button",
			"body":   map[string]any{"text": body},
			"action": map[string]any{"buttons": buttons},
		}}, nil
	}
	if len(out.Options) > maxListRows {
		return nil, localError("%d options: a list holds at most %d", len(out.Options), maxListRows)
	}
	label := out.Button
	if label == "" {
		label = "Choose"
	}
	rows := make([]map[string]any, 0, len(out.Options))
	for _, o := range out.Options {
		row := map[string]any{"id": clip(o.ID, maxRowID), "title": clip(o.Title, maxRowTitle)}
		if o.Description != "" {
			row["description"] = clip(o.Description, maxRowDescription)
		}
		rows = append(rows, row)
	}
	return map[string]any{"type": "interactive", "interactive": map[string]any{
		"type": "list",
		"body": map[string]any{"text": body},
		"action": map[string]any{
			"button":   clip(label, maxListButton),
			"sections": []any{map[string]any{"title": clip(label, maxSectionTitle), "rows": rows}},
		},
	}}, nil
}

func templateMessage(t *core.Template) (map[string]any, error) {
	if t == nil || t.Name == "" {
		return nil, localError("template message without a template name")
	}
	lang := t.Language
	if lang == "" {
		lang = "en_US"
	}
	tpl := map[string]any{"name": t.Name, "language": map[string]any{"code": lang}}
	if len(t.Params) > 0 {
		params := make([]map[string]any, 0, len(t.Params))
		for _, p := range t.Params {
			params = append(params, map[string]any{"type": "text", "text": p})
		}
		tpl["components"] = []any{map[string]any{"type": "body", "parameters": params}}
	}
	return map[string]any{"type": "template", "template": tpl}, nil
}

func (c *Client) mediaMessage(ctx context.Context, out core.Outbound) (map[string]any, error) {
	kind := "image"
	if out.Kind == core.OutDocument {
		kind = "document"
	}
	m := out.Media
	if m == nil {
		return nil, localError("%s message without media", kind)
	}
	obj := map[string]any{}
	switch {
	case len(m.Data) > 0:
		id, err := c.UploadMedia(ctx, m.MIME, m.Filename, m.Data)
		if err != nil {
			return nil, err
		}
		obj["id"] = id
	case m.URL != "":
		obj["link"] = m.URL
	default:
		return nil, localError("%s message has neither bytes nor a link", kind)
	}
	caption := m.Caption
	if caption == "" {
		caption = out.Text
	}
	if caption != "" {
		obj["caption"] = clip(caption, maxCaption)
	}
	if kind == "document" && m.Filename != "" {
		obj["filename"] = m.Filename
	}
	return map[string]any{"type": kind, kind: obj}, nil
}

// clip shortens s to at most n characters, ending with an ellipsis when cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

// splitText cuts s into parts of at most n characters, at a paragraph or
// line break, else at a space, else anywhere. It always returns at least
// one part.
func splitText(s string, n int) []string {
	var parts []string
	for utf8.RuneCountInString(s) > n {
		head := string([]rune(s)[:n])
		cut := -1
		for _, sep := range []string{"\n\n", "\n", ". ", " "} {
			if i := strings.LastIndex(head, sep); i > 0 {
				cut = i + len(sep)
				break
			}
		}
		if cut <= 0 {
			cut = len(head)
		}
		parts = append(parts, strings.TrimRight(s[:cut], " \n"))
		s = strings.TrimLeft(s[cut:], " \n")
	}
	return append(parts, s)
}

// postMessage POSTs one message to /{phone-number-id}/messages.
func (c *Client) postMessage(ctx context.Context, to addressee, msg map[string]any) (string, error) {
	msg["messaging_product"] = "whatsapp"
	msg["recipient_type"] = "individual"
	msg[to.field] = to.value
	var resp sendResponse
	if err := c.postJSON(ctx, c.phone+"/messages", msg, &resp); err != nil {
		return "", err
	}
	if len(resp.Messages) == 0 || resp.Messages[0].ID == "" {
		// The message may well have gone out: never retry, or the
		// customer could get it twice.
		return "", localError("accepted the message but returned no message id")
	}
	return resp.Messages[0].ID, nil
}

// MarkRead marks an inbound message as read (the customer sees blue ticks).
func (c *Client) MarkRead(ctx context.Context, wamid string) error {
	var resp sendResponse
	body := map[string]any{"messaging_product": "whatsapp", "status": "read", "message_id": wamid}
	if err := c.postJSON(ctx, c.phone+"/messages", body, &resp); err != nil {
		return err
	}
	if !resp.Success {
		return localError("mark as read was not acknowledged")
	}
	return nil
}

// UploadMedia uploads bytes to /{phone-number-id}/media and returns the
// media id to send them by.
func (c *Client) UploadMedia(ctx context.Context, mime, filename string, data []byte) (string, error) {
	if mime == "" {
		mime = http.DetectContentType(data)
	}
	if filename == "" {
		filename = "file"
	}
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.WriteField("messaging_product", "whatsapp")
	_ = w.WriteField("type", mime)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, filename))
	h.Set("Content-Type", mime)
	part, err := w.CreatePart(h)
	if err != nil {
		return "", localError("upload: %v", err)
	}
	_, _ = part.Write(data)
	if err := w.Close(); err != nil {
		return "", localError("upload: %v", err)
	}
	req, err := c.request(ctx, http.MethodPost, c.base+"/"+c.phone+"/media", &buf)
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	var resp struct {
		ID string `json:"id"`
	}
	if err := c.do(req, &resp); err != nil {
		return "", err
	}
	if resp.ID == "" {
		return "", localError("upload returned no media id")
	}
	return resp.ID, nil
}

// MediaInfo is what the Graph API says about a media id.
type MediaInfo struct {
	ID       string
	URL      string // short-lived download URL
	MIME     string
	SHA256   string // as Meta wrote it (hex or base64)
	FileSize int64
}

// ErrMediaTooLarge and ErrMediaChecksum are the media download failures
// that retrying cannot fix.
var (
	ErrMediaTooLarge = errors.New("media larger than allowed")
	ErrMediaChecksum = errors.New("media SHA-256 does not match")
)

// DownloadMedia fetches a media id's bytes: GET {base}/{id} for the URL,
// then GET the URL with the same token. It enforces maxBytes (the client's
// MaxMediaBytes when <= 0) and checks the SHA-256 Meta gave, hex or base64.
func (c *Client) DownloadMedia(ctx context.Context, mediaID string, maxBytes int64) ([]byte, MediaInfo, error) {
	if maxBytes <= 0 {
		maxBytes = c.max
	}
	var raw struct {
		ID       string          `json:"id"`
		URL      string          `json:"url"`
		MIMEType string          `json:"mime_type"`
		SHA256   string          `json:"sha256"`
		FileSize json.RawMessage `json:"file_size"`
	}
	req, err := c.request(ctx, http.MethodGet, c.base+"/"+url.PathEscape(mediaID), nil)
	if err != nil {
		return nil, MediaInfo{}, err
	}
	if err := c.do(req, &raw); err != nil {
		return nil, MediaInfo{}, fmt.Errorf("media %s: %w", mediaID, err)
	}
	info := MediaInfo{ID: raw.ID, URL: raw.URL, MIME: raw.MIMEType, SHA256: raw.SHA256}
	if info.FileSize, err = flexInt(raw.FileSize); err != nil {
		return nil, info, fmt.Errorf("media %s: file_size: %w", mediaID, err)
	}
	if info.URL == "" {
		return nil, info, fmt.Errorf("media %s: %w", mediaID, localError("no download url"))
	}
	if info.FileSize > maxBytes {
		return nil, info, fmt.Errorf("media %s: %d bytes, limit %d: %w", mediaID, info.FileSize, maxBytes, ErrMediaTooLarge)
	}
	if err := c.checkMediaURL(info.URL); err != nil {
		return nil, info, fmt.Errorf("media %s: %w", mediaID, err)
	}
	req, err = c.request(ctx, http.MethodGet, info.URL, nil)
	if err != nil {
		return nil, info, err
	}
	res, err := c.noRedirects().Do(req)
	if err != nil {
		return nil, info, fmt.Errorf("media %s: %w", mediaID, classify(&SendError{Err: err}))
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, info, fmt.Errorf("media %s: %w", mediaID, responseError(res))
	}
	data, err := io.ReadAll(io.LimitReader(res.Body, maxBytes+1))
	if err != nil {
		return nil, info, fmt.Errorf("media %s: %w", mediaID, classify(&SendError{Err: err}))
	}
	if int64(len(data)) > maxBytes {
		return nil, info, fmt.Errorf("media %s: more than %d bytes: %w", mediaID, maxBytes, ErrMediaTooLarge)
	}
	if info.SHA256 != "" && !SameSHA256(info.SHA256, data) {
		return nil, info, fmt.Errorf("media %s: %w", mediaID, ErrMediaChecksum)
	}
	if info.MIME == "" {
		info.MIME = res.Header.Get("Content-Type")
	}
	return data, info, nil
}

// flexInt reads a JSON number or a string of digits; absent is 0.
func flexInt(raw json.RawMessage) (int64, error) {
	s := strings.Trim(strings.TrimSpace(string(raw)), `"`)
	if s == "" || s == "null" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	return n, nil
}

// SameSHA256 says whether want (hex or base64, as Meta writes it in
// different places) is the SHA-256 of data.
func SameSHA256(want string, data []byte) bool {
	sum := sha256.Sum256(data)
	want = strings.TrimSpace(want)
	if b, err := hex.DecodeString(want); err == nil && len(b) == sha256.Size {
		return bytes.Equal(b, sum[:])
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(want); err == nil && len(b) == sha256.Size {
			return bytes.Equal(b, sum[:])
		}
	}
	return false
}

func (c *Client) request(ctx context.Context, method, u string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, localError("build request: %v", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	return req, nil
}

func (c *Client) postJSON(ctx context.Context, path string, body, into any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // "&" as is: the text is not HTML
	if err := enc.Encode(body); err != nil {
		return localError("encode request: %v", err)
	}
	req, err := c.request(ctx, http.MethodPost, c.base+"/"+path, &buf)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	return c.do(req, into)
}

// do sends the request and decodes a 2xx JSON answer into into, or returns
// the classified *SendError.
func (c *Client) do(req *http.Request, into any) error {
	res, err := c.http.Do(req)
	if err != nil {
		return classify(&SendError{Err: err})
	}
	defer res.Body.Close()
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return responseError(res)
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(into); err != nil {
		// A 2xx whose body we cannot read: the call may have worked, so
		// it is not retried.
		return &SendError{HTTPStatus: res.StatusCode, Message: "unreadable response: " + err.Error()}
	}
	return nil
}

// responseError reads a Graph API error body into a classified SendError.
func responseError(res *http.Response) *SendError {
	e := &SendError{HTTPStatus: res.StatusCode, Message: http.StatusText(res.StatusCode)}
	body, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	var er errorResponse
	if json.Unmarshal(body, &er) == nil && er.Error != nil {
		e.Code, e.Subcode = er.Error.Code, er.Error.ErrorSubcode
		e.Title, e.Message, e.FBTraceID = er.Error.Type, er.Error.Message, er.Error.FBTraceID
		e.Details = er.Error.ErrorData.Details
	}
	return classify(e)
}

// checkMediaURL refuses a download URL that would carry the access token
// anywhere but Meta's media hosts over HTTPS (or the configured API base
// itself, a test double on loopback).
func (c *Client) checkMediaURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return localError("the media url is not a URL")
	}
	if base, err := url.Parse(c.base); err == nil && u.Scheme == base.Scheme && u.Host == base.Host {
		return nil
	}
	if u.Scheme != "https" {
		return localError("the media url is not https: the access token is not sent over plain http")
	}
	host := strings.ToLower(u.Hostname())
	// The hosts Meta serves media downloads from.
	for _, h := range [...]string{"fbsbx.com", "fbcdn.net", "facebook.com", "whatsapp.net"} {
		if host == h || strings.HasSuffix(host, "."+h) {
			return nil
		}
	}
	return localError("the media url's host %q is not one of Meta's: the access token is not sent there", host)
}

// noRedirects is the client for media downloads: a redirect would take the
// access token to wherever it points, so a 3xx is an answer, not followed.
func (c *Client) noRedirects() *http.Client {
	hc := *c.http
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &hc
}
