-- want: instructions
-- error: instruction limit of 1000000 exceeded
-- The log gets at most 100 lines of 2 KiB from a call.
function f(ctx)
  local s = string.rep("x", 1024 * 1024)
  while true do log(s, s, s) end
end
