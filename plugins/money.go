package plugins

import (
	"math"
	"math/big"
	"math/bits"
	"strconv"
	"strings"
)

// currencyDecimals is the number of minor-unit digits of ISO 4217 currencies
// (the active codes in common use). Codes not listed are unknown.
var currencyDecimals = map[string]int{
	// zero decimals
	"BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
	"PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
	// three decimals
	"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
	// four decimals
	"CLF": 4, "UYW": 4,
	// two decimals
	"AED": 2, "AFN": 2, "ALL": 2, "AMD": 2, "ANG": 2, "AOA": 2, "ARS": 2, "AUD": 2, "AWG": 2,
	"AZN": 2, "BAM": 2, "BBD": 2, "BDT": 2, "BGN": 2, "BMD": 2, "BND": 2, "BOB": 2, "BRL": 2,
	"BSD": 2, "BTN": 2, "BWP": 2, "BYN": 2, "BZD": 2, "CAD": 2, "CDF": 2, "CHF": 2, "CNY": 2,
	"COP": 2, "CRC": 2, "CUP": 2, "CVE": 2, "CZK": 2, "DKK": 2, "DOP": 2, "DZD": 2, "EGP": 2,
	"ERN": 2, "ETB": 2, "EUR": 2, "FJD": 2, "FKP": 2, "GBP": 2, "GEL": 2, "GHS": 2, "GIP": 2,
	"GMD": 2, "GTQ": 2, "GYD": 2, "HKD": 2, "HNL": 2, "HTG": 2, "HUF": 2, "IDR": 2,
	"ILS": 2, "INR": 2, "IRR": 2, "JMD": 2, "KES": 2, "KGS": 2, "KHR": 2, "KPW": 2, "KYD": 2,
	"KZT": 2, "LAK": 2, "LBP": 2, "LKR": 2, "LRD": 2, "LSL": 2, "MAD": 2, "MDL": 2, "MGA": 2,
	"MKD": 2, "MMK": 2, "MNT": 2, "MOP": 2, "MRU": 2, "MUR": 2, "MVR": 2, "MWK": 2, "MXN": 2,
	"MYR": 2, "MZN": 2, "NAD": 2, "NGN": 2, "NIO": 2, "NOK": 2, "NPR": 2, "NZD": 2, "PAB": 2,
	"PEN": 2, "PGK": 2, "PHP": 2, "PKR": 2, "PLN": 2, "QAR": 2, "RON": 2, "RSD": 2, "RUB": 2,
	"SAR": 2, "SBD": 2, "SCR": 2, "SDG": 2, "SEK": 2, "SGD": 2, "SHP": 2, "SLE": 2, "SOS": 2,
	"SRD": 2, "SSP": 2, "STN": 2, "SVC": 2, "SYP": 2, "SZL": 2, "THB": 2, "TJS": 2, "TMT": 2,
	"TOP": 2, "TRY": 2, "TTD": 2, "TWD": 2, "TZS": 2, "UAH": 2, "USD": 2, "UYU": 2, "UZS": 2,
	"VES": 2, "WST": 2, "XCD": 2, "YER": 2, "ZAR": 2, "ZMW": 2, "ZWG": 2,
}

// currencySymbols are the prefixes FormatMoney writes instead of the code.
// Currencies whose usual symbol is ambiguous ($ for many dollars) keep a
// distinguishing prefix; the rest print as "CODE 12.00".
var currencySymbols = map[string]string{
	"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "INR": "₹", "KRW": "₩", "ILS": "₪",
	"NGN": "₦", "PHP": "₱", "UAH": "₴", "VND": "₫", "TRY": "₺", "THB": "฿",
	"BRL": "R$", "AUD": "A$", "CAD": "CA$", "NZD": "NZ$", "HKD": "HK$", "MXN": "MX$",
	"CNY": "CN¥", "TWD": "NT$",
}

// CurrencyDecimals returns how many minor-unit digits an ISO 4217 currency
// has (EUR 2, JPY 0, KWD 3). ok is false for codes it does not know. The
// code must be upper case.
func CurrencyDecimals(code string) (int, bool) {
	d, ok := currencyDecimals[code]
	return d, ok
}

