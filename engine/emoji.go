package engine

import (
	"strings"
	"unicode"
)

// isEmojiRune reports whether r is part of an emoji: a pictograph or
// symbol, a skin tone, the emoji variation selector or the joiner.
func isEmojiRune(r rune) bool {
	switch {
	case r == '\u200d' || r == '\ufe0f' || r == '\ufe0e':
		return true
	case r >= 0x1F3FB && r <= 0x1F3FF: // skin tones
		return true
	case r >= 0x1F000 && r <= 0x1FAFF, r >= 0x2600 && r <= 0x27BF, r >= 0x2B00 && r <= 0x2BFF:
		return true
	}
	return unicode.Is(unicode.So, r)
}

// emojiOnly reports whether a message is emoji alone (with spaces or
// punctuation around them): "👍", "👍🏽!", "✅ ✅".
func emojiOnly(text string) bool {
	seen := false
	for _, r := range strings.TrimSpace(text) {
		switch {
		case isEmojiRune(r):
			seen = true
		case unicode.IsSpace(r) || unicode.IsPunct(r):
		default:
			return false
		}
	}
	return seen
}

// positiveEmoji are the emoji customers agree with: a thumbs up, OK hand,
// tick, raised or clapping hands, a handshake, a heart, a smile.
var positiveEmoji = []rune{
	0x1F44D, 0x1F44C, 0x2705, 0x2714, 0x2611, 0x1F64C, 0x1F44F, 0x1F91D, 0x1F4AF, 0x2764,
	0x1F642, 0x1F60A, 0x1F600, 0x1F603, 0x1F604, 0x1F601, 0x1F973, 0x1F389, 0x1F4AA, 0x1F64F,
}

// agreesByEmoji reports whether a message is emoji alone and one of them
// agrees (👍, 👌, ✅...).
func agreesByEmoji(text string) bool {
	if !emojiOnly(text) {
		return false
	}
	for _, r := range text {
		for _, p := range positiveEmoji {
			if r == p {
				return true
			}
		}
	}
	return false
}
