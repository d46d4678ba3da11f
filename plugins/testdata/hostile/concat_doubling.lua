-- want: memory
-- error: ..: the result would exceed 4 MiB
-- line: 7
-- s = s .. s doubles a string each time: 30 rounds would be a GiB.
function f(ctx)
  local s = "x"
  while true do s = s .. s end
end