// FormatMoney renders an amount of minor units for people: "€1,234.50",
// "$12.00", "¥1,200", "CHF 50.00", "-€5.00". Unknown currencies are shown
// with two decimals after their code.
func FormatMoney(minor int64, currency string) string {
	dec, ok := CurrencyDecimals(currency)
	if !ok {
		dec = 2
	}
	neg := minor < 0
	abs := uint64(minor)
	if neg {
		abs = uint64(-minor) // two's complement also handles MinInt64
	}
	scale := pow10u(dec)
	whole, frac := abs/scale, abs%scale

	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	if sym, ok := currencySymbols[currency]; ok {
		b.WriteString(sym)
	} else {
		b.WriteString(currency)
		b.WriteByte(' ')
	}
	digits := strconv.FormatUint(whole, 10)
	for i, r := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if dec > 0 {
		b.WriteByte('.')
		f := strconv.FormatUint(frac, 10)
		b.WriteString(strings.Repeat("0", dec-len(f)))
		b.WriteString(f)
	}
	return b.String()
}

// maxMinor bounds every amount of a quote (about 10^13 major units of a
// two-decimal currency), far from int64 overflow and within float64's exact
// integers.
const maxMinor = 1_000_000_000_000_000

var pow10tab = [...]uint64{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19}

func pow10u(n int) uint64 { return pow10tab[n] }

// decimal is a non-negative number written in decimal: mant × 10^-scale.
type decimal struct {
	mant  uint64
	scale int
}

// toDecimal returns the shortest decimal that reads back as x (the way a
// person wrote it: 35.675, not 35.67499999...). ok is false when x is
// negative, not finite or needs more than 19 significant digits.
func toDecimal(x float64) (decimal, bool) {
	if x < 0 || math.IsInf(x, 0) || math.IsNaN(x) {
		return decimal{}, false
	}
	if x < 1<<53 && x == math.Trunc(x) {
		return decimal{mant: uint64(x)}, true
	}
	if d, ok := shortDecimal(x); ok {
		return d, true
	}
	return formatDecimal(x)
}

// shortDecimals is how many decimals shortDecimal tries.
const shortDecimals = 6

var pow10f = [shortDecimals + 1]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6}

// shortDecimal is toDecimal without formatting x, for the amounts people
// write: a positive x that is not a whole number, below 2^50/10^6, with up
// to 6 decimals. ok is false for any other x.
//
// For s = 1, 2, ... it takes m, the whole number nearest x·10^s, and keeps
// m·10^-s when it reads back as x, which the division m/10^s tells exactly
// (m and 10^s are exact in float64 and IEEE division rounds as parsing does).
// In that range x·10^s < 2^50, so a decimal with s decimals that reads back
// as x lies within 10^s·ulp(x)/2 < 1/8 of x·10^s, and float64(x·10^s) within
// 1/8 too: m is the only candidate, and at most one exists. The first s that
// works thus gives the decimal with the fewest decimals that reads back as
// x, and as all of them share x's whole part (whole numbers read back as
// themselves), the fewest digits: what strconv's shortest formatting gives.
// FuzzShortDecimal checks it against formatDecimal.
func shortDecimal(x float64) (decimal, bool) {
	if !(x > 0 && x < (1<<50)/1e6) || x == math.Trunc(x) {
		return decimal{}, false
	}
	for s := 1; s <= shortDecimals; s++ {
		m := math.Round(x * pow10f[s])
		if m/pow10f[s] == x {
			return decimal{mant: uint64(m), scale: s}, true
		}
	}
	return decimal{}, false
}

// formatDecimal is toDecimal for any non-negative finite x: it reads the
// digits of strconv's shortest formatting.
func formatDecimal(x float64) (decimal, bool) {
	var buf [40]byte
	s := strconv.AppendFloat(buf[:0], x, 'f', -1, 64)
	var d decimal
	seenDot := false
	digits := 0
	for _, c := range s {
		if c == '.' {
			seenDot = true
			continue
		}
		if d.mant == 0 && c == '0' {
			if seenDot {
				d.scale++
			}
			continue
		}
		digits++
		if digits > 19 {
			return decimal{}, false
		}
		d.mant = d.mant*10 + uint64(c-'0')
		if seenDot {
			d.scale++
		}
	}
	if d.scale > 19 {
		return decimal{}, false
	}
	return d, true
}

