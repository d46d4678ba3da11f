package plugins

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// Quote is a price computed by the host from what a pricing function
// returned. Amounts are integer minor units of Currency (cents for EUR);
// the money rule is in the package documentation.
type Quote struct {
	Currency string
	Items    []QuoteItem

	Subtotal int64 // Σ item totals
	Discount int64 // round(Subtotal × DiscountRate)
	Tax      int64 // round((Subtotal − Discount) × TaxRate)
	Total    int64 // Subtotal − Discount + Tax

	DiscountRate float64 // in [0, 1)
	TaxRate      float64 // in [0, 1)
	ValidDays    int     // 0 when the plugin did not say
	Notes        string

	// Reproducibility: which function priced it, the SHA-256 of that file's
	// source, and the inputs it was given ({"vars": ..., "config": ...}, the
	// shape `allmyleads plugin run --input` reads back). Inputs is not a
	// copy: callers must not change the maps they passed in.
	Plugin     string
	SourceHash string
	Inputs     map[string]any
}

// QuoteItem is one line of a quote.
type QuoteItem struct {
	Description string
	Quantity    float64
	Unit        string
	UnitPrice   int64  // minor units
	Total       int64  // round(Quantity × UnitPrice), minor units
	Rule        string // optional: the name of the plugin's rule that priced the line, shown to the owner
}

// Map returns the quote as templates see it: amounts as numbers of major
// units (subtotal, discount, tax, total, each item's unit_price and total)
// beside the exact minor-unit integers (subtotal_minor ... total_minor),
// and currency, items, tax_rate, discount_rate, valid_days, notes.
func (q *Quote) Map() map[string]any {
	dec, ok := CurrencyDecimals(q.Currency)
	if !ok {
		dec = 2
	}
	items := make([]any, len(q.Items))
	for i, it := range q.Items {
		items[i] = map[string]any{
			"description": it.Description,
			"quantity":    it.Quantity,
			"unit":        it.Unit,
			"unit_price":  majorUnits(it.UnitPrice, dec),
			"total":       majorUnits(it.Total, dec),
		}
	}
	return map[string]any{
		"currency":       q.Currency,
		"items":          items,
		"subtotal":       majorUnits(q.Subtotal, dec),
		"discount":       majorUnits(q.Discount, dec),
		"tax":            majorUnits(q.Tax, dec),
		"total":          majorUnits(q.Total, dec),
		"subtotal_minor": q.Subtotal,
		"discount_minor": q.Discount,
		"tax_minor":      q.Tax,
		"total_minor":    q.Total,
		"tax_rate":       q.TaxRate,
		"discount_rate":  q.DiscountRate,
		"valid_days":     q.ValidDays,
		"notes":          q.Notes,
	}
}

// A quote is kept with the conversation and shown to the customer: its
// size is bounded.
const (
	maxQuoteItems = 1000
	maxQuoteText  = 64 << 10
)

// quoteKeys and itemKeys are the keys a pricing result may carry; anything
// else is a typo the host reports rather than a price it silently ignores.
// The constants below are their positions, where readKeys puts their values.
var (
	quoteKeys = []string{"currency", "items", "discount", "tax_rate", "valid_days", "notes"}
	itemKeys  = []string{"description", "quantity", "unit", "unit_price", "rule"}
)

const (
	qCurrency = iota
	qItems
	qDiscount
	qTaxRate
	qValidDays
	qNotes
	qCount // the number of quote keys
)

const (
	iDescription = iota
	iQuantity
	iUnit
	iUnitPrice
	iRule
	iCount // the number of item keys
)

// fieldError is a problem with one field of a returned value.
type fieldError struct {
	path, msg string
}

func (e *fieldError) Error() string {
	if e.path == "" {
		return e.msg
	}
	return e.path + ": " + e.msg
}

func fieldErr(path, format string, args ...any) *fieldError {
	return &fieldError{path: path, msg: fmt.Sprintf(format, args...)}
}

// isQuote reports whether a returned value is a quote: a table with an
// `items` key.
func isQuote(v lua.LValue) (*lua.LTable, bool) {
	t, ok := v.(*lua.LTable)
	if !ok {
		return nil, false
	}
	return t, t.RawGetString("items") != lua.LNil
}

// quotedResult is a Result with its Quote and the items of a usual quote,
// allocated together: a pricing call makes one allocation for all three.
type quotedResult struct {
	res   Result
	quote Quote
	items [3]QuoteItem
}

// buildQuote validates a pricing result and computes its amounts. plain
// gives the contents of tables that are views (lazy or read-only).
func buildQuote(t *lua.LTable, plain func(*lua.LTable) (*lua.LTable, error)) (*Quote, error) {
	r, err := buildQuoteResult(t, plain)
	if err != nil {
		return nil, err
	}
	return r.Quote, nil
}

