-- want: timeout
-- timeout: 200ms
-- error: timed out after 200ms
-- Comparing two equal strings of 2 MiB is one instruction but a long scan,
-- which the host cannot see: the clock stops it, checked every 16
-- instructions once a call has built a big value.
function f(ctx)
  local a = string.rep("x", 2 * 1024 * 1024) .. "a"
  local b = string.rep("x", 2 * 1024 * 1024) .. "a"
  local same = 0
  while true do if a == b then same = same + 1 end end
end
