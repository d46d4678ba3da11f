package plugins

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// TestQuoteMoney runs testdata/quotes.json: each case is what a pricing
// function returns, with the amounts the money rule must give (worked out
// by hand) or the error that names the field.
func TestQuoteMoney(t *testing.T) {
	var cases []struct {
		Name  string
		Lua   string
		Error string
		Want  *struct {
			Currency                       string
			Lines                          [][2]int64 // unit price, line total
			Subtotal, Discount, Tax, Total int64
		}
	}
	readJSON(t, "testdata/quotes.json", &cases)
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			h := openDir(t, map[string]string{"p.lua": "function quote(ctx)\n  return " + tc.Lua + "\nend\n"}, Options{})
			res, err := call(t, h, "p.quote", nil)
			if tc.Error != "" {
				var pe *Error
				if !errors.As(err, &pe) {
					t.Fatalf("got %v, want error %q", err, tc.Error)
				}
				want := "quote: invalid quote: " + tc.Error
				if pe.Msg != want || pe.Line != 1 || pe.Func != "quote" {
					t.Fatalf("got %q at line %d\nwant %q at line 1", pe.Msg, pe.Line, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			q := res.Quote
			if q == nil {
				t.Fatalf("no quote in %v", res.Value)
			}
			w := tc.Want
			if q.Currency != w.Currency || q.Subtotal != w.Subtotal || q.Discount != w.Discount || q.Tax != w.Tax || q.Total != w.Total {
				t.Fatalf("got %s subtotal %d discount %d tax %d total %d, want %s %d %d %d %d",
					q.Currency, q.Subtotal, q.Discount, q.Tax, q.Total, w.Currency, w.Subtotal, w.Discount, w.Tax, w.Total)
			}
			if q.Total != q.Subtotal-q.Discount+q.Tax {
				t.Fatal("total is not subtotal - discount + tax")
			}
			if w.Lines != nil {
				var got [][2]int64
				for _, it := range q.Items {
					got = append(got, [2]int64{it.UnitPrice, it.Total})
				}
				if !reflect.DeepEqual(got, w.Lines) {
					t.Fatalf("lines (unit price, total) %v, want %v", got, w.Lines)
				}
			}
		})
	}
}

// A quote keeps what it needs to be reproduced, and its template view
// carries both major and minor units.
func TestQuoteProvenanceAndMap(t *testing.T) {
	src := "function quote(ctx)\n  return { currency = 'EUR', discount = 0.1, tax_rate = 0.21, valid_days = 14, notes = 'n', items = { { description = 'Roofing', quantity = 12.5, unit = 'm²', unit_price = 35.5 } } }\nend\n"
	h := openDir(t, map[string]string{"pricing.lua": src}, Options{Config: map[string]any{"vat_rate": 0.21}})
	vars := map[string]any{"project": map[string]any{"service": "roofing"}}
	res, err := call(t, h, "pricing.quote", vars)
	if err != nil {
		t.Fatal(err)
	}
	q := res.Quote
	hash, _ := h.Source("pricing")
	if q.Plugin != "pricing.quote" || q.SourceHash != hash || len(hash) != 64 {
		t.Fatalf("provenance %q %q (source %q)", q.Plugin, q.SourceHash, hash)
	}
	if !reflect.DeepEqual(q.Inputs["vars"], vars) || !reflect.DeepEqual(q.Inputs["config"], map[string]any{"vat_rate": 0.21}) {
		t.Fatalf("inputs %v", q.Inputs)
	}
	// 12.5 × 3550 = 44375; discount 4437.5 → 4438; tax (39937 × 0.21 = 8386.77) → 8387
	m := q.Map()
	got, _ := json.Marshal(m)
	want := `{"currency":"EUR","discount":44.38,"discount_minor":4438,"discount_rate":0.1,` +
		`"items":[{"description":"Roofing","quantity":12.5,"total":443.75,"unit":"m²","unit_price":35.5}],` +
		`"notes":"n","subtotal":443.75,"subtotal_minor":44375,"tax":83.87,"tax_minor":8387,"tax_rate":0.21,` +
		`"total":483.24,"total_minor":48324,"valid_days":14}`
	if string(got) != want {
		t.Fatalf("Map():\n%s\nwant\n%s", got, want)
	}
	if !reflect.DeepEqual(res.Value, m) {
		t.Fatal("Result.Value is not Quote.Map()")
	}
}

// A table without items is not a quote: its value comes back as it is.
func TestNotAQuote(t *testing.T) {
	h := openDir(t, map[string]string{"p.lua": "function f(ctx) return { total = 12 } end\n"}, Options{})
	res, err := call(t, h, "p.f", nil)
	if err != nil || res.Quote != nil || !reflect.DeepEqual(res.Value, map[string]any{"total": 12.0}) {
		t.Fatalf("got %+v, %v", res, err)
	}
}

// readKeys puts each value at its key's position in the list: the
// constants that name the positions follow the lists.
func TestKeyPositions(t *testing.T) {
	quote := map[int]string{qCurrency: "currency", qItems: "items", qDiscount: "discount", qTaxRate: "tax_rate", qValidDays: "valid_days", qNotes: "notes"}
	item := map[int]string{iDescription: "description", iQuantity: "quantity", iUnit: "unit", iUnitPrice: "unit_price", iRule: "rule"}
	for _, c := range []struct {
		keys []string
		at   map[int]string
		n    int
	}{{quoteKeys, quote, qCount}, {itemKeys, item, iCount}} {
		if len(c.keys) != c.n || len(c.at) != c.n {
			t.Fatalf("%v: %d keys, %d positions", c.keys, len(c.keys), c.n)
		}
		for i, k := range c.at {
			if c.keys[i] != k {
				t.Errorf("position %d is %q, want %q", i, c.keys[i], k)
			}
		}
	}
}

func TestEditDistanceSuggest(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"unit_prce", "unit_price"}, {"descripton", "description"}, {"qty", ""}, {"UNIT", "unit"},
	} {
		if got := suggest(tc.in, itemKeys); got != tc.want {
			t.Errorf("suggest(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if !strings.Contains(fieldErr("a", "b %d", 1).Error(), "a: b 1") {
		t.Fatal("fieldError format")
	}
}

// A stored quote's inputs, read back the way `plugin run --input` reads
// them, give the same quote.
func TestQuoteReproducible(t *testing.T) {
	config := map[string]any{"vat_rate": 0.2, "roofing": map[string]any{"minimum": 600.0}}
	h, err := Open(Options{Shipped: ShippedFS(), Config: config})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	first, err := call(t, h, "pricing.quote", benchVars())
	if err != nil {
		t.Fatal(err)
	}
	stored, err := json.Marshal(first.Quote.Inputs)
	if err != nil {
		t.Fatal(err)
	}
	var in map[string]any
	if err := json.Unmarshal(stored, &in); err != nil {
		t.Fatal(err)
	}
	vars, cfg, err := SplitInput(in)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Open(Options{Shipped: ShippedFS(), Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	second, err := call(t, again, "pricing.quote", vars)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(first.Value, second.Value) || first.Quote.SourceHash != second.Quote.SourceHash {
		t.Fatalf("reproduced quote differs:\n%v\n%v", first.Value, second.Value)
	}
}
