package whatsapp

import (
	"bytes"
	"errors"
	"fmt"
	"image/jpeg"
	"image/png"
	"strings"
)

// ErrNotImage marks a download whose bytes are not the image its type
// says: it is not stored as a photo.
var ErrNotImage = errors.New("not the image its type says")

// checkImage checks that data is a JPEG, PNG or WebP image whose header
// decodes, and that it is the kind declared (the webhook's or the Graph
// API's mime_type), so an HTML file labelled image/png is never kept as a
// customer's photo.
func checkImage(data []byte, declared string) error {
	kind := sniffImage(data)
	if kind == "" {
		return fmt.Errorf("%w: the bytes are no JPEG, PNG or WebP image", ErrNotImage)
	}
	base, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(declared)), ";")
	if base != "" && base != kind && !(base == "image/jpg" && kind == "image/jpeg") {
		return fmt.Errorf("%w: declared %s, the bytes are %s", ErrNotImage, base, kind)
	}
	return nil
}

// sniffImage names the image type of data by its magic number and a decode
// of its header, or "".
func sniffImage(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte("\xff\xd8\xff")):
		if _, err := jpeg.DecodeConfig(bytes.NewReader(data)); err == nil {
			return "image/jpeg"
		}
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		if _, err := png.DecodeConfig(bytes.NewReader(data)); err == nil {
			return "image/png"
		}
	case len(data) >= 16 && bytes.Equal(data[:4], []byte("RIFF")) && bytes.Equal(data[8:12], []byte("WEBP")):
		// WebP: the standard library has no decoder; the container's
		// chunk (VP8, VP8L or VP8X) must follow the header.
		if c := string(data[12:16]); c == "VP8 " || c == "VP8L" || c == "VP8X" {
			return "image/webp"
		}
	}
	return ""
}
