package owner

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	_ "image/png" // photos customers send
	"strconv"
	"sync"

	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/plugins"
)

// thumbSize is the longest side of a thumbnail, in pixels.
const thumbSize = 320

// thumbCache keeps the thumbnails it made, a bounded number, by media id
// (a content hash, so an entry never goes stale).
type thumbCache struct {
	mu    sync.Mutex
	max   int
	order []string
	m     map[string]thumb
}

type thumb struct {
	data  []byte
	ctype string
}

func newThumbCache(max int) *thumbCache { return &thumbCache{max: max, m: map[string]thumb{}} }

// get returns a JPEG thumbnail of an image, or the file itself when it is
// small already or cannot be decoded.
func (c *thumbCache) get(id string, md *core.Media) ([]byte, string) {
	c.mu.Lock()
	t, ok := c.m[id]
	c.mu.Unlock()
	if ok {
		return t.data, t.ctype
	}
	t = thumb{data: md.Data, ctype: md.MIME}
	if img, _, err := image.Decode(bytes.NewReader(md.Data)); err == nil {
		b := img.Bounds()
		if b.Dx() > thumbSize || b.Dy() > thumbSize {
			var buf bytes.Buffer
			if jpeg.Encode(&buf, shrink(img, thumbSize), &jpeg.Options{Quality: 80}) == nil {
				t = thumb{data: buf.Bytes(), ctype: "image/jpeg"}
			}
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[id]; !ok {
		c.m[id] = t
		c.order = append(c.order, id)
		if len(c.order) > c.max {
			delete(c.m, c.order[0])
			c.order = c.order[1:]
		}
	}
	return t.data, t.ctype
}

// shrink scales an image down so its longest side is size, averaging the
// source pixels under each target pixel (a box filter).
func shrink(src image.Image, size int) image.Image {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	nw, nh := size, size
	if w >= h {
		nh = max(1, h*size/w)
	} else {
		nw = max(1, w*size/h)
	}
	dst := image.NewRGBA(image.Rect(0, 0, nw, nh))
	for y := range nh {
		y0, y1 := b.Min.Y+y*h/nh, b.Min.Y+(y+1)*h/nh
		for x := range nw {
			x0, x1 := b.Min.X+x*w/nw, b.Min.X+(x+1)*w/nw
			var r, g, bl, a, n uint64
			for sy := y0; sy < max(y1, y0+1); sy++ {
				for sx := x0; sx < max(x1, x0+1); sx++ {
					cr, cg, cb, ca := src.At(sx, sy).RGBA()
					r, g, bl, a, n = r+uint64(cr), g+uint64(cg), bl+uint64(cb), a+uint64(ca), n+1
				}
			}
			dst.Set(x, y, color.RGBA64{uint16(r / n), uint16(g / n), uint16(bl / n), uint16(a / n)})
		}
	}
	return dst
}

func currencyDecimals(code string) (int, bool) { return plugins.CurrencyDecimals(code) }

// money shows minor units for people: "€3,327.50".
func money(minor int64, currency string) string {
	if currency == "" {
		return strconv.FormatInt(minor, 10)
	}
	return plugins.FormatMoney(minor, currency)
}

// decimal is minor units as a plain decimal number, for CSV: "3327.50".
func decimal(minor int64, currency string) string {
	if currency == "" && minor == 0 {
		return ""
	}
	dec, ok := plugins.CurrencyDecimals(currency)
	if !ok {
		dec = 2
	}
	neg := minor < 0
	if neg {
		minor = -minor
	}
	s := strconv.FormatInt(minor, 10)
	if dec > 0 {
		for len(s) <= dec {
			s = "0" + s
		}
		s = s[:len(s)-dec] + "." + s[len(s)-dec:]
	}
	if neg {
		s = "-" + s
	}
	return s
}
