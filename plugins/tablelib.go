package plugins

import (
	"math"
	"math/bits"

	lua "github.com/yuin/gopher-lua"
)

// Tables: what one operation can make gopher-lua allocate or do beyond an
// instruction's worth is counted here.

// guardSlot counts what t[k] = v adds to t (nil: a table being built by a
// constructor, which counts its own keys): a slot of the array when it
// appends, a slot of the hash part for a new key, and the slots gopher-lua
// fills with nil up to an integer key beyond the array's end (t[1e7] = 1
// would allocate 160 MB in one instruction).
func (v *vm) guardSlot(L *lua.LState, t *lua.LTable, k lua.LValue) {
	var n int64
	switch k := k.(type) {
	case lua.LNumber:
		n = v.slotsFor(t, float64(k))
	case lua.LString:
		if t != nil && t.RawGetString(string(k)) == lua.LNil {
			n = hashSlotBytes
		}
	case *lua.LNilType:
		return // an error, raised by the VM
	default:
		if t != nil && t.RawGet(k) == lua.LNil {
			n = hashSlotBytes
		}
	}
	if n > 0 {
		v.cc.alloc(L, n)
		if n > bigValue {
			v.cc.work(L, n/1024) // filling the gap
		}
	}
}

// slotsFor is the bytes t[f] = v adds for a number key.
func (v *vm) slotsFor(t *lua.LTable, f float64) int64 {
	if f != math.Trunc(f) || f < 1 || f >= float64(lua.MaxArrayIndex) {
		if t != nil && t.RawGet(lua.LNumber(f)) == lua.LNil {
			return hashSlotBytes // not an array index: a hash key
		}
		return 0
	}
	idx := int(f)
	if t == nil {
		return int64(idx-1) * grownSlot // the slots before it; its own is counted
	}
	if t.RawGetInt(idx) != lua.LNil {
		return 0 // overwrites
	}
	if idx == 1 || t.RawGetInt(idx-1) != lua.LNil {
		return grownSlot // appends
	}
	// t.Len() is at most the array's length: this may count slots that
	// exist, never fewer than are added.
	return int64(max(idx-t.Len(), 0)) * grownSlot
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
		v.cc.alloc(L, int64(n)*grownSlot)
	}
	return n
}

// registerMeter is the helper a chunk calls first with a closure over its
// meter (meter.go), so the host can read it; only the first call of a
// chunk's run counts.
func (v *vm) registerMeter(L *lua.LState) int {
	fn := L.CheckFunction(1)
	if v.metered && len(fn.Upvalues) == 1 {
		v.cc.meters = append(v.cc.meters, fn.Upvalues[0])
		v.metered = false
	}
	return 0
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
