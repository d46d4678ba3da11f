package plugins

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"strconv"
	"testing"
)

func TestCurrencyDecimals(t *testing.T) {
	for code, want := range map[string]int{"EUR": 2, "USD": 2, "GBP": 2, "CHF": 2, "JPY": 0, "KRW": 0, "KWD": 3, "BHD": 3, "CLF": 4} {
		if got, ok := CurrencyDecimals(code); !ok || got != want {
			t.Errorf("CurrencyDecimals(%s) = %d, %v; want %d", code, got, ok, want)
		}
	}
	for _, code := range []string{"", "eur", "EUX", "XXX", "EURO"} {
		if _, ok := CurrencyDecimals(code); ok {
			t.Errorf("CurrencyDecimals(%q) is known", code)
		}
	}
}

func TestFormatMoney(t *testing.T) {
	for _, tc := range []struct {
		minor int64
		cur   string
		want  string
	}{
		{123450, "EUR", "€1,234.50"},
		{1200, "USD", "$12.00"},
		{1200, "JPY", "¥1,200"},
		{5000, "CHF", "CHF 50.00"},
		{-500, "EUR", "-€5.00"},
		{5, "EUR", "€0.05"},
		{0, "GBP", "£0.00"},
		{123456789, "KWD", "KWD 123,456.789"},
		{100000000, "EUR", "€1,000,000.00"},
		{99, "ZZZ", "ZZZ 0.99"},
		{math.MinInt64, "EUR", "-€92,233,720,368,547,758.08"},
	} {
		if got := FormatMoney(tc.minor, tc.cur); got != tc.want {
			t.Errorf("FormatMoney(%d, %s) = %q, want %q", tc.minor, tc.cur, got, tc.want)
		}
	}
}

func TestRoundPlaces(t *testing.T) {
	for _, tc := range []struct {
		x      float64
		places int
		want   float64
	}{
		{2.675, 2, 2.68}, {2.665, 2, 2.67}, {-2.675, 2, -2.68}, {2.5, 0, 3}, {-2.5, 0, -3}, {0.5, 0, 1},
		{1.005, 2, 1.01}, {1234.5678, -2, 1200}, {1250, -2, 1300}, {0.125, 2, 0.13}, {3, 2, 3},
		{1e-30, 2, 0}, {123456789012345678901234.0, 2, 123456789012345678901234.0}, {0.1 + 0.2, 2, 0.3},
	} {
		if got := roundPlaces(tc.x, tc.places); got != tc.want {
			t.Errorf("round(%v, %d) = %v, want %v", tc.x, tc.places, got, tc.want)
		}
	}
	if !math.IsNaN(roundPlaces(math.NaN(), 2)) {
		t.Error("round(NaN) is not NaN")
	}
}

// exactMulRound is the reference: round half away from zero of the exact
// product of x's shortest decimal form and m.
func exactMulRound(x float64, m uint64) (int64, bool) {
	r, _ := new(big.Rat).SetString(strconv.FormatFloat(x, 'f', -1, 64))
	r.Mul(r, new(big.Rat).SetInt(new(big.Int).SetUint64(m)))
	twice := new(big.Rat).Mul(r, big.NewRat(2, 1))
	// floor(r + 1/2) for r >= 0
	q := new(big.Int).Quo(new(big.Int).Add(twice.Num(), twice.Denom()), new(big.Int).Mul(twice.Denom(), big.NewInt(2)))
	if !q.IsInt64() || q.Int64() > maxMinor {
		return 0, false
	}
	return q.Int64(), true
}

func TestMulRound(t *testing.T) {
	for _, tc := range []struct {
		x    float64
		m    uint64
		want int64
	}{
		{35.675, 100, 3568}, {1.5, 5, 8}, {0.333, 1999, 666}, {0.05, 1999, 100}, {0.21, 1899, 399},
		{12.5, 3500, 43750}, {0, 123, 0}, {1e-25, 1000, 0}, {0.5, 1, 1}, {0.49999999999999994, 1, 0},
	} {
		got, ok := mulRoundFloat(tc.x, tc.m)
		if !ok || got != tc.want {
			t.Errorf("mulRound(%v, %d) = %d, %v; want %d", tc.x, tc.m, got, ok, tc.want)
		}
	}
	for _, bad := range []float64{-1, math.NaN(), math.Inf(1), 1e30} {
		if _, ok := mulRoundFloat(bad, 100); ok {
			t.Errorf("mulRound(%v) succeeded", bad)
		}
	}
}

// FuzzShortDecimal checks that the decimal shortDecimal finds without
// formatting is the one strconv's shortest formatting gives.
func FuzzShortDecimal(f *testing.F) {
	for _, x := range []float64{42.5, 0.1, 0.21, 35.675, 2.675, 1.005, 0.30000000000000004, 1e-7, 999999999.999999, 1125899906.842624, 0.000001, 4503599627.370495} {
		f.Add(x)
	}
	f.Fuzz(func(t *testing.T, x float64) {
		checkShortDecimal(t, x)
	})
}

func checkShortDecimal(t *testing.T, x float64) {
	t.Helper()
	got, ok := shortDecimal(x)
	if !ok {
		return
	}
	want, wok := formatDecimal(x)
	if !wok || got != want {
		t.Fatalf("shortDecimal(%v) = %+v; formatted %+v, %v", x, got, want, wok)
	}
}

// Decimals as people write them (whole part, up to 7 decimals) and
// neighbouring floats go the fast way exactly as the formatted way.
func TestShortDecimal(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	fast := 0
	for range 50000 {
		digits := rng.IntN(8)
		whole := rng.Int64N([]int64{10, 1000, 1e6, 1e9, 2e9}[rng.IntN(5)])
		frac := rng.Int64N(int64(math.Pow10(digits)) + 1)
		x, _ := strconv.ParseFloat(fmt.Sprintf("%d.%0*d", whole, digits, frac), 64)
		for _, y := range []float64{x, math.Nextafter(x, 0), math.Nextafter(x, math.Inf(1))} {
			checkShortDecimal(t, y)
			if _, ok := shortDecimal(y); ok {
				fast++
			}
		}
	}
	if fast == 0 {
		t.Fatal("no value took the fast way")
	}
}

// FuzzMulRound checks the fast decimal path against exact rational
// arithmetic.
func FuzzMulRound(f *testing.F) {
	f.Add(35.675, uint64(100))
	f.Add(0.333, uint64(1999))
	f.Add(1e-7, uint64(123456789))
	f.Add(123456.789, uint64(1000))
	f.Fuzz(func(t *testing.T, x float64, m uint64) {
		if x < 0 || math.IsNaN(x) || math.IsInf(x, 0) || m > maxMinor {
			return
		}
		got, ok := mulRoundFloat(x, m)
		want, wok := exactMulRound(x, m)
		if ok != wok || (ok && got != want) {
			t.Fatalf("mulRound(%v, %d) = %d, %v; exact %d, %v", x, m, got, ok, want, wok)
		}
	})
}
