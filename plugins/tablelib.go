package plugins

import (
	"math"
	"math/bits"

	lua "github.com/yuin/gopher-lua"
)

// Tables: what one operation can make gopher-lua allocate or do beyond an
// instruction's worth is counted here.

// slotBytes is the size of one slot of a table's array (an interface).
const slotBytes = 16

// guardSlot counts the array slots t[k] = v would add to t (nil: a table
// being built by a constructor, still empty). gopher-lua fills a table's
// array with nil up to an integer key, so t[1e7] = 1 allocates 160 MB in
// one instruction; appending or overwriting adds at most one slot.
func (v *vm) guardSlot(L *lua.LState, t *lua.LTable, k lua.LValue) {
	n, ok := k.(lua.LNumber)
	if !ok || n <= 8 {
		return
	}
	f := float64(n)
	if f != math.Trunc(f) || f >= float64(lua.MaxArrayIndex) {
		return // not an array index: a hash key
	}
	idx := int(f)
	gap := idx - 1
	if t != nil {
		if t.RawGetInt(idx) != lua.LNil || t.RawGetInt(idx-1) != lua.LNil {
			return
		}
		gap = idx - 1 - t.Len() // t.Len() is at most the array's length
	}
	if gap > 8 {
		v.cc.work(L, int64(gap)/64)
		v.cc.alloc(L, int64(gap)*slotBytes)
	}
}

// keyGuard is the helper the compiler puts before a computed key: keyGuard(t,
// k) for t[k] = v, keyGuard(k) for {[k] = v}. It returns k.
func (v *vm) keyGuard(L *lua.LState) int {
	if L.GetTop() == 1 {
		v.guardSlot(L, nil, L.Get(1))
		return 1
	}
	if t, ok := L.Get(1).(*lua.LTable); ok {
		v.guardSlot(L, t, L.Get(2))
	}
	return 1
}

// manyGuard is the helper around the last value of a table constructor
// that can be many values ({...}, {f()}): it counts them and returns them.
func (v *vm) manyGuard(L *lua.LState) int {
	n := L.GetTop()
	if n > 8 {
		v.cc.work(L, int64(n)/8)
		v.cc.alloc(L, int64(n)*slotBytes)
	}
	return n
}

// checkPos reads an integer position, clamped so that a huge number
// cannot overflow.
func checkPos(L *lua.LState, n int) int {
	f := float64(L.CheckNumber(n))
	switch {
	case math.IsNaN(f):
		return 0
	case f > math.MaxInt32:
		return math.MaxInt32
	case f < math.MinInt32:
		return math.MinInt32
	}
	return int(f)
}

// tableInsert is table.insert(t, [pos,] v).
func (v *vm) tableInsert(L *lua.LState) int {
	t := L.CheckTable(1)
	switch L.GetTop() {
	case 2:
		v.cc.work(L, 1)
		t.Append(L.Get(2))
	case 3:
		pos := checkPos(L, 2)
		n := t.Len()
		if pos > n+1 {
			v.guardSlot(L, t, lua.LNumber(pos))
		} else if pos >= 1 {
			v.cc.work(L, int64(n-pos)/32) // the elements after pos move up
		}
		t.Insert(pos, L.CheckAny(3))
	default:
		L.RaiseError("wrong number of arguments to 'insert'")
	}
	return 0
}

// tableRemove is table.remove(t [, pos]).
func (v *vm) tableRemove(L *lua.LState) int {
	t := L.CheckTable(1)
	if L.GetTop() == 1 {
		L.Push(t.Remove(-1))
		return 1
	}
	pos := checkPos(L, 2)
	if n := t.Len(); pos >= 1 && pos < n {
		v.cc.work(L, int64(n-pos)/32) // the elements after pos move down
	}
	L.Push(t.Remove(pos))
	return 1
}

// tableSort is table.sort, with the comparisons of a sort without a Lua
// comparator counted (a comparator's instructions count themselves).
func (v *vm) tableSort(orig *lua.LFunction) lua.LGFunction {
	return func(L *lua.LState) int {
		if n := L.CheckTable(1).Len(); n > 1 {
			v.cc.work(L, int64(n)*int64(bits.Len(uint(n)))/2)
		}
		return orig.GFunction(L)
	}
}
