// Package markdown renders the small Markdown a privacy policy is written
// in to HTML, with no dependency: ATX headings, paragraphs, bulleted and
// numbered lists, block quotes, rules, and inline emphasis, strong, code
// and links. Everything else is text: the input's HTML is escaped, never
// passed through, and a link goes only to http, https, mailto or a path.
package markdown

import (
	"html"
	"regexp"
	"strings"
)

var (
	heading  = regexp.MustCompile(`^(#{1,6})\s+(.*?)\s*#*\s*$`)
	bullet   = regexp.MustCompile(`^\s{0,3}[-*+]\s+(.*)$`)
	numbered = regexp.MustCompile(`^\s{0,3}\d{1,9}[.)]\s+(.*)$`)
	rule     = regexp.MustCompile(`^\s{0,3}([-*_])(\s*[-*_]){2,}\s*$`)
	quote    = regexp.MustCompile(`^\s{0,3}>\s?(.*)$`)
)

// ToHTML renders src.
func ToHTML(src string) string {
	var b strings.Builder
	var para []string
	list := "" // "ul", "ol" or ""
	flushPara := func() {
		if len(para) > 0 {
			b.WriteString("<p>" + Inline(strings.Join(para, " ")) + "</p>\n")
			para = nil
		}
	}
	closeList := func() {
		if list != "" {
			b.WriteString("</" + list + ">\n")
			list = ""
		}
	}
	openList := func(kind string) {
		if list != kind {
			closeList()
			b.WriteString("<" + kind + ">\n")
			list = kind
		}
	}
	for _, line := range strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n") {
		switch {
		case strings.TrimSpace(line) == "":
			flushPara()
			closeList()
		case rule.MatchString(line):
			flushPara()
			closeList()
			b.WriteString("<hr>\n")
		case heading.MatchString(line):
			flushPara()
			closeList()
			m := heading.FindStringSubmatch(line)
			n := string(rune('0' + len(m[1])))
			b.WriteString("<h" + n + ">" + Inline(m[2]) + "</h" + n + ">\n")
		case bullet.MatchString(line):
			flushPara()
			openList("ul")
			b.WriteString("<li>" + Inline(bullet.FindStringSubmatch(line)[1]) + "</li>\n")
		case numbered.MatchString(line):
			flushPara()
			openList("ol")
			b.WriteString("<li>" + Inline(numbered.FindStringSubmatch(line)[1]) + "</li>\n")
		case quote.MatchString(line):
			flushPara()
			closeList()
			b.WriteString("<blockquote>" + Inline(quote.FindStringSubmatch(line)[1]) + "</blockquote>\n")
		default:
			if list != "" && (strings.HasPrefix(line, "  ") || strings.HasPrefix(line, "\t")) {
				// A continuation of the list item above: joined to it.
				s := b.String()
				if i := strings.LastIndex(s, "</li>\n"); i >= 0 && i == len(s)-len("</li>\n") {
					b.Reset()
					b.WriteString(s[:i] + " " + Inline(strings.TrimSpace(line)) + "</li>\n")
					continue
				}
			}
			closeList()
			para = append(para, strings.TrimSpace(line))
		}
	}
	flushPara()
	closeList()
	return b.String()
}

var (
	codeSpan = regexp.MustCompile("`([^`]+)`")
	link     = regexp.MustCompile(`\[([^\]]+)\]\(([^)\s]+)\)`)
	strong   = regexp.MustCompile(`\*\*([^*]+)\*\*|__([^_]+)__`)
	emph     = regexp.MustCompile(`\*([^*\s][^*]*)\*|\b_([^_\s][^_]*)_\b`)
)

// Inline renders the inline Markdown of one block: the text is escaped
// first, so nothing of the input becomes markup but what is recognised.
func Inline(s string) string {
	var codes []string
	s = codeSpan.ReplaceAllStringFunc(s, func(m string) string {
		codes = append(codes, "<code>"+html.EscapeString(m[1:len(m)-1])+"</code>")
		return "\x00" + string(rune('a'+len(codes)-1)) + "\x00"
	})
	s = html.EscapeString(s)
	s = link.ReplaceAllStringFunc(s, func(m string) string {
		p := link.FindStringSubmatch(m)
		href := html.UnescapeString(p[2])
		if !safeURL(href) {
			return p[1]
		}
		return `<a href="` + html.EscapeString(href) + `">` + p[1] + `</a>`
	})
	s = strong.ReplaceAllString(s, "<strong>$1$2</strong>")
	s = emph.ReplaceAllString(s, "<em>$1$2</em>")
	for i, c := range codes {
		s = strings.Replace(s, "\x00"+string(rune('a'+i))+"\x00", c, 1)
	}
	return s
}

// safeURL says whether a link may be followed: http, https, mailto, or a
// path on this site.
func safeURL(u string) bool {
	l := strings.ToLower(u)
	return strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "mailto:") ||
		(strings.HasPrefix(u, "/") && !strings.HasPrefix(u, "//")) || strings.HasPrefix(u, "#")
}
