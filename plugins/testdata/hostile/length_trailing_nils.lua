-- want: timeout
-- timeout: 200ms
-- error: timed out after 200ms
-- #t scans a list's trailing nils from its end: one instruction, a long
-- scan. The clock stops it, checked every 16 instructions once a call has
-- built a megabyte.
function f(ctx)
  local t = {}
  for i = 1, 50000 do t[i] = i end
  for i = 50000, 2, -1 do t[i] = nil end
  local n = 0
  while true do n = n + #t end
end
