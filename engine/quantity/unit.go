package quantity

import (
	"fmt"
	"math"
	"strings"
)

// Unit is a unit of area or length, named by its symbol. None is a plain
// number.
type Unit string

// The units quantities are read in and converted between.
const (
	None             Unit = ""
	SquareMetre      Unit = "m²"
	SquareFoot       Unit = "ft²"
	SquareCentimetre Unit = "cm²"
	Metre            Unit = "m"
	Centimetre       Unit = "cm"
	Millimetre       Unit = "mm"
	Foot             Unit = "ft"
)

// unitInfo is what converting needs to know of a unit.
type unitInfo struct {
	dim    int     // 1 a length, 2 an area
	si     float64 // one unit in metres or square metres
	square Unit    // a length: the area of a square of that side ("" for none of ours)
	side   Unit    // an area: the length its sides are measured in
}

var unitTable = map[Unit]unitInfo{
	SquareMetre:      {dim: 2, si: 1, side: Metre},
	SquareFoot:       {dim: 2, si: 0.09290304, side: Foot},
	SquareCentimetre: {dim: 2, si: 1e-4, side: Centimetre},
	Metre:            {dim: 1, si: 1, square: SquareMetre},
	Centimetre:       {dim: 1, si: 0.01, square: SquareCentimetre},
	Millimetre:       {dim: 1, si: 0.001},
	Foot:             {dim: 1, si: 0.3048, square: SquareFoot},
}

// Units lists the units a flow may ask in, areas first.
func Units() []Unit {
	return []Unit{SquareMetre, SquareFoot, SquareCentimetre, Metre, Centimetre, Millimetre, Foot}
}

// IsArea reports whether u is a unit of area.
func (u Unit) IsArea() bool { return unitTable[u].dim == 2 }

// IsLength reports whether u is a unit of length.
func (u Unit) IsLength() bool { return unitTable[u].dim == 1 }

// ParseUnit reads a unit as a flow or a plugin writes it: a symbol (m²,
// m2, ft², sqm, m, cm...) or its words in any of the six languages
// ("square metres", "Quadratmeter", "sq ft", "metros"). ok is false for
// anything else, including "".
func ParseUnit(s string) (Unit, bool) {
	toks := tokenize(strings.TrimSpace(s))
	if len(toks) == 0 {
		return None, false
	}
	p := &parser{toks: toks, langs: langAll}
	u, next, ok := p.unitAt(0)
	if !ok || next != len(toks) {
		return None, false
	}
	return u, true
}

// UnitError says a quantity is in a unit that cannot be converted to the
// one asked: an area where a length was asked, or dimensions for a length.
type UnitError struct {
	Read, Want Unit
	Dims       bool // the text gave two sides
}

func (e *UnitError) Error() string {
	if e.Dims {
		return fmt.Sprintf("dimensions give an area, not %s", e.Want)
	}
	return fmt.Sprintf("%s cannot be converted to %s", e.Read, e.Want)
}

// convert changes v from one unit to another of the same kind.
func convert(v float64, from, to Unit) float64 {
	if from == to {
		return v
	}
	return tidy(v * unitTable[from].si / unitTable[to].si)
}

// tidy rounds a computed value (a product or a conversion) the way a
// person would write it: two decimals, or three significant digits below 1.
func tidy(v float64) float64 {
	a := math.Abs(v)
	switch {
	case a == 0 || math.IsInf(v, 0) || math.IsNaN(v):
		return v
	case a >= 1:
		return math.Round(v*100) / 100
	}
	scale := math.Pow(10, 2-math.Floor(math.Log10(a)))
	return math.Round(v*scale) / scale
}