// buildQuoteResult is buildQuote returning a Result whose Quote is set and
// whose Value is left to the caller.
func buildQuoteResult(t *lua.LTable, plain func(*lua.LTable) (*lua.LTable, error)) (*Result, error) {
	var f [qCount]lua.LValue
	if err := readKeys(t, "", quoteKeys, f[:]); err != nil {
		return nil, err
	}
	r := new(quotedResult)
	r.res.Quote = &r.quote
	q := &r.quote
	cur, err := optString(f[qCurrency], "currency")
	if err != nil {
		return nil, err
	}
	if cur == "" {
		return nil, fieldErr("currency", "required (an ISO 4217 code such as \"EUR\")")
	}
	q.Currency = cur
	dec, ok := CurrencyDecimals(cur)
	if !ok {
		q.Currency = strings.ToUpper(strings.TrimSpace(cur))
		dec, ok = CurrencyDecimals(q.Currency)
	}
	if !ok {
		return nil, fieldErr("currency", "unknown currency %q (want an ISO 4217 code such as \"EUR\")", cur)
	}
	unit := pow10u(dec)

	if q.DiscountRate, err = optRate(f[qDiscount], "discount"); err != nil {
		return nil, err
	}
	if q.TaxRate, err = optRate(f[qTaxRate], "tax_rate"); err != nil {
		return nil, err
	}
	if q.ValidDays, err = optDays(f[qValidDays], "valid_days"); err != nil {
		return nil, err
	}
	if q.Notes, err = optString(f[qNotes], "notes"); err != nil {
		return nil, err
	}

	items, ok := f[qItems].(*lua.LTable)
	if !ok {
		return nil, fieldErr("items", "must be a list of items, got %s", f[qItems].Type())
	}
	if items, err = plain(items); err != nil {
		return nil, err
	}
	n := items.Len()
	if err := checkList(items, "items", n); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, fieldErr("items", "must not be empty")
	}
	if n > maxQuoteItems {
		return nil, fieldErr("items", "more than %d items", maxQuoteItems)
	}
	if n <= len(r.items) {
		q.Items = r.items[:n:n]
	} else {
		q.Items = make([]QuoteItem, n)
	}
	for i := 1; i <= n; i++ {
		iv := items.RawGetInt(i)
		if it, ok := iv.(*lua.LTable); ok {
			if iv, err = plain(it); err != nil {
				return nil, err
			}
		}
		if err := buildItem(iv, i, unit, &q.Items[i-1]); err != nil {
			return nil, err
		}
		q.Subtotal += q.Items[i-1].Total
		if q.Subtotal > maxMinor {
			return nil, fieldErr("items", "subtotal is too large")
		}
	}
	text := len(q.Notes)
	for _, it := range q.Items {
		text += len(it.Description) + len(it.Unit)
	}
	if text > maxQuoteText {
		return nil, fieldErr("", "descriptions, units and notes hold over %s of text", formatBytes(maxQuoteText))
	}
	if q.Discount, ok = mulRoundRate(q.DiscountRate, q.Subtotal); !ok {
		return nil, fieldErr("discount", "amount is too large")
	}
	if q.Tax, ok = mulRoundRate(q.TaxRate, q.Subtotal-q.Discount); !ok {
		return nil, fieldErr("tax_rate", "amount is too large")
	}
	q.Total = q.Subtotal - q.Discount + q.Tax
	return &r.res, nil
}

func buildItem(v lua.LValue, i int, unit uint64, it *QuoteItem) error {
	err := fillItem(v, unit, it)
	if fe, ok := err.(*fieldError); ok {
		path := "items[" + strconv.Itoa(i) + "]"
		if fe.path != "" {
			path += "." + fe.path
		}
		fe.path = path
	}
	return err
}

// fillItem reads one item; error paths are relative to the item.
func fillItem(v lua.LValue, unit uint64, it *QuoteItem) error {
	t, ok := v.(*lua.LTable)
	if !ok {
		return fieldErr("", "must be a table with description, quantity, unit and unit_price, got %s", v.Type())
	}
	var f [iCount]lua.LValue
	if err := readKeys(t, "", itemKeys, f[:]); err != nil {
		return err
	}
	desc, err := optString(f[iDescription], "description")
	if err != nil {
		return err
	}
	it.Description = strings.TrimSpace(desc)
	if it.Description == "" {
		return fieldErr("description", "required")
	}
	if it.Unit, err = optString(f[iUnit], "unit"); err != nil {
		return err
	}
	if it.Rule, err = optString(f[iRule], "rule"); err != nil {
		return err
	}
	it.Quantity = 1
	if qv := f[iQuantity]; qv != lua.LNil {
		if it.Quantity, err = amount(qv, "quantity"); err != nil {
			return err
		}
	}
	pv := f[iUnitPrice]
	if pv == lua.LNil {
		return fieldErr("unit_price", "required (the price of one unit in major units, e.g. 35.50)")
	}
	price, err := amount(pv, "unit_price")
	if err != nil {
		return err
	}
	if it.UnitPrice, ok = mulRoundFloat(price, unit); !ok {
		return fieldErr("unit_price", "is too large")
	}
	if it.Total, ok = mulRoundFloat(it.Quantity, uint64(it.UnitPrice)); !ok {
		return fieldErr("", "line total is too large")
	}
	return nil
}

