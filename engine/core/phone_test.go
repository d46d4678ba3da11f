package core

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

// The numbers are from the ranges regulators keep for drama and examples
// where there are such (Ofcom's 07700 900xxx, NANP 555-01xx) and otherwise
// in the shape each country writes them.
var phoneLikeCases = []struct {
	name, in, like, want string // want "" means an error
}{
	// International forms are kept whoever types them.
	{"plus", "+44 7700 900123", "+31612345678", "+447700900123"},
	{"plus tight", "+447700900123", "+15550100123", "+447700900123"},
	{"00 prefix", "0044 7700 900123", "+4915123456789", "+447700900123"},
	{"00 prefix dashes", "00-49-151-23456789", "+447700900123", "+4915123456789"},
	{"(0) after code", "+44 (0) 7700 900123", "+447700900123", "+447700900123"},
	{"(0) tight", "+44(0)20 7946 0958", "+33612345678", "+442079460958"},
	{"(0) after 00", "0049 (0)30 901820", "+447700900123", "+4930901820"},
	{"(0) German", "+49 (0)151 23456789", "+4915123456789", "+4915123456789"},
	{"(0) Italy keeps the 0", "+39 (0)6 1234 5678", "+447700900123", "+390612345678"},
	{"whatsapp scheme", "whatsapp:+447700900123", "+447700900123", "+447700900123"},
	{"tel scheme", "tel:+33-6-12-34-56-78", "+447700900123", "+33612345678"},
	{"foreign number to NANP customer", "+33 6 12 34 56 78", "+15550100123", "+33612345678"},

	// National formats get like's country code, without the trunk 0.
	{"UK mobile", "07700 900123", "+447700900456", "+447700900123"},
	{"UK mobile tight", "07700900123", "+447700900456", "+447700900123"},
	{"UK London", "020 7946 0958", "+447700900456", "+442079460958"},
	{"UK brackets", "(020) 7946 0958", "+447700900456", "+442079460958"},
	{"NL mobile", "06 12345678", "+31687654321", "+31612345678"},
	{"NL mobile dash", "06-12345678", "+31687654321", "+31612345678"},
	{"NL Amsterdam", "020 123 4567", "+31687654321", "+31201234567"},
	{"DE mobile", "0151 23456789", "+4917612345678", "+4915123456789"},
	{"DE slash", "0151/23456789", "+4917612345678", "+4915123456789"},
	{"DE Berlin", "030 901820", "+4917612345678", "+4930901820"},
	{"FR mobile", "06 12 34 56 78", "+33712345678", "+33612345678"},
	{"FR dots", "06.12.34.56.78", "+33712345678", "+33612345678"},
	{"FR without 0", "6 12 34 56 78", "+33712345678", "+33612345678"},
	{"BE mobile", "0470 12 34 56", "+32471000000", "+32470123456"},
	{"CH mobile", "079 123 45 67", "+41781234567", "+41791234567"},
	{"AT mobile", "0664 1234567", "+436641112233", "+436641234567"},
	{"IE mobile", "087 123 4567", "+353861234567", "+353871234567"},
	{"SE mobile", "070-123 45 67", "+46701112233", "+46701234567"},
	{"PL mobile no trunk written", "+48 512 345 678", "+48501234567", "+48512345678"},
	{"AU mobile", "0412 345 678", "+61498765432", "+61412345678"},
	{"AU without 0", "412 345 678", "+61498765432", "+61412345678"},
	{"NZ mobile", "021 123 4567", "+64271234567", "+64211234567"},
	{"JP mobile", "090-1234-5678", "+818011112222", "+819012345678"},
	{"ZA mobile", "082 123 4567", "+27831234567", "+27821234567"},
	{"NG mobile", "0803 123 4567", "+2348051234567", "+2348031234567"},
	{"KE mobile", "0712 345678", "+254722000000", "+254712345678"},
	{"EG mobile", "010 1234 5678", "+201112345678", "+201012345678"},
	{"TR mobile", "0532 123 45 67", "+905321112233", "+905321234567"},
	{"IN mobile with 0", "098765 43210", "+919812345678", "+919876543210"},
	{"IN mobile", "98765 43210", "+919812345678", "+919876543210"},
	{"IN mobile spaced", "98765-43210", "+919812345678", "+919876543210"},
	{"PK mobile", "0300 1234567", "+923211234567", "+923001234567"},
	{"ID mobile", "0812-3456-7890", "+6281311112222", "+6281234567890"},
	{"PH mobile", "0917 123 4567", "+639181234567", "+639171234567"},
	{"AE mobile", "050 123 4567", "+971551234567", "+971501234567"},
	{"SA mobile", "05 1234 5678", "+966551234567", "+966512345678"},
	{"IL mobile", "050-123-4567", "+972521234567", "+972501234567"},
	{"three-digit code", "0801 234 567", "+3538012345", "+353801234567"},

	// Countries with another trunk prefix, or none.
	{"NANP ten digits", "555 010 0123", "+15550100456", "+15550100123"},
	{"NANP brackets", "(555) 010-0123", "+15550100456", "+15550100123"},
	{"NANP with 1", "1 555 010 0123", "+15550100456", "+15550100123"},
	{"NANP dots", "555.010.0123", "+14165550199", "+15550100123"},
	{"NANP exit code", "011 44 7700 900123", "+15550100456", "+447700900123"},
	{"NANP short contact id", "15550100", "+15550100", "+15550100"},
	{"RU trunk 8", "8 (912) 345-67-89", "+79161234567", "+79123456789"},
	{"RU ten digits", "912 345 67 89", "+79161234567", "+79123456789"},
	{"KZ trunk 8", "8 701 123 4567", "+77011112233", "+77011234567"},
	{"HU trunk 06", "06 30 123 4567", "+36201234567", "+36301234567"},
	{"HU Budapest", "06 1 234 5678", "+36201234567", "+3612345678"},
	{"BY trunk 80", "8 029 123-45-67", "+375331234567", "+375291234567"},
	{"LT trunk 8", "8 612 34567", "+37061111111", "+37061234567"},
	{"LT trunk 0", "0 612 34567", "+37061111111", "+37061234567"},
	{"IT mobile", "347 123 4567", "+393331234567", "+393471234567"},
	{"IT Rome keeps 0", "06 1234 5678", "+393331234567", "+390612345678"},
	{"IT Milan keeps 0", "02 1234 5678", "+393331234567", "+390212345678"},
	{"ES mobile", "612 34 56 78", "+34699999999", "+34612345678"},
	{"ES landline", "91 123 45 67", "+34699999999", "+34911234567"},
	{"PT mobile", "912 345 678", "+351961234567", "+351912345678"},
	{"GR mobile", "691 234 5678", "+306981234567", "+306912345678"},
	{"NO mobile", "412 34 567", "+4798765432", "+4741234567"},
	{"NO mobile starting 47", "47 12 34 56", "+4798765432", "+4747123456"},
	{"DK mobile", "20 12 34 56", "+4531234567", "+4520123456"},
	{"SG mobile", "9123 4567", "+6581234567", "+6591234567"},
	{"HK mobile", "9123 4567", "+85261234567", "+85291234567"},
	{"QA mobile", "3312 3456", "+97455123456", "+97433123456"},
	{"MX mobile", "55 1234 5678", "+523312345678", "+525512345678"},
	{"CO mobile", "301 234 5678", "+573101234567", "+573012345678"},
	{"BR mobile", "(11) 91234-5678", "+5521912345678", "+5511912345678"},
	{"BR with trunk", "011 91234 5678", "+5521912345678", "+5511912345678"},
	{"BR landline", "(21) 2345-6789", "+5521912345678", "+552123456789"},
	{"AU exit code", "0011 44 7700 900123", "+61412345678", "+447700900123"},
	{"JP exit code", "010 44 7700 900123", "+819012345678", "+447700900123"},
	{"international without plus", "447700900123", "+31612345678", "+447700900123"},
	{"Spanish number with code, no plus", "34612345678", "+34699999999", "+34612345678"},
	{"IS landline", "551 2345", "+3546123456", "+3545512345"},

	// Other scripts and separators.
	{"Arabic-Indic digits", "٠٥٠ ١٢٣ ٤٥٦٧", "+971551234567", "+971501234567"},
	{"Persian digits", "۰۹۱۲ ۳۴۵ ۶۷۸۹", "+989351234567", "+989123456789"},
	{"full-width digits", "＋４４ ７７００ ９００１２３", "+15550100123", "+447700900123"},
	{"full-width digits national", "０７７００ ９００１２３", "+447700900456", "+447700900123"},
	{"no-break spaces", "07700\u00a0900\u202f123", "+447700900456", "+447700900123"},
	{"non-breaking hyphen", "06\u201112345678", "+31687654321", "+31612345678"},

	// Rejected.
	{"six digits", "123456", "+447700900123", ""},
	{"six digits NANP", "123456", "+15550100123", ""},
	{"seven digits local NANP", "555 0123", "+15550100123", ""},
	{"too long", "+44 7700 900123 4567", "+447700900123", ""},
	{"letters", "07700 9OO123", "+447700900123", ""},
	{"extension", "020 7946 0958 ext 12", "+447700900123", ""},
	{"empty", "", "+447700900123", ""},
	{"only separators", "( ) - .", "+447700900123", ""},
	{"plus inside", "44+7700900123", "+447700900123", ""},
	{"double plus", "++447700900123", "+447700900123", ""},
	{"000 prefix", "000447700900123", "+447700900123", ""},
	{"unassigned code", "+28 1234 5678", "+447700900123", ""},
	{"plus zero", "+0 7700 900123", "+447700900123", ""},
	{"national without a known like", "07700 900123", "", ""},
	{"national with a bad like", "07700 900123", "not a number", ""},
	{"trunk zero where Spain has none", "0612345678", "+34699999999", ""},
	{"NANP eleven digits not starting 1 read as international", "25550100123", "+15550100456", "+25550100123"},
	{"IT short mobile", "347 12", "+393331234567", ""},
}

