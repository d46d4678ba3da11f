-- want: instructions
-- error: instruction limit of 1000000 exceeded
-- A vararg function that does not use ... would build Lua 5.0's arg table
-- of thousands of values on every call; here it does not, and the work
-- of unpack counts.
function f(ctx)
  local big = {}
  for i = 1, 30000 do big[i] = i end
  local function ignore(...) return arg end
  while true do assert(ignore(unpack(big)) == nil) end
end
