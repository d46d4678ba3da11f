package markdown

import (
	"strings"
	"testing"
)

func TestToHTML(t *testing.T) {
	cases := []struct{ in, want string }{
		{"# Privacy Policy", "<h1>Privacy Policy</h1>\n"},
		{"## 7. Data Retention ##", "<h2>7. Data Retention</h2>\n"},
		{"We keep\nyour *data* safe.", "<p>We keep your <em>data</em> safe.</p>\n"},
		{"- one\n- **two**\n\nafter", "<ul>\n<li>one</li>\n<li><strong>two</strong></li>\n</ul>\n<p>after</p>\n"},
		{"1. first\n2. second", "<ol>\n<li>first</li>\n<li>second</li>\n</ol>\n"},
		{"- item\n  goes on", "<ul>\n<li>item goes on</li>\n</ul>\n"},
		{"see [our site](https://example.com/a?b=1&c=2)", `<p>see <a href="https://example.com/a?b=1&amp;c=2">our site</a></p>` + "\n"},
		{"[bad](javascript:alert(1))", "<p>bad)</p>\n"}, // the link is dropped, its text stays
		{"<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"},
		{"use `a<b` here", "<p>use <code>a&lt;b</code> here</p>\n"},
		{"> quoted", "<blockquote>quoted</blockquote>\n"},
		{"---", "<hr>\n"},
		{"snake_case_words stay", "<p>snake_case_words stay</p>\n"},
	}
	for _, c := range cases {
		if got := ToHTML(c.in); got != c.want {
			t.Errorf("ToHTML(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

func FuzzToHTML(f *testing.F) {
	f.Add("# t\n- a\n[x](https://y)\n`<z>`")
	f.Fuzz(func(t *testing.T, s string) {
		out := ToHTML(s)
		if strings.Contains(out, "<script") || strings.Contains(strings.ToLower(out), "javascript:") && strings.Contains(out, "href") {
			t.Fatalf("unsafe output for %q: %q", s, out)
		}
	})
}
