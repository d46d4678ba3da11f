package core

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
)

// ErrInvalidPhone is wrapped by the errors of NormalizePhone and
// NormalizePhoneLike, so callers can tell a bad number from other failures.
var ErrInvalidPhone = errors.New("invalid phone number")

// NormalizePhone turns a phone number into E.164 with a leading plus:
// "+1 555-0100", "15550100" and "whatsapp:+15550100" all become "+15550100".
// It is how contact ids are made, so a number without a prefix is taken to
// start with its country code. The international prefix "00" stands for
// the plus ("0044 7700 900123"), and the trunk zero written as "(0)" after
// the country code is dropped ("+44 (0) 7700 900123"), except in Italy and
// San Marino, whose numbers keep that zero. It fails on anything that is not
// 6 to 15 digits.
func NormalizePhone(s string) (string, error) {
	p, err := scanPhone(s)
	if err != nil {
		return "", err
	}
	p = p.cutExit(nil)
	d := p.withTrunkZero()
	if n := len(d); n < 6 || n > 15 {
		return "", fmt.Errorf("%w %q: want 6 to 15 digits, got %d", ErrInvalidPhone, p.input, n)
	}
	return "+" + d, nil
}

// NormalizePhoneLike turns a phone number a customer typed into E.164,
// reading national formats the way a customer of like (their own number in
// E.164, e.g. their WhatsApp number) would mean them:
//
//   - "+44 7700 900123", "0044 7700 900123" and "+44 (0) 7700 900123" are
//     international and kept;
//   - "07700 900123" typed by a +44 customer is national: the trunk 0 goes
//     and like's country calling code comes in (+447700900123), as for
//     "06 12345678" in the Netherlands, "0151 23456789" in Germany or
//     "06 12 34 56 78" in France;
//   - countries whose trunk prefix is not 0 or whose national numbers are
//     written without one are read by their dialling plan: "555 010 0123"
//     or "1 555 010 0123" for +1, "8 912 345-67-89" for +7, "06 30 123 4567"
//     for +36, "612 34 56 78" for +34, "06 1234 5678" for +39 (Italy keeps
//     the 0), "(11) 91234-5678" for +55, and the exit codes 011 (+1), 0011
//     (+61) and 010 (+81) work like 00;
//   - other digits without a prefix are taken to start with a country code.
//
// The result must have 8 to 15 digits and a country calling code that
// exists. When like is not a valid number, only numbers with their country
// code are accepted.
func NormalizePhoneLike(s, like string) (string, error) {
	p, err := scanPhone(s)
	if err != nil {
		return "", err
	}
	var cc string
	if l, err := NormalizePhone(like); err == nil {
		cc = callingCode(l[1:])
	}
	plan := dialPlanOf(cc)
	p = p.cutExit(plan.exits)
	d := p.digits
	switch {
	case p.intl:
		d = p.withTrunkZero()
	case cc != "":
		d = plan.international(cc, d)
	case strings.HasPrefix(d, "0"):
		return "", fmt.Errorf("%w %q: a national number; type it with its country code, e.g. +44 7700 900123", ErrInvalidPhone, p.input)
	}
	n := len(d)
	if n < 8 || n > 15 {
		return "", fmt.Errorf("%w %q: want 8 to 15 digits with the country code, got %d", ErrInvalidPhone, p.input, n)
	}
	if callingCode(d) == "" {
		return "", fmt.Errorf("%w %q: +%s… does not start with a country calling code", ErrInvalidPhone, p.input, d[:min(3, n)])
	}
	return "+" + d, nil
}

// scannedPhone is a typed phone number reduced to its digits.
type scannedPhone struct {
	input  string // the number as typed, trimmed, for errors
	digits string // ASCII digits without prefix, separators and "(0)"
	intl   bool   // written with "+" (see cutExit for "00"), now removed
	trunk  int    // index in digits where a "(0)" was dropped, or -1
}

