package engine

import (
	"github.com/allmyleads/allmyleads/flows"
	"github.com/allmyleads/allmyleads/plugins"
)

// confirmEmojiAcceptance asks for a word when a quote is answered with an
// emoji alone that agrees (👍, 👌, ✅): accepting a quote binds the
// customer to a price, so a thumbs up, which may only mean "seen", is not
// taken as a yes. The quote's buttons come again with the question; the
// next answer decides as usual. It reports whether it asked.
func (t *turn) confirmEmojiAcceptance(s *flows.Step, opts []Option, in *Inbound) bool {
	if in.ReplyID != "" || !agreesByEmoji(answerText(in)) {
		return false
	}
	extra := map[string]any{"accept": opts[0].Title}
	if q := t.sess.Quote; q != nil {
		extra["total"] = plugins.FormatMoney(q.Total, q.Currency)
	}
	t.send(Outbound{Kind: OutButtons, Text: t.render(t.e.text(t.e.cfg.Texts.QuoteEmoji), extra), Options: opts})
	return true
}
