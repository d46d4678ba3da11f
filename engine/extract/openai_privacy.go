package extract

import (
	"bytes"
	"encoding/binary"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// What the OpenAI extractor sends is only what extraction needs: the
// business's instructions, the fields' schema, the customer's texts and
// photos for this step, and nothing else of the customer: not their phone
// number, name or contact id (the request has no user field), and not the
// photos' metadata (a phone's photo carries where and when it was taken:
// stripMetadata drops it). Every request asks OpenAI not to keep it
// ("store": false, which noStore adds because go-openai leaves a false
// store out of the JSON).

// noStore is a transport that adds "store": false to every chat
// completion request it carries.
type noStore struct{ base http.RoundTripper }

func (n noStore) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/chat/completions") || r.Body == nil {
		return n.base.RoundTrip(r)
	}
	body, err := io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil {
		return nil, err
	}
	body = withStoreFalse(body)
	r2 := r.Clone(r.Context())
	r2.Body = io.NopCloser(bytes.NewReader(body))
	r2.ContentLength = int64(len(body))
	r2.Header.Set("Content-Length", strconv.Itoa(len(body)))
	r2.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	return n.base.RoundTrip(r2)
}

// withStoreFalse puts "store":false first in a JSON object that has no
// "store" key.
func withStoreFalse(body []byte) []byte {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' || bytes.Contains(body, []byte(`"store":`)) {
		return body
	}
	rest := bytes.TrimLeft(trimmed[1:], " \t\r\n")
	sep := ","
	if len(rest) > 0 && rest[0] == '}' {
		sep = ""
	}
	out := make([]byte, 0, len(body)+16)
	out = append(out, `{"store":false`+sep...)
	return append(out, rest...)
}

// stripMetadata returns a photo without the metadata a camera writes into
// it: a JPEG without its APP1 (Exif, XMP), APP13 (IPTC) and comment
// segments; a PNG without its text and eXIf chunks. Anything it cannot
// parse is returned as it is.
func stripMetadata(mime string, data []byte) []byte {
	switch mime {
	case "image/jpeg":
		return stripJPEG(data)
	case "image/png":
		return stripPNG(data)
	}
	return data
}

func stripJPEG(data []byte) []byte {
	if len(data) < 4 || data[0] != 0xFF || data[1] != 0xD8 {
		return data
	}
	out := append(make([]byte, 0, len(data)), 0xFF, 0xD8)
	i := 2
	for i+4 <= len(data) {
		if data[i] != 0xFF {
			return data
		}
		marker := data[i+1]
		if marker == 0xDA { // start of scan: the image data follows, copied as is
			return append(out, data[i:]...)
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		if n < 2 || i+2+n > len(data) {
			return data
		}
		if marker != 0xE1 && marker != 0xED && marker != 0xFE {
			out = append(out, data[i:i+2+n]...)
		}
		i += 2 + n
	}
	return data
}

var pngDropped = map[string]bool{"tEXt": true, "iTXt": true, "zTXt": true, "eXIf": true, "tIME": true}

func stripPNG(data []byte) []byte {
	const sig = "\x89PNG\r\n\x1a\n"
	if len(data) < 8 || string(data[:8]) != sig {
		return data
	}
	out := append(make([]byte, 0, len(data)), data[:8]...)
	i := 8
	for i+12 <= len(data) {
		n := int(binary.BigEndian.Uint32(data[i:]))
		end := i + 12 + n
		if n < 0 || end > len(data) {
			return data
		}
		if !pngDropped[string(data[i+4:i+8])] {
			out = append(out, data[i:end]...)
		}
		i = end
	}
	if i != len(data) {
		return data
	}
	return out
}