// scanPhone reads a typed number: digits (also Arabic-Indic, Persian,
// Devanagari, Bengali and full-width ones), spaces, dashes, dots, slashes
// and parentheses; a leading "+"; "(0)" after some digits.
func scanPhone(s string) (scannedPhone, error) {
	s = strings.TrimSpace(s)
	for _, scheme := range []string{"whatsapp:", "tel:"} {
		if len(s) >= len(scheme) && strings.EqualFold(s[:len(scheme)], scheme) {
			s = strings.TrimSpace(s[len(scheme):])
		}
	}
	p := scannedPhone{input: s, trunk: -1}
	var b strings.Builder
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		if d, ok := digitValue(r); ok {
			b.WriteByte('0' + d)
			continue
		}
		switch {
		case (r == '+' || r == '\uFF0B') && i == 0:
			p.intl = true
		case r == '(' && b.Len() > 0 && i+2 < len(rs) && rs[i+1] == '0' && rs[i+2] == ')':
			// "+44 (0) 20": the trunk zero of a number given with its country code.
			p.trunk = b.Len()
			i += 2
		case r == '(', r == ')', r == '-', r == '.', r == '/', r == '\u2010', r == '\u2011', r == '\u2012', r == '\u2013', r == '\u2212', unicode.IsSpace(r):
		default:
			return p, fmt.Errorf("%w %q: unexpected %q", ErrInvalidPhone, s, r)
		}
	}
	p.digits = b.String()
	return p, nil
}

// cutExit reads a number that starts with the international prefix "00",
// or one of exits, as international.
func (p scannedPhone) cutExit(exits []string) scannedPhone {
	if p.intl {
		return p
	}
	for i := 0; i <= len(exits); i++ {
		x := "00"
		if i < len(exits) {
			x = exits[i]
		}
		if rest, ok := strings.CutPrefix(p.digits, x); ok {
			p.intl, p.digits = true, rest
			p.trunk = max(p.trunk-len(x), -1)
			return p
		}
	}
	return p
}

// withTrunkZero returns the digits of an international number, with the
// "(0)" put back where the country keeps it as part of the number.
func (p scannedPhone) withTrunkZero() string {
	d := p.digits
	if p.trunk < 0 {
		return d
	}
	if cc := callingCode(d); cc != "" && p.trunk == len(cc) && dialPlanOf(cc).keepZero {
		return d[:p.trunk] + "0" + d[p.trunk:]
	}
	return d
}

// digitZeros are the zeros of the decimal digit sets customers type numbers
// in (ASCII, Arabic-Indic, Persian, Devanagari, Bengali, full-width); each
// set runs 0 to 9 from its zero.
const digitZeros = "0\u0660\u06F0\u0966\u09E6\uFF10"

// digitValue returns the value of a decimal digit of one of digitZeros' sets.
func digitValue(r rune) (byte, bool) {
	for _, z := range digitZeros {
		if r >= z && r <= z+9 {
			return byte(r - z), true
		}
	}
	return 0, false
}

// dialPlan is how a country's customers write numbers without their
// country code.
type dialPlan struct {
	trunks   []string // national (trunk) prefixes dropped for the E.164 form
	lengths  []int    // national significant number lengths; nil: not checked
	keepZero bool     // a leading 0 is part of the number (Italy)
	exits    []string // international prefixes besides "00"
}

// international turns the digits of a number written without "+" or "00"
// into E.164 digits for a customer of country cc.
func (p dialPlan) international(cc, d string) string {
	if p.keepZero && strings.HasPrefix(d, "0") {
		return cc + d
	}
	for _, t := range p.trunks {
		rest, ok := strings.CutPrefix(d, t)
		if ok && rest != "" && rest[0] != '0' && (p.lengths == nil || slices.Contains(p.lengths, len(rest))) {
			return cc + rest
		}
	}
	if d != "" && d[0] != '0' && slices.Contains(p.lengths, len(d)) {
		return cc + d
	}
	return d
}

