-- want: instructions
-- error: instruction limit of 1000000 exceeded
-- One instruction, a scan of 4 MiB: the work of the scan counts.
function f(ctx)
  local s = string.rep("x", 4 * 1024 * 1024 - 1)
  while true do s:find("y", 1, true) end
end