// amount reads a non-negative finite number.
func amount(v lua.LValue, path string) (float64, error) {
	n, ok := v.(lua.LNumber)
	if !ok {
		return 0, fieldErr(path, "must be a number, got %s", v.Type())
	}
	f := float64(n)
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0) || f >= math.MaxFloat64:
		return 0, fieldErr(path, "must be a finite number")
	case f < 0:
		return 0, fieldErr(path, "must not be negative")
	}
	return f, nil
}

// optRate reads an optional rate: the value v of key, lua.LNil when absent.
func optRate(v lua.LValue, key string) (float64, error) {
	if v == lua.LNil {
		return 0, nil
	}
	f, err := amount(v, key)
	if err != nil {
		return 0, err
	}
	if f >= 1 {
		return 0, fieldErr(key, "must be a fraction in [0, 1), e.g. 0.21 for 21%%, got %v", f)
	}
	return f, nil
}

func mulRoundRate(rate float64, base int64) (int64, bool) {
	if rate == 0 || base == 0 {
		return 0, true
	}
	return mulRoundFloat(rate, uint64(base))
}

// optDays reads an optional number of days: the value v of key.
func optDays(v lua.LValue, key string) (int, error) {
	if v == lua.LNil {
		return 0, nil
	}
	f, err := amount(v, key)
	if err != nil {
		return 0, err
	}
	if f != math.Trunc(f) || f > 3650 {
		return 0, fieldErr(key, "must be a whole number of days up to 3650, got %v", f)
	}
	return int(f), nil
}

// optString reads an optional string: the value v of key.
func optString(v lua.LValue, key string) (string, error) {
	switch v := v.(type) {
	case *lua.LNilType:
		return "", nil
	case lua.LString:
		return string(v), nil
	default:
		return "", fieldErr(key, "must be a string, got %s", v.Type())
	}
}

// readKeys reads a table whose keys must all be among names, in one walk:
// vals[i] gets the value of names[i] (lua.LNil when absent). A key not in
// names is an error with a suggestion. Keys are visited in Lua's order
// (LTable.Next, which unlike ForEach does not box them), so the same key is
// always the one reported.
func readKeys(t *lua.LTable, prefix string, names []string, vals []lua.LValue) error {
	for i := range vals {
		vals[i] = lua.LNil
	}
	for k, v := t.Next(lua.LNil); k != lua.LNil; k, v = t.Next(k) {
		i := -1
		if ks, ok := k.(lua.LString); ok {
			i = slices.Index(names, string(ks))
		}
		if i < 0 {
			return unknownKey(k, prefix, names)
		}
		vals[i] = v
	}
	return nil
}

// unknownKey is the error for a key a table must not have.
func unknownKey(k lua.LValue, prefix string, allowed []string) *fieldError {
	ks, ok := k.(lua.LString)
	if !ok {
		return fieldErr(strings.TrimSuffix(prefix, "."), "unexpected key %s (want %s)", k.String(), strings.Join(allowed, ", "))
	}
	hint := " (want " + strings.Join(allowed, ", ") + ")"
	if s := suggest(string(ks), allowed); s != "" {
		hint = fmt.Sprintf(" (did you mean %q?)", s)
	}
	if string(ks) == "total" || string(ks) == "subtotal" || string(ks) == "tax" {
		hint = " (the host computes totals: give quantity and unit_price, tax_rate and discount)"
	}
	return fieldErr(prefix+string(ks), "unknown key%s", hint)
}

// checkList makes sure a table is a plain list of n items (n = t.Len(), the
// last index of the array part that holds a value). Keys 1..n live in the
// array part, which LTable.Next visits first, and every other key is out of
// place, so the first key after n is the first wrong one, as a walk over
// all keys would find it, without boxing each index on the way.
func checkList(t *lua.LTable, path string, n int) error {
	var k lua.LValue
	if n > 0 {
		k, _ = t.Next(lua.LNumber(n))
	} else {
		k, _ = t.Next(lua.LNil)
	}
	if k == lua.LNil {
		return nil
	}
	return fieldErr(path, "must be a list { {...}, {...} }, found key %s", k.String())
}

// suggest returns the candidate closest to s when it is close enough to be
// a typo, else "".
func suggest(s string, candidates []string) string {
	best, bestD := "", max(2, len(s)/3)+1
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(s), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