// dialPlanOf returns the dialling plan of a country calling code: trunk
// prefix 0 unless listed here (the countries whose customers are most often
// misread otherwise). The exit codes listed are tried before "00".
func dialPlanOf(cc string) dialPlan {
	switch cc {
	case "1": // NANP: trunk 1, ten digits, exit 011
		return dialPlan{trunks: []string{"1"}, lengths: []int{10}, exits: []string{"011"}}
	case "7": // Russia, Kazakhstan: trunk 8
		return dialPlan{trunks: []string{"8"}, lengths: []int{10}}
	case "36": // Hungary: trunk 06
		return dialPlan{trunks: []string{"06"}, lengths: []int{8, 9}}
	case "370": // Lithuania: trunk 8, 0 since 2025
		return dialPlan{trunks: []string{"8", "0"}, lengths: []int{8}}
	case "375": // Belarus: trunk 80
		return dialPlan{trunks: []string{"80"}, lengths: []int{9}}
	case "39", "378": // Italy, San Marino: the 0 of landlines stays
		return dialPlan{keepZero: true, lengths: []int{9, 10}}
	case "33": // France: 0 + 9 digits, also written without the 0
		return dialPlan{trunks: []string{"0"}, lengths: []int{9}}
	case "55": // Brazil: area code and number, often without the trunk 0
		return dialPlan{trunks: []string{"0"}, lengths: []int{10, 11}}
	case "91": // India: ten digits, with or without 0
		return dialPlan{trunks: []string{"0"}, lengths: []int{10}}
	case "61": // Australia: exit 0011
		return dialPlan{trunks: []string{"0"}, lengths: []int{9}, exits: []string{"0011"}}
	case "81": // Japan: exit 010
		return dialPlan{trunks: []string{"0"}, exits: []string{"010"}}
	case "52", "57": // Mexico, Colombia: ten digits, no trunk prefix
		return dialPlan{lengths: []int{10}}
	case "30": // Greece: ten digits, no trunk prefix
		return dialPlan{lengths: []int{10}}
	case "34", "351": // Spain, Portugal: nine digits, no trunk prefix
		return dialPlan{lengths: []int{9}}
	case "45", "47", "65", "356", "357", "371", "502", "503", "504", "506", "852", "853", "965", "968", "973", "974":
		// Denmark, Norway, Singapore, Malta, Cyprus, Latvia, Guatemala, El
		// Salvador, Honduras, Costa Rica, Hong Kong, Macau, Kuwait, Oman,
		// Bahrain, Qatar: eight digits, no trunk prefix
		return dialPlan{lengths: []int{8}}
	case "354": // Iceland: seven digits
		return dialPlan{lengths: []int{7}}
	case "372", "507": // Estonia, Panama: seven or eight digits
		return dialPlan{lengths: []int{7, 8}}
	case "377": // Monaco: eight digits, nine for mobiles
		return dialPlan{lengths: []int{8, 9}}
	}
	return dialPlan{trunks: []string{"0"}}
}

// callingCodes lists the ITU-T E.164 country calling codes in service
// (countries, territories, shared and global services), space separated.
const callingCodes = " 1 7" +
	" 20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58" +
	" 60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98" +
	" 211 212 213 216 218 220 221 222 223 224 225 226 227 228 229 230 231 232 233 234" +
	" 235 236 237 238 239 240 241 242 243 244 245 246 247 248 249 250 251 252 253 254" +
	" 255 256 257 258 260 261 262 263 264 265 266 267 268 269 290 291 297 298 299" +
	" 350 351 352 353 354 355 356 357 358 359 370 371 372 373 374 375 376 377 378 379" +
	" 380 381 382 383 385 386 387 388 389 420 421 423" +
	" 500 501 502 503 504 505 506 507 508 509 590 591 592 593 594 595 596 597 598 599" +
	" 670 672 673 674 675 676 677 678 679 680 681 682 683 685 686 687 688 689 690 691 692" +
	" 800 808 850 852 853 855 856 870 878 880 881 882 883 886 888" +
	" 960 961 962 963 964 965 966 967 968 970 971 972 973 974 975 976 977 979" +
	" 992 993 994 995 996 998 "

// callingCode returns the country calling code that E.164 digits (without
// the plus) start with, by longest prefix, or "" when none does.
func callingCode(digits string) string {
	for n := min(3, len(digits)); n > 0; n-- {
		if strings.Contains(callingCodes, " "+digits[:n]+" ") {
			return digits[:n]
		}
	}
	return ""
}