// mulRound returns round_half_away_from_zero(d × m) for a non-negative
// integer m; ok is false when the result would pass maxMinor.
func mulRound(d decimal, m uint64) (int64, bool) {
	hi, lo := bits.Mul64(d.mant, m)
	div := pow10u(d.scale)
	if hi >= div {
		return 0, false
	}
	q, r := bits.Div64(hi, lo, div)
	if r >= div-r { // r*2 >= div, without overflow
		q++
	}
	if q > maxMinor {
		return 0, false
	}
	return int64(q), true
}

// mulRoundFloat is mulRound for any non-negative finite x: exact decimal
// arithmetic on x's shortest decimal form.
func mulRoundFloat(x float64, m uint64) (int64, bool) {
	if d, ok := toDecimal(x); ok {
		return mulRound(d, m)
	}
	if x < 0 || math.IsInf(x, 0) || math.IsNaN(x) {
		return 0, false
	}
	r, ok := new(big.Rat).SetString(strconv.FormatFloat(x, 'f', -1, 64))
	if !ok {
		return 0, false
	}
	r.Mul(r, new(big.Rat).SetInt(new(big.Int).SetUint64(m)))
	q, rem := new(big.Int).QuoRem(r.Num(), r.Denom(), new(big.Int))
	if rem.Lsh(rem, 1).Cmp(r.Denom()) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if !q.IsInt64() || q.Int64() > maxMinor {
		return 0, false
	}
	return q.Int64(), true
}

// roundPlaces rounds x half away from zero to the given decimal places
// (negative places round to tens, hundreds...), on the decimal x reads as,
// so round(2.675, 2) is 2.68 although 2.675 is stored as 2.67499999...
func roundPlaces(x float64, places int) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	places = max(-15, min(15, places))
	d, ok := toDecimal(math.Abs(x))
	if !ok {
		return roundPlacesBig(x, places)
	}
	drop := d.scale - places // digits to remove
	if drop <= 0 {
		return x
	}
	var q uint64
	if drop < len(pow10tab) {
		div := pow10u(drop)
		var r uint64
		q, r = d.mant/div, d.mant%div
		if r >= div-r {
			q++
		}
	}
	var f float64
	if places >= 0 {
		f = float64(q) / math.Pow10(places)
	} else {
		f = float64(q) * math.Pow10(-places)
	}
	if x < 0 {
		f = -f
	}
	return f
}

// roundPlacesBig is roundPlaces for numbers with more than 19 digits.
func roundPlacesBig(x float64, places int) float64 {
	r, ok := new(big.Rat).SetString(strconv.FormatFloat(math.Abs(x), 'f', -1, 64))
	if !ok {
		return x
	}
	scale := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(places))), nil))
	if places >= 0 {
		r.Mul(r, scale)
	} else {
		r.Quo(r, scale)
	}
	q, rem := new(big.Int).QuoRem(r.Num(), r.Denom(), new(big.Int))
	if rem.Lsh(rem, 1).Cmp(r.Denom()) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	out := new(big.Rat).SetInt(q)
	if places >= 0 {
		out.Quo(out, scale)
	} else {
		out.Mul(out, scale)
	}
	f, _ := out.Float64()
	if x < 0 {
		f = -f
	}
	return f
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// majorUnits converts minor units to a float64 of major units for display
// and templates (exact for every amount under maxMinor at 2 decimals).
func majorUnits(minor int64, dec int) float64 {
	// Both operands are exact and IEEE division rounds correctly, so this is
	// the float nearest to the decimal amount.
	return float64(minor) / math.Pow10(dec)
}

// LineTotal is a quote line's total in minor units: quantity × unitPrice,
// rounded half away from zero, as the host computes it for a plugin's
// quote. ok is false for a negative, non-finite or too large result.
func LineTotal(quantity float64, unitPrice int64) (int64, bool) {
	if unitPrice < 0 {
		return 0, false
	}
	if quantity < 0 || math.IsNaN(quantity) || math.IsInf(quantity, 0) {
		return 0, false
	}
	return mulRoundFloat(quantity, uint64(unitPrice))
}

// RateAmount is rate × base in minor units, rounded half away from zero,
// as the host computes a quote's discount and tax.
func RateAmount(rate float64, base int64) (int64, bool) {
	if rate < 0 || rate >= 1 || base < 0 {
		return 0, false
	}
	return mulRoundRate(rate, base)
}