func TestNormalizePhoneLike(t *testing.T) {
	for _, c := range phoneLikeCases {
		t.Run(c.name, func(t *testing.T) {
			got, err := NormalizePhoneLike(c.in, c.like)
			if c.want == "" {
				if err == nil {
					t.Fatalf("NormalizePhoneLike(%q, %q) = %q, want an error", c.in, c.like, got)
				}
				if !errors.Is(err, ErrInvalidPhone) {
					t.Errorf("error %v does not wrap ErrInvalidPhone", err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("NormalizePhoneLike(%q, %q) = %q, %v; want %q", c.in, c.like, got, err, c.want)
			}
			// The result reads back as itself, for this customer and in general.
			if again, err := NormalizePhoneLike(got, c.like); again != got || err != nil {
				t.Errorf("NormalizePhoneLike(%q) again = %q, %v", got, again, err)
			}
			if id, err := NormalizePhone(got); id != got || err != nil {
				t.Errorf("NormalizePhone(%q) = %q, %v", got, id, err)
			}
		})
	}
}

func TestNormalizePhoneLikeErrorsSayWhy(t *testing.T) {
	for _, c := range []struct{ in, like, says string }{
		{"123456", "+447700900123", "want 8 to 15 digits with the country code, got 6"},
		{"07700 900123", "", "national number; type it with its country code"},
		{"07700 9OO123", "+447700900123", `unexpected 'O'`},
		{"+28 1234 5678", "+447700900123", "does not start with a country calling code"},
	} {
		_, err := NormalizePhoneLike(c.in, c.like)
		if err == nil || !strings.Contains(err.Error(), c.says) || !strings.Contains(err.Error(), c.in) {
			t.Errorf("NormalizePhoneLike(%q, %q) error = %v; want it to name the input and say %q", c.in, c.like, err, c.says)
		}
	}
}

func TestNormalizePhone(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		// Contact ids: with or without the plus, the same contact.
		{"+15550100", "+15550100"},
		{"15550100", "+15550100"},
		{"whatsapp:+15550100", "+15550100"},
		{" +1 555-0100 ", "+15550100"},
		{"+1 (555) 010.0123", "+15550100123"},
		{"447700900123", "+447700900123"},
		{"123456", "+123456"},
		// Now also the 00 prefix and the (0) trunk marker.
		{"0044 7700 900123", "+447700900123"},
		{"00447700900123", "+447700900123"},
		{"+44 (0) 7700 900123", "+447700900123"},
		{"+44(0)7700900123", "+447700900123"},
		{"0044 (0)20 7946 0958", "+442079460958"},
		{"+39 (0)6 1234 5678", "+390612345678"},
		{"+49 151/23456789", "+4915123456789"},
		{"٠٠٩٧١٥٠١٢٣٤٥٦٧", "+971501234567"},
		// Rejected.
		{"12345", ""},
		{"+1234567890123456", ""},
		{"00 12345", ""},
		{"555-CALL-NOW", ""},
		{"+44 7700+900123", ""},
		{"", ""},
	} {
		got, err := NormalizePhone(c.in)
		if c.want == "" {
			if err == nil || !errors.Is(err, ErrInvalidPhone) {
				t.Errorf("NormalizePhone(%q) = %q, %v; want an ErrInvalidPhone", c.in, got, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func TestCallingCode(t *testing.T) {
	for _, c := range []struct{ digits, want string }{
		{"15550100123", "1"}, {"79123456789", "7"}, {"77011234567", "7"},
		{"447700900123", "44"}, {"201012345678", "20"}, {"27821234567", "27"},
		{"2348031234567", "234"}, {"211912345678", "211"}, {"3538712345", "353"},
		{"3726123456", "372"}, {"38344123456", "383"}, {"42012345678", "420"},
		{"4231234567", "423"}, {"5999123456", "599"}, {"67012345", "670"},
		{"85291234567", "852"}, {"8869123456", "886"}, {"88612345", "886"},
		{"971501234567", "971"}, {"998901234567", "998"}, {"800123456", "800"},
		// Spare and reserved codes.
		{"28123456", ""}, {"42212345", ""}, {"6711234567", ""}, {"9991234567", ""},
		{"0123456", ""}, {"", ""}, {"3", ""}, {"35", ""},
	} {
		if got := callingCode(c.digits); got != c.want {
			t.Errorf("callingCode(%q) = %q, want %q", c.digits, got, c.want)
		}
	}
	// Every code in the table is one to three digits, listed once, and no
	// code is a prefix of another (E.164 codes are prefix-free).
	codes := strings.Fields(callingCodes)
	seen := map[string]bool{}
	for _, cc := range codes {
		if len(cc) < 1 || len(cc) > 3 || strings.Trim(cc, "0123456789") != "" || cc[0] == '0' {
			t.Errorf("calling code %q is not 1 to 3 digits", cc)
		}
		if seen[cc] {
			t.Errorf("calling code %q listed twice", cc)
		}
		seen[cc] = true
	}
	for _, a := range codes {
		for _, b := range codes {
			if a != b && strings.HasPrefix(b, a) {
				t.Errorf("calling code %q is a prefix of %q", a, b)
			}
		}
	}
	if len(codes) < 200 {
		t.Errorf("only %d calling codes in the table", len(codes))
	}
}

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{7,14}$`)

// FuzzNormalizePhoneLike feeds typed numbers: a result is always E.164 with
// a known country code and reads back as itself; nothing panics.
func FuzzNormalizePhoneLike(f *testing.F) {
	for _, c := range phoneLikeCases {
		f.Add(c.in, c.like)
	}
	f.Fuzz(func(t *testing.T, in, like string) {
		got, err := NormalizePhoneLike(in, like)
		if err != nil {
			if !errors.Is(err, ErrInvalidPhone) {
				t.Fatalf("error %v does not wrap ErrInvalidPhone", err)
			}
			return
		}
		if !e164.MatchString(got) || callingCode(got[1:]) == "" {
			t.Fatalf("NormalizePhoneLike(%q, %q) = %q: not E.164", in, like, got)
		}
		if again, err := NormalizePhoneLike(got, like); again != got || err != nil {
			t.Fatalf("NormalizePhoneLike(%q) again = %q, %v", got, again, err)
		}
		if id, err := NormalizePhone(got); id != got || err != nil {
			t.Fatalf("NormalizePhone(%q) = %q, %v", got, id, err)
		}
	})
}

func BenchmarkNormalizePhoneLike(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NormalizePhoneLike("07700 900123", "+447700900456"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNormalizePhone(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NormalizePhone("whatsapp:+447700900123"); err != nil {
			b.Fatal(err)
		}
	}
}
