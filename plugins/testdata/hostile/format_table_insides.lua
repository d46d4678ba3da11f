-- want: error
-- error: done
-- fmt would print a table's insides for %d; the sandbox gives it the
-- table's name instead, so this is short.
function f(ctx)
  local t, s = {}, string.rep("x", 1024 * 1024)
  for i = 1, 1000 do t[i] = s end
  local out = string.format("%d %x %q", t, t, t)
  if #out > 1000 then return #out end
  error("done")
end
