package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/engine/core"
)

func opts(titles ...string) []Option {
	out := make([]Option, len(titles))
	for i, t := range titles {
		out[i] = Option{ID: strings.ToLower(t), Title: t}
	}
	return out
}

// TestRender checks how one message a flow asks for is shown on channels
// that can show more or less.
func TestRender(t *testing.T) {
	whatsapp := core.Capabilities{MaxButtons: 3, MaxButtonTitle: 20, MaxListRows: 10, MaxRowTitle: 24, MaxText: 4096, Media: []string{"image", "document"}, Window: 24 * time.Hour}
	textOnly := core.Capabilities{MaxText: 20}
	rich := core.Capabilities{MaxButtons: 10, MaxListRows: 10, Media: []string{"image", "document"}}
	long := "An option title far too long"
	cases := []struct {
		name string
		caps core.Capabilities
		in   Outbound
		want string // kind and text of each message, options in brackets
	}{
		{"three buttons fit", whatsapp, Outbound{Kind: OutButtons, Text: "Pick", Options: opts("A", "B", "C")}, "buttons Pick [A|B|C]"},
		{"four buttons become a list", whatsapp, Outbound{Kind: OutButtons, Text: "Pick", Options: opts("A", "B", "C", "D")}, "list Pick [A|B|C|D]"},
		{"a long title moves buttons to a list", whatsapp, Outbound{Kind: OutButtons, Text: "Pick", Options: opts("A", "An option of 22 chars!")}, "list Pick [A|An option of 22 chars!]"},
		{"list titles are clipped", whatsapp, Outbound{Kind: OutList, Text: "Pick", Options: opts(long)}, "list Pick [An option title far too…]"},
		{"eleven options become numbered text", whatsapp, Outbound{Kind: OutList, Text: "Pick", Options: opts("1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11")}, "text Pick\n1) 1\n2) 2\n3) 3\n4) 4\n5) 5\n6) 6\n7) 7\n8) 8\n9) 9\n10) 10\n11) 11"},
		{"no buttons: numbered text", core.Capabilities{}, Outbound{Kind: OutButtons, Text: "Pick", Options: opts("Yes", "No")}, "text Pick\n1) Yes\n2) No"},
		{"rich channel keeps many buttons", rich, Outbound{Kind: OutButtons, Text: "Pick", Options: opts("A", "B", "C", "D", "E")}, "buttons Pick [A|B|C|D|E]"},
		{"no media: the photo becomes text", textOnly, Outbound{Kind: OutDocument, Media: &Media{Filename: "quote.pdf", Caption: "Your quote"}}, "text Your quote | text [document quote.pdf]"},
		{"long text is split at a space", textOnly, Outbound{Kind: OutText, Text: "one two three four five six seven"}, "text one two three four | text five six seven"},
		{"long text is split at a blank line first", textOnly, Outbound{Kind: OutText, Text: "first part\n\nsecond part here"}, "text first part | text second part here"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			for _, o := range render(c.in, c.caps) {
				s := string(o.Kind) + " " + o.Text
				if len(o.Options) > 0 {
					var titles []string
					for _, op := range o.Options {
						titles = append(titles, op.Title)
					}
					s += " [" + strings.Join(titles, "|") + "]"
				}
				got = append(got, s)
			}
			if g := strings.Join(got, " | "); g != c.want {
				t.Errorf("render:\n got %q\nwant %q", g, c.want)
			}
		})
	}
}
